"""Signing on paper: a record entered under a printed form's id needs no drawn signature, and it counts as
signed (clears photos) only once the scan of its signed form is attached. Real SQLite, real PDF scan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import EXAMPLES
from tests.data.paper_signing import signed_scans

from consentdesk.core.consent.paper import ScanOutcome, scan_forms
from consentdesk.core.consent.releases import (
    ConsentInvalid,
    record_consent,
    signed_on_paper,
    with_paper_signatures,
)
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.pdf.blank_forms import write_blank_forms
from consentdesk.core.store import Catalogue, CatalogueError


def answers(name: str = "Ada Paper", **extra) -> dict:
    doc = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    return doc["answers"] | {"full_name": name, "session_date": date.today().isoformat()} | extra


@pytest.fixture
def catalogue(tmp_path):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        yield cat


def test_a_printed_form_id_waives_the_drawn_signature_and_nothing_else(catalogue, tmp_path: Path):
    form = load_form()
    (form_id,) = write_blank_forms(catalogue, 1, tmp_path / "form.pdf")
    assert signed_on_paper(catalogue, form_id)
    consent = record_consent(catalogue, form, Submission(answers(), {}), source="paper", form_id=form_id)
    assert consent.id == form_id and consent.source == "paper" and not consent.has_signature
    assert not signed_on_paper(catalogue, form_id)  # used now: a second record cannot reuse it

    # Without a printed form's id the signature is still required, and other fields still are.
    with pytest.raises(ConsentInvalid) as screen:
        record_consent(catalogue, form, Submission(answers("Bo Screen"), {}), source="screen")
    assert [e.field for e in screen.value.errors] == ["signature"]
    (other,) = catalogue.reserve_form_ids(1)
    incomplete = {k: v for k, v in answers("Cy").items() if k != "location"}
    with pytest.raises(ConsentInvalid) as paper:
        record_consent(catalogue, form, Submission(incomplete, {}), source="paper", form_id=other)
    assert [e.field for e in paper.value.errors] == ["location"]
    # An id this catalogue never issued is not a printed form: no waiver, and the catalogue refuses it.
    assert not signed_on_paper(catalogue, "CD-0000-0000")
    with pytest.raises((ConsentInvalid, CatalogueError)):
        record_consent(catalogue, form, Submission(answers("Di"), {}), source="paper", form_id="CD-0000-0000")


def test_a_minor_on_paper_needs_the_guardian_answers_but_not_the_guardian_signature(catalogue):
    form = load_form()
    (form_id,) = catalogue.reserve_form_ids(1)
    minor = answers("Eve Minor", date_of_birth=date(date.today().year - 12, 1, 1).isoformat())
    with pytest.raises(ConsentInvalid) as missing:
        record_consent(catalogue, form, Submission(minor, {}), source="paper", form_id=form_id)
    assert {e.field for e in missing.value.errors} == {"guardian_name", "guardian_relationship"}
    minor |= {"guardian_name": "Fay Minor", "guardian_relationship": "Mother"}
    consent = record_consent(catalogue, form, Submission(minor, {}), source="paper", form_id=form_id)
    assert not consent.has_guardian_signature


def test_a_paper_record_counts_as_signed_once_its_scan_is_attached(catalogue, tmp_path: Path):
    form = load_form()
    printed = tmp_path / "form.pdf"
    (form_id,) = write_blank_forms(catalogue, 1, printed)
    consent = record_consent(catalogue, form, Submission(answers(), {}), source="paper", form_id=form_id)
    assert not with_paper_signatures(catalogue, consent).has_signature  # waits for the scan
    results = scan_forms(catalogue, signed_scans(printed, tmp_path))
    assert {r.outcome for r in results} == {ScanOutcome.ATTACHED}
    signed = with_paper_signatures(catalogue, catalogue.get_consent(form_id))
    assert signed.has_signature and signed.has_guardian_signature


def test_the_link_picker_calls_a_paper_record_signed_once_its_scan_is_attached(catalogue, tmp_path: Path):
    """The picker's warning and the link's warning read a paper record as clearance does."""
    from tests.core.review.test_workflow import analysis

    from consentdesk.core.review import workflow
    from consentdesk.core.store import NewImage

    form = load_form()
    printed = tmp_path / "form.pdf"
    (form_id,) = write_blank_forms(catalogue, 1, printed)
    record_consent(catalogue, form, Submission(answers("Gus Paper"), {}), source="paper", form_id=form_id)
    shoot = catalogue.create_shoot("day", "test")
    new = NewImage(sha256="p" * 64, path="/photos/p.jpg", file_size=1, width=1000, height=800)
    image = catalogue.add_image(new, analysis(), shoot)[0].id

    def offered_warning() -> str | None:
        (offer,) = [
            s for s in workflow.suggest_consents(catalogue, image, text="Gus") if s.consent.id == form_id
        ]
        return offer.warning

    assert "not signed" in (offered_warning() or "")  # waits for the scan: said before linking
    assert "not signed" in (workflow.link_face(catalogue, image, 1, form_id) or "")
    assert {r.outcome for r in scan_forms(catalogue, signed_scans(printed, tmp_path))} == {
        ScanOutcome.ATTACHED
    }
    assert offered_warning() is None
    assert workflow.link_face(catalogue, image, 2, form_id) is None
    linked = workflow.status(catalogue, image).consents[form_id]
    assert workflow.consent_warning(linked, date.today()) is None  # the review panel's row, as clearance
