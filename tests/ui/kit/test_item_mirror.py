"""ItemMirror: a view paints a paged model's rows from Qt's own items, and still pages, merges and updates.

Real QTableView/QTreeView widgets over a PagedModel of plain numbers read by a real worker."""

from __future__ import annotations

import sys

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableView, QTreeView

from consentdesk.ui.kit.item_mirror import ItemMirror
from consentdesk.ui.kit.lazy_model import Loaded, PagedModel

ID_ROLE = Qt.ItemDataRole.UserRole + 1
RED = QColor("#A81F14")


class Numbers(PagedModel):
    COLUMNS = ("n", "twice")

    def cell(self, row: tuple[int, str], column: int, role: int):
        n, note = row
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"number {n}", str(2 * n))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return note
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and n % 2:
            return RED
        if role == ID_ROLE:
            return n
        return None


def loader_over(data: list[tuple[int, str]]):
    def load(want: int) -> Loaded:
        snapshot = list(data)
        return Loaded(len(snapshot), snapshot[:want], lambda offset, limit: snapshot[offset : offset + limit])

    return load


def shown(mirror: ItemMirror) -> list[int]:
    return [mirror.index(r, 0).data(ID_ROLE) for r in range(mirror.rowCount())]


def view_over(qtbot, model, view_class=QTableView):
    view = view_class()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_the_view_shows_what_the_paged_model_holds_and_fetches_more_when_scrolled(qtbot):
    data = [(n, f"note {n}") for n in range(250)]
    model = Numbers(key=lambda r: r[0], page_size=100)
    mirror = ItemMirror(model, roles=(ID_ROLE,))
    view = view_over(qtbot, mirror)
    with qtbot.waitSignal(model.loaded):
        model.load(loader_over(data))
    assert shown(mirror) == list(range(100))
    assert mirror.headerData(1, Qt.Orientation.Horizontal) == "twice"
    third = mirror.index(3, 1)
    assert third.data() == "6" and third.data(Qt.ItemDataRole.ToolTipRole) == "note 3"
    assert third.data(Qt.ItemDataRole.ForegroundRole) == RED
    assert mirror.index(2, 1).data(Qt.ItemDataRole.ForegroundRole) is None
    assert not mirror.flags(third) & Qt.ItemFlag.ItemIsEditable  # Enter opens a row, it never edits it

    while mirror.rowCount() < len(data):
        loaded = mirror.rowCount()
        bar = view.verticalScrollBar()
        qtbot.waitUntil(lambda b=bar: b.value() < b.maximum())  # the view has laid out the new rows
        bar.setValue(bar.maximum())  # the user scrolls to the end: the view asks the mirror for more
        qtbot.waitUntil(lambda n=loaded: mirror.rowCount() > n, timeout=10_000)
        assert mirror.rowCount() - loaded <= 100
    assert shown(mirror) == [n for n, _ in data] == [r[0] for r in model.rows]
    assert not mirror.canFetchMore()


def test_refreshes_and_filled_in_columns_reach_the_view_without_losing_the_selection(qtbot):
    data = [(n, f"note {n}") for n in range(150)]
    model = Numbers(key=lambda r: r[0], page_size=100)
    mirror = ItemMirror(model, roles=(ID_ROLE,))
    view = view_over(qtbot, mirror, QTreeView)
    with qtbot.waitSignal(model.loaded):
        model.load(loader_over(data))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().setCurrentIndex(mirror.index(40, 0), flags)
    resets = []
    mirror.modelReset.connect(lambda: resets.append(1))

    del data[5]  # decided elsewhere: one row goes, another arrives
    data.insert(20, (1000, "new"))
    with qtbot.waitSignal(model.loaded):
        model.load(loader_over(data), incremental=True)
    assert shown(mirror) == [r[0] for r in model.rows] == [n for n, _ in data[:100]]
    assert resets == []  # rows were removed and inserted, not rebuilt
    assert view.currentIndex().data(ID_ROLE) == 40  # still on the same row's item

    model.update_rows([(7, "seven, counted"), (60, "sixty, counted")])
    assert mirror.index(shown(mirror).index(7), 0).data(Qt.ItemDataRole.ToolTipRole) == "seven, counted"
    assert mirror.index(shown(mirror).index(60), 1).data(Qt.ItemDataRole.ToolTipRole) == "sixty, counted"

    model.clear()
    assert mirror.rowCount() == 0


def python_calls_while_painting(qtbot, view) -> list[str]:
    """The Python functions that run while `view` repaints (sys.setprofile on the GUI thread)."""
    calls: list[str] = []
    bar = view.verticalScrollBar()
    assert view.isVisible()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # laid out: the repaint draws a screenful of rows

    def profile(frame, event, _arg):
        if event == "call":
            calls.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    sys.setprofile(profile)
    try:
        view.grab()  # paints the whole table into a pixmap, as the screen would get it
    finally:
        sys.setprofile(None)
    return calls


def test_painting_the_view_calls_no_python(qtbot):
    """Why the mirror exists: a repaint that calls into Python once per cell and role waits for the
    interpreter lock each time a worker holds it. Through the mirror a repaint runs in C++ alone."""
    model = Numbers(key=lambda r: r[0], page_size=100)
    mirror = ItemMirror(model, roles=(ID_ROLE,))
    view = view_over(qtbot, mirror)
    with qtbot.waitSignal(model.loaded):
        model.load(loader_over([(n, "") for n in range(100)]))
    assert python_calls_while_painting(qtbot, view) == []

    direct = view_over(qtbot, model)  # the same rows straight from the Python model, for contrast
    assert len(python_calls_while_painting(qtbot, direct)) > 50
