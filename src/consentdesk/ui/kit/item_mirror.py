"""What a table shows of a `PagedModel`, held in Qt's own items so painting it never calls into Python.

Why: a view asks its model for about seven roles of every visible cell each time it paints (a page of
rows arriving, a scroll, a hover). With a model written in Python each of those thousand-odd calls must
take the interpreter lock; while a worker is computing rows it holds that lock and hands it over only
every switch interval, so one repaint of a table waited 100-400 ms for it at 100,000 photos. Here the
loaded rows are copied once, as they arrive, into `QStandardItem`s (a handful of calls per row, not per
paint), and the view paints from C++ alone.

The `PagedModel` stays the one source of the rows (pages and tests read `rows`, `total`, `row_at`); this
model follows its resets, inserts, removals and changed rows, row for row, so a view row is a model row.
Scrolling to the end asks the paged model for more (`canFetchMore`/`fetchMore` pass through); a
QTreeView needs `fetch_near_the_end(view)`, or it reads every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QScrollBar

from consentdesk.ui.kit.lazy_model import PagedModel

#: Shown rows can be selected and activated, never edited in place (double-click or Enter opens them).
_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren

#: The roles a view paints and reads aloud; pages add their own (an id role) through `roles`.
VIEW_ROLES: tuple[int, ...] = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.AccessibleTextRole,
)


class ItemMirror(QStandardItemModel):
    """A view's model that copies the `roles` of each loaded row of `source` (through `source.cell`)."""

    def __init__(self, source: PagedModel, roles: Sequence[int] = (), parent: Any = None) -> None:
        super().__init__(0, len(source.COLUMNS), parent)
        self.source = source
        self.roles = tuple(dict.fromkeys(int(role) for role in (*VIEW_ROLES, *roles)))  # as Qt passes them
        self._columns = range(len(source.COLUMNS))
        self._bar: QScrollBar | None = None
        self.setHorizontalHeaderLabels(list(source.COLUMNS))
        source.modelReset.connect(self._reset)
        source.rowsInserted.connect(self._inserted)
        source.rowsRemoved.connect(self._removed)
        source.dataChanged.connect(self._changed)
        self._reset()

    # --- following the source ----------------------------------------------------------------------

    def _items(self, row: Any) -> list[QStandardItem]:
        cell, roles = self.source.cell, self.roles  # local names: this runs for every cell of a page
        items = []
        for column in self._columns:
            item = QStandardItem()
            item.setFlags(_FLAGS)
            for role in roles:
                value = cell(row, column, role)
                if value is not None:
                    item.setData(value, role)
            items.append(item)
        return items

    def _put(self, first: int, rows: list[Any]) -> None:
        """Insert `rows` at `first` with one insert signal (not one per row), then fill their cells."""
        if not rows:
            return
        built = [self._items(row) for row in rows]  # first: the inserted rows are empty only inside this call
        self.insertRows(first, len(rows))
        for offset, items in enumerate(built):
            for column, item in enumerate(items):
                self.setItem(first + offset, column, item)

    def _reset(self) -> None:
        self.removeRows(0, self.rowCount())
        self._put(0, list(self.source.rows))

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            self._put(first, self.source.rows[first : last + 1])

    def _removed(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            self.removeRows(first, last - first + 1)

    def _changed(self, top_left: QModelIndex, bottom_right: QModelIndex, _roles: Any = None) -> None:
        for row in range(top_left.row(), bottom_right.row() + 1):
            for column, item in enumerate(self._items(self.source.rows[row])):
                self.setItem(row, column, item)

    # --- more rows, from the source ----------------------------------------------------------------

    def fetch_near_the_end(self, view: QAbstractItemView) -> None:
        """Offer more rows only while `view` is scrolled to its last screenful of rows.

        Why: a QTreeView asks for more rows every time it lays its rows out, not only when scrolled to
        the end (a QTableView asks only when its last row is on screen). Each page it gets makes it lay
        out again, so it read the whole 100,000-photo list in the background, one worker job and one
        batch of items on the GUI thread after another, while the user looked at the first screen."""
        self._bar = view.verticalScrollBar()
        self._bar.destroyed.connect(self._view_gone)

    def _view_gone(self) -> None:
        self._bar = None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        if not self.source.canFetchMore(parent):
            return False
        bar = self._bar
        return bar is None or bar.value() >= bar.maximum() - bar.pageStep()

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802, B008
        self.source.fetchMore(parent)
