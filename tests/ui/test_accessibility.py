"""Accessibility, checked on the real widgets of every page and dialog with real key events.

The photo and releases come from the review tests' module template (a real import into real SQLite).
"""

from __future__ import annotations

import subprocess

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QTableView,
)
from tests.ui.a11y import accessible_description, accessible_name, describe, focusable_controls, labelled_by
from tests.ui.conftest import press, type_text, window_on_copy
from tests.ui.review import test_clip_review, test_review_screen

from consentdesk.ui.kit.announce import announcer
from consentdesk.ui.kit.style import apply_style, contrast_ratio
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.shell.main_window import MainWindow
from consentdesk.ui.shell.team_register_dialog import TeamRegisterDialog

#: The review tests' module fixture: a real photo imported into real SQLite with two releases.
template = test_review_screen.template


@pytest.fixture
def window(template, tmp_path, qtbot):
    path, _image_id, _ids = template
    with window_on_copy(path, tmp_path, qtbot) as win:
        yield win


def focus_widget():
    return QApplication.focusWidget()


def show_page(win: MainWindow, page) -> None:
    win.nav.setCurrentRow(win.pages.index(page))
    assert win.stack.currentWidget() is page


# --- Tab traps -----------------------------------------------------------------------------------------


def test_tab_leaves_every_table_and_arrows_move_between_cells(window, qtbot):
    win = window
    tables = [
        t for page in win.pages for t in page.findChildren(QAbstractItemView) if isinstance(t, QTableView)
    ]
    assert win.page(RegisterPage).table in tables and len(tables) >= 3  # register, expiry, paper forms
    for table in tables:
        assert not table.tabKeyNavigation(), table.objectName()
    register = win.page(RegisterPage)
    show_page(win, register)
    qtbot.waitUntil(lambda: register.model.rowCount() > 0, timeout=10_000)  # rows arrive from a worker
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
    win.page(RegisterPage).search.setFocus()
    qtbot.waitUntil(lambda: focus_widget() is win.page(RegisterPage).search)
    seen = []
    for _ in range(60):
        press(qtbot, Qt.Key.Key_Tab)
        seen.append(focus_widget())
        if focus_widget() is win.page(RegisterPage).search:
            break
    assert focus_widget() is win.page(RegisterPage).search, [
        w.objectName() or type(w).__name__ for w in seen
    ]
    assert win.nav in seen and win.page(RegisterPage).table in seen


# --- moving focus never changes the page ------------------------------------------------------------


def test_tabbing_out_of_the_review_does_not_switch_page(window, template, qtbot):
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


def test_esc_from_a_review_opened_in_the_library_puts_the_focus_back_in_its_grid(window, template, qtbot):
    win = window
    _path, image_id, _ids = template
    library = win.page(LibraryPage)
    show_page(win, library)
    qtbot.waitUntil(library.is_loaded, timeout=10_000)
    assert library.select_image(image_id)
    library.grid.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.review_view, timeout=5000)
    qtbot.waitUntil(lambda: win.review_view.status is not None, timeout=10_000)
    press(qtbot, Qt.Key.Key_Escape)
    assert win.stack.currentWidget() is library
    assert focus_widget() is library.grid  # the arrows move among the cards at once, with the ring shown


# --- every page and dialog ------------------------------------------------------------------------------


def screens(win: MainWindow, qtbot, image_id: int):
    """(what, widget) for every page and every dialog, each shown for real."""
    from datetime import date

    from consentdesk.core.consent.paper import ScanOutcome, ScanResult
    from consentdesk.core.photos.importer import ImportReport
    from consentdesk.core.protection import withdrawal
    from consentdesk.core.safekeeping import health
    from consentdesk.core.values import ApprovalRecord
    from consentdesk.ui.kit.busy import BusyDialog
    from consentdesk.ui.library.import_panel import ImportDetailsDialog
    from consentdesk.ui.paper.paper_page import ScanResultsDialog, scan_canvas
    from consentdesk.ui.releases.erase_dialog import EraseDialog
    from consentdesk.ui.releases.record_dialog import RecordDialog
    from consentdesk.ui.releases.release_dialog import ReleaseDialog
    from consentdesk.ui.releases.takedown_dialog import RecordTakedownDialog, TakedownDialog
    from consentdesk.ui.releases.withdraw_dialog import WithdrawDialog
    from consentdesk.ui.review.approve_dialog import ApproveDialog
    from consentdesk.ui.review.consent_picker import ConsentPicker
    from consentdesk.ui.review.reason_dialog import ReasonDialog
    from consentdesk.ui.shell.catalogue_menu import CheckReportDialog

    for title, page in zip([win.nav.item(i).text() for i in range(win.nav.count())], win.pages, strict=True):
        show_page(win, page)
        yield title, win
    win.open_review(image_id, [image_id])
    qtbot.waitUntil(lambda: not win.review_view.preview.isNull(), timeout=10000)
    yield "Review", win
    win.close_review()
    catalogue = win.catalogue
    consent = catalogue.list_consents()[0]
    copy = ApprovalRecord(
        "AP-TEST", image_id, "2026-01-02T10:00:00+00:00", "ann", date(2026, 1, 2), "/exports/x.jpg", "e" * 64,
        (consent.id,), ("instagram", "facebook"),
    )
    (form_id,) = catalogue.reserve_form_ids(1)
    dialogs = [
        ("New release", lambda: ReleaseDialog(catalogue, parent=win)),
        (
            "Paper form entry",
            lambda: ReleaseDialog(catalogue, parent=win, form_id=form_id, aside=scan_canvas()),
        ),
        ("Record view", lambda: RecordDialog(catalogue, consent, win)),
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
        ("Catalogue check", lambda: CheckReportDialog(win, health.check(catalogue))),
        ("Busy", lambda: BusyDialog(win, "Working", "Copying the catalogue…")),
        ("Busy, may stop", lambda: BusyDialog(win, "Exporting", "Gathering…", "Stopping: nothing is written…")),
        ("Open team register", lambda: TeamRegisterDialog(None, win)),
        ("Record take-down", lambda: RecordTakedownDialog(catalogue, image_id, [copy], {copy.id}, win)),
        ("Import details", lambda: ImportDetailsDialog(ImportReport(added=[image_id], duplicates=["a.jpg"]), win)),
    ]
    for title, make in dialogs:
        dialog = make()
        if hasattr(dialog, "confirm_discard"):
            dialog.confirm_discard = False
        dialog.show()
        qtbot.waitExposed(dialog)
        if hasattr(dialog, "is_loaded"):  # what it reads in a worker is on screen, laid out
            qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
            qtbot.wait(20)
        yield title, dialog
        dialog.hide()
        dialog.deleteLater()


def test_every_focusable_control_on_every_page_and_dialog_has_a_name(window, template, qtbot):
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
    from consentdesk.ui.releases.release_dialog import ReleaseDialog

    dialog = ReleaseDialog(window.catalogue, parent=window)
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


def test_every_focused_control_shows_a_ring_of_3_to_1(window, template, qtbot, styled):
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


# --- errors and confirmations are announced ---------------------------------------------------------------


def test_save_errors_are_attached_to_their_fields_and_announced(window, qtbot):
    from consentdesk.ui.releases.release_dialog import ReleaseDialog

    dialog = ReleaseDialog(window.catalogue, parent=window)
    dialog.confirm_discard = False
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    full_name = dialog.widgets["full_name"].input
    dialog.activateWindow()
    dialog.save_button.setFocus()
    qtbot.waitUntil(lambda: focus_widget() is dialog.save_button, timeout=2000)
    with qtbot.waitSignal(announcer().announced, timeout=2000) as said:
        press(qtbot, Qt.Key.Key_Space)  # Save with nothing filled in
    text, assertive = said.args
    assert assertive and "need attention" in text and "Full name is required." in text
    assert focus_widget() is full_name  # focus goes to the first field in error ...
    assert accessible_description(full_name).startswith("Full name is required.")  # ... which says why
    first_use = dialog.widgets["uses"].controls()[0]
    assert accessible_description(first_use).startswith(dialog.errors_shown()["uses"])
    qtbot.keyClicks(full_name, "Ada")
    assert "required" not in accessible_description(full_name)  # fixed: the error is gone from it too


def test_review_decisions_and_status_messages_are_announced(window, template, qtbot):
    win = window
    _path, image_id, _ids = template
    win.open_review(image_id, [image_id])
    qtbot.waitUntil(lambda: focus_widget() is win.review_view.panel.items, timeout=3000)
    press(qtbot, Qt.Key.Key_N)  # face 1
    with qtbot.waitSignal(announcer().announced, timeout=2000) as said:
        press(qtbot, Qt.Key.Key_B)
    assert said.args[0] == win.review_view.message.text()
    assert "blurred on export" in said.args[0]
    with qtbot.waitSignal(announcer().announced, timeout=2000) as said:
        win.statusBar().showMessage("Saved release CD-TEST-0001 for Ada.", 1000)
    assert said.args == ["Saved release CD-TEST-0001 for Ada.", False]


def test_blocked_channels_say_why_in_text_not_only_a_tooltip(window, template, qtbot):
    from consentdesk.core.review import workflow
    from consentdesk.ui.review.approve_dialog import ApproveDialog

    _path, image_id, _ids = template
    dialog = ApproveDialog(window.catalogue, image_id, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert all(why.text() == "Checking…" for why in dialog.why.values())  # read in a worker
    qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
    status = workflow.status(window.catalogue, image_id, on=dialog.posting_date)
    blocked = [c for c, box in dialog.boxes.items() if not box.isEnabled()]
    assert blocked  # three faces without consent block every channel
    for channel in blocked:
        why = dialog.why[channel].text()
        assert "see above" not in why
        for reason in status.clearances[channel].reasons:
            assert reason in why
        assert dialog.boxes[channel].accessibleDescription() == why


# --- colour is never the only cue ----------------------------------------------------------------------


def test_box_tags_say_their_state_in_words_and_a_legend_explains_them(window, template, qtbot):
    from consentdesk.ui.kit.image_canvas import STATE_MARKS, tag_text

    win = window
    _path, image_id, consent_ids = template
    win.open_review(image_id, [image_id])
    view = win.review_view
    qtbot.waitUntil(lambda: focus_widget() is view.panel.items, timeout=3000)
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_B)  # face 1 blurred
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_P)  # face 2 not a person
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_R)  # the NHS number redacted; face 3 still needs a decision
    tags = {o.key: tag_text(o) for o in view.canvas.overlays}
    assert tags[("face", 1)] == "1 blur" and tags[("face", 2)] == "2 ✗" and tags[("face", 3)] == "3 ?"
    assert tags[("finding", 1)] == "F1 redact"
    assert len(set(tags.values())) == len(tags)  # no two states share a tag, whatever their colour
    legend = view.legend.text()
    assert view.legend.isVisibleTo(view) and all(mark in legend for mark in STATE_MARKS.values())
    assert all(tag in view.canvas.accessibleDescription() for tag in tags.values())


def test_library_preview_lists_every_blocking_item(window, template, qtbot):
    from consentdesk.core.review import workflow

    win = window
    _path, image_id, _ids = template
    library = win.page(LibraryPage)
    show_page(win, library)
    qtbot.waitUntil(lambda: bool(library.visible_rows()), timeout=10000)
    library.select_image(image_id)
    reasons = [r for c in workflow.status(win.catalogue, image_id).clearances.values() for r in c.reasons]
    qtbot.waitUntil(lambda: bool(library.preview_reasons.text()), timeout=10000)
    shown = library.preview_reasons.text().splitlines()
    assert len(shown) >= 4  # three faces and an NHS number: more than the three it used to show
    assert not any("more in the review" in line for line in shown)
    assert library.legend.isVisibleTo(library)
    assert set(reasons) >= {line.removeprefix("• ") for line in shown}


# --- keyboard only, end to end -------------------------------------------------------------------------


def on_next_modal(kind, act) -> None:
    """Run `act(dialog)` as soon as a modal of `kind` is up (from inside its own event loop)."""

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and modal.isVisible():
            act(modal)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def fill_release_by_keyboard(qtbot, dialog, name: str) -> list[str]:
    """Tab through the release form once, answering each control with keys only; returns what it did."""
    from consentdesk.ui.releases.form_widgets import SignatureFieldWidget

    w = dialog.widgets
    typed = {  # by id: Qt widgets compare by value in sets and dicts
        id(w["full_name"].input): name,
        id(w["location"].input): "Leeds Donor Centre",
        id(w["photographer"].input): "Sam Okafor",
    }
    spaces = {
        id(w["uses"].boxes["social_media"]),
        id(w["channels"].boxes["instagram"]),
        id(w["duration"].controls()[0]),
    }
    signature = w["signature"]
    assert isinstance(signature, SignatureFieldWidget)
    done: list[str] = []
    for _ in range(120):
        focus = focus_widget()
        if id(focus) in typed and not focus.text():
            qtbot.keyClicks(focus, typed[id(focus)])
            done.append(typed[id(focus)])
        elif isinstance(focus, QComboBox) and focus is w["role"].input and focus.currentData() is None:
            press(qtbot, Qt.Key.Key_Down)  # "Choose…" -> the first role
            done.append(focus.currentText())
        elif isinstance(focus, QComboBox) and focus is w["age_band"].input and focus.currentData() is None:
            press(qtbot, Qt.Key.Key_Down)  # "Under 18"
            press(qtbot, Qt.Key.Key_Down)  # "18 to 25"
            done.append(focus.currentText())
        elif id(focus) in spaces and not focus.isChecked():
            press(qtbot, Qt.Key.Key_Space)
            done.append(focus.text())
        elif focus is signature.paper_button:
            on_next_modal(QMessageBox, lambda box: qtbot.keyClick(box, Qt.Key.Key_Escape))  # "Form ready"
            press(qtbot, Qt.Key.Key_Space)
            done.append("on paper")
            qtbot.waitUntil(lambda: dialog.form_id is not None, timeout=20000)
            dialog.activateWindow()  # the offscreen platform has no window manager to give it back
            qtbot.waitUntil(lambda: focus_widget() is signature.on_paper, timeout=3000)  # focus was kept
        elif focus is dialog.save_button and "on paper" in done:
            done.append("save")
            press(qtbot, Qt.Key.Key_Space)
            return done
        press(qtbot, Qt.Key.Key_Tab)
    return done


def test_keyboard_only_release_on_paper_then_review_and_approve(
    window, template, tmp_path, qtbot, monkeypatch
):
    from consentdesk.core.consent.paper import ScanOutcome
    from consentdesk.core.consent.releases import with_paper_signatures
    from consentdesk.ui.paper.paper_page import ScanResultsDialog
    from consentdesk.ui.releases.record_dialog import RecordDialog
    from consentdesk.ui.releases.release_dialog import ReleaseDialog
    from consentdesk.ui.review.approve_dialog import ApproveDialog
    from consentdesk.ui.review.consent_picker import ConsentPicker

    win = window
    _path, image_id, _ids = template
    printed = tmp_path / "to-sign.pdf"
    # The one non-keyboard part is the platform's own save-file picker; it answers with this path.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(printed), ""))
    win.page(RegisterPage).search.setFocus()
    qtbot.waitUntil(lambda: focus_widget() is win.page(RegisterPage).search)

    steps: list[str] = []

    def release(dialog: ReleaseDialog) -> None:
        dialog.confirm_discard = False
        try:
            qtbot.waitUntil(
                lambda: focus_widget() is not None and dialog.isAncestorOf(focus_widget()), timeout=3000
            )
            steps.extend(fill_release_by_keyboard(qtbot, dialog, "Ada Keyboard"))
        finally:
            if dialog.isVisible():  # a failure must not leave the test waiting on a modal dialog
                steps.append(f"still open: {dialog.errors_shown()}")
                dialog.reject()

    on_next_modal(ReleaseDialog, release)
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # New release…: returns when saved
    assert steps[-2:] == ["on paper", "save"], steps
    consent = next(c for c in win.catalogue.list_consents() if c.full_name == "Ada Keyboard")
    assert consent.source == "paper"
    assert win.catalogue.consent_file(consent.id, "signature") is None  # the signature is on the paper
    text = subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True, check=True).stdout
    assert consent.id in text  # the printed form carries this record's id (and its QR code)
    assert "Ada Keyboard" in text and "Form to sign" in text  # this person's form, not a blank one
    assert consent.id in win.statusBar().currentMessage()

    # The record waits for its scan: unsigned (it clears nothing) until the signed form is imported.
    assert not with_paper_signatures(win.catalogue, consent).has_signature
    view = RecordDialog(win.catalogue, consent, win)
    qtbot.addWidget(view)
    qtbot.waitUntil(view.is_loaded, timeout=10_000)
    assert any("waiting for its signed scan" in label.text() for label in view.findChildren(QLabel))
    assert view.status_badge.text() == "Waiting for its signed scan"  # one wording: never "Active"
    from tests.data.paper_signing import signed_scans

    scans = [str(p) for p in signed_scans(printed, tmp_path)]  # signed by hand, then scanned
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (scans, ""))
    results = []
    on_next_modal(
        ScanResultsDialog, lambda d: results.append(d.results) or qtbot.keyClick(d, Qt.Key.Key_Escape)
    )
    win.activateWindow()  # the offscreen platform has no window manager to give it back
    qtbot.waitUntil(lambda: focus_widget() is not None, timeout=3000)
    press(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)  # File menu
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=3000)
    menu = QApplication.activePopupWidget()
    for _ in range(len(menu.actions())):
        if menu.activeAction() is win.scan_forms_action:
            break
        qtbot.keyClick(menu, Qt.Key.Key_Down)  # … Import paper form scans…
    assert menu.activeAction() is win.scan_forms_action
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(results), timeout=30000)
    assert [r.outcome for r in results[0]] == [ScanOutcome.ATTACHED] * len(results[0])
    assert with_paper_signatures(win.catalogue, consent).has_signature

    # Review: link face 1 to the new release, blur face 2, not a person for face 3, redact the finding.
    win.activateWindow()  # the offscreen platform has no window manager to give it back
    qtbot.waitUntil(lambda: win.isActiveWindow() and focus_widget() is not None, timeout=3000)
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    queue = win.stack.currentWidget()
    qtbot.waitUntil(lambda: focus_widget() is queue.table, timeout=3000)
    qtbot.waitUntil(lambda: queue.current_id() is not None, timeout=10_000)  # its rows come from a worker
    press(qtbot, Qt.Key.Key_Return)
    view = win.review_view
    qtbot.waitUntil(lambda: focus_widget() is view.panel.items, timeout=3000)
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_L)
    picker = view.dialog
    assert isinstance(picker, ConsentPicker)
    qtbot.waitUntil(lambda: focus_widget() is picker.search, timeout=3000)
    qtbot.keyClicks(picker.search, "Keyboard")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.dialog is None, timeout=5000)
    qtbot.waitUntil(lambda: focus_widget() is view.panel.items, timeout=3000)
    assert view.status.state.faces[0].consent_id == consent.id
    for key in (Qt.Key.Key_N, Qt.Key.Key_B, Qt.Key.Key_N, Qt.Key.Key_P, Qt.Key.Key_N, Qt.Key.Key_R):
        press(qtbot, key)
    assert view.status.clearances["instagram"].cleared

    out = tmp_path / "approved"
    out.mkdir()
    monkeypatch.setattr("consentdesk.ui.review.approve_dialog.default_folder", lambda: str(out))
    press(qtbot, Qt.Key.Key_A)
    dialog = view.dialog
    assert isinstance(dialog, ApproveDialog)
    qtbot.waitUntil(lambda: focus_widget() is dialog.boxes["instagram"], timeout=3000)  # the one cleared
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result_ is not None or dialog.error is not None, timeout=20000)
    assert dialog.error is None and dialog.result_.path.exists()
    qtbot.waitUntil(lambda: focus_widget() is dialog.cancel_button, timeout=3000)
    press(qtbot, Qt.Key.Key_Return)  # Close
    qtbot.waitUntil(lambda: view.dialog is None, timeout=3000)
    approvals = win.catalogue.review_approvals(image_id)
    assert [a.channels for a in approvals] == [("instagram",)]


def test_the_release_form_never_scrolls_sideways(window, qtbot):
    """At its own size, with or without the scan beside it, every field is reachable without a sideways
    scroll (a keyboard user cannot see a focused box that sits off to the right)."""
    from consentdesk.ui.paper.paper_page import scan_canvas
    from consentdesk.ui.releases.release_dialog import ReleaseDialog

    (form_id,) = window.catalogue.reserve_form_ids(1)
    for aside in (None, scan_canvas()):
        dialog = ReleaseDialog(
            window.catalogue, parent=window, form_id=form_id if aside else None, aside=aside
        )
        dialog.confirm_discard = False
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        bar = dialog.scroll.horizontalScrollBar()
        qtbot.waitUntil(lambda d=dialog: not d.scroll.horizontalScrollBar().isVisible(), timeout=2000)
        assert dialog.scroll.viewport().width() >= dialog.scroll.widget().minimumSizeHint().width(), bar
        dialog.hide()


def test_no_wrapped_text_is_cut_off_in_any_dialog(window, template, qtbot):
    """Every word-wrapped label in every page and dialog gets the height its text needs at its width (the
    erasure warning lost its last lines; the withdrawal's buttons covered its reason box)."""
    _path, image_id, _ids = template
    clipped = []
    for title, root in screens(window, qtbot, image_id):
        if not isinstance(root, QDialog):
            continue
        qtbot.wait(20)
        for label in root.findChildren(QLabel):
            if label.isVisible() and label.wordWrap() and label.text() and label.width() > 0:
                needed = label.heightForWidth(label.width())
                if label.height() + 1 < needed:
                    clipped.append(f"{title}: {label.text()[:50]!r} {label.height()} < {needed}")
    assert clipped == []


def test_enter_after_typing_the_id_erases_and_never_cancels_silently(qtbot, window):
    from consentdesk.ui.releases.erase_dialog import EraseDialog

    consent = window.catalogue.list_consents()[0]
    dialog = EraseDialog(consent, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    type_text(qtbot, dialog.confirm_edit, consent.id[:-1])
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)  # not the whole id yet
    assert dialog.isVisible() and dialog.result() == 0 and consent.id in dialog.hint.text()
    type_text(qtbot, dialog.confirm_edit, consent.id[-1])
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted


# --- keyboard reach: Tab visits every control --------------------------------------------------------------


def select_first_row(root) -> None:
    """What a user does first on a list page: pick a row (row actions become enabled)."""
    for view in root.findChildren(QAbstractItemView):
        model, selection = view.model(), view.selectionModel()
        if not view.isVisible() or model is None or selection is None or model.rowCount() == 0:
            continue
        if not selection.hasSelection():
            view.setCurrentIndex(model.index(0, 0))
            flags = selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows
            selection.select(model.index(0, 0), flags)


def tab_stop(widget) -> list:
    """The controls sharing `widget`'s Tab stop: an exclusive group of radio buttons is one stop (Tab
    reaches the chosen one, the arrow keys move between them), anything else is its own."""
    from PySide6.QtWidgets import QRadioButton

    if isinstance(widget, QRadioButton):
        group = widget.group()
        if group is not None and group.exclusive():
            return group.buttons()
        if widget.autoExclusive() and widget.parentWidget() is not None:
            return [w for w in widget.parentWidget().findChildren(QRadioButton) if w.autoExclusive()]
    return [widget]


def test_tab_reaches_every_enabled_control_of_every_page_and_dialog(window, template, qtbot):
    """Walk each page and dialog with Tab alone, after selecting a row, and list what Tab never reached."""
    from consentdesk.ui.kit.workers import idle

    _path, image_id, _ids = template
    never = []
    for title, root in screens(window, qtbot, image_id):
        root.activateWindow()
        qtbot.waitUntil(root.isActiveWindow, timeout=2000)
        qtbot.waitUntil(idle, timeout=10_000)
        select_first_row(root if root is not window else window.stack.currentWidget())
        qtbot.waitUntil(idle, timeout=10_000)
        wanted = [
            w
            for w in focusable_controls(root)
            if root is not window or window.stack.currentWidget().isAncestorOf(w) or w is window.nav
        ]
        if not wanted:
            continue  # nothing to reach (the busy note: a sentence and a bar)
        start = wanted[0]
        start.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(lambda s=start: focus_widget() is s, timeout=2000)
        reached = {id(start)}
        for _ in range(3 * len(wanted) + 20):
            qtbot.keyClick(focus_widget(), Qt.Key.Key_Tab)
            reached.add(id(focus_widget()))
        missing = [describe(w) for w in wanted if not any(id(m) in reached for m in tab_stop(w))]
        if missing:
            never.append(f"{title}: Tab never reaches {', '.join(missing)}")
    assert not never, "\n".join(never)


def test_enter_presses_the_focused_button_on_pages_in_the_review_and_in_dialogs(window, template, qtbot):
    from consentdesk.ui.releases.release_dialog import ReleaseDialog

    win = window
    register = win.page(RegisterPage)
    show_page(win, register)
    qtbot.waitUntil(lambda: register.model.rowCount() > 0, timeout=10_000)
    register.table.selectRow(0)
    opened = []
    register.view_selected = lambda: opened.append("view")  # the slot the button's action runs
    register.view_action.triggered.disconnect()
    register.view_action.triggered.connect(register.view_selected)
    register.view_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: focus_widget() is register.view_button, timeout=2000)
    press(qtbot, Qt.Key.Key_Return)
    assert opened == ["view"]  # Enter on a page's focused button

    _path, image_id, _ids = template
    win.open_review(image_id, [image_id])
    view = win.review_view
    qtbot.waitUntil(lambda: view.status is not None, timeout=10_000)
    back = view.back_button
    assert back.focusPolicy() & Qt.FocusPolicy.TabFocus
    back.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: focus_widget() is back, timeout=2000)
    press(qtbot, Qt.Key.Key_Return)
    assert win.stack.currentWidget() is not view  # Enter on "← Back" went back

    dialog = ReleaseDialog(win.catalogue, parent=win)
    dialog.confirm_discard = False
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.save_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: focus_widget() is dialog.save_button, timeout=2000)
    with qtbot.waitSignal(announcer().announced, timeout=5000) as said:
        press(qtbot, Qt.Key.Key_Return)  # Enter on a focused "Save release" saves (here: says what is missing)
    assert "need attention" in said.args[0]


# --- the clip review -------------------------------------------------------------------------------------


#: The clip review tests' module fixture: a builder clip imported into real SQLite.
clip_template = test_clip_review.clip_template


def test_the_clip_review_names_every_control_shows_focus_and_tab_reaches_them_all(
    qtbot, clip_template, tmp_path, styled
):
    """The timeline, the scrubber and Play beside the review's list and buttons: each named, each with a
    visible focus ring, each reached by Tab in the window."""
    path, image_id = clip_template
    with window_on_copy(path, tmp_path, qtbot) as win:
        win.open_review(image_id, [image_id])
        screen, clip = win.review_view, win.review_view.clip_review
        qtbot.waitUntil(lambda: clip.clip is not None and clip.frame_t is not None, timeout=20_000)
        controls = list(focusable_controls(screen))
        for widget in (clip.timeline, clip.scrubber, clip.play_button):
            assert widget in controls, describe(widget)
        assert [describe(w) for w in controls if not accessible_name(w).strip()] == []
        assert accessible_name(clip.timeline) == "Timeline" and "Person 1" in accessible_description(clip.timeline)
        for widget in (clip.timeline, clip.scrubber, clip.play_button):
            pixels = focus_ring_pixels(qtbot, widget)
            assert pixels >= 2 * min(widget.width(), widget.height()), (describe(widget), pixels)
        clip.timeline.setFocus()
        qtbot.waitUntil(lambda: focus_widget() is clip.timeline, timeout=2000)
        reached = []
        for _ in range(80):
            press(qtbot, Qt.Key.Key_Tab)
            reached.append(focus_widget())
            if focus_widget() is clip.timeline:
                break
        assert focus_widget() is clip.timeline, [describe(w) for w in reached]  # round the window and back
        assert {clip.scrubber, clip.play_button, screen.panel.items} <= set(reached)
        assert win.stack.currentWidget() is screen

        from consentdesk.ui.review.same_person_dialog import SamePersonDialog

        lanes = clip.timeline.lanes
        dialog = SamePersonDialog(lanes[2], lanes[:2], parent=screen)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
        controls = list(focusable_controls(dialog))
        assert dialog.choices in controls and len(controls) >= 3  # the list, Cancel, Same person
        assert [describe(w) for w in controls if not accessible_name(w).strip()] == []
        for widget in controls:
            assert focus_ring_pixels(qtbot, widget) >= 2 * min(widget.width(), widget.height()), describe(widget)
        dialog.close()
