"""One wording per state: a release signed on paper is "Waiting for its signed scan" in the register, its
record and `consent list` until the signed scan arrives, and never "Active" with a "Signed" time before."""

from __future__ import annotations

import json
from datetime import date

from tests.data.paper_signing import signed_scans
from tests.ui.conftest import EXAMPLES

from consentdesk.cli import main as cli
from consentdesk.core.consent.paper import scan_forms
from consentdesk.core.consent.releases import parse_consent_json, record_consent
from consentdesk.core.pdf.form_to_sign import write_form_to_sign
from consentdesk.ui.releases.record_dialog import RecordDialog
from consentdesk.ui.releases.register_page import RegisterPage


def paper_release(catalogue, tmp_path):
    """A release typed in on screen and printed to be signed by hand (its record has no drawn signature)."""
    raw = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    raw["answers"] |= {"full_name": "Ada Paper", "session_date": date.today().isoformat()}
    raw.pop("files", None)
    parsed = parse_consent_json(json.dumps(raw), EXAMPLES)
    printed = tmp_path / "to-sign.pdf"
    form_id = write_form_to_sign(catalogue, parsed.form, parsed.submission, printed)
    consent = record_consent(catalogue, parsed.form, parsed.submission, source="paper", form_id=form_id)
    return consent, printed


def status_cell(page: RegisterPage, consent_id: str) -> str:
    return page.model.index(page.model.row_of(consent_id), 6).data()


def test_a_paper_release_waits_for_its_signed_scan_then_is_active(qtbot, catalogue, tmp_path, capsys):
    consent, printed = paper_release(catalogue, tmp_path)
    page = RegisterPage(catalogue)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.is_loaded() and page.model.row_of(consent.id) >= 0, timeout=10_000)
    assert status_cell(page, consent.id) == "Waiting for its signed scan"

    view = RecordDialog(catalogue, consent, page)
    qtbot.addWidget(view)
    qtbot.waitUntil(view.is_loaded, timeout=10_000)
    assert view.status_badge.text() == "Waiting for its signed scan"
    texts = [label.text() for label in view.findChildren(type(view.status_badge))]
    assert any(t.startswith("Not yet: waiting for its signed scan (entered ") for t in texts)
    assert "Active" not in texts
    assert cli(["--catalog", catalogue.locator, "consent", "list"]) == 0
    assert f"{consent.id}  Waiting for its signed scan" in capsys.readouterr().out

    scan_forms(catalogue, [str(p) for p in signed_scans(printed, tmp_path)])  # signed by hand, scanned
    page.refresh()
    qtbot.waitUntil(lambda: status_cell(page, consent.id) == "Active", timeout=10_000)
    view = RecordDialog(catalogue, consent, page)  # opened with the record as it was before the scan
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.is_loaded() and view.status_badge.text() == "Active", timeout=10_000)
    assert cli(["--catalog", catalogue.locator, "consent", "list"]) == 0
    assert f"{consent.id}  Active" in capsys.readouterr().out
