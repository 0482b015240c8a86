"""Plain values the catalogue returns for the lifecycle jobs (kept apart so catalogue.py can import them).

Frozen dataclasses, no behaviour: they cross into the GUI and serialise to JSON for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass


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
