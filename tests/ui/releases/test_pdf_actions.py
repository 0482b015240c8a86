"""Save PDF… and Print blank forms… call the core PDF writers and tell the user where the file went."""

from __future__ import annotations

import json

from tests.ui.conftest import EXAMPLES, example

from consentdesk.core.consent.releases import parse_consent_json, record_consent
from consentdesk.ui.kit.busy import BusyDialog
from consentdesk.ui.releases import record_dialog
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.shell import main_window
from consentdesk.ui.shell.main_window import MainWindow


def _add(catalogue):
    doc = parse_consent_json(json.dumps(example("adult.json")), EXAMPLES)
    return record_consent(catalogue, doc.form, doc.submission, source="screen")


def test_save_pdf_from_register(qtbot, catalogue, tmp_path, monkeypatch):
    consent = _add(catalogue)
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    out = tmp_path / "release"  # no extension: .pdf is added
    monkeypatch.setattr(
        record_dialog.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)")
    )
    opened = []
    monkeypatch.setattr(record_dialog, "offer_to_open", lambda parent, path, title: opened.append(path))
    register = window.page(RegisterPage)
    window.show()  # the register loads its rows when shown
    qtbot.waitUntil(register.is_loaded, timeout=10_000)
    register.select_id(consent.id)
    register.pdf_button.click()
    pdf = tmp_path / "release.pdf"
    qtbot.waitUntil(lambda: opened == [pdf], timeout=20_000)  # written in a worker, then offered
    assert pdf.read_bytes().startswith(b"%PDF")


def test_print_blank_forms(qtbot, catalogue, tmp_path, monkeypatch):
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    out = tmp_path / "blank.pdf"
    monkeypatch.setattr(main_window.QInputDialog, "getInt", lambda *a, **k: (3, True))
    monkeypatch.setattr(main_window.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF (*.pdf)"))
    opened = []
    monkeypatch.setattr(main_window, "offer_to_open", lambda parent, path, title: opened.append(path))
    window.print_action.trigger()
    busy = window.findChild(BusyDialog)
    assert busy is not None and busy.isVisible()  # drawn in a worker: the window says it is working
    qtbot.waitUntil(lambda: opened == [out], timeout=20_000)
    assert out.read_bytes().startswith(b"%PDF")
    assert "3 numbered blank forms" in window.statusBar().currentMessage()
    assert window.catalogue.list_consents() == []  # blank forms reserve ids, they are not records
