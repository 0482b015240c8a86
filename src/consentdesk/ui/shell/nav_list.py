"""The navigation list: moving focus through it never changes the page; only activating an entry does.

A plain QListWidget switches page on `currentRowChanged`, and Qt makes the first row current whenever
the list gains keyboard focus without one (Tab out of the review view), so tabbing past the list
silently changed the page. Here the page follows the *selection*, and the selection only changes on a
click, Enter/Space, or a programmatic `setCurrentRow` (the app's own page switches). Arrow keys and Tab
only move the focus ring.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import QListWidget, QWidget

ACTIVATE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Select)


class NavList(QListWidget):
    """Emits `page_chosen(row)` when an entry is activated (click, Enter, Space or `setCurrentRow`)."""

    page_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.itemSelectionChanged.connect(self._selection_changed)
        self.setAccessibleDescription("Arrow keys move between sections; Enter or Space opens one.")

    def selectionCommand(self, index, event=None):  # noqa: N802 - Qt API
        """Keyboard and focus moves change only the current (focused) row, never the selection."""
        if event is None or event.type() in (QEvent.Type.KeyPress, QEvent.Type.FocusIn):
            return QItemSelectionModel.SelectionFlag.NoUpdate
        return super().selectionCommand(index, event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() in ACTIVATE_KEYS and self.currentRow() >= 0:
            self.activate_row(self.currentRow())
            event.accept()
            return
        super().keyPressEvent(event)

    def activate_row(self, row: int) -> None:
        """Select (and so open) `row`, as a click would."""
        self.setCurrentRow(row)

    def active_row(self) -> int:
        """The row of the page shown, or -1 (the review view has no navigation entry)."""
        rows = self.selectedIndexes()
        return rows[0].row() if rows else -1

    def _selection_changed(self) -> None:
        row = self.active_row()
        if row >= 0:
            self.page_chosen.emit(row)
