"""Data-protection screens: withdrawal take-down list, expiry page, SAR export, erasure, paper forms, safety.

A real SQLite catalogue in tmp_path, real PDFs and zips; only the modal file pickers and message boxes
are replaced (their static functions / exec), so every job still runs through run_task off the GUI thread.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMessageBox
from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face, write_group_photo
from tests.ui.conftest import draw_signature, example
from tests.ui.releases.test_release_dialog import fill

from consentdesk.core.consent.paper import ScanOutcome
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ConsentStatus
from consentdesk.ui.expiry.expiry_page import ExpiryPage
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.paper.paper_page import PaperPage, ScanResultsDialog
from consentdesk.ui.releases import record_dialog, withdraw_dialog
from consentdesk.ui.releases.erase_dialog import EraseDialog
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.releases.release_dialog import ReleaseDialog
from consentdesk.ui.releases.takedown_dialog import TakedownDialog
from consentdesk.ui.shell import catalogue_menu
from consentdesk.ui.shell.catalogue_menu import CheckReportDialog

ACCEPTED = QDialog.DialogCode.Accepted


@pytest.fixture
def boxes(monkeypatch):
    """Message boxes return at once; their titles and texts are recorded."""
    seen: list[tuple[str, str]] = []

    def fake_exec(box):
        seen.append((box.windowTitle(), box.text() + "\n" + box.informativeText()))
        return int(QMessageBox.StandardButton.Close)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return seen


def titles(seen) -> list[str]:
    return [t for t, _ in seen]


@pytest.fixture
def linked(catalogue, tmp_path):
    """A person linked to face 1 of an approved, exported group photo, and a second person."""
    person = add_person(catalogue, "Hannah Lewis")
    add_person(catalogue, "Wei Zhang")
    photo, faces = write_group_photo(tmp_path / "photos")
    image_id = add_photo(catalogue, photo, faces)
    decide_face(catalogue, image_id, faces[0], "linked", person.id)
    approve(
        catalogue,
        image_id,
        "AP-1",
        ["instagram"],
        str(tmp_path / "exports" / "group-approved.jpg"),
        [person.id],
    )
    return person, image_id


@pytest.fixture
def register(qtbot, catalogue, linked):
    widget = RegisterPage(catalogue)
    qtbot.addWidget(widget)
    widget.show()  # the page loads when first shown
    settle(qtbot, widget)
    assert widget.select_id(linked[0].id)
    return widget


def settle(qtbot, page) -> None:
    """Pages read the catalogue in a worker: wait for the rows of the last load or refresh."""
    qtbot.waitUntil(page.is_loaded, timeout=10_000)


def withdraw_and_show_takedowns(qtbot, monkeypatch, register, reason: str) -> list[TakedownDialog]:
    """Withdraw the selected release through its dialog; the take-down list it then shows."""

    def fill_withdrawal(dialog):
        dialog.reason.setPlainText(reason)
        return ACCEPTED

    shown: list[TakedownDialog] = []
    monkeypatch.setattr(withdraw_dialog.WithdrawDialog, "exec", fill_withdrawal)
    monkeypatch.setattr(TakedownDialog, "exec", lambda d: shown.append(d) or ACCEPTED)
    register.withdraw_selected()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)  # recorded in a worker, then the list is shown
    return shown


def test_withdraw_shows_takedown_list_and_saves_report(qtbot, monkeypatch, tmp_path, register, linked, boxes):
    person, _image_id = linked
    shown = withdraw_and_show_takedowns(qtbot, monkeypatch, register, "Emailed the team asking to withdraw")

    assert register.catalogue.get_consent(person.id).status is ConsentStatus.WITHDRAWN
    dialog = shown[0]
    assert dialog.table.rowCount() == 1 and not dialog.table.isHidden()
    row = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert row[0] == "group.jpg"
    assert row[1].isdigit()  # the face number shown on the photo
    assert row[2] == "instagram"
    assert row[3].endswith("group-approved.jpg")
    (approval,) = register.catalogue.review_approvals()
    assert row[4] == approval.approved_at[:10]  # the day it was approved

    report = tmp_path / "report"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(report))
    dialog.save_report()
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=20000)
    pdf, csv_path = dialog.written
    assert pdf.read_bytes().startswith(b"%PDF")
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert rows[0]["consent_id"] == person.id and rows[0]["image_path"].endswith("group.jpg")
    assert "Take-down report saved" in titles(boxes)


def test_the_takedown_list_records_a_take_down_and_shows_it(qtbot, monkeypatch, register, linked):
    _person, image_id = linked
    dialog = withdraw_and_show_takedowns(qtbot, monkeypatch, register, "asked")[0]
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 5).text() == "AP-1: to do"
    assert dialog.record_button.isVisibleTo(dialog) and dialog.record_button.isEnabled()
    confirm = dialog.record_selected()
    assert confirm.boxes["AP-1"].isChecked()
    confirm.record_button.click()
    qtbot.waitUntil(lambda: dialog.table.item(0, 5).text().startswith("AP-1: recorded "), timeout=10_000)
    assert not dialog.record_button.isEnabled()  # nothing left to take down for that photo
    (approval,) = register.catalogue.review_approvals(image_id)
    assert not approval.live


def test_takedown_list_says_when_no_photos_are_linked(qtbot, catalogue):
    from consentdesk.core.protection.withdrawal import withdraw

    person = add_person(catalogue, "Oliver Bennett")
    dialog = TakedownDialog(withdraw(catalogue, person.id, "asked"))
    qtbot.addWidget(dialog)
    assert dialog.table.isHidden()
    assert dialog.empty.text() == "No photos or clips are linked to this consent."


def test_expiry_page_lists_consents_within_n_days_and_lost_clearance(qtbot, catalogue, linked):
    soon = add_person(catalogue, "Tomás García", duration="1y", signed_days_ago=355)  # ends in ~10 days
    later = add_person(catalogue, "Grace Adebayo", duration="1y", signed_days_ago=305)  # ends in ~60 days
    catalogue.withdraw_consent(linked[0].id, __import__("datetime").date.today(), "asked")
    page = ExpiryPage(catalogue)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, page)
    expiring, blocked = page.expiring_model, page.blocked_model

    def listed() -> set[str]:
        return {expiring.index(r, 0).data() for r in range(expiring.rowCount())}

    assert page.days.value() == 30
    assert listed() == {soon.id}
    assert later.id not in listed()
    days_left = expiring.index(0, 3).data()
    assert days_left.endswith("days") and 9 <= int(days_left.split()[0]) <= 11
    qtbot.waitUntil(lambda: expiring.index(0, 4).data() == "0", timeout=10_000)  # counted afterwards
    page.days.setValue(90)
    settle(qtbot, page)
    assert listed() == {soon.id, later.id}
    page.days.setValue(5)
    settle(qtbot, page)
    assert listed() == set() and page.expiring_empty.isVisibleTo(page)
    assert blocked.rowCount() == 1
    assert blocked.index(0, 0).data() == "group.jpg"
    # the photo was approved relying on that release: its copy must come down, and the row says so
    assert blocked.index(0, 1).data() == f"{linked[0].id} withdrawn · Take down approval AP-1"

    # Enter on the blocked photo opens the record that blocks it (read in a worker).

    opened = []
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(record_dialog.RecordDialog, "exec", lambda view: opened.append(view.consent.id) or 0)
    try:
        page.blocked_table.setFocus()
        page.blocked_table.setCurrentIndex(page.blocked_table.model().index(0, 0))
        qtbot.keyClick(page.blocked_table, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: opened == [linked[0].id], timeout=10_000)
    finally:
        monkeypatch.undo()


def test_sar_export_writes_a_zip_with_the_consent_json(qtbot, monkeypatch, tmp_path, register, linked, boxes):
    person = linked[0]
    out = tmp_path / "out" / "bundle"  # no suffix: .zip is added
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    register.sar_selected()
    qtbot.waitUntil(lambda: "Subject access bundle saved" in titles(boxes), timeout=30000)
    with zipfile.ZipFile(out.with_suffix(".zip")) as zf:
        names = zf.namelist()
    assert f"consent/{person.id}.json" in names
    assert "photos/photo-1.jpg" in names or any(n.startswith("photos/") for n in names)
    text = dict(boxes)["Subject access bundle saved"]
    assert "1 photo" in text and "audit entr" in text


def test_sar_error_is_shown_plainly(qtbot, monkeypatch, tmp_path, register, boxes):
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "missing-folder" / "x.zip"), "")
    )
    register.sar_selected()
    qtbot.waitUntil(lambda: bool(boxes), timeout=30000)
    title, text = boxes[0]
    assert title == "Bundle not saved" and "Choose another folder" in text


def test_erase_needs_the_id_typed_then_record_shows_erased(qtbot, monkeypatch, register, linked, boxes):
    person = linked[0]
    dialog = EraseDialog(person)
    qtbot.addWidget(dialog)
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.confirm_edit, person.id[:-1])
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.confirm_edit, person.id[-1])
    assert dialog.erase_button.isEnabled()

    def type_id(d):
        d.confirm_edit.setText(person.id.lower())
        return ACCEPTED

    monkeypatch.setattr(EraseDialog, "exec", type_id)
    register.erase_selected()
    qtbot.waitUntil(lambda: "Person erased" in titles(boxes), timeout=30000)
    assert register.catalogue.get_consent(person.id).status is ConsentStatus.ERASED
    qtbot.waitUntil(lambda: register.selected_consent().status is ConsentStatus.ERASED, timeout=10_000)
    row = next(r for r, c in enumerate(register.model.consents) if c.id == person.id)
    assert register.model.index(row, 6).data() == "Erased"
    assert "1 face link removed" in dict(boxes)["Person erased"]
    assert not register.erase_action.isEnabled()  # the erased row stays selected


def test_paper_scan_import_then_entry_removes_it_from_the_list(qtbot, monkeypatch, tmp_path, catalogue):
    from consentdesk.core.pdf.blank_forms import write_blank_forms

    blank = tmp_path / "blank.pdf"
    (form_id,) = write_blank_forms(catalogue, 1, blank)
    page = PaperPage(catalogue)
    qtbot.addWidget(page)
    page.show()
    assert not page.enter_button.isEnabled()  # nothing listed yet
    settle(qtbot, page)
    assert page.scans == [] and page.empty.isVisibleTo(page)
    assert not page.enter_button.isEnabled()  # no scan waits: nothing to enter

    results: list[ScanResultsDialog] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(blank)], ""))
    monkeypatch.setattr(ScanResultsDialog, "exec", lambda d: results.append(d) or ACCEPTED)
    with qtbot.waitSignal(page.image_loaded, timeout=30000):
        page.import_scans()
    settle(qtbot, page)
    outcomes = {r.outcome for r in results[0].results}
    assert ScanOutcome.AWAITING_ENTRY in outcomes
    assert {s.form_id for s in page.scans} == {form_id}
    assert page.table.item(0, 0).text() == form_id
    assert page.enter_button.isEnabled()

    answers = example("adult.json")["answers"]

    def enter(dialog: ReleaseDialog):
        assert dialog.form_id == form_id and dialog.aside is not None
        dialog.confirm_discard = False
        dialog.show()
        fill(
            qtbot,
            dialog,
            {k: answers[k] for k in ("full_name", "role", "date_of_birth", "uses", "channels", "duration")},
        )
        fill(qtbot, dialog, {k: answers[k] for k in ("location", "photographer")})
        draw_signature(qtbot, dialog.widgets["signature"].pad.canvas)
        dialog.save()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)  # saved in a worker
        assert dialog.errors_shown() == {}
        return dialog.result()

    monkeypatch.setattr(ReleaseDialog, "exec", enter)
    page.enter_answers()
    settle(qtbot, page)
    assert page.scans == []
    record = catalogue.get_consent(form_id)
    assert record.id == form_id and record.source == "paper"
    assert [s.consent_id for s in catalogue.paper_scans(form_id)] == [form_id] * len(
        catalogue.paper_scans(form_id)
    )


class Window(QMainWindow):
    """What catalogue_safety needs from the main window: the catalogue and a way to reopen it."""

    def __init__(self, catalogue: Catalogue) -> None:
        super().__init__()
        self.catalogue = catalogue
        self.reopened: list[Path] = []

    def open_catalogue(self, path: Path) -> bool:
        self.catalogue = Catalogue.open(path, create=False)
        self.reopened.append(path)
        return True


def test_backup_check_and_restore(qtbot, monkeypatch, tmp_path, catalogue, boxes):
    add_person(catalogue, "Priya Natarajan")
    window = Window(catalogue)
    qtbot.addWidget(window)
    backup = tmp_path / "backups" / "register-backup.sqlite"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(backup), ""))
    catalogue_menu.backup_catalogue(window)
    qtbot.waitUntil(lambda: "Backup saved" in titles(boxes), timeout=20000)
    assert backup.read_bytes().startswith(b"SQLite format 3")

    # An existing file is replaced only after the user says so (then force=True).
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert catalogue_menu.backup_catalogue(window) is None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    catalogue_menu.backup_catalogue(window)
    qtbot.waitUntil(lambda: titles(boxes).count("Backup saved") == 2, timeout=20000)

    reports: list[CheckReportDialog] = []
    monkeypatch.setattr(CheckReportDialog, "exec", lambda d: reports.append(d) or ACCEPTED)
    catalogue_menu.check_catalogue(window)
    qtbot.waitUntil(lambda: bool(reports), timeout=20000)
    assert reports[0].headline.text() == "No problems found."
    assert reports[0].relink_button.isHidden()

    add_person(catalogue, "Added After Backup")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(backup), ""))
    monkeypatch.setattr(catalogue_menu, "confirm_restore", lambda *a: True)
    catalogue_menu.restore_catalogue(window)
    qtbot.waitUntil(lambda: "Catalogue restored" in titles(boxes), timeout=20000)
    wait_for_all()
    assert window.reopened == [catalogue.path]
    names = {c.full_name for c in window.catalogue.list_consents()}
    assert names == {"Priya Natarajan"}
    assert "before-restore" in dict(boxes)["Catalogue restored"]
    window.catalogue.close()


def test_main_window_has_the_data_protection_pages_and_menu(qtbot, catalogue):
    from consentdesk.ui.shell.main_window import PAGES, MainWindow

    assert {"Expiry & withdrawals", "Paper forms"} <= {page.TITLE for page in PAGES}
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    texts = {a.text().replace("&", "") for a in window.menuBar().actions()[0].menu().actions()}
    assert {
        "Import paper form scans…",
        "Back up catalogue…",
        "Restore from backup…",
        "Check catalogue…",
    } <= texts
