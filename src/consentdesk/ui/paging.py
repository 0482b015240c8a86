"""The page-fetch interface between a page's data (plain Python, run in workers) and its paged model.

Kept free of Qt so the functions that read a page of rows (e.g. `library_data`) stay plain Python.
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
