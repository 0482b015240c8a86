"""The read-only data table the data-protection pages share, so every list looks and behaves alike."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTableWidget


def data_table(columns: tuple[str, ...], name: str, *, word_wrap: bool = True) -> QTableWidget:
    """A read-only, single-row-selection table styled by the `dataTable` rules in style.qss."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    return _styled(table, name, word_wrap, QHeaderView.ResizeMode.ResizeToContents)


def data_view(model: QAbstractItemModel, name: str, *, word_wrap: bool = False) -> QTableView:
    """The same table over a (paged) model, with columns the user sizes: sizing columns to their
    contents would measure every row each time a page of rows arrives."""
    table = QTableView()
    table.setModel(model)
    _styled(table, name, word_wrap, QHeaderView.ResizeMode.Interactive)
    em = table.fontMetrics().horizontalAdvance("M")
    table.horizontalHeader().setDefaultSectionSize(12 * em)
    return table


def _styled(table: QTableView, name: str, word_wrap: bool, resize: QHeaderView.ResizeMode) -> QTableView:
    table.setObjectName(name)
    table.setProperty("dataTable", True)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 16)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(word_wrap)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(resize)
    header.setStretchLastSection(True)
    return table
