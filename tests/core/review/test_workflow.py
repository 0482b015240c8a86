"""Review decisions on a real catalogue file: newest wins, re-analysis starts afresh, the picker ranks, the queue counts."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from consentdesk import paths
from consentdesk.core.consent.releases import parse_consent_json, record_consent
from consentdesk.core.review import policy, workflow
from consentdesk.core.store import Catalogue, NewConsent, NewImage
from consentdesk.core.values import (
    Analysis,
    Box,
    Face,
    FaceState,
    Finding,
    FindingKind,
    FindingState,
    Severity,
)

EXAMPLES = paths.forms_dir() / "examples"


def analysis(faces: int = 2) -> Analysis:
    return Analysis(
        path="x.jpg",
        width=1000,
        height=800,
        faces=tuple(Face(Box(100 + 300 * i, 100, 120, 150), 0.9) for i in range(faces)),
        findings=(Finding(FindingKind.NHS_NUMBER, Box(100, 600, 300, 40), "943 476 5919", Severity.HIGH),),
        analyser_version="test",
    )


def add_image(catalogue: Catalogue, name: str, shoot: int, captured: str = "2026-11-20T10:00:00") -> int:
    new = NewImage(
        sha256=name * 8, path=f"/photos/{name}.jpg", file_size=1, width=1000, height=800, captured_at=captured
    )
    return catalogue.add_image(new, analysis(), shoot)[0].id


def add_consent(catalogue: Catalogue, name: str, location: str, session: str) -> str:
    raw = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    raw["answers"] |= {"full_name": name, "location": location, "session_date": session}
    doc = parse_consent_json(json.dumps(raw), EXAMPLES)
    return record_consent(catalogue, doc.form, doc.submission, source="cli").id


@pytest.fixture
def catalogue(tmp_path: Path):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        yield cat


def test_newest_decision_wins_and_audit_keeps_ids_only(catalogue: Catalogue):
    shoot = catalogue.create_shoot("day", "test")
    image = add_image(catalogue, "a", shoot)
    consent = add_consent(catalogue, "Zofia Quill", "Leeds", "2026-11-20")
    workflow.set_face(catalogue, image, 1, FaceState.BLUR)
    workflow.set_face(catalogue, image, 1, FaceState.UNRESOLVED)
    assert workflow.link_face(catalogue, image, 1, consent.lower()) is None  # ids are normalised
    workflow.set_finding(
        catalogue, image, 1, FindingState.DISMISSED, "Zofia's own badge, shown with her consent"
    )
    state = catalogue.review_state(image)
    assert (state.faces[0].state, state.faces[0].consent_id) == (FaceState.LINKED, consent)
    assert state.faces[1].state is FaceState.UNRESOLVED
    assert state.findings[0].state is FindingState.DISMISSED and state.findings[0].reason.startswith("Zofia")
    details = json.dumps([e.details for e in catalogue.audit_entries(f"image:{image}")])
    assert "Zofia" not in details and consent in details
    with pytest.raises(workflow.ReviewError, match="reason is required"):
        workflow.set_finding(catalogue, image, 1, FindingState.DISMISSED, " ")
    with pytest.raises(workflow.ReviewError, match="no finding 4"):
        workflow.set_finding(catalogue, image, 4, FindingState.REDACT)
    with pytest.raises(workflow.ReviewError, match="no image 99"):
        workflow.status(catalogue, 99)


def test_reanalysis_starts_unresolved(catalogue: Catalogue):
    image = add_image(catalogue, "b", catalogue.create_shoot("day", "test"))
    workflow.set_face(catalogue, image, 1, FaceState.NOT_A_PERSON)
    catalogue.save_analysis(image, analysis(faces=3))
    state = catalogue.review_state(image)
    assert [f.state for f in state.faces] == [FaceState.UNRESOLVED] * 3


def test_picker_ranks_shoot_links_then_same_day_and_place_then_day_then_text(catalogue: Catalogue):
    shoot = catalogue.create_shoot("day", "test")
    first, second = add_image(catalogue, "c", shoot), add_image(catalogue, "d", shoot)
    linked = add_consent(catalogue, "Ana Linked", "Leeds Donor Centre", "2026-11-20")
    same_place = add_consent(catalogue, "Bo Sameplace", "Leeds Donor Centre", "2026-11-20")
    elsewhere = add_consent(catalogue, "Cy Elsewhere", "Bristol", "2026-11-20")
    other_day = add_consent(catalogue, "Di Otherday", "Leeds Donor Centre", "2026-10-01")
    erased_like = add_consent(catalogue, "Ed Withdrawn", "Leeds Donor Centre", "2026-11-20")
    catalogue.withdraw_consent(erased_like, date(2026, 11, 21), "asked")
    workflow.link_face(catalogue, first, 1, linked)
    found = workflow.suggest_consents(catalogue, second, text="Otherday")
    order = [s.consent.id for s in found]
    assert order[0] == linked and found[0].rank == 0
    assert order.index(same_place) < order.index(elsewhere) < order.index(other_day)
    assert found[order.index(other_day)].rank == 3
    assert found[order.index(erased_like)].warning and "withdrawn" in found[order.index(erased_like)].warning
    assert len(order) == len(set(order))


def test_queue_counts_blockers_and_drops_rejected(catalogue: Catalogue):
    shoot = catalogue.create_shoot("day", "test")
    late, early = (
        add_image(catalogue, "e", shoot, "2026-11-20T15:00:00"),
        add_image(catalogue, "f", shoot, "2026-11-20T09:00:00"),
    )
    rejected = add_image(catalogue, "g", shoot)
    workflow.reject(catalogue, rejected, "eyes closed")
    items = workflow.queue(catalogue)
    assert [i.image.id for i in items] == [early, late]
    b = items[0].blockers
    assert (b.unresolved_faces, b.unresolved_findings, b.consent_problems) == (2, 1, 0)
    workflow.reopen(catalogue, rejected)
    assert rejected in [i.image.id for i in workflow.queue(catalogue)]


def add_minor_without_guardian_signature(catalogue: Catalogue) -> str:
    """A minor's release that reached the register without the guardian's signature (as an older
    catalogue or a paper form may hold); stored through the catalogue's public `add_consent`."""
    raw = json.loads((EXAMPLES / "minor.json").read_text(encoding="utf-8"))
    doc = parse_consent_json(json.dumps(raw), EXAMPLES)
    new = NewConsent(
        form_name=doc.form.name,
        form_version=doc.form.version,
        answers=doc.submission.answers,
        files={"signature": ("image/png", doc.submission.files["signature"])},
        signed_at=datetime(2026, 11, 20, 10, 0),
        expires_on=None,
        source="paper",
    )
    return catalogue.add_consent(new).id


def test_picker_warns_about_a_minor_without_guardian_signature_as_clearance_does(catalogue: Catalogue):
    shoot = catalogue.create_shoot("day", "test")
    image = add_image(catalogue, "h", shoot)
    minor = add_minor_without_guardian_signature(catalogue)
    offered = {s.consent.id: s for s in workflow.suggest_consents(catalogue, image, text="Kowalski")}
    warning = offered[minor].warning
    assert warning and "no guardian signature" in warning
    assert workflow.link_face(catalogue, image, 1, minor, on=date(2026, 11, 21)) == warning
    reasons = workflow.status(catalogue, image, date(2026, 11, 21), ["instagram"]).clearances["instagram"]
    guardian = [r for r in reasons.reasons if "guardian" in r]
    assert guardian and guardian[0].split(", ", 1)[1] in warning  # the same rule, worded once


def test_channels_offered_are_exactly_the_channels_clearance_accepts(catalogue: Catalogue):
    image = add_image(catalogue, "i", catalogue.create_shoot("day", "test"))
    offered = workflow.all_channels()
    assert workflow.status(catalogue, image).channels == offered
    with pytest.raises(policy.UnknownChannel) as err:
        workflow.status(catalogue, image, channels=["myspace"])
    assert err.value.valid == offered


def test_face_and_finding_numbers_out_of_range_read_naturally(catalogue: Catalogue):
    shoot = catalogue.create_shoot("day", "test")
    one = add_image(catalogue, "j", shoot)
    catalogue.save_analysis(one, analysis(faces=1))
    with pytest.raises(workflow.ReviewError) as err:
        workflow.set_face(catalogue, one, 2, FaceState.BLUR)
    assert str(err.value) == f"image {one} has only face 1; there is no face 2"
    with pytest.raises(workflow.ReviewError) as err:
        workflow.set_finding(catalogue, one, 3, FindingState.REDACT)
    assert str(err.value) == f"image {one} has only finding 1; there is no finding 3"
    two = add_image(catalogue, "k", shoot)
    with pytest.raises(workflow.ReviewError, match=r"has faces 1 and 2; there is no face 5$"):
        workflow.set_face(catalogue, two, 5, FaceState.BLUR)
