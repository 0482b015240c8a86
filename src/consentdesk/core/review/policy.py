"""Clearance rules: is this image cleared for this channel on this posting date, and if not, why not.

Pure functions over plain values (no SQL, no Qt, no clock): the CLI, the GUI review view, approval and
the tests all ask the same question the same way and get the same plain-English reasons. The posting
date is always passed in, so "cleared today" and "cleared on the day it goes out" are the same code.

Rules (every one must hold for a channel to be cleared):
- the image is not rejected and its analysis has no error;
- every face is resolved: linked to a consent, marked "blur on export" or "not a person";
- every linked consent exists, is signed, is active on the posting date (not expired, withdrawn or
  erased), permits the channel (`answers["channels"]`) AND the channel's use as defined by the form
  version the person signed (`form.channel(channel).use in answers["uses"]`), and, if the person was a
  minor when signing, carries the guardian's signature;
- no finding that must be resolved is unresolved. Findings of LOW severity (legible but harmless-looking
  text the analyser shows for awareness) do not block; HIGH (personal data) and MEDIUM (codes, screens,
  documents, confidential words) do — see `BLOCKING_SEVERITIES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from consentdesk.core.forms import FormDefinition
from consentdesk.core.values import (
    ApprovalRecord,
    Consent,
    ConsentStatus,
    FaceReview,
    FaceState,
    FindingKind,
    FindingState,
    ImageState,
    Severity,
)

#: Findings of these severities must be redacted or dismissed before an image can be cleared.
BLOCKING_SEVERITIES = frozenset({Severity.HIGH, Severity.MEDIUM})

FormKey = tuple[str, int]

_KIND_WORDS = {
    FindingKind.NHS_NUMBER: "NHS number",
    FindingKind.PERSON_NAME: "person's name",
    FindingKind.DATE_OF_BIRTH: "date of birth",
    FindingKind.POSTCODE: "postcode",
    FindingKind.ADDRESS: "address",
    FindingKind.PHONE: "phone number",
    FindingKind.EMAIL: "email address",
    FindingKind.DONATION_NUMBER: "donation number",
    FindingKind.BARCODE: "barcode",
    FindingKind.QR_CODE: "QR code",
    FindingKind.SCREEN: "screen",
    FindingKind.DOCUMENT: "document",
    FindingKind.TEXT: "text",
}


class UnknownChannel(ValueError):
    """The channel asked about is not one any installed form knows."""

    def __init__(self, channel: str, valid: list[str]) -> None:
        self.channel = channel
        self.valid = valid
        super().__init__(f"unknown channel {channel!r}; choose one of: {', '.join(valid)}")


@dataclass(frozen=True, slots=True)
class Clearance:
    """The answer for one channel on one posting date: cleared, or the reasons (plain words) why not."""

    channel: str
    on: date
    cleared: bool
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Blockers:
    """Counts of what stops an image, independent of channel (for the "To verify" queue)."""

    unresolved_faces: int = 0
    unresolved_findings: int = 0
    consent_problems: int = 0
    rejected: bool = False
    analysis_error: bool = False

    @property
    def total(self) -> int:
        return (
            self.unresolved_faces
            + self.unresolved_findings
            + self.consent_problems
            + int(self.rejected)
            + int(self.analysis_error)
        )


class Badge(StrEnum):
    """An image's state in one word, as the library grid, `consentdesk queue` and `consentdesk images`
    show it (in words, never by colour alone). `badge` is the one rule that picks it."""

    TAKE_DOWN = "take_down"
    UNREADABLE = "unreadable"
    REJECTED = "rejected"
    APPROVED = "approved"
    CLEARED = "cleared"
    ATTENTION = "attention"

    @property
    def words(self) -> str:
        return _BADGE_WORDS[self.value]

    @property
    def needs_attention(self) -> bool:
        """Someone must act before it can be posted or while it is out: the Library's "needs attention"
        filter and count."""
        return self in (Badge.TAKE_DOWN, Badge.ATTENTION, Badge.UNREADABLE)

    @property
    def has_reasons(self) -> bool:
        """Its reasons say what to do (what blocks it, or why it must come down)."""
        return self in (Badge.TAKE_DOWN, Badge.ATTENTION)


_BADGE_WORDS = {
    "take_down": "Take down",
    "unreadable": "Could not be read",
    "rejected": "Rejected",
    "approved": "Approved",
    "cleared": "Cleared",
    "attention": "Needs attention",
}


def badge(
    blockers: Blockers, cleared_channels: Sequence[str], approved: bool, take_down: bool = False
) -> Badge:
    """The badge: a copy that must come down first (`takedown_reasons`: it may be posted now, whatever
    else is true of the photo), then a file that could not be checked (nothing else about it is known),
    then a rejection, then an approval already made (a copy not recorded as taken down); "cleared" only
    when nothing blocks and at least one channel is cleared on the date asked about; anything else needs
    attention."""
    if take_down:
        return Badge.TAKE_DOWN
    if blockers.analysis_error:
        return Badge.UNREADABLE
    if blockers.rejected:
        return Badge.REJECTED
    if approved:
        return Badge.APPROVED
    if blockers.total == 0 and cleared_channels:
        return Badge.CLEARED
    return Badge.ATTENTION


def takedowns(
    approvals: Iterable[ApprovalRecord], consents_by_id: Mapping[str, Consent], on: date
) -> list[tuple[ApprovalRecord, str]]:
    """The approved copies of a photo that must come down on `on`, each with the reason in words.

    The ONE statement of the rule: a copy nobody has recorded as taken down (`ApprovalRecord.live`)
    that relied on a release which, on `on`, is withdrawn, erased or past its end date. A release the
    register no longer holds counts as lapsed. What the photo's faces are linked to now does not matter:
    the copy out there shows the people it showed when it was approved. Ids only, never names, so the
    reason survives an erasure without the person's data.
    """
    due = []
    for approval in approvals:
        if not approval.live:
            continue
        lapsed = []
        for consent_id in approval.consent_ids:
            consent = consents_by_id.get(consent_id)
            status = consent.effective_status(on) if consent is not None else ConsentStatus.ERASED
            if status is not ConsentStatus.ACTIVE:
                lapsed.append(f"{consent_id} ({_LAPSED_WORDS.get(status, str(status))})")
        if lapsed:
            where = ", ".join(approval.channels) or "no channel"
            due.append(
                (
                    approval,
                    f"Approval {approval.id} ({where}, approved {approval.approved_at[:10]}) relied on "
                    f"{', '.join(lapsed)}: take down its posts and delete the exported copy, then record "
                    "the take-down",
                )
            )
    return due


def takedown_reasons(
    approvals: Iterable[ApprovalRecord], consents_by_id: Mapping[str, Consent], on: date
) -> list[str]:
    """Why copies must come down (see `takedowns`), one sentence per approval; empty when none must."""
    return [reason for _approval, reason in takedowns(approvals, consents_by_id, on)]


_LAPSED_WORDS = {
    ConsentStatus.WITHDRAWN: "withdrawn",
    ConsentStatus.EXPIRED: "expired",
    ConsentStatus.ERASED: "erased",
}


def kind_words(kind: FindingKind) -> str:
    return _KIND_WORDS.get(kind, str(kind).replace("_", " "))


def known_channels(form_definitions: Iterable[FormDefinition]) -> list[str]:
    """Every channel id defined by the given forms, in form order, each once."""
    seen: list[str] = []
    for form in form_definitions:
        for option in form.channels:
            if option.id not in seen:
                seen.append(option.id)
    return seen


def _face_consent(face: FaceReview) -> str:
    return face.consent_id or "?"


def consent_defects(
    consent: Consent | None, consent_id: str, form: FormDefinition | None, on: date
) -> list[str]:
    """Why a consent cannot clear any face on `on`, whatever the channel (empty when it can).

    Each item finishes a sentence that starts with the consent id ("CD-X, whose consent was withdrawn
    …: blur the face or reject the image"). This is the ONE statement of these rules: clearance
    (`consent_problems`) and the consent picker's warning (`review.consent_warning`) both word it.
    """
    if consent is None:
        return ["which is not in the register: link the face to an existing release"]
    status = consent.effective_status(on)
    if status is ConsentStatus.ERASED:
        return ["whose record was erased: link another release, or blur the face"]
    if status is ConsentStatus.WITHDRAWN:
        when = f" on {consent.withdrawn_on.isoformat()}" if consent.withdrawn_on else ""
        return [f"whose consent was withdrawn{when}: blur the face or reject the image"]
    problems = []
    if status is ConsentStatus.EXPIRED:
        expired = consent.expires_on.isoformat() if consent.expires_on else "?"
        problems.append(
            f"whose consent expired on {expired} (posting date {on.isoformat()}): "
            "get a new release, or blur the face"
        )
    if not consent.has_signature:
        problems.append("which is not signed: get the release signed, or blur the face")
    if form is None:
        problems.append(
            f"signed on form {consent.form_name} version {consent.form_version}, "
            "which is not installed: reinstall ConsentDesk"
        )
    elif form.is_minor(consent.answers, consent.signed_at.date()) and not consent.has_guardian_signature:
        problems.append(
            "a minor's release with no guardian signature: get the guardian to sign, or blur the face"
        )
    return problems


def face_name(image_state: ImageState, n: int) -> str:
    """What face `n` is called in reasons: a clip's faces are person tracks ("Person 2"), a photo's
    faces are faces ("Face 2"); the number is the one `face`/`link` take on the command line either way."""
    return f"{'Person' if image_state.is_clip else 'Face'} {n}"


def consent_problems(
    who: str, consent: Consent | None, consent_id: str, form: FormDefinition | None, on: date
) -> list[str]:
    """Why a linked consent cannot clear face `who` ("Face 2") on `on`, whatever the channel (empty when it can)."""
    return [
        f"{who} is linked to {consent_id}, {defect}"
        for defect in consent_defects(consent, consent_id, form, on)
    ]


def channel_problems(
    who: str, consent: Consent, form: FormDefinition, channel: str, channel_label: str
) -> list[str]:
    """Why a (valid) consent does not cover `channel`, from the form version the person signed."""
    who = f"{who} is linked to {consent.id}"
    option = form.channel(channel)
    if option is None:
        return [
            f"{who}, signed on form version {form.version}, which has no {channel_label} channel: "
            "get a new release, or blur the face"
        ]
    problems = []
    if channel not in (consent.answers.get("channels") or []):
        # One reason per channel: the channel not ticked says it all (the form only lets a channel be
        # ticked with its use), so the missing use is not reported a second time in other words.
        problems.append(
            f"{who}, whose consent does not cover {channel_label}: choose another channel, or blur the face"
        )
    elif option.use and option.use not in (consent.answers.get("uses") or []):
        use = next((u.label for u in form.uses if u.id == option.use), option.use)
        problems.append(
            f"{who}, whose consent does not include the use '{use}' that {channel_label} needs: "
            "choose another channel, or blur the face"
        )
    return problems


def _form_for(consent: Consent | None, forms: Mapping[FormKey, FormDefinition]) -> FormDefinition | None:
    return forms.get((consent.form_name, consent.form_version)) if consent else None


def _link_problems(
    image_state: ImageState,
    face: FaceReview,
    consents_by_id: Mapping[str, Consent],
    forms: Mapping[FormKey, FormDefinition],
    on: date,
    channel: str | None = None,
    label: str = "",
) -> list[str]:
    """Why linked `face`'s release cannot clear it on `on` (`consent_problems`) and, when it can and a
    `channel` is given, why it does not cover that channel (`channel_problems`); empty when it does."""
    consent = consents_by_id.get(_face_consent(face))
    form = _form_for(consent, forms)
    who = face_name(image_state, face.n)
    problems = consent_problems(who, consent, _face_consent(face), form, on)
    if not problems and channel and consent is not None and form is not None:
        problems = channel_problems(who, consent, form, channel, label)
    return problems


def _image_problems(state: ImageState) -> list[str]:
    reasons = []
    if state.rejected:
        why = f" ({state.rejection_reason})" if state.rejection_reason else ""
        reasons.append(f"The image was rejected{why}: it is never to be posted")
    if state.analysis_id is None:
        reasons.append("The image has not been checked yet: run the analysis (re-import it)")
    elif state.analysis_error:
        reasons.append(
            f"The image could not be checked ({state.analysis_error}): fix or replace the file and re-import it"
        )
    return reasons


def _unresolved_face(who: str) -> str:
    return f"{who} has no consent: link it to a release, mark it 'blur on export' or 'not a person'"


def _unresolved_findings(state: ImageState) -> list[str]:
    return [
        f"Finding {f.n} ({kind_words(f.kind)}) is unresolved: redact it on export, or dismiss it with a reason"
        for f in state.findings
        if f.state is FindingState.UNRESOLVED and f.severity in BLOCKING_SEVERITIES
    ]


def channel_label(channel: str, forms: Iterable[FormDefinition]) -> str:
    for form in forms:
        option = form.channel(channel)
        if option is not None:
            return option.label
    return channel


def clearance(
    image_state: ImageState,
    consents_by_id: Mapping[str, Consent],
    form_definitions: Mapping[FormKey, FormDefinition],
    channel: str,
    on: date,
) -> Clearance:
    """Is the image cleared for `channel` on the posting date `on`? Raises `UnknownChannel`."""
    valid = known_channels(form_definitions.values())
    if channel not in valid:
        raise UnknownChannel(channel, valid)
    label = channel_label(channel, form_definitions.values())
    reasons = _image_problems(image_state)
    for face in image_state.people:
        if face.state is FaceState.UNRESOLVED:
            reasons.append(_unresolved_face(face_name(image_state, face.n)))
        elif face.state is FaceState.LINKED:
            reasons.extend(_link_problems(image_state, face, consents_by_id, form_definitions, on, channel, label))
    reasons.extend(_unresolved_findings(image_state))
    return Clearance(channel=channel, on=on, cleared=not reasons, reasons=reasons)


def clearances(
    image_state: ImageState,
    consents_by_id: Mapping[str, Consent],
    form_definitions: Mapping[FormKey, FormDefinition],
    channels: Iterable[str],
    on: date,
) -> dict[str, Clearance]:
    return {c: clearance(image_state, consents_by_id, form_definitions, c, on) for c in channels}


def blockers(
    image_state: ImageState,
    consents_by_id: Mapping[str, Consent],
    form_definitions: Mapping[FormKey, FormDefinition],
    on: date,
) -> Blockers:
    """What blocks the image on `on` whatever the channel: the counts shown in the "To verify" queue."""
    problems = 0
    for face in image_state.people:
        if face.state is FaceState.LINKED:
            problems += bool(_link_problems(image_state, face, consents_by_id, form_definitions, on))
    return Blockers(
        unresolved_faces=sum(f.state is FaceState.UNRESOLVED for f in image_state.people),
        unresolved_findings=len(_unresolved_findings(image_state)),
        consent_problems=problems,
        rejected=image_state.rejected,
        analysis_error=image_state.analysis_id is None or bool(image_state.analysis_error),
    )


def look_yourself(is_clip: bool = False) -> str:
    """What the reviewer is told beside the faces and findings of every photo and clip (the review panel,
    `consentdesk status`). Why: the background check finds about half of the lit screens in real photos
    and misses some papers and small text (README, "What the check finds, and what it still misses"), so an empty or
    short list of findings must never read as "nothing confidential here"; the reviewer's own look is the
    last check, and rejecting is the way out for what the check missed."""
    item = "clip" if is_clip else "photo"
    return (
        "The check can miss a screen, a paper or small text: look over the whole background too. "
        f"If anything confidential shows with no finding, reject the {item}."
    )


def summary(
    image_state: ImageState,
    consents_by_id: Mapping[str, Consent],
    form_definitions: Mapping[FormKey, FormDefinition],
    on: date,
    channel: str | None = None,
) -> str:
    """The reviewer's one-line prompt, e.g. "3 people detected, 2 with consent — 1 needs attention".

    "With consent" counts faces linked to a consent that is valid on `on` (and covers `channel` when one
    is given); blurred and not-a-person faces are accounted for; everything else needs attention. Findings
    that still block the photo are named too, so "all accounted for" never stands beside an unresolved NHS
    number. In a clip, person tracks joined to another ("same person as 3") are that one person.
    """
    faces = image_state.people
    open_findings = sum(
        1
        for f in image_state.findings
        if f.state is FindingState.UNRESOLVED and f.severity in BLOCKING_SEVERITIES
    )
    findings = (
        ""
        if not open_findings
        else "1 finding to resolve"
        if open_findings == 1
        else f"{open_findings} findings to resolve"
    )
    if not faces:
        return "No people detected" + (f" — {findings}" if findings else "")
    label = channel_label(channel, form_definitions.values()) if channel else ""
    with_consent = blurred = not_person = 0
    for face in faces:
        if face.state is FaceState.BLUR:
            blurred += 1
        elif face.state is FaceState.NOT_A_PERSON:
            not_person += 1
        elif face.state is FaceState.LINKED:
            with_consent += not _link_problems(
                image_state, face, consents_by_id, form_definitions, on, channel, label
            )
    attention = len(faces) - with_consent - blurred - not_person
    people = "1 person" if len(faces) == 1 else f"{len(faces)} people"
    parts = [f"{people} detected", f"{with_consent} with consent"]
    if blurred:
        parts.append(f"{blurred} to blur")
    if not_person:
        parts.append(f"{not_person} not a person")
    if attention:
        tail = f"{attention} needs attention" if attention == 1 else f"{attention} need attention"
    else:
        tail = "all people accounted for" if findings else "all accounted for"
    return ", ".join(parts) + f" — {tail}" + (f", {findings}" if findings else "")
