"""Review decisions as plain values: what a reviewer decided about each face, finding and image.

Why a module of its own: the catalogue stores these, the clearance rules (`policy`) judge them and the
GUI/CLI show them. Keeping them here, free of SQL and Qt, lets all three share one vocabulary without
importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from consentdesk.core.model import Box, FindingKind, Severity

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
    """One face of the current analysis with its newest decision."""

    face_id: int
    n: int
    box: Box
    score: float
    state: FaceState = FaceState.UNRESOLVED
    consent_id: str | None = None


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

    @property
    def linked_consent_ids(self) -> list[str]:
        """Consent ids linked to faces, in face order, each once."""
        seen: list[str] = []
        for face in self.faces:
            if face.state is FaceState.LINKED and face.consent_id and face.consent_id not in seen:
                seen.append(face.consent_id)
        return seen


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
