"""The register: search and filters find the right rows; withdraw from the register changes status."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from tests.ui.conftest import EXAMPLES, example

from consentdesk.core.consent.releases import parse_consent_json, record_consent
from consentdesk.core.values import ConsentStatus
from consentdesk.ui.releases import record_dialog, withdraw_dialog
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.shell.main_window import MainWindow

PEOPLE = [
    # name, role, location, photographer, duration, days ago
    ("Siân O'Brien-Ærø", "donor", "Manchester Donor Centre", "Alex Morgan", "2y", 1),
    ("Priya Natarajan", "staff", "Birmingham Donor Centre", "Sam Okafor", "2y", 3),
    ("Tomás García", "volunteer", "Bristol Donor Centre", "Alex Morgan", "1y", 350),  # expiring soon
    ("Grace Adebayo", "donor", "Manchester Donor Centre", "Jo Patel", "1y", 400),  # expired
]


@pytest.fixture
def filled(catalogue):
    base = example("adult.json")
    ids = {}
    for name, role, location, photographer, duration, days_ago in PEOPLE:
        answers = dict(base["answers"], full_name=name, role=role, location=location)
        signed = datetime.now().astimezone() - timedelta(days=days_ago)
        answers.update(photographer=photographer, duration=duration, session_date=signed.date().isoformat())
        doc = parse_consent_json(json.dumps(dict(base, answers=answers)), EXAMPLES)
        ids[name] = record_consent(catalogue, doc.form, doc.submission, source="screen", signed_at=signed).id
    return ids


def names(register: RegisterPage) -> set[str]:
    return {c.full_name for c in register.model.consents}


def settle(qtbot, page) -> None:
    """Pages read the catalogue in a worker: wait for the rows of the last load or refresh."""
    qtbot.waitUntil(page.is_loaded, timeout=10_000)


@pytest.fixture
def register(qtbot, filled, catalogue):
    widget = RegisterPage(catalogue)
    qtbot.addWidget(widget)
    widget.show()  # the page loads when first shown
    settle(qtbot, widget)
    return widget


def test_lists_every_record_with_status_badges(register, filled):
    assert register.model.rowCount() == 4
    status = {c.full_name: register.model.index(r, 6).data() for r, c in enumerate(register.model.consents)}
    assert status["Tomás García"] == "Expiring soon"
    assert status["Grace Adebayo"] == "Expired"
    assert status["Priya Natarajan"] == "Active"
    row = next(r for r, c in enumerate(register.model.consents) if c.full_name == "Priya Natarajan")
    assert [register.model.index(row, col).data() for col in range(4)] == [
        filled["Priya Natarajan"],
        "Priya Natarajan",
        "Staff",
        "Birmingham Donor Centre",
    ]


def test_search_is_debounced_and_matches_name_id_location_photographer(qtbot, register, filled):
    qtbot.keyClicks(register.search, "manchester")
    assert register.model.rowCount() == 4  # debounced: not yet applied
    qtbot.waitUntil(lambda: names(register) == {"Siân O'Brien-Ærø", "Grace Adebayo"}, timeout=2000)
    register.search.clear()
    qtbot.keyClicks(register.search, "Okafor")
    register.refresh()
    settle(qtbot, register)
    assert names(register) == {"Priya Natarajan"}
    register.search.setText(filled["Tomás García"])
    register.refresh()
    settle(qtbot, register)
    assert names(register) == {"Tomás García"}


def test_filters(qtbot, register):
    register.role_filter.setCurrentIndex(register.role_filter.findData("donor"))
    settle(qtbot, register)
    assert names(register) == {"Siân O'Brien-Ærø", "Grace Adebayo"}
    register.status_filter.setCurrentIndex(register.status_filter.findData("expired"))
    settle(qtbot, register)
    assert names(register) == {"Grace Adebayo"}
    register.role_filter.setCurrentIndex(0)
    register.status_filter.setCurrentIndex(0)
    register.location_filter.setCurrentIndex(register.location_filter.findData("Bristol Donor Centre"))
    settle(qtbot, register)
    assert names(register) == {"Tomás García"}
    register.location_filter.setCurrentIndex(0)
    register.expiring.setChecked(True)
    settle(qtbot, register)
    assert names(register) == {"Tomás García"}
    register.expiring.setChecked(False)
    settle(qtbot, register)
    assert register.model.rowCount() == 4
    register.search.setText("nobody by this name")
    register.refresh()
    settle(qtbot, register)
    assert register.table.isHidden() and "No records match" in register.empty.text()


def _accepting_withdraw_dialog(reason: str):
    def exec_(self):
        self.reason.setPlainText(reason)
        self.confirm.click()
        return self.result()

    return exec_


def test_withdraw_from_register_changes_status(qtbot, register, filled, catalogue, monkeypatch):
    assert not register.withdraw_button.isEnabled()  # nothing selected yet
    assert register.select_id(filled["Priya Natarajan"])
    assert register.withdraw_button.isEnabled()
    monkeypatch.setattr(withdraw_dialog.WithdrawDialog, "exec", _accepting_withdraw_dialog("Asked by email"))
    shown = []
    monkeypatch.setattr(withdraw_dialog.TakedownDialog, "exec", lambda d: shown.append(d) or 1)
    register.withdraw_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)  # recorded in a worker, then the list is shown
    assert shown[0].empty.text() == "No photos or clips are linked to this consent."  # the take-down list
    consent = catalogue.get_consent(filled["Priya Natarajan"])
    assert consent.status is ConsentStatus.WITHDRAWN and consent.withdrawal_reason == "Asked by email"
    settle(qtbot, register)
    row = next(r for r, c in enumerate(register.model.consents) if c.full_name == "Priya Natarajan")
    assert register.model.index(row, 6).data() == "Withdrawn"
    assert not register.withdraw_button.isEnabled()  # already withdrawn


def test_withdraw_needs_a_reason(qtbot, register, filled, catalogue, monkeypatch):
    register.select_id(filled["Grace Adebayo"])
    seen = {}

    def exec_(self):
        self.confirm.click()  # no reason typed
        seen["error"] = self.error.text()
        self.reject()
        return self.result()

    monkeypatch.setattr(withdraw_dialog.WithdrawDialog, "exec", exec_)
    register.withdraw_selected()
    assert "Give a reason" in seen["error"]
    assert catalogue.get_consent(filled["Grace Adebayo"]).status is ConsentStatus.ACTIVE


def test_record_view_shows_answers_by_label(qtbot, catalogue, filled):
    consent = catalogue.get_consent(filled["Siân O'Brien-Ærø"])
    view = record_dialog.RecordDialog(catalogue, consent)
    qtbot.addWidget(view)
    from PySide6.QtWidgets import QLabel

    texts = {label.text() for label in view.findChildren(QLabel)}
    assert {"Siân O'Brien-Ærø", "Full name", "Donor", "Manchester Donor Centre", "12 Apr 1986"} <= texts
    assert "Instagram, Facebook, NHSBT websites, Intranet and staff channels" in texts or any(
        "Instagram" in t and "Intranet" in t for t in texts
    )
    assert "Signature of the person photographed" in texts
    qtbot.waitUntil(view.is_loaded, timeout=10_000)  # the stored signature is read in a worker
    assert any(
        label.pixmap() is not None and not label.pixmap().isNull() for label in view.findChildren(QLabel)
    )
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(withdraw_dialog.WithdrawDialog, "exec", _accepting_withdraw_dialog("Changed mind"))
    monkeypatch.setattr(withdraw_dialog.TakedownDialog, "exec", lambda d: 1)
    try:
        view.withdraw_button.click()
        qtbot.waitUntil(lambda: view.consent.status is ConsentStatus.WITHDRAWN, timeout=10_000)
    finally:
        monkeypatch.undo()
    texts = {label.text() for label in view.findChildren(QLabel)}
    assert "Changed mind" in texts


def test_main_window_title_count_and_pages(qtbot, catalogue, filled):
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    window.show()
    register = window.page(RegisterPage)
    settle(qtbot, register)
    assert window.windowTitle() == f"ConsentDesk — {catalogue.path.name}"
    assert window.count_label.text() == "4 consent records"
    pages = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert pages[0] == "Consent register" and "To verify" in pages  # other pages come and go
    assert window.new_action.shortcut().toString() == "Ctrl+N"
    register.search.setText("Okafor")
    register.refresh()
    settle(qtbot, register)
    assert window.count_label.text() == "4 consent records · 1 shown"


def test_main_window_refuses_a_bad_catalogue_and_keeps_the_open_one(qtbot, catalogue, tmp_path, monkeypatch):
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    messages = []
    monkeypatch.setattr(
        "consentdesk.ui.shell.main_window.QMessageBox.warning", lambda *args: messages.append(args[2])
    )
    bad = tmp_path / "notes.sqlite"
    bad.write_text("not a database")
    assert not window.open_catalogue(bad)
    assert "not a ConsentDesk catalogue" in messages[0] and "still open" in messages[0]
    assert window.catalogue is catalogue


def test_viewing_a_record_saving_a_release_and_withdrawing_read_and_write_only_in_workers(
    qtbot, register, filled, catalogue, monkeypatch
):
    """The catalogue may be a server far away: none of these waits for it on the GUI thread."""
    from tests.ui.conftest import draw_signature, sql_on_the_gui_thread
    from tests.ui.releases.test_release_dialog import fill, open_dialog

    monkeypatch.setattr(withdraw_dialog.WithdrawDialog, "exec", _accepting_withdraw_dialog("Asked by phone"))
    monkeypatch.setattr(withdraw_dialog.TakedownDialog, "exec", lambda d: 1)
    with sql_on_the_gui_thread() as gui_sql:
        view = record_dialog.RecordDialog(catalogue, catalogue_record(register, filled["Grace Adebayo"]))
        qtbot.addWidget(view)
        qtbot.waitUntil(view.is_loaded, timeout=10_000)
        view.withdraw_button.click()
        qtbot.waitUntil(lambda: view.consent.status is ConsentStatus.WITHDRAWN, timeout=10_000)
        qtbot.waitUntil(view.is_loaded, timeout=10_000)  # re-read after the change

        dialog = open_dialog(qtbot, catalogue)
        fill(qtbot, dialog, example("adult.json")["answers"] | {"full_name": "Nia Worker"})
        draw_signature(qtbot, dialog.widgets["signature"].pad.canvas)
        dialog.save_button.click()
        qtbot.waitUntil(lambda: dialog.consent is not None, timeout=10_000)
    assert gui_sql == []
    assert catalogue.get_consent(filled["Grace Adebayo"]).status is ConsentStatus.WITHDRAWN
    assert catalogue.get_consent(dialog.consent.id).full_name == "Nia Worker"


def catalogue_record(register: RegisterPage, consent_id: str):
    """The record as the register's page holds it (read by its worker), not read again here."""
    return next(c for c in register.model.consents if c.id == consent_id)


def test_a_double_click_or_enter_opens_the_record_once(qtbot, register, filled, monkeypatch):
    from PySide6.QtCore import Qt

    opened = []
    monkeypatch.setattr(record_dialog.RecordDialog, "exec", lambda v: opened.append(v.consent.id) or 0)
    settle(qtbot, register)
    table = register.table
    centre = table.visualRect(table.model().index(0, 1)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.wait(100)
    assert len(opened) == 1  # closing it must not bring it back
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.wait(100)
    assert len(opened) == 2 and opened[0] == opened[1]
