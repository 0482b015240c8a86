"""Erasure (right to be forgotten): remove a person's data and leave only an id-only tombstone.

What is removed: the answers (blanked to `{}`), signatures and reference photos, paper scans of their
form, free-text reasons on their status events, and every face link to them. What stays: the record id
with status 'erased' and its dates (so the audit trail still makes sense and the id is never reissued),
and the audit entries, which hold ids and counts only. Images they were in are blocked on every channel
(their faces become unresolved and the image is marked rejected) until someone reviews them again.

SQLite keeps deleted rows in free pages and old page images in the WAL, so the file is compacted
afterwards (checkpoint, VACUUM, checkpoint) with secure_delete on. Copies made earlier (backups, the
`.vN.bak` kept before an upgrade, `.before-restore-*`) still hold the data; they are listed so the
operator can deal with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from consentdesk.core.photos import cache
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ErasureCounts


@dataclass(frozen=True, slots=True)
class ErasureReport:
    counts: ErasureCounts
    compacted: bool  # False: leftovers of the erased data may remain in the engine's files (see `advice`)
    older_copies: tuple[Path, ...]  # files beside the catalogue that may still hold the erased data
    advice: str | None = None  # what to do when not compacted


def older_copies(catalogue_path: Path | None) -> tuple[Path, ...]:
    """Copies ConsentDesk itself makes beside a catalogue file (upgrade and restore backups); a team
    register keeps none on this computer (its server's backups are the administrator's to manage)."""
    if catalogue_path is None:
        return ()
    folder, name = catalogue_path.parent, catalogue_path.name
    found = [*folder.glob(f"{name}.v*.bak"), *folder.glob(f"{name}.before-restore-*")]
    return tuple(sorted(found))


def erase(catalogue: Catalogue, consent_id: str, today: date | None = None) -> ErasureReport:
    """Erase one person's record (see the module docstring for exactly what goes and what stays)."""
    counts = catalogue.erase_consent(consent_id, today or date.today())
    shown = catalogue.images_by_id(list(counts.images_blocked))
    cache.forget_cached({image.sha256 for image in shown.values()})  # this computer's copies of them
    compacted = catalogue.compact()
    return ErasureReport(
        counts, compacted, older_copies(catalogue.path), None if compacted else _advice(catalogue)
    )


def _advice(catalogue: Catalogue) -> str:
    if catalogue.is_team_register:
        return (
            "The register's tables could not be rewritten with your rights, so old row versions may remain in "
            "the server's files until it is; ask your administrator to run `consentdesk check` on the register."
        )
    return (
        "Another program has the catalogue open, so old copies may remain in its journal file. Close other "
        "ConsentDesk windows and run `consentdesk check` (File ▸ Check catalogue…)."
    )
