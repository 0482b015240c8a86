"""Accessibility, checked on the real widgets of every page and dialog with real key events.

The photo and releases come from the review tests' module template (a real import into real SQLite).
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QTableView,
)
from tests.gui.a11y import (
    accessible_description,
    accessible_name,
    describe,
    focusable_controls,
    labelled_by,
)
from tests.gui.test_review_view import template  # noqa: F401 - the shared imported-photo catalogue

from consentdesk.core.catalogue import Catalogue
from consentdesk.ui.main_window import MainWindow
from consentdesk.ui.style import apply_style, contrast_ratio


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
    tables = [
        t for page in win.pages for t in page.findChildren(QAbstractItemView) if isinstance(t, QTableView)
    ]
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


# --- every page and dialog ------------------------------------------------------------------------------


def screens(win: MainWindow, qtbot, image_id: int):
    """(what, widget) for every page and every dialog, each shown for real."""
    from consentdesk.core.lifecycle import safety, withdrawal
    from consentdesk.core.lifecycle.paper import ScanOutcome, ScanResult
    from consentdesk.ui.approve_dialog import ApproveDialog
    from consentdesk.ui.busy import BusyDialog
    from consentdesk.ui.catalogue_safety import CheckReportDialog
    from consentdesk.ui.consent_dialog import ConsentDialog
    from consentdesk.ui.consent_picker import ConsentPicker
    from consentdesk.ui.consent_view import ConsentView, WithdrawDialog
    from consentdesk.ui.erase_dialog import EraseDialog
    from consentdesk.ui.paper_forms import ScanResultsDialog, scan_canvas
    from consentdesk.ui.reason_dialog import ReasonDialog
    from consentdesk.ui.takedown_dialog import TakedownDialog

    for title, page in zip([win.nav.item(i).text() for i in range(win.nav.count())], win.pages, strict=True):
        show_page(win, page)
        yield title, win
    win.open_review(image_id, [image_id])
    qtbot.waitUntil(lambda: not win.review_view.preview.isNull(), timeout=10000)
    yield "Review", win
    win.close_review()
    catalogue = win.catalogue
    consent = catalogue.list_consents()[0]
    (form_id,) = catalogue.reserve_form_ids(1)
    dialogs = [
        ("New release", lambda: ConsentDialog(catalogue, parent=win)),
        (
            "Paper form entry",
            lambda: ConsentDialog(catalogue, parent=win, form_id=form_id, aside=scan_canvas()),
        ),
        ("Record view", lambda: ConsentView(catalogue, consent, win)),
        ("Withdraw", lambda: WithdrawDialog(consent, win)),
        ("Erase", lambda: EraseDialog(consent, parent=win)),
        ("Take-down list", lambda: TakedownDialog(withdrawal.takedown_list(catalogue, consent.id), win)),
        ("Approve", lambda: ApproveDialog(catalogue, image_id, win)),
        ("Consent picker", lambda: ConsentPicker(catalogue, image_id, 1, parent=win)),
        ("Reason", lambda: ReasonDialog("Reject image", "Why?", "Reject", lambda _r: None, parent=win)),
        (
            "Scan results",
            lambda: ScanResultsDialog(
                [
                    ScanResult("scan.pdf", 1, ScanOutcome.AWAITING_ENTRY, form_id, 1),
                    ScanResult("photo.jpg", 1, ScanOutcome.NO_ID),
                ],
                win,
            ),
        ),
        ("Catalogue check", lambda: CheckReportDialog(win, safety.check(catalogue))),
        ("Busy", lambda: BusyDialog(win, "Working", "Copying the catalogue…")),
    ]
    for title, make in dialogs:
        dialog = make()
        if hasattr(dialog, "confirm_discard"):
            dialog.confirm_discard = False
        dialog.show()
        qtbot.waitExposed(dialog)
        yield title, dialog
        dialog.hide()
        dialog.deleteLater()


def test_every_focusable_control_on_every_page_and_dialog_has_a_name(window, template, qtbot):  # noqa: F811
    _path, image_id, _ids = template
    wrong = []
    count = 0
    for title, root in screens(window, qtbot, image_id):
        for widget in focusable_controls(root):
            if root is window and not (
                window.stack.currentWidget().isAncestorOf(widget) or widget is window.nav
            ):
                continue  # the window's other pages are hidden; their turn comes
            count += 1
            name = accessible_name(widget).strip()
            if not name:
                wrong.append(f"{title}: {describe(widget)} has no name")
            elif isinstance(widget, QAbstractButton):
                own = widget.text().replace("&", "").strip().lower()
                if own and own not in name.lower():  # a box in a group announced the group's label
                    wrong.append(f"{title}: {describe(widget)} is announced as {name!r}")
            if isinstance(widget, QComboBox):
                # On Linux and macOS a combo box's name is its value; its purpose comes from its label.
                labels = labelled_by(widget)
                if not any(isinstance(w, QLabel) and w.isVisibleTo(root) and w.text() for w in labels):
                    wrong.append(f"{title}: {describe(widget)} reads {name!r}; no label names its purpose")
    assert count > 100
    assert not wrong, "\n".join(wrong)


def test_required_fields_say_so_and_group_boxes_keep_their_own_names(window, qtbot):
    from consentdesk.ui.consent_dialog import ConsentDialog

    dialog = ConsentDialog(window.catalogue, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    uses = dialog.widgets["uses"]
    first = uses.controls()[0]
    assert accessible_name(first) == first.text() == "Social media"
    assert "Permitted uses (required)" in accessible_description(first)
    assert accessible_name(uses) == "Permitted uses (required)"
    assert accessible_name(dialog.widgets["full_name"].input) == "Full name (required)"
    assert accessible_name(dialog.widgets["email"].input) == "Email (optional)"  # the label says so


# --- visible focus ---------------------------------------------------------------------------------------


@pytest.fixture
def styled():
    """The app's real style sheet, as users see it (other tests run unstyled)."""
    app = QApplication.instance()
    apply_style(app)
    yield app
    app.setStyleSheet("")


def focus_ring_pixels(qtbot, widget) -> int:
    """How many pixels change by 3:1 or more between the control without and with keyboard focus."""
    widget.clearFocus()
    qtbot.waitUntil(lambda: not widget.hasFocus(), timeout=1000)
    before = widget.grab().toImage()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=1000)
    after = widget.grab().toImage()
    widget.clearFocus()
    step = 1
    changed = 0
    for y in range(0, min(before.height(), after.height()), step):
        for x in range(0, min(before.width(), after.width()), step):
            a, b = before.pixel(x, y), after.pixel(x, y)
            if a != b and contrast_ratio(f"#{a & 0xFFFFFF:06X}", f"#{b & 0xFFFFFF:06X}") >= 3.0:
                changed += 1
    return changed


def test_every_focused_control_shows_a_ring_of_3_to_1(window, template, qtbot, styled):  # noqa: F811
    _path, image_id, _ids = template
    invisible = []
    count = 0
    for title, root in screens(window, qtbot, image_id):
        root.activateWindow()
        qtbot.waitUntil(root.isActiveWindow, timeout=2000)
        for widget in focusable_controls(root):
            if root is window and not (
                window.stack.currentWidget().isAncestorOf(widget) or widget is window.nav
            ):
                continue
            count += 1
            pixels = focus_ring_pixels(qtbot, widget)
            needed = 2 * min(widget.width(), widget.height())  # at least two short sides' worth of ring
            if pixels < needed:
                invisible.append(f"{title}: {describe(widget)} changes {pixels} px (needs {needed})")
    assert count > 100
    assert not invisible, "\n".join(invisible)
