"""Clearance rules, case by case: each rule on its own flips `cleared`, with a plain reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime

import pytest

from consentdesk.core.forms import load_form
from consentdesk.core.review import policy
from consentdesk.core.values import (
    Box,
    Consent,
    ConsentStatus,
    FaceReview,
    FaceState,
    FindingKind,
    FindingReview,
    FindingState,
    ImageState,
    Severity,
)

FORM = load_form("model_release", 1)
FORMS = {(FORM.name, FORM.version): FORM}
ON = date(2027, 1, 15)
EXPIRES = date(2028, 11, 20)


def adult(**changes) -> Consent:
    base = Consent(
        id="CD-AAAA-AAAA",
        form_name="model_release",
        form_version=1,
        answers={
            "full_name": "Test Person",
            "date_of_birth": "1986-04-12",
            "uses": ["social_media", "website"],
            "channels": ["instagram", "facebook", "website"],
            "location": "Manchester Donor Centre",
        },
        signed_at=datetime(2026, 11, 20, 10, 0),
        expires_on=EXPIRES,
        created_by="tester",
        has_signature=True,
    )
    return dataclasses.replace(base, **changes)


def minor(**changes) -> Consent:
    answers = adult().answers | {"age_band": "under_18", "date_of_birth": None}
    return adult(**({"answers": answers, "has_guardian_signature": True} | changes))


def state(**changes) -> ImageState:
    """Baseline: face 1 linked (cleared for instagram), face 2 blurred, an NHS number redacted and a
    harmless LOW text finding left unresolved (LOW never blocks)."""
    base = ImageState(
        image_id=1,
        analysis_id=10,
        analysis_error=None,
        faces=(
            FaceReview(1, 1, Box(10, 10, 50, 50), 0.9, FaceState.LINKED, "CD-AAAA-AAAA"),
            FaceReview(2, 2, Box(100, 10, 50, 50), 0.9, FaceState.BLUR),
        ),
        findings=(
            FindingReview(
                1,
                1,
                FindingKind.NHS_NUMBER,
                Severity.HIGH,
                Box(0, 200, 80, 20),
                "*** 8875",
                FindingState.REDACT,
            ),
            FindingReview(2, 2, FindingKind.TEXT, Severity.LOW, Box(0, 300, 80, 20), "Give blood"),
        ),
    )
    return dataclasses.replace(base, **changes)


def with_face(face_state: FaceState, consent_id: str | None = None) -> ImageState:
    s = state()
    return dataclasses.replace(
        s, faces=(s.faces[0], dataclasses.replace(s.faces[1], state=face_state, consent_id=consent_id))
    )


def with_finding(severity: Severity, finding_state: FindingState, kind=FindingKind.NHS_NUMBER) -> ImageState:
    s = state()
    first = dataclasses.replace(s.findings[0], severity=severity, state=finding_state, kind=kind)
    return dataclasses.replace(s, findings=(first, s.findings[1]))


Case = tuple[str, Callable[[], ImageState], Callable[[], Consent | None], str, date, bool, str]

CASES: list[Case] = [
    # name, image state, consent, channel, posting date, cleared, reason text
    ("baseline", state, adult, "instagram", ON, True, ""),
    ("another covered channel", state, adult, "website", ON, True, ""),
    (
        "rejected",
        lambda: state(rejected=True, rejection_reason="eyes closed"),
        adult,
        "instagram",
        ON,
        False,
        "The image was rejected (eyes closed)",
    ),
    (
        "analysis error",
        lambda: state(analysis_error="truncated file"),
        adult,
        "instagram",
        ON,
        False,
        "could not be checked (truncated file)",
    ),
    (
        "never analysed",
        lambda: state(analysis_id=None),
        adult,
        "instagram",
        ON,
        False,
        "has not been checked",
    ),
    (
        "face unresolved",
        lambda: with_face(FaceState.UNRESOLVED),
        adult,
        "instagram",
        ON,
        False,
        "Face 2 has no consent: link it to a release, mark it 'blur on export' or 'not a person'",
    ),
    ("face not a person", lambda: with_face(FaceState.NOT_A_PERSON), adult, "instagram", ON, True, ""),
    (
        "a clip's person track unresolved",
        lambda: dataclasses.replace(with_face(FaceState.UNRESOLVED), is_clip=True),
        adult,
        "instagram",
        ON,
        False,
        "Person 2 has no consent: link it to a release, mark it 'blur on export' or 'not a person'",
    ),
    (
        "a clip's person track linked to a withdrawn release",
        lambda: state(is_clip=True),
        lambda: adult(status=ConsentStatus.WITHDRAWN, withdrawn_on=date(2026, 12, 1), withdrawal_reason="asked"),
        "instagram",
        ON,
        False,
        "Person 1 is linked to CD-AAAA-AAAA, whose consent was withdrawn on 2026-12-01",
    ),
    (
        "second face linked too",
        lambda: with_face(FaceState.LINKED, "CD-AAAA-AAAA"),
        adult,
        "instagram",
        ON,
        True,
        "",
    ),
    (
        "high finding unresolved",
        lambda: with_finding(Severity.HIGH, FindingState.UNRESOLVED),
        adult,
        "instagram",
        ON,
        False,
        "Finding 1 (NHS number) is unresolved",
    ),
    (
        "medium finding unresolved",
        lambda: with_finding(Severity.MEDIUM, FindingState.UNRESOLVED, FindingKind.QR_CODE),
        adult,
        "instagram",
        ON,
        False,
        "Finding 1 (QR code) is unresolved",
    ),
    (
        "low finding unresolved",
        lambda: with_finding(Severity.LOW, FindingState.UNRESOLVED, FindingKind.TEXT),
        adult,
        "instagram",
        ON,
        True,
        "",
    ),
    (
        "finding dismissed",
        lambda: with_finding(Severity.HIGH, FindingState.DISMISSED),
        adult,
        "instagram",
        ON,
        True,
        "",
    ),
    ("unsigned", state, lambda: adult(has_signature=False), "instagram", ON, False, "which is not signed"),
    (
        "withdrawn",
        state,
        lambda: adult(
            status=ConsentStatus.WITHDRAWN, withdrawn_on=date(2026, 12, 1), withdrawal_reason="asked"
        ),
        "instagram",
        ON,
        False,
        "Face 1 is linked to CD-AAAA-AAAA, whose consent was withdrawn on 2026-12-01",
    ),
    (
        "erased",
        state,
        lambda: adult(status=ConsentStatus.ERASED),
        "instagram",
        ON,
        False,
        "whose record was erased",
    ),
    ("missing from register", state, lambda: None, "instagram", ON, False, "which is not in the register"),
    ("last day before expiry", state, adult, "instagram", EXPIRES, True, ""),
    (
        "day after expiry",
        state,
        adult,
        "instagram",
        date(2028, 11, 21),
        False,
        "whose consent expired on 2028-11-20 (posting date 2028-11-21)",
    ),
    (
        "until withdrawn never expires",
        state,
        lambda: adult(expires_on=None),
        "instagram",
        date(2040, 1, 1),
        True,
        "",
    ),
    ("channel not ticked", state, adult, "x", ON, False, "whose consent does not cover X (Twitter)"),
    (
        "channel ticked but use missing",
        state,
        lambda: adult(answers=adult().answers | {"uses": ["website"]}),
        "instagram",
        ON,
        False,
        "does not include the use 'Social media' that Instagram needs",
    ),
    (
        "use ticked but channel missing",
        state,
        lambda: adult(answers=adult().answers | {"channels": ["facebook"]}),
        "instagram",
        ON,
        False,
        "does not cover Instagram",
    ),
    ("minor with guardian signature", state, minor, "instagram", ON, True, ""),
    (
        "minor without guardian signature",
        state,
        lambda: minor(has_guardian_signature=False),
        "instagram",
        ON,
        False,
        "a minor's release with no guardian signature",
    ),
    (
        "minor by date of birth at signing",
        state,
        lambda: adult(answers=adult().answers | {"date_of_birth": "2010-01-01"}),
        "instagram",
        ON,
        False,
        "no guardian signature",
    ),
    (
        "adult by date of birth",
        state,
        lambda: adult(answers=adult().answers | {"date_of_birth": "2008-11-19"}),
        "instagram",
        ON,
        True,
        "",
    ),
    (
        "form version not installed",
        state,
        lambda: adult(form_version=99),
        "instagram",
        ON,
        False,
        "form model_release version 99, which is not installed",
    ),
]


@pytest.mark.parametrize(
    ("name", "make_state", "make_consent", "channel", "on", "cleared", "reason"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_clearance_table(name, make_state, make_consent, channel, on, cleared, reason):
    consent = make_consent()
    consents = {consent.id: consent} if consent else {}
    result = policy.clearance(make_state(), consents, FORMS, channel, on)
    assert result.cleared is cleared, result.reasons
    assert result.channel == channel and result.on == on
    if cleared:
        assert result.reasons == []
    else:
        assert any(reason in r for r in result.reasons), result.reasons


def test_every_rule_alone_flips_the_baseline():
    """The baseline is cleared; every blocking case differs from it in exactly one thing."""
    assert policy.clearance(state(), {"CD-AAAA-AAAA": adult()}, FORMS, "instagram", ON).cleared
    blocking = [c for c in CASES if not c[5]]
    assert len(blocking) >= 15


def test_reasons_are_listed_in_order_and_together():
    s = dataclasses.replace(
        with_finding(Severity.HIGH, FindingState.UNRESOLVED),
        rejected=True,
        faces=(with_face(FaceState.UNRESOLVED).faces[1],),
    )
    reasons = policy.clearance(s, {}, FORMS, "instagram", ON).reasons
    assert reasons[0].startswith("The image was rejected")
    assert reasons[1].startswith("Face 2 has no consent")
    assert reasons[2].startswith("Finding 1 (NHS number) is unresolved")


def test_unknown_channel_lists_the_valid_ones():
    with pytest.raises(policy.UnknownChannel) as err:
        policy.clearance(state(), {"CD-AAAA-AAAA": adult()}, FORMS, "myspace", ON)
    message = str(err.value)
    assert "myspace" in message and "instagram" in message and "facebook" in message
    assert err.value.valid == [c.id for c in FORM.channels]


def test_channel_missing_from_the_signed_form_version():
    old_form = dataclasses.replace(
        FORM, version=0, channels=tuple(c for c in FORM.channels if c.id != "instagram")
    )
    forms = FORMS | {("model_release", 0): old_form}
    result = policy.clearance(state(), {"CD-AAAA-AAAA": adult(form_version=0)}, forms, "instagram", ON)
    assert not result.cleared
    assert "signed on form version 0, which has no Instagram channel" in result.reasons[0]


def test_summary_line():
    consents = {"CD-AAAA-AAAA": adult()}
    three = dataclasses.replace(
        state(),
        faces=(
            *state().faces[:1],
            dataclasses.replace(state().faces[0], face_id=3, n=2),
            FaceReview(4, 3, Box(200, 10, 50, 50), 0.9),
        ),
    )
    assert (
        policy.summary(three, consents, FORMS, ON) == "3 people detected, 2 with consent — 1 needs attention"
    )
    assert (
        policy.summary(state(), consents, FORMS, ON)
        == "2 people detected, 1 with consent, 1 to blur — all accounted for"
    )
    assert policy.summary(state(faces=()), consents, FORMS, ON) == "No people detected"
    # An unresolved finding that blocks is named: "all accounted for" is only ever about everything.
    nhs = dataclasses.replace(state().findings[0], state=FindingState.UNRESOLVED)
    open_finding = state(findings=(nhs, *state().findings[1:]))
    assert (
        policy.summary(open_finding, consents, FORMS, ON)
        == "2 people detected, 1 with consent, 1 to blur — all people accounted for, 1 finding to resolve"
    )
    assert policy.summary(dataclasses.replace(open_finding, faces=()), consents, FORMS, ON) == (
        "No people detected — 1 finding to resolve"
    )
    withdrawn = {"CD-AAAA-AAAA": adult(status=ConsentStatus.WITHDRAWN)}
    assert policy.summary(state(), withdrawn, FORMS, ON).endswith("— 1 needs attention")
    assert policy.summary(state(), consents, FORMS, ON, channel="x").endswith("— 1 needs attention")


def test_blockers_count_what_stops_the_image_whatever_the_channel():
    consents = {"CD-AAAA-AAAA": adult(has_signature=False)}
    s = with_face(FaceState.UNRESOLVED)
    s = dataclasses.replace(s, findings=with_finding(Severity.HIGH, FindingState.UNRESOLVED).findings)
    b = policy.blockers(s, consents, FORMS, ON)
    assert (b.unresolved_faces, b.unresolved_findings, b.consent_problems) == (1, 1, 1)
    assert b.total == 3
    clean = policy.blockers(state(), {"CD-AAAA-AAAA": adult()}, FORMS, ON)
    assert clean.total == 0


def test_one_reason_per_channel_when_neither_channel_nor_use_was_ticked():
    """A release for the website only: Instagram is blocked by one reason, not two in other words."""
    consent = adult(answers=adult().answers | {"uses": ["website"], "channels": ["website"]})
    result = policy.clearance(state(), {consent.id: consent}, FORMS, "instagram", ON)
    assert result.reasons == [
        "Face 1 is linked to CD-AAAA-AAAA, whose consent does not cover Instagram: "
        "choose another channel, or blur the face"
    ]
