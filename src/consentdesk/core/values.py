"""The plain values every part of ConsentDesk shares: photos, analyses, releases, review decisions and
what the data-protection jobs return.

Why one module: the catalogue stores these, the rules judge them, the PDFs print them and the GUI and CLI
show them. Keeping them together, free of SQL, Qt and I/O, lets every package share one vocabulary
without importing each other (any package may import this one; it imports nothing of ConsentDesk).
They are frozen dataclasses where they can be: they cross thread and process boundaries and serialise
to JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in original-image pixels (after EXIF orientation)."""

    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @classmethod
    def from_list(cls, values: list[int] | tuple[int, ...]) -> Box:
        x, y, w, h = (int(v) for v in values)
        return cls(x, y, w, h)

    @property
    def area(self) -> int:
        return max(0, self.w) * max(0, self.h)

    def iou(self, other: Box) -> float:
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union else 0.0


class FindingKind(StrEnum):
    NHS_NUMBER = "nhs_number"
    PERSON_NAME = "person_name"
    DATE_OF_BIRTH = "date_of_birth"
    POSTCODE = "postcode"
    ADDRESS = "address"
    PHONE = "phone"
    EMAIL = "email"
    DONATION_NUMBER = "donation_number"
    VEHICLE_PLATE = "vehicle_plate"
    BARCODE = "barcode"
    QR_CODE = "qr_code"
    SCREEN = "screen"
    DOCUMENT = "document"
    TEXT = "text"


class Severity(StrEnum):
    HIGH = "high"  # personal data: must be resolved before posting
    MEDIUM = "medium"  # codes, screens, documents, confidential words
    LOW = "low"  # legible but harmless-looking text, shown for awareness


@dataclass(frozen=True, slots=True)
class Face:
    box: Box
    score: float


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    box: Box
    text: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """What a video clip is: upright size (after the file's rotation), length, rate, codecs, sound."""

    path: str
    width: int
    height: int
    duration: float  # seconds
    frame_rate: float  # average frames per second
    frame_count: int
    video_codec: str
    rotation: int = 0  # clockwise degrees a viewer turns the stored frames (90 for a portrait phone clip)
    has_audio: bool = False
    audio_codec: str | None = None
    container: str = "mp4"
    variable_rate: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """Where a track is at one instant (seconds), in upright clip pixels; `seen` when a detector saw it
    there, otherwise motion carried the box from the last sighting."""

    t: float
    box: Box
    seen: bool
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class ClipTrack:
    """One person (or one finding) followed through one shot of a clip: boxes and times only."""

    points: tuple[TrackPoint, ...]
    shot: int = 0

    @property
    def first(self) -> float:
        """Seconds of the first sighting."""
        return next(p.t for p in self.points if p.seen)

    @property
    def last(self) -> float:
        """Seconds of the last sighting."""
        return next(p.t for p in reversed(self.points) if p.seen)

    @property
    def seen_times(self) -> list[float]:
        return [p.t for p in self.points if p.seen]

    @property
    def best(self) -> TrackPoint:
        """The sighting that makes the best thumbnail: the largest face, then the surest."""
        return max((p for p in self.points if p.seen), key=lambda p: (p.box.area * max(p.score, 0.3), -p.t))

    def to_rows(self) -> list[list[float]]:
        """Compact JSON form: [[t, x, y, w, h, seen], ...]."""
        return [[round(p.t, 4), p.box.x, p.box.y, p.box.w, p.box.h, int(p.seen)] for p in self.points]

    @classmethod
    def from_rows(cls, rows: list[list[float]], shot: int = 0) -> ClipTrack:
        return cls(
            tuple(
                TrackPoint(float(t), Box(int(x), int(y), int(w), int(h)), bool(seen))
                for t, x, y, w, h, seen in rows
            ),
            shot,
        )


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the analyser found in one image or clip; `error` set means the file could not be checked.

    For a clip, `clip` holds its facts and each face (finding) stands for a whole track: `face_tracks[i]`
    (`finding_tracks[i]`) is the track of `faces[i]` (`findings[i]`), whose box is its best sighting.
    """

    path: str
    width: int = 0
    height: int = 0
    faces: tuple[Face, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    analyser_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    clip: ClipInfo | None = None
    face_tracks: tuple[ClipTrack, ...] = ()
    finding_tracks: tuple[ClipTrack, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON Lines shape other tools consume (see `consentdesk analyse --json`); a clip's faces and
        findings also say their first and last second on screen, and `clip` gives its facts."""
        faces = [{"box": f.box.as_list(), "score": round(f.score, 4)} for f in self.faces]
        findings = [
            {"kind": str(f.kind), "text": f.text, "box": f.box.as_list(), "severity": str(f.severity)}
            for f in self.findings
        ]
        out: dict[str, Any] = {
            "path": self.path,
            "width": self.width,
            "height": self.height,
            "faces": faces,
            "findings": findings,
            "error": self.error,
            "analyser_version": self.analyser_version,
        }
        if self.clip is not None:
            out["clip"] = self.clip.to_json()
            for rows, tracks in ((faces, self.face_tracks), (findings, self.finding_tracks)):
                for row, track in zip(rows, tracks, strict=False):
                    row.update(first_s=round(track.first, 2), last_s=round(track.last, 2))
        return out


class ConsentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    ERASED = "erased"


@dataclass(frozen=True, slots=True)
class Consent:
    """A signed release record. Answers are keyed by the field ids of its form version."""

    id: str
    form_name: str
    form_version: int
    answers: dict[str, Any]
    signed_at: datetime
    expires_on: date | None
    created_by: str
    status: ConsentStatus = ConsentStatus.ACTIVE
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    has_signature: bool = False
    has_guardian_signature: bool = False
    has_reference_photo: bool = False
    source: str = "screen"  # screen, cli or paper

    @property
    def full_name(self) -> str:
        return str(self.answers.get("full_name", ""))

    def effective_status(self, on: date) -> ConsentStatus:
        """Expiry is derived from the end date on the day asked about, never stored."""
        if self.status is not ConsentStatus.ACTIVE:
            return self.status
        if self.expires_on is not None and on > self.expires_on:
            return ConsentStatus.EXPIRED
        return ConsentStatus.ACTIVE

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["signed_at"] = self.signed_at.isoformat()
        data["expires_on"] = self.expires_on.isoformat() if self.expires_on else None
        data["withdrawn_on"] = self.withdrawn_on.isoformat() if self.withdrawn_on else None
        data["status"] = str(self.status)
        return data


def reading_order(boxes: list[Box]) -> list[int]:
    """Indices of `boxes` top-to-bottom, then left-to-right, the way people number faces in a photo.

    Rows are formed from the top: a box whose vertical centre lies within the height the row's boxes
    cover joins that row, so people standing side by side are numbered left to right even when one
    stands higher, or is much smaller (further back), than the other; a box whose centre is below them
    all starts the next row.
    """
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].y + boxes[i].h / 2)
    rows: list[list[int]] = []
    top = bottom = 0.0  # the vertical span of the current row's boxes
    for i in order:
        box = boxes[i]
        centre = box.y + box.h / 2
        if rows and top <= centre <= bottom:
            rows[-1].append(i)
            top, bottom = min(top, box.y), max(bottom, box.y + box.h)
            continue
        rows.append([i])
        top, bottom = box.y, box.y + box.h
    return [i for row in rows for i in sorted(row, key=lambda j: boxes[j].x)]


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """An imported photo. The original file is referenced, never copied or modified."""

    id: int
    sha256: str
    path: str
    file_size: int
    width: int
    height: int
    captured_at: str | None
    camera: str | None
    shoot_id: int | None
    imported_at: str


@dataclass(frozen=True, slots=True)
class StoredFace:
    id: int
    n: int
    box: Box
    score: float


@dataclass(frozen=True, slots=True)
class StoredFinding:
    id: int
    n: int
    kind: FindingKind
    severity: Severity
    box: Box
    text: str  # as stored: personal data masked


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    """The current analysis of an image as kept in the catalogue, faces and findings numbered from 1."""

    id: int
    image_id: int
    analyser_version: str
    analysed_at: str
    error: str | None
    faces: tuple[StoredFace, ...]
    findings: tuple[StoredFinding, ...]


# --- review decisions ---------------------------------------------------------------------------------

R = TypeVar("R")
K = TypeVar("K")


def newest_by(rows: Iterable[R], key: Callable[[R], K]) -> dict[K, R]:
    """The decision that counts for each face or finding: decisions are only ever added, and the newest
    (highest id) wins, so an earlier one stays as history. Rows need an `id` attribute."""
    newest: dict[K, R] = {}
    for row in rows:
        k = key(row)
        if k not in newest or row.id > newest[k].id:  # type: ignore[attr-defined]
            newest[k] = row
    return newest


class FaceState(StrEnum):
    UNRESOLVED = "unresolved"
    LINKED = "linked"  # linked to a consent record
    BLUR = "blur"  # pixelated on export
    NOT_A_PERSON = "not_a_person"  # poster, screen, statue, or not identifiable


class FindingState(StrEnum):
    UNRESOLVED = "unresolved"
    REDACT = "redact"  # solid-filled on export
    DISMISSED = "dismissed"  # harmless; a reason is required


#: A decision in words, for messages (the enum values are codes: "not_a_person").
STATE_WORDS = {
    "unresolved": "waiting for a decision",
    "linked": "linked",
    "blur": "to be blurred on export",
    "not_a_person": "marked not a person",
    "redact": "to be redacted on export",
    "dismissed": "dismissed",
}


@dataclass(frozen=True, slots=True)
class FaceReview:
    """One face of the current analysis with its newest decision.

    In a clip, a person track a reviewer said is the same person as track `same_as` (its number) follows
    that track's decision: `state` and `consent_id` are the joined track's, whatever it had before."""

    face_id: int
    n: int
    box: Box
    score: float
    state: FaceState = FaceState.UNRESOLVED
    consent_id: str | None = None
    same_as: int | None = None


@dataclass(frozen=True, slots=True)
class FindingReview:
    """One finding of the current analysis with its newest decision; `text` is the stored, masked text."""

    finding_id: int
    n: int
    kind: FindingKind
    severity: Severity
    box: Box
    text: str
    state: FindingState = FindingState.UNRESOLVED
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ImageState:
    """Everything the clearance rules need to know about one image (besides the consents themselves)."""

    image_id: int
    analysis_id: int | None
    analysis_error: str | None
    faces: tuple[FaceReview, ...] = ()
    findings: tuple[FindingReview, ...] = ()
    rejected: bool = False
    rejection_reason: str | None = None
    #: A clip: its faces are person tracks, and the rules' reasons call them "Person N".
    is_clip: bool = False

    @property
    def people(self) -> tuple[FaceReview, ...]:
        """The faces that are people of their own: in a clip, tracks joined to another track ("same person
        as 3") are that person, counted and decided once, with the track they joined."""
        return tuple(f for f in self.faces if f.same_as is None)

    @property
    def linked_consent_ids(self) -> list[str]:
        """Consent ids linked to faces, in face order, each once."""
        seen: list[str] = []
        for face in self.faces:
            if face.state is FaceState.LINKED and face.consent_id and face.consent_id not in seen:
                seen.append(face.consent_id)
        return seen


@dataclass(frozen=True, slots=True)
class TakenDown:
    """Someone recorded that every export and post of an approval was removed (it is then no longer live)."""

    approval_id: str
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """A stored approval: one exported, cleaned copy for one or more channels."""

    id: str
    image_id: int
    approved_at: str
    approved_by: str
    posting_date: date
    export_path: str
    export_sha256: str
    consent_ids: tuple[str, ...]
    channels: tuple[str, ...]
    taken_down: TakenDown | None = None

    @property
    def live(self) -> bool:
        """Its copy may be out there: nobody has recorded it taken down."""
        return self.taken_down is None


# --- what the catalogue returns for the data-protection jobs ------------------------------------------


@dataclass(frozen=True, slots=True)
class LapsedLink:
    """An image face linked to a consent that no longer covers anything on `today`."""

    image_id: int
    consent_id: str
    status: str  # withdrawn, erased or expired


@dataclass(frozen=True, slots=True)
class LapsedApproval:
    """An approved copy, not recorded as taken down, that relied on a release lapsed on `today`."""

    approval_id: str
    image_id: int
    consent_id: str
    status: str  # withdrawn, erased or expired


@dataclass(frozen=True, slots=True)
class ErasureCounts:
    """What erasure removed; ids and counts only, so it can go into the audit trail as is."""

    consent_id: str
    face_links_removed: int
    images_blocked: tuple[int, ...]
    files_removed: int
    scans_removed: int


@dataclass(frozen=True, slots=True)
class PaperScan:
    """A stored scan of one page of a paper form (without its bytes; see Catalogue.paper_scan_data)."""

    id: int
    form_id: str
    page: int
    source_name: str
    mime: str
    sha256: str
    scanned_at: str
    scanned_by: str
    consent_id: str | None  # the record with this form id, or None while it awaits data entry


@dataclass(frozen=True, slots=True)
class TakedownItem:
    """One affected image and every approved export of it."""

    image: ImageRecord
    face_numbers: tuple[int, ...]
    approvals: tuple[ApprovalRecord, ...]
    #: For a clip: (track number, first second, last second) of each of the person's tracks; () for a photo.
    seen: tuple[tuple[int, float, float], ...] = ()
    is_clip: bool = False

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted({c for a in self.approvals for c in a.channels}))

    @property
    def seen_words(self) -> str:
        """'person 1 seen 0.0–3.0 s; person 4 seen 12.5–14.0 s' for a clip, '' for a photo."""
        return seen_words(self.seen)


def clock(seconds: float, tenths: bool = True) -> str:
    """Seconds into a clip as m:ss.s (0:03.4, 1:12.0), or m:ss without tenths (a timeline's ticks): a
    position as players and people read it."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:04.1f}" if tenths else f"{int(minutes)}:{int(rest):02d}"


def seen_words(spans: tuple[tuple[int, float, float], ...]) -> str:
    """(track number, first second, last second) in words: 'person 1 seen 0.0–3.0 s; person 4 seen …'."""
    return "; ".join(f"person {n} seen {first:.1f}–{last:.1f} s" for n, first, last in spans)


@dataclass(frozen=True, slots=True)
class TakedownList:
    consent: Consent
    items: tuple[TakedownItem, ...]

    @property
    def exported(self) -> tuple[TakedownItem, ...]:
        """Images that were approved and exported: these are the ones that may already be posted."""
        return tuple(i for i in self.items if i.approvals)


@dataclass(frozen=True, slots=True)
class SarImage:
    image_id: int
    captured_at: str | None
    approvals: tuple[ApprovalRecord, ...]
    bundle_name: str | None  # path inside the zip, or None when the photo could not be included
    problem: str | None = None
    #: For a clip: the first and last second the person is seen in it; None for a photo.
    seen: tuple[float, float] | None = None
    #: A clip made from the team register's low-resolution proxy (its original is on another computer).
    low_resolution: bool = False

    @property
    def is_clip(self) -> bool:
        return self.seen is not None


@dataclass(slots=True)
class SarContents:
    """What went into the bundle; the GUI shows it and the summary PDF is written from it."""

    consent: Consent
    files: list[str] = field(default_factory=list)
    scans: list[PaperScan] = field(default_factory=list)
    images: list[SarImage] = field(default_factory=list)
    audit_entries: int = 0
    names: list[str] = field(default_factory=list)  # every file in the zip
