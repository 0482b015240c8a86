"""The page-fetch interface between a page's data (plain Python, run in workers) and its paged model.

Kept free of Qt so the functions that read a page of rows (e.g. `library.library_rows`) stay plain Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: fetch(offset, limit) -> at most `limit` rows from `offset` (fewer only at the end). Runs in a worker.
FetchPage = Callable[[int, int], list[Any]]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a loader returns: the whole count, the first rows, how to fetch more, and page extras."""

    total: int
    rows: list[Any]
    fetch: FetchPage
    extra: Any = None


#: loader(want) -> Loaded with (at most) the first `want` rows. Runs in a worker thread.
Loader = Callable[[int], Loaded]

SLICE = 500


def shrink(items: list[Any], keep: int = 0) -> None:
    """Drop all but the first `keep` items of a big list a slice at a time (worker side).

    Why: freeing 100,000 records in one statement holds the interpreter lock for tens of milliseconds,
    and the GUI thread waits; between slices it gets the lock back. (A stop-gap until the store pages.)"""
    while len(items) > keep:
        del items[max(keep, len(items) - SLICE) :]
