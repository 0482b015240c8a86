"""Reviewing an image before posting: decisions on faces, findings and the image, and its clearance.

Why this module: the GUI review view and the command line make the same decisions and ask the same
questions, so both call these functions (Qt-free, one catalogue transaction per decision). Faces and
findings are addressed by their number `n` in the CURRENT analysis (reading order, from 1), the same
numbers the reviewer sees on the overlays. Decisions are appended, never edited; the newest one counts.
The rules themselves live in `policy` (pure); this module only gathers their inputs from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from consentdesk.core import ids
from consentdesk.core.consent.releases import with_paper_signatures
from consentdesk.core.forms import FormDefinition, FormDefinitionError, installed_versions, load_form
from consentdesk.core.review import policy
from consentdesk.core.store import Catalogue, ConsentQuery
from consentdesk.core.values import (
    ApprovalRecord,
    Consent,
    ConsentStatus,
    FaceReview,
    FaceState,
    FindingReview,
    FindingState,
    ImageRecord,
    ImageState,
    TakenDown,
)

#: The release form; its installed versions together define the channels a reviewer can choose from.
CURRENT_FORM = "model_release"


class ReviewError(Exception):
    """A decision that cannot be recorded; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class ChannelReasons:
    """One reason and every channel it blocks; `names_channels` when the text itself names them."""

    channels: tuple[str, ...]
    text: str
    names_channels: bool


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    """An image's review state and its clearance for each channel on the posting date."""

    image: ImageRecord
    state: ImageState
    on: date
    consents: dict[str, Consent]
    channels: list[str]
    clearances: dict[str, policy.Clearance]
    summary: str
    blockers: policy.Blockers
    channel_labels: dict[str, str] = field(default_factory=dict)
    approvals: tuple[ApprovalRecord, ...] = ()
    #: Why approved copies must come down on `on` (`policy.takedowns`); empty when none must.
    takedown: tuple[str, ...] = ()
    #: The approvals whose copies must come down, in the order of `takedown`.
    to_take_down: tuple[ApprovalRecord, ...] = ()

    @property
    def cleared_channels(self) -> list[str]:
        return [c for c in self.channels if self.clearances[c].cleared]

    def link_holds(self, face: FaceReview) -> bool:
        """A linked face whose release can clear it on `on` (not withdrawn, expired, erased, unsigned…):
        a link that no longer holds is not shown as settled, on the photo or in any list."""
        consent = self.consents.get(face.consent_id or "")
        return consent is not None and consent_warning(consent, self.on) is None

    def face_state(self, face: FaceReview) -> str:
        """The state a face is drawn in: its decision, or "linked_invalid" for a link that does not hold."""
        if face.state is FaceState.LINKED and not self.link_holds(face):
            return "linked_invalid"
        return str(face.state)

    def finding_state(self, finding: FindingReview) -> str:
        """The state a finding is drawn in: its decision, or "info" for legible but harmless text still
        undecided (a severity the rules do not block on): it needs no decision, and is not "dismissed"."""
        if finding.state is FindingState.UNRESOLVED and finding.severity not in policy.BLOCKING_SEVERITIES:
            return "info"
        return str(finding.state)

    def badge(self, approved: bool | None = None) -> policy.Badge:
        """The image's badge on `on`. `approved` (default: a copy is on record and not taken down) is
        only for callers that know better."""
        live = any(a.live for a in self.approvals) if approved is None else approved
        return policy.badge(self.blockers, self.cleared_channels, live, bool(self.takedown))

    def channel_reasons(self) -> list[ChannelReasons]:
        """The reasons that block only some channels, each said once for all the channels it blocks.

        "does not cover Facebook", "does not cover Instagram"… become one "does not cover Facebook,
        Instagram or X (Twitter)", so `status` does not repeat one sentence per channel.
        """
        common = self.common_reasons()
        groups: dict[str, list[str]] = {}
        named: dict[str, bool] = {}
        for channel in self.channels:
            label = self.channel_labels.get(channel, channel)
            pattern = re.compile(rf"(?<!\w){re.escape(label)}(?!\w)")
            for reason in self.clearances[channel].reasons:
                if reason in common:
                    continue
                key = pattern.sub("\0", reason, count=1)
                groups.setdefault(key, []).append(channel)
                named[key] = key != reason
        out = []
        for key, channels in groups.items():
            labels = [self.channel_labels.get(c, c) for c in channels]
            joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
            out.append(ChannelReasons(tuple(channels), key.replace("\0", joined), named[key]))
        return out

    def common_reasons(self) -> list[str]:
        """Reasons that block every channel asked about, in the order the rules give them."""
        if not self.channels:
            return []
        first = self.clearances[self.channels[0]].reasons
        return [r for r in first if all(r in self.clearances[c].reasons for c in self.channels[1:])]


@dataclass(frozen=True, slots=True)
class ConsentSuggestion:
    """A candidate release for the face picker; `why` says why it is offered, `warning` if it cannot clear."""

    consent: Consent
    why: str
    rank: int  # 0 already linked in this shoot, 1 same day and location, 2 same day, 3 text search
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One image in the "To verify" list with the counts of what blocks it."""

    image: ImageRecord
    blockers: policy.Blockers
    summary: str
    badge: policy.Badge = policy.Badge.ATTENTION
    takedown: tuple[str, ...] = ()


# --- reading ------------------------------------------------------------------------------------------


def form_definitions(consents: Iterable[Consent]) -> dict[policy.FormKey, FormDefinition]:
    """Every installed version of the release form (together they define the channel list, see
    `all_channels`) plus each consent's own form version.

    A version that is not installed is left out; the rules then say so for the faces linked to it.
    """
    forms: dict[policy.FormKey, FormDefinition] = {
        (form.name, form.version): form for form in installed_versions(CURRENT_FORM)
    }
    for consent in consents:
        key = (consent.form_name, consent.form_version)
        if key not in forms:
            try:
                forms[key] = load_form(*key)
            except FormDefinitionError:
                continue
    return forms


def all_channels() -> list[str]:
    """The channels a reviewer can ask about: those of every installed release form version, newest
    version's first. The same list `policy.clearance` accepts, so the CLI and the app refuse the same."""
    return policy.known_channels(form_definitions(()).values())


def _linked_consents(
    catalogue: Catalogue, state: ImageState, approvals: Sequence[ApprovalRecord] = ()
) -> dict[str, Consent]:
    """The releases the faces are linked to, and those the photo's approvals relied on."""
    wanted = {*state.linked_consent_ids, *(cid for a in approvals for cid in a.consent_ids)}
    found = catalogue.consents_by_id(sorted(wanted))
    return {cid: with_paper_signatures(catalogue, consent) for cid, consent in found.items()}


def image_state(catalogue: Catalogue, image_id: int) -> ImageState:
    try:
        return catalogue.review_state(image_id)
    except KeyError:
        raise ReviewError(
            f"there is no image {image_id} in the catalogue; `consentdesk images` lists them"
        ) from None


def status(
    catalogue: Catalogue, image_id: int, on: date | None = None, channels: Sequence[str] | None = None
) -> ReviewStatus:
    """Clearance of the image for `channels` (default: every channel) on `on` (default: today).

    Raises `policy.UnknownChannel` for a channel no installed form defines.
    """
    on = on or date.today()
    state = image_state(catalogue, image_id)
    approvals = tuple(catalogue.review_approvals(image_id))
    consents = _linked_consents(catalogue, state, approvals)
    forms = form_definitions(consents.values())
    wanted = list(channels) if channels else policy.known_channels(forms.values())
    clearances = policy.clearances(state, consents, forms, wanted, on)
    due = policy.takedowns(approvals, consents, on)
    return ReviewStatus(
        image=catalogue.get_image(image_id),
        state=state,
        on=on,
        consents=consents,
        channels=wanted,
        clearances=clearances,
        summary=policy.summary(state, consents, forms, on, wanted[0] if len(wanted) == 1 else None),
        blockers=policy.blockers(state, consents, forms, on),
        channel_labels={c: policy.channel_label(c, forms.values()) for c in wanted},
        approvals=approvals,
        takedown=tuple(reason for _a, reason in due),
        to_take_down=tuple(a for a, _reason in due),
    )


def image_badge(catalogue: Catalogue, image_id: int, on: date | None = None) -> policy.Badge:
    """The badge of one image on `on` (default today): what the library, `queue` and `images` show."""
    return status(catalogue, image_id, on).badge()


@dataclass(frozen=True, slots=True)
class ImageRow:
    """One photo of the `images` list: its badge, as the library shows it, and what was found in it."""

    image: ImageRecord
    badge: policy.Badge
    faces: int
    confidential: tuple[str, ...]  # kinds of the findings above "low", in reading order


def image_rows(catalogue: Catalogue, images: Sequence[ImageRecord], on: date | None = None) -> list[ImageRow]:
    """The rows of a page of photos in a few queries (the badge as `image_badge` gives it, without its
    per-photo lookups); photos removed meanwhile are left out."""
    on = on or date.today()
    ids = [image.id for image in images]
    states = catalogue.review_states(ids)
    approvals = catalogue.approvals_of(ids)
    rows = []
    for image in images:
        state = states.get(image.id)
        if state is None:
            continue
        judged = _judge(catalogue, state, approvals[image.id], on)
        confidential = tuple(f.kind.value for f in state.findings if f.severity.value != "low")
        rows.append(ImageRow(image, judged.badge, len(state.people), confidential))
    return rows


def queue(
    catalogue: Catalogue, on: date | None = None, *, limit: int | None = None, offset: int = 0
) -> list[QueueItem]:
    """The "To verify" list: images neither approved nor rejected, by shoot and capture date.

    `limit`/`offset` give one page of it, so a screen or a script looks only at what it shows; the whole
    list's length is `catalogue.count_images_to_verify()`.
    """
    on = on or date.today()
    images = catalogue.images_to_verify(limit=limit, offset=offset, today=on)
    ids = [image.id for image in images]
    states = catalogue.review_states(ids)  # a page in a few queries
    approvals = catalogue.approvals_of(ids)
    return [
        queue_item(catalogue, image, on, state=states[image.id], approvals=approvals[image.id])
        for image in images
        if image.id in states
    ]


def queue_item(
    catalogue: Catalogue,
    image: ImageRecord,
    on: date | None = None,
    *,
    state: ImageState | None = None,
    approvals: Sequence[ApprovalRecord] | None = None,
) -> QueueItem:
    """One entry of the "To verify" list, so a page of the list can be computed without the rest. The
    list holds photos without a live approval, and approved photos with a copy to take down."""
    on = on or date.today()
    state = state or catalogue.review_state(image.id)
    approvals = catalogue.review_approvals(image.id) if approvals is None else approvals
    judged = _judge(catalogue, state, approvals, on)
    return QueueItem(
        image=image,
        blockers=judged.blockers,
        summary=policy.summary(state, judged.consents, judged.forms, on),
        badge=judged.badge,
        takedown=judged.takedown,
    )


@dataclass(frozen=True, slots=True)
class _Judged:
    """What a list row of one photo shows, judged as `status` judges it."""

    consents: dict[str, Consent]
    forms: dict[policy.FormKey, FormDefinition]
    blockers: policy.Blockers
    badge: policy.Badge
    takedown: tuple[str, ...]


def _judge(catalogue: Catalogue, state: ImageState, approvals: Sequence[ApprovalRecord], on: date) -> _Judged:
    """A list row's badge without `status`'s per-photo lookups: the clearances are only asked for when
    nothing blocks (otherwise the badge cannot be "cleared"), and a copy that must come down says so
    whatever else is true (`policy.badge`)."""
    consents = _linked_consents(catalogue, state, approvals)
    forms = form_definitions(consents.values())
    blockers = policy.blockers(state, consents, forms, on)
    cleared = []
    if blockers.total == 0:
        channels = policy.known_channels(forms.values())
        cleared = [c for c, cl in policy.clearances(state, consents, forms, channels, on).items() if cl.cleared]
    takedown = tuple(policy.takedown_reasons(approvals, consents, on))
    live = any(a.live for a in approvals)
    return _Judged(consents, forms, blockers, policy.badge(blockers, cleared, live, bool(takedown)), takedown)


# --- deciding -----------------------------------------------------------------------------------------


def _no_such(image_id: int, what: str, count: int, n: int) -> str:
    """e.g. "image 3 has faces 1 to 3; there is no face 7", "image 3 has only face 1; there is no face 2"."""
    if count == 0:
        detected = "detected faces" if what == "face" else "findings"
        return f"image {image_id} has no {detected}"
    if count == 1:
        return f"image {image_id} has only {what} 1; there is no {what} {n}"
    if count == 2:
        return f"image {image_id} has {what}s 1 and 2; there is no {what} {n}"
    return f"image {image_id} has {what}s 1 to {count}; there is no {what} {n}"


def _face(state: ImageState, n: int) -> FaceReview:
    for face in state.faces:
        if face.n == n:
            return face
    raise ReviewError(_no_such(state.image_id, "face", len(state.faces), n))


def _decidable(state: ImageState, n: int) -> FaceReview:
    """Face `n`, unless it is a clip's track joined to another: that person is decided on their first track."""
    face = _face(state, n)
    if face.same_as is not None:
        raise ReviewError(
            f"person {n} is the same person as {face.same_as}: decide on {face.same_as}, or make {n} a separate "
            "person again first"
        )
    return face


def _finding(state: ImageState, n: int) -> FindingReview:
    for finding in state.findings:
        if finding.n == n:
            return finding
    raise ReviewError(_no_such(state.image_id, "finding", len(state.findings), n))


def consent_warning(consent: Consent, on: date) -> str | None:
    """Why a consent that may be linked will still not clear an image on `on`, or None.

    Worded from `policy.consent_defects`, the very rules clearance applies, so the picker warns about
    everything (withdrawn, expired, unsigned, a minor's release without the guardian's signature…).
    `consent` must be read as clearance reads it: a paper record through `with_paper_signatures` (done by
    `status` and `suggest_consents`), or a paper form whose scan is attached is called unsigned.
    """
    form = form_definitions([consent]).get((consent.form_name, consent.form_version))
    defects = policy.consent_defects(consent, consent.id, form, on)
    if not defects:
        return None
    return "The image will not be cleared while this face is linked to " + "; ".join(
        [f"{consent.id}, {defects[0]}", *defects[1:]]
    )


def link_face(
    catalogue: Catalogue,
    image_id: int,
    n: int,
    consent_id: str,
    on: date | None = None,
    *,
    seen: ImageState | None = None,
) -> str | None:
    """Link face `n` to a consent record. Returns a warning when the link cannot clear the image
    (withdrawn, expired, unsigned); refuses an unknown or erased record.

    `seen` is the state a person's screen showed: if someone else decided about this face since, the
    decision is refused (`ConflictError`) instead of silently overwriting theirs.
    """
    state = seen or image_state(catalogue, image_id)
    face = _decidable(state, n)
    canonical = ids.normalise(consent_id) or consent_id.strip().upper()
    consent = catalogue.find_consent(canonical)
    if consent is None:
        raise ReviewError(
            f"there is no consent record {consent_id}; check the id on the form "
            "(`consentdesk consent list` shows them)"
        )
    if consent.status is ConsentStatus.ERASED:
        raise ReviewError(
            f"consent {consent.id} was erased and cannot be linked; blur the face or find another release"
        )
    catalogue.add_face_decision(image_id, face, FaceState.LINKED, consent.id, seen=face if seen else None)
    return consent_warning(with_paper_signatures(catalogue, consent), on or date.today())


def set_face(
    catalogue: Catalogue, image_id: int, n: int, state: FaceState, *, seen: ImageState | None = None
) -> None:
    """Mark face `n` 'blur', 'not_a_person' or back to 'unresolved' (use `link_face` to link); `seen` as
    for `link_face`."""
    if state is FaceState.LINKED:
        raise ReviewError("to link a face, give the consent id (link_face)")
    face = _decidable(seen or image_state(catalogue, image_id), n)
    catalogue.add_face_decision(image_id, face, state, None, seen=face if seen else None)


def set_faces(
    catalogue: Catalogue, image_id: int, ns: Sequence[int], state: FaceState, *, seen: ImageState | None = None
) -> list[int]:
    """Mark several faces of one photo 'blur', 'not_a_person' or 'unresolved' at once (a crowd's
    selection), as one decision; returns the numbers changed (faces already in that state are left as
    they are, and so are a clip's tracks joined to another: they follow that person's decision). `seen`
    as for `link_face`: if someone changed any of them since, nothing is saved."""
    if state is FaceState.LINKED:
        raise ReviewError("to link a face, give the consent id (link_face)")
    current = seen or image_state(catalogue, image_id)
    faces = [_face(current, n) for n in dict.fromkeys(ns)]
    changing = [f for f in faces if f.state is not state and f.same_as is None]
    catalogue.add_face_decisions(image_id, changing, state, check_seen=seen is not None)
    return [f.n for f in changing]


def blur_others(catalogue: Catalogue, image_id: int, *, seen: ImageState | None = None) -> list[int]:
    """Blur everyone not linked to a release: every face still needing a decision is marked 'blur on
    export' (faces linked to a release, already blurred or marked not a person are left as they are).
    The crowd behind the people who signed: choose who stays, blur the rest. Returns the numbers blurred."""
    current = seen or image_state(catalogue, image_id)
    others = [f.n for f in current.faces if f.state is FaceState.UNRESOLVED]
    if not others:
        return []
    return set_faces(catalogue, image_id, others, FaceState.BLUR, seen=seen)


def same_person(
    catalogue: Catalogue, image_id: int, n: int, as_n: int, *, seen: ImageState | None = None
) -> int:
    """Say that person track `n` of a clip is the same person as track `as_n` ("same person as 3"): the
    tracker lost them (behind someone, out of frame) and found them again as a new track. From then on `n`
    follows `as_n`'s decision (a blur destroys both on export) and the clip counts them as one person.
    Returns the number of the track `n` joined: when `as_n` was itself joined to another, that one.
    Undo with `separate_person`. `seen` as for `link_face`."""
    state = seen or image_state(catalogue, image_id)
    face, target = _face(state, n), _face(state, as_n)
    root = _face(state, target.same_as) if target.same_as is not None else target
    if root.n == n or face.same_as == root.n:
        raise ReviewError(f"person {n} and person {as_n} are already the same person")
    if catalogue.stored_clip(image_id) is None:
        raise ReviewError(f"image {image_id} is a photo: only the person tracks of a clip can be the same person")
    catalogue.add_track_merge(image_id, face, root, seen=face if seen else None)
    return root.n


def separate_person(catalogue: Catalogue, image_id: int, n: int, *, seen: ImageState | None = None) -> None:
    """Undo `same_person`: track `n` is a person of their own again, with the decision it had before (an
    unresolved track needs a decision again before the clip can be cleared)."""
    face = _face(seen or image_state(catalogue, image_id), n)
    if face.same_as is None:
        raise ReviewError(f"person {n} is not joined to another track; nothing to undo")
    catalogue.add_track_merge(image_id, face, None, seen=face if seen else None)


def set_finding(
    catalogue: Catalogue,
    image_id: int,
    n: int,
    state: FindingState,
    reason: str | None = None,
    *,
    seen: ImageState | None = None,
) -> None:
    """Mark finding `n` 'redact', 'dismissed' (a reason is required) or back to 'unresolved'; `seen` as
    for `link_face`."""
    reason = (reason or "").strip() or None
    if state is FindingState.DISMISSED and not reason:
        raise ReviewError("say why the finding is harmless to dismiss it (a reason is required)")
    finding = _finding(seen or image_state(catalogue, image_id), n)
    catalogue.add_finding_decision(
        image_id,
        finding,
        state,
        reason if state is FindingState.DISMISSED else None,
        seen=finding if seen else None,
    )


def record_takedown(
    catalogue: Catalogue, image_id: int, approval_ids: Sequence[str] | None = None, on: date | None = None
) -> list[TakenDown]:
    """Record that the exports and posts of these approvals of the photo were removed (default: every
    approval whose copy must come down on `on`, see `policy.takedowns`). Any live approval of the photo
    may be named (a post removed for another reason); one already recorded or of another photo is refused,
    and nothing is recorded then."""
    current = status(catalogue, image_id, on)
    live = {a.id: a for a in current.approvals if a.live}
    wanted = list(approval_ids) if approval_ids else [a.id for a in current.to_take_down]
    if not wanted:
        raise ReviewError(
            f"no approved copy of image {image_id} has to come down"
            + ("" if current.approvals else "; it was never approved")
        )
    unknown = [a for a in wanted if a not in live]
    if unknown:
        known = ", ".join(live) or "none"
        raise ReviewError(
            f"{', '.join(unknown)} is not a live approval of image {image_id} (live approvals: {known})"
        )
    return [catalogue.record_takedown(approval_id) for approval_id in wanted]


def reject(catalogue: Catalogue, image_id: int, reason: str) -> None:
    """Reject the whole image: it leaves the "To verify" list and can never be approved until reopened."""
    reason = reason.strip()
    if not reason:
        raise ReviewError("say why the image is rejected (a reason is required)")
    image_state(catalogue, image_id)
    catalogue.add_image_review(image_id, "rejected", reason)


def reopen(catalogue: Catalogue, image_id: int) -> None:
    """Undo a rejection."""
    image_state(catalogue, image_id)
    catalogue.add_image_review(image_id, "open", None)


# --- the consent picker -------------------------------------------------------------------------------


def _capture_day(image: ImageRecord) -> date | None:
    for value in (image.captured_at, image.imported_at):
        if value:
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                continue
    return None


def suggest_consents(
    catalogue: Catalogue, image_id: int, text: str = "", on: date | None = None, limit: int = 50
) -> list[ConsentSuggestion]:
    """Candidates for linking a face of this image, most likely first.

    1. consents already linked to other photos of the same shoot (most photos first);
    2. consents signed (or with a session date) on the capture day at a location the shoot's linked
       consents share; 3. other consents of that day; 4. if `text` is given, a search of name, id,
    location and photographer. Erased records are never offered; withdrawn/expired ones carry a warning.
    """
    on = on or date.today()
    image_state(catalogue, image_id)  # a plain error for an unknown image
    image = catalogue.get_image(image_id)
    out: list[ConsentSuggestion] = []
    seen: set[str] = set()

    def offer(consent: Consent, why: str, rank: int) -> None:
        if consent.id in seen or consent.status is ConsentStatus.ERASED:
            return
        seen.add(consent.id)
        consent = with_paper_signatures(catalogue, consent)
        out.append(ConsentSuggestion(consent, why, rank, consent_warning(consent, on)))

    shoot_locations: set[str] = set()
    if image.shoot_id is not None:
        for consent_id, photos in catalogue.consents_linked_in_shoot(image.shoot_id).items():
            consent = catalogue.find_consent(consent_id)
            if consent is None:
                continue
            location = consent.answers.get("location")
            if location:
                shoot_locations.add(str(location))
            offer(consent, f"linked in {photos} photo{'' if photos == 1 else 's'} of this shoot", 0)
    day = _capture_day(image)
    if day is not None:
        same_day = catalogue.consents_of_day(day)
        for consent in same_day:
            if str(consent.answers.get("location", "")) in shoot_locations:
                offer(consent, f"signed on {day.isoformat()} at {consent.answers.get('location')}", 1)
        for consent in same_day:
            offer(consent, f"signed on {day.isoformat()}", 2)
    if text.strip():
        for consent in catalogue.list_consents(ConsentQuery(text=text.strip(), today=on)):
            offer(consent, f"matches “{text.strip()}”", 3)
    return out[:limit]
