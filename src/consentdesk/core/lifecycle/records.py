"""Plain values the catalogue returns for the lifecycle jobs (kept apart so catalogue.py can import them).

Frozen dataclasses, no behaviour: they cross into the GUI and serialise to JSON for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from consentdesk.core.model import Box


@dataclass(frozen=True, slots=True)
class FaceLink:
    """A face of an image's current analysis and the reviewer's current decision about it."""

    face_id: int
    n: int
    box: Box
    state: str  # unresolved (also when nobody decided yet), linked, blur, not_a_person
    consent_id: str | None


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """One approved export of an image: where the cleaned copy went and for which channels."""

    id: str
    image_id: int
    approved_at: str
    approved_by: str
    posting_date: str
    export_path: str
    export_sha256: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LapsedLink:
    """An image face linked to a consent that no longer covers anything on `today`."""

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
