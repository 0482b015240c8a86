"""Domain objects shared by the catalogue, analysis, policy, PDFs, CLI and UI.

Plain frozen dataclasses: they cross thread and process boundaries and serialise to JSON, so they
carry values only, never behaviour that needs Qt or a database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


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
class Analysis:
    """What the analyser found in one image; `error` set means the file could not be checked."""

    path: str
    width: int = 0
    height: int = 0
    faces: tuple[Face, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    analyser_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON Lines shape other tools consume (see `consentdesk analyse --json`)."""
        return {
            "path": self.path,
            "width": self.width,
            "height": self.height,
            "faces": [{"box": f.box.as_list(), "score": round(f.score, 4)} for f in self.faces],
            "findings": [
                {"kind": str(f.kind), "text": f.text, "box": f.box.as_list(), "severity": str(f.severity)}
                for f in self.findings
            ],
            "error": self.error,
            "analyser_version": self.analyser_version,
        }


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
