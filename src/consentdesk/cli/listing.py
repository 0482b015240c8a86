"""Lists on the command line: the first page printed at once, the rest streamed as it is read.

A list command reads its rows a page at a time (`pages(fetch, limit)`) and `stream` prints each row as
soon as its page is read, flushing after every page, so `consentdesk queue | head` shows its first lines
without waiting for the whole list, and memory stays flat however long the list is. `--limit N` stops
after N rows. With --json the output is the same JSON array as before, written element by element.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: Rows read for the first page (what a screen shows at once), then per page after it.
FIRST_PAGE = 50
PAGE = 500


def add_limit_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_count, default=None, metavar="N", help="print at most N rows")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("--limit must be 0 or more")
    return value


def pages(fetch: Callable[[int, int], Sequence[T]], limit: int | None = None) -> Iterator[Sequence[T]]:
    """Pages of `fetch(offset, count)` until one comes back empty, or `limit` rows were given. A page may
    be shorter than asked (rows removed while the list was read), so the offset moves by what was asked."""
    offset = shown = 0
    size = FIRST_PAGE
    while limit is None or shown < limit:
        count = size if limit is None else min(size, limit - shown)
        page = fetch(offset, count)
        if not page:
            return
        yield page
        shown += len(page)
        offset += count
        size = PAGE


def rows(pages_: Iterable[Sequence[T]]) -> Iterator[T]:
    """The rows of `pages_`, flushing what was printed at the end of each page."""
    for page in pages_:
        yield from page
        sys.stdout.flush()


def stream(
    items: Iterable[T],
    *,
    as_json: bool,
    to_json: Callable[[T], Any],
    to_line: Callable[[T], str],
    empty: str | None = None,
) -> int:
    """Print `items` one by one (a JSON array, or one line each); `empty` is said when there are none.
    Returns how many were printed."""
    n = 0
    out = sys.stdout
    for item in items:
        if as_json:
            text = json.dumps(to_json(item), ensure_ascii=False, indent=2, default=str)
            out.write(("[\n" if n == 0 else ",\n") + textwrap.indent(text, "  "))
        else:
            out.write(to_line(item) + "\n")
        n += 1
    if as_json:
        out.write("\n]\n" if n else "[]\n")
    elif n == 0 and empty:
        out.write(empty + "\n")
    out.flush()
    return n


def limited(items: Iterable[T], limit: int | None) -> Iterator[T]:
    """At most `limit` of `items` (all with None), for lists read in one go."""
    for i, item in enumerate(items):
        if limit is not None and i >= limit:
            return
        yield item
