"""A table model that holds only the rows a view has reached, fetched a page at a time off the GUI thread.

Why: a register of 20,000 releases or a library of 100,000 photos must not be read, computed or laid out
before anyone scrolls to it. The model is fed by a page-fetch callback `fetch(offset, limit) -> rows`
that runs in a worker (it opens its own catalogue connection); Qt's `canFetchMore`/`fetchMore` ask for
the next page when the view is scrolled near the end. A refresh re-reads only the rows already loaded
and applies the difference (inserts, removals, changed rows), so selection and scroll position stay.

A load is described by a `loader(want)` that also runs in the worker and returns `Loaded`: the total
row count, the first `want` rows, the `fetch` callback for the rest (it may capture what the loader
read, so later pages stay consistent with the first) and anything else the page wants to show.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from consentdesk.ui.kit.lazy_rows import FetchPage, Loaded, Loader
from consentdesk.ui.kit.workers import Latest, TaskControl, Ticket, gc_paused, run_task

__all__ = ["FetchPage", "Loaded", "Loader", "PagedModel"]

PAGE_SIZE = 100


class PagedModel(QAbstractTableModel):
    """Rows fetched page by page. Subclasses give `COLUMNS` and `cell(row, column, role)`."""

    COLUMNS: tuple[str, ...] = ("",)
    loaded = Signal(object)  # the loader's `extra`, after a load or refresh is applied
    failed = Signal(object)  # the exception from a load, refresh or fetch
    fetched = Signal()  # a further page arrived

    def __init__(
        self, key: Callable[[Any], Hashable], page_size: int = PAGE_SIZE, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.page_size = page_size
        self.rows: list[Any] = []
        self.total = 0
        self._fetch: FetchPage | None = None
        self._loads = Latest()  # results of an older load, refresh or fetch are dropped
        self._fetching = False

    # --- loading -----------------------------------------------------------------------------------

    def load(self, loader: Loader, incremental: bool = False) -> TaskControl:
        """Read the first page (incremental: as many rows as are loaded now) and apply it when it arrives.

        Incremental loads keep the rows that did not change, so the view keeps its selection."""
        self._fetching = False
        want = max(self.page_size, len(self.rows)) if incremental else self.page_size

        def job(_control: TaskControl) -> tuple[Any, ...]:
            try:
                with gc_paused():
                    return (self._apply, loader(want), incremental, want)
            except Exception as exc:  # reported through `failed`, never raised through Qt
                return (self._failed, exc)

        return self._run(job, self._loads)

    def _run(self, job: Callable[[TaskControl], tuple[Any, ...]], latest: Latest | Ticket) -> TaskControl:
        # The result comes back to a bound method of this model (dropped if the model is gone), and only
        # while no newer load was started.
        return run_task(job, self._arrived, latest=latest)

    def _arrived(self, result: tuple[Any, ...]) -> None:
        handler, *args = result
        handler(*args)

    def clear(self) -> None:
        self._loads.drop()
        self._fetching = False
        self.beginResetModel()
        self.rows, self.total, self._fetch = [], 0, None
        self.endResetModel()

    def _apply(self, result: Loaded, incremental: bool, want: int) -> None:
        self._fetch = result.fetch
        self.total = result.total if len(result.rows) >= want else len(result.rows)
        if incremental and self.rows:
            self._merge(list(result.rows))
        else:
            self.beginResetModel()
            self.rows = list(result.rows)
            self.endResetModel()
        self.loaded.emit(result.extra)

    def _merge(self, new: list[Any]) -> None:
        """Turn the loaded rows into `new` with row inserts, removals and changes (no reset)."""
        old_keys = [self.key(r) for r in self.rows]
        new_keys = [self.key(r) for r in new]
        ops = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes()
        last = len(self.COLUMNS) - 1
        for tag, i1, i2, j1, j2 in reversed(ops):  # from the end: earlier indices stay valid
            if tag == "equal":
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    if self.rows[i] != new[j]:
                        self.rows[i] = new[j]
                        self.dataChanged.emit(self.index(i, 0), self.index(i, last))
                continue
            if i2 > i1:
                self.beginRemoveRows(QModelIndex(), i1, i2 - 1)
                del self.rows[i1:i2]
                self.endRemoveRows()
            if j2 > j1:
                self.beginInsertRows(QModelIndex(), i1, i1 + j2 - j1 - 1)
                self.rows[i1:i1] = new[j1:j2]
                self.endInsertRows()

    def update_rows(self, rows: list[Any]) -> None:
        """Replace loaded rows that have the same key as these (e.g. a column filled in later), with one
        change signal over the rows replaced rather than one per row."""
        by_key = {self.key(r): r for r in rows}
        changed = []
        for i, row in enumerate(self.rows):
            new = by_key.get(self.key(row))
            if new is not None and new != row:
                self.rows[i] = new
                changed.append(i)
        if changed:
            last = len(self.COLUMNS) - 1
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))

    def _failed(self, exc: BaseException) -> None:
        self._fetching = False
        self.failed.emit(exc)

    # --- more rows ---------------------------------------------------------------------------------

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and self._fetch is not None and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802, B008
        if self._fetching or not self.canFetchMore(parent):
            return
        self._fetching = True
        offset, fetch, limit = len(self.rows), self._fetch, self.page_size
        assert fetch is not None

        def job(_control: TaskControl) -> tuple[Any, ...]:
            try:
                with gc_paused():
                    return (self._more, offset, fetch(offset, limit))
            except Exception as exc:
                return (self._failed, exc)

        self._run(job, self._loads.ticket())  # a page of the current load, dropped by the next load

    def _more(self, offset: int, rows: list[Any]) -> None:
        if offset != len(self.rows):
            return
        self._fetching = False
        if rows:
            self.beginInsertRows(QModelIndex(), offset, offset + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        if len(rows) < self.page_size:
            self.total = len(self.rows)  # the end (the list shrank since it was counted, or was filtered)
        self.fetched.emit()

    # --- Qt model ----------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        return self.cell(self.rows[index.row()], index.column(), role)

    def cell(self, row: Any, column: int, role: int) -> Any:
        raise NotImplementedError

    def row_at(self, row: int) -> Any:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, key: Hashable) -> int:
        return next((i for i, r in enumerate(self.rows) if self.key(r) == key), -1)

    def keys(self) -> list[Hashable]:
        return [self.key(r) for r in self.rows]
