"""The health check of a catalogue and its photo files, and finding moved photos again.

Why apart from backups: the check runs on its own (File -> Check catalogue, `consentdesk check`) and a restore
runs it on the backup before anything is replaced. It checks SQLite's integrity and the audit chain, then
that every imported photo is still where the catalogue says and unchanged (by SHA-256), and can find moved
photos again by their hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consentdesk.core.media.discovery import Skipped, find_images
from consentdesk.core.photos.importer import file_sha256
from consentdesk.core.store import Catalogue


@dataclass(slots=True)
class FileProblem:
    image_id: int
    path: str
    problem: str  # missing, changed, unreadable


@dataclass(slots=True)
class CheckReport:
    integrity: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    audit_entries: int = 0
    files: list[FileProblem] = field(default_factory=list)
    relinked: list[tuple[int, str]] = field(default_factory=list)  # (image id, new path)
    images_checked: int = 0
    #: Photos whose original is not on this computer but whose working copy the team register holds:
    #: review, export and SAR read that copy, so they are not problems.
    from_register: list[int] = field(default_factory=list)
    #: Team register: whether erased data was rewritten out of the server's files by this check (only the
    #: tables' owner, the administrator, can); None on a desk catalogue.
    compacted: bool | None = None

    @property
    def ok(self) -> bool:
        """The catalogue itself is sound; missing photo files are reported but are not corruption."""
        return not self.integrity and not self.audit

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "integrity": self.integrity,
            "audit": {"entries": self.audit_entries, "problems": self.audit},
            "images_checked": self.images_checked,
            "files": [{"image_id": f.image_id, "path": f.path, "problem": f.problem} for f in self.files],
            "relinked": [{"image_id": i, "path": p} for i, p in self.relinked],
            "from_register": self.from_register,
            "compacted": self.compacted,
        }


def check_catalogue(catalogue: Catalogue, report: CheckReport) -> None:
    if catalogue.is_team_register:
        # Finishes erasures whose compaction needed the tables' owner (it is a no-op for anyone else).
        report.compacted = catalogue.compact()
    report.integrity = catalogue.integrity_problems()
    audit = catalogue.verify_audit()
    report.audit, report.audit_entries = list(audit.problems), audit.entries


def check(catalogue: Catalogue, *, files: bool = True, relink_folder: Path | None = None) -> CheckReport:
    """Integrity, foreign keys, audit chain; then each photo file's presence and hash; then relinking."""
    report = CheckReport()
    check_catalogue(catalogue, report)
    if not files:
        return report
    shas: dict[int, str] = {}
    for image in _all_images(catalogue):
        report.images_checked += 1
        path = Path(image.path)
        try:
            if not path.is_file():
                report.files.append(FileProblem(image.id, image.path, "missing"))
                shas[image.id] = image.sha256
            elif file_sha256(path) != image.sha256:
                report.files.append(FileProblem(image.id, image.path, "changed"))
        except OSError:
            report.files.append(FileProblem(image.id, image.path, "unreadable"))
            shas[image.id] = image.sha256
    if relink_folder is not None and report.files:
        report.relinked = relink(catalogue, relink_folder, {f.image_id for f in report.files})
        fixed = {i for i, _ in report.relinked}
        report.files = [f for f in report.files if f.image_id not in fixed]
    if catalogue.keeps_photo_copies and shas:
        held = catalogue.stored_photo_shas(shas[f.image_id] for f in report.files if f.image_id in shas)
        report.from_register = [f.image_id for f in report.files if shas.get(f.image_id) in held]
        report.files = [f for f in report.files if shas.get(f.image_id) not in held]
    return report


def _all_images(catalogue: Catalogue, page: int = 1000):
    """Every image, a page at a time, so checking years of photos needs the memory of one page."""
    offset = 0
    while True:
        batch = catalogue.list_images(limit=page, offset=offset)
        yield from batch
        if len(batch) < page:
            return
        offset += page


def relink(catalogue: Catalogue, folder: Path, image_ids: set[int]) -> list[tuple[int, str]]:
    """Find the given images' files under `folder` by SHA-256 and record their new paths (audited)."""
    wanted = {catalogue.get_image(i).sha256: i for i in image_ids}
    found: list[tuple[int, str]] = []
    skipped: list[Skipped] = []
    for path in find_images([folder], skipped):
        if not wanted:
            break
        try:
            digest = file_sha256(path)
        except OSError:
            continue
        image_id = wanted.pop(digest, None)
        if image_id is not None:
            new_path = str(Path(path).resolve())
            catalogue.update_image_path(image_id, new_path)
            found.append((image_id, new_path))
    return found
