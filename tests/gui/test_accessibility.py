"""Accessibility, checked on the real widgets of every page and dialog with real key events.

The photo and releases come from the review tests' module template (a real import into real SQLite).
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView
from tests.gui.test_review_view import template  # noqa: F401 - the shared imported-photo catalogue

from consentdesk.core.catalogue import Catalogue
from consentdesk.ui.main_window import MainWindow


@pytest.fixture
def window(template, tmp_path, qtbot):  # noqa: F811
    path, _image_id, _ids = template
    copy = tmp_path / "catalogue.sqlite"
    shutil.copy(path, copy)
    catalogue = Catalogue.open(copy)
    win = MainWindow(catalogue)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    from consentdesk.ui.workers import wait_for_all

    wait_for_all()
    catalogue.close()


def focus_widget():
    return QApplication.focusWidget()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    focus = focus_widget()
    assert focus is not None, "nothing has the keyboard focus"
    qtbot.keyClick(focus, key, modifier)


def show_page(win: MainWindow, page) -> None:
    win.nav.setCurrentRow(win.pages.index(page))
    assert win.stack.currentWidget() is page


# --- Tab traps -----------------------------------------------------------------------------------------


def test_tab_leaves_every_table_and_arrows_move_between_cells(window, qtbot):
    win = window
    tables = [t for page in win.pages for t in page.findChildren(QAbstractItemView) if isinstance(t, QTableView)]
    assert win.register.table in tables and len(tables) >= 3  # register, expiry, paper forms
    for table in tables:
        assert not table.tabKeyNavigation(), table.objectName()
    register = win.register
    show_page(win, register)
    register.table.setFocus()
    qtbot.waitUntil(lambda: focus_widget() is register.table)
    register.table.setCurrentIndex(register.model.index(0, 0))
    press(qtbot, Qt.Key.Key_Right)
    assert register.table.currentIndex().column() == 1  # arrows move between cells
    press(qtbot, Qt.Key.Key_Tab)
    assert focus_widget() is not register.table  # Tab moves on to the next control
    register.table.setFocus()
    qtbot.waitUntil(lambda: focus_widget() is register.table)
    press(qtbot, Qt.Key.Key_Backtab)
    assert focus_widget() is register.expiring  # Shift+Tab goes back to the filter before the table


def test_tab_through_the_whole_window_visits_every_page_control_and_comes_back(window, qtbot):
    """Tab from the search box: focus must leave the register and return to it within one cycle."""
    win = window
    win.register.search.setFocus()
    qtbot.waitUntil(lambda: focus_widget() is win.register.search)
    seen = []
    for _ in range(60):
        press(qtbot, Qt.Key.Key_Tab)
        seen.append(focus_widget())
        if focus_widget() is win.register.search:
            break
    assert focus_widget() is win.register.search, [w.objectName() or type(w).__name__ for w in seen]
    assert win.nav in seen and win.register.table in seen


# --- moving focus never changes the page ------------------------------------------------------------


def test_tabbing_out_of_the_review_does_not_switch_page(window, template, qtbot):  # noqa: F811
    win = window
    _path, image_id, _ids = template
    win.open_review(image_id, [image_id])
    assert win.stack.currentWidget() is win.review_view
    for _ in range(40):
        press(qtbot, Qt.Key.Key_Tab)
        assert win.stack.currentWidget() is win.review_view, "a focus move changed the page"
        if focus_widget() is win.nav:
            break
    assert focus_widget() is win.nav
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Down)
    assert win.stack.currentWidget() is win.review_view  # arrows only move the focus ring
    row = win.nav.currentRow()
    press(qtbot, Qt.Key.Key_Return)  # activation opens the section under the ring
    assert win.stack.currentWidget() is win.pages[row]
    press(qtbot, Qt.Key.Key_Up)
    assert win.stack.currentWidget() is win.pages[row]
    press(qtbot, Qt.Key.Key_Space)
    assert win.stack.currentWidget() is win.pages[row - 1]
