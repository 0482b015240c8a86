"""The generated New release dialog: filled through its widgets, it stores what the CLI stores."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QLineEdit, QPlainTextEdit
from tests.ui.conftest import cli_add, draw_signature, example, type_text

from consentdesk.core.forms import load_form
from consentdesk.core.store import Catalogue
from consentdesk.ui.releases.form_widgets import (
    ChannelsFieldWidget,
    ChoiceFieldWidget,
    DateFieldWidget,
    RadioChoiceWidget,
    SignatureFieldWidget,
    TextFieldWidget,
    UsesFieldWidget,
)
from consentdesk.ui.releases.release_dialog import ReleaseDialog


def fill(qtbot, dialog: ReleaseDialog, answers: dict) -> None:
    """Type/click each answer into the widget generated for its field."""
    for field_id, value in answers.items():
        widget = dialog.widgets[field_id]
        if isinstance(widget, TextFieldWidget):
            widget.edit.clear()
            type_text(qtbot, widget.edit, value)
        elif isinstance(widget, DateFieldWidget):
            widget.set_date(date.fromisoformat(value))
        elif isinstance(widget, ChoiceFieldWidget | RadioChoiceWidget):
            widget.set_choice(value)
        elif isinstance(widget, UsesFieldWidget | ChannelsFieldWidget):
            for option_id in value:
                widget.boxes[option_id].setChecked(True)
        else:  # multiline
            type_text(qtbot, widget.edit, value)


def open_dialog(qtbot, catalogue) -> ReleaseDialog:
    dialog = ReleaseDialog(catalogue)
    dialog.confirm_discard = False  # closing at teardown must not wait on a question box
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_every_field_of_the_form_gets_a_widget(qtbot, catalogue):
    dialog = open_dialog(qtbot, catalogue)
    form = load_form()
    assert list(dialog.widgets) == [f.id for f in form.fields]
    assert isinstance(dialog.widgets["full_name"].input, QLineEdit)
    assert isinstance(dialog.widgets["notes"].input, QPlainTextEdit)
    assert isinstance(dialog.widgets["session_date"].input, QDateEdit)
    assert dialog.widgets["session_date"].edit.calendarPopup()
    assert isinstance(dialog.widgets["age_band"].input, QComboBox)
    assert isinstance(dialog.widgets["uses"].input, QCheckBox)
    assert isinstance(dialog.widgets["signature"], SignatureFieldWidget)
    assert dialog.widgets["session_date"].value() == date.today().isoformat()
    assert dialog.widgets["date_of_birth"].value() is None  # optional date starts empty


def test_dialog_record_equals_cli_record(qtbot, catalogue, tmp_path):
    document = example("adult.json")
    dialog = open_dialog(qtbot, catalogue)
    fill(qtbot, dialog, document["answers"])
    draw_signature(qtbot, dialog.widgets["signature"].pad.canvas)

    def canonical(answers):
        return {k: sorted(v) if isinstance(v, list) else v for k, v in answers.items()}

    assert canonical(dialog.submission().answers) == canonical(document["answers"])  # same JSON shape
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)  # saved (or refused) in a worker
    assert dialog.result() == ReleaseDialog.DialogCode.Accepted, dialog.errors_shown()
    from_dialog = dialog.consent

    cli_path = tmp_path / "cli.sqlite"
    cli_add(cli_path, document, tmp_path)
    with Catalogue.open(cli_path) as other:
        (from_cli,) = other.list_consents()
    assert from_dialog.answers == from_cli.answers
    assert (from_dialog.form_name, from_dialog.form_version) == (from_cli.form_name, from_cli.form_version)
    assert from_dialog.expires_on == from_cli.expires_on
    assert from_dialog.has_signature and from_cli.has_signature
    assert from_dialog.source == "screen" and from_cli.source == "cli"
    mime, png = catalogue.consent_file(from_dialog.id, "signature")
    assert mime == "image/png" and png.startswith(b"\x89PNG")


def test_minor_dialog_record_equals_cli_record(qtbot, catalogue, tmp_path):
    document = example("minor.json")
    dialog = open_dialog(qtbot, catalogue)
    fill(qtbot, dialog, document["answers"])
    draw_signature(qtbot, dialog.widgets["signature"].pad.canvas)
    draw_signature(qtbot, dialog.widgets["guardian_signature"].pad.canvas, offset=20)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)  # saved (or refused) in a worker
    assert dialog.consent is not None, dialog.errors_shown()
    cli_path = tmp_path / "cli.sqlite"
    cli_add(cli_path, document, tmp_path)
    with Catalogue.open(cli_path) as other:
        (from_cli,) = other.list_consents()
    assert dialog.consent.answers == from_cli.answers
    assert dialog.consent.has_guardian_signature and from_cli.has_guardian_signature


def test_missing_name_and_minor_without_guardian_shows_errors_and_saves_nothing(qtbot, catalogue):
    dialog = open_dialog(qtbot, catalogue)
    answers = dict(example("minor.json")["answers"])
    for key in ("full_name", "guardian_name", "guardian_relationship"):
        answers.pop(key)
    fill(qtbot, dialog, answers)
    draw_signature(qtbot, dialog.widgets["signature"].pad.canvas)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)  # saved (or refused) in a worker

    shown = dialog.errors_shown()
    assert set(shown) == {"full_name", "guardian_name", "guardian_relationship", "guardian_signature"}
    assert "Full name is required" in shown["full_name"]
    assert "under 18" in shown["guardian_name"]
    assert dialog.rows["full_name"].widget.edit.property("invalid") is True
    assert dialog.focusWidget() is dialog.widgets["full_name"].edit  # the first invalid field, in form order
    assert "4 fields need attention" in dialog.summary.text()
    assert dialog.result() != ReleaseDialog.DialogCode.Accepted
    assert catalogue.list_consents() == []
    # Everything typed is kept.
    assert dialog.widgets["location"].value() == answers["location"]
    assert not dialog.widgets["signature"].pad.is_empty()

    # Fixing the fields clears their errors and the record saves.
    qtbot.keyClicks(dialog.widgets["full_name"].edit, "Mateo Kowalski")
    assert "full_name" not in dialog.errors_shown()
    qtbot.keyClicks(dialog.widgets["guardian_name"].edit, "Ewa Kowalska")
    qtbot.keyClicks(dialog.widgets["guardian_relationship"].edit, "Mother")
    draw_signature(qtbot, dialog.widgets["guardian_signature"].pad.canvas)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)  # saved (or refused) in a worker
    assert dialog.consent is not None and len(catalogue.list_consents()) == 1


def test_guardian_section_follows_age_live(qtbot, catalogue):
    dialog = open_dialog(qtbot, catalogue)
    guardian = dialog.sections["guardian"]
    assert not guardian.isVisible()
    dialog.widgets["age_band"].set_choice("under_18")
    assert guardian.isVisible()
    dialog.widgets["age_band"].set_choice("26_40")
    assert not guardian.isVisible()
    dob = dialog.widgets["date_of_birth"]
    dob.unknown.setChecked(False)
    today = QDate.currentDate()
    dob.edit.setDate(today.addYears(-10))
    assert guardian.isVisible()
    dob.edit.setDate(today.addYears(-30))
    assert not guardian.isVisible()


def test_hidden_guardian_answers_are_not_submitted(qtbot, catalogue):
    dialog = open_dialog(qtbot, catalogue)
    dialog.widgets["age_band"].set_choice("under_18")
    qtbot.keyClicks(dialog.widgets["guardian_name"].edit, "Someone")
    draw_signature(qtbot, dialog.widgets["guardian_signature"].pad.canvas)
    dialog.widgets["age_band"].set_choice("41_60")
    submission = dialog.submission()
    assert "guardian_name" not in submission.answers
    assert "guardian_signature" not in submission.files


def test_ticking_a_channel_ticks_its_use(qtbot, catalogue):
    dialog = open_dialog(qtbot, catalogue)
    uses, channels = dialog.widgets["uses"], dialog.widgets["channels"]
    assert not uses.boxes["social_media"].isChecked()
    channels.boxes["tiktok"].setChecked(True)
    assert uses.boxes["social_media"].isChecked()
    uses.boxes["social_media"].setChecked(False)
    assert not channels.boxes["tiktok"].isChecked()


def test_photo_too_large_is_refused_inline(qtbot, catalogue, tmp_path):
    dialog = open_dialog(qtbot, catalogue)
    photo = dialog.widgets["reference_photo"]
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + b"\0" * 8_100_000)
    assert not photo.load_file(big)
    assert "too large" in photo.message.text() and not photo.message.isHidden()
    assert photo.file_data() is None
    not_photo = tmp_path / "notes.png"
    not_photo.write_text("hello")
    assert not photo.load_file(not_photo)
    assert "not a JPEG or PNG" in photo.message.text()
    from consentdesk import paths

    assert photo.load_file(paths.forms_dir() / "examples" / "signature-adult.png")
    assert photo.file_data().startswith(b"\x89PNG") and photo.message.isHidden()


def test_field_added_to_the_toml_appears_in_the_dialog(qtbot, catalogue, tmp_path):
    from consentdesk import paths
    from consentdesk.core.forms import parse_definition

    text = (paths.forms_dir() / "model_release_v1.toml").read_text(encoding="utf-8")
    text += '\n  [[sections.fields]]\n  id = "badge_number"\n  label = "Badge number"\n  type = "text"\n'
    source = tmp_path / "model_release_v1.toml"
    source.write_text(text, encoding="utf-8")
    form = parse_definition(source)
    dialog = ReleaseDialog(catalogue, form)
    dialog.confirm_discard = False
    qtbot.addWidget(dialog)
    assert "badge_number" in dialog.widgets
    assert dialog.rows["badge_number"].label.text() == "Badge number"


def test_a_save_that_waits_for_the_catalogue_keeps_the_window_alive_and_open(qtbot, catalogue):
    """Another program holds the catalogue's write lock: Save says it is saving, the dialog keeps
    responding and cannot be closed mid-save, and the release is saved once the lock is released."""
    import sqlite3

    from PySide6.QtCore import Qt

    dialog = open_dialog(qtbot, catalogue)
    fill(qtbot, dialog, example("adult.json")["answers"])
    draw_signature(qtbot, dialog.widgets["signature"].pad.canvas)
    blocker = sqlite3.connect(catalogue.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        dialog.save_button.click()
        assert dialog.busy and dialog.save_button.text() == "Saving…"
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # closing now would hide whether it was saved
        qtbot.wait(300)  # the event loop runs meanwhile
        assert dialog.isVisible() and dialog.consent is None
        dialog.save_button.click()  # a second press does not save twice
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)
    assert dialog.result() == ReleaseDialog.DialogCode.Accepted and dialog.consent is not None
    assert [c.id for c in catalogue.list_consents()] == [dialog.consent.id]


def test_sign_on_paper_prints_this_persons_form_and_keeps_the_record_equal_to_it(
    qtbot, catalogue, tmp_path, monkeypatch
):
    import subprocess

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

    printed = tmp_path / "to-sign.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(printed), ""))
    monkeypatch.setattr("consentdesk.ui.releases.record_dialog.offer_to_open", lambda *a, **k: None)
    dialog = open_dialog(qtbot, catalogue)
    answers = example("adult.json")["answers"]
    fill(qtbot, dialog, {k: v for k, v in answers.items() if k != "session_date"})
    dialog.widgets["signature"].paper_requested.emit()  # "Sign on paper instead…"
    qtbot.waitUntil(lambda: dialog.form_id is not None and not dialog.busy, timeout=20_000)
    form_id = dialog.form_id

    def text() -> str:
        return subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True).stdout

    assert answers["full_name"] in text() and form_id in text() and "Blank form" not in text()
    ticked = [f"✓ {dialog.form.channel(c).label}" for c in answers["channels"]]
    assert all(t in text() for t in ticked)

    # Changed after printing: Save refuses and offers to print again under the same id.
    fill(qtbot, dialog, {"full_name": "Changed After Print"})
    seen: list[str] = []

    def reprint() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, reprint)
            return
        seen.append(box.text())
        (button,) = [b for b in box.buttons() if b.text() == "Print again…"]
        button.click()

    QTimer.singleShot(0, reprint)
    dialog.save()
    assert seen and form_id in seen[0] and dialog.consent is None
    qtbot.waitUntil(lambda: not dialog.busy and "Changed After Print" in text(), timeout=20_000)
    assert dialog.form_id == form_id

    dialog.save()
    qtbot.waitUntil(lambda: dialog.consent is not None, timeout=10_000)
    assert dialog.consent.id == form_id and dialog.consent.full_name == "Changed After Print"
    assert dialog.consent.source == "paper"
