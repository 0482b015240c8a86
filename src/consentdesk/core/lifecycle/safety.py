"""Safety: backups while the app runs, verified restores, and a health check of catalogue and files.

A backup uses SQLite's online backup API, so it is a consistent snapshot even mid-import. A restore
first proves the file is a ConsentDesk catalogue that passes SQLite's integrity check and the audit
chain, and keeps the file it replaces. The check also confirms every imported photo is still where the
catalogue says and unchanged (by SHA-256), and can find moved photos again by their hash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from consentdesk.core.discovery import Skipped, find_images
from consentdesk.core.importer import file_sha256
from consentdesk.core.store import Catalogue, CatalogueError
from consentdesk.core.store.migrations import APPLICATION_ID

_SQLITE_MAGIC = b"SQLite format 3\x00"


class SafetyError(Exception):
    """A backup or restore was refused; the message says why and what to do."""


def backup(catalogue: Catalogue, out: Path, *, force: bool = False) -> Path:
    """Write a consistent copy of the open catalogue to `out` (mode 0600); refuse to overwrite unless forced."""
    out = Path(out).expanduser()
    if out.exists() and not force:
        raise SafetyError(f"{out} already exists; choose another name or use --force to replace it")
    if catalogue.path is not None and out.resolve() == catalogue.path.resolve():
        raise SafetyError("the backup cannot be written over the catalogue itself; choose another file")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)  # 0600
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        catalogue.backup_to(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return out


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


def _check_catalogue(catalogue: Catalogue, report: CheckReport) -> None:
    if catalogue.is_team_register:
        # Finishes erasures whose compaction needed the tables' owner (it is a no-op for anyone else).
        report.compacted = catalogue.compact()
    report.integrity = catalogue.integrity_problems()
    audit = catalogue.verify_audit()
    report.audit, report.audit_entries = list(audit.problems), audit.entries


def check(catalogue: Catalogue, *, files: bool = True, relink_folder: Path | None = None) -> CheckReport:
    """Integrity, foreign keys, audit chain; then each photo file's presence and hash; then relinking."""
    report = CheckReport()
    _check_catalogue(catalogue, report)
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


def _looks_like_catalogue(path: Path) -> None:
    """Header checks without opening: SQLite magic and ConsentDesk's application id (offset 68)."""
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise SafetyError(f"cannot read {path}: {exc.strerror}") from exc
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise SafetyError(
            f"{path} is not an SQLite database, so not a ConsentDesk backup; nothing was changed"
        )
    if struct.unpack(">I", header[68:72])[0] != APPLICATION_ID:
        raise SafetyError(
            f"{path} is an SQLite database but not a ConsentDesk catalogue; nothing was changed"
        )


@dataclass(frozen=True, slots=True)
class RestoreReport:
    restored_from: Path
    previous_kept_as: Path | None
    audit_entries: int


def restore(catalogue_path: Path, source: Path) -> RestoreReport:
    """Replace the catalogue at `catalogue_path` with the backup `source`, after verifying the backup.

    The backup is copied beside the catalogue and checked there (SQLite integrity, foreign keys, audit
    chain); only then is the current catalogue checkpointed and kept as `<name>.before-restore-<time>`.
    The caller must not have the catalogue open.
    """
    catalogue_path, source = Path(catalogue_path).expanduser(), Path(source).expanduser()
    _looks_like_catalogue(source)
    catalogue_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{catalogue_path.name}.restore.", dir=catalogue_path.parent)
    os.close(fd)
    candidate = Path(tmp_name)
    try:
        shutil.copyfile(source, candidate)
        os.chmod(candidate, 0o600)
        try:
            with Catalogue.open(candidate, create=False) as restored:
                report = CheckReport()
                _check_catalogue(restored, report)
                restored.checkpoint()
        except CatalogueError as exc:
            raise SafetyError(f"{source} cannot be restored: {exc}") from exc
        if not report.ok:
            problems = "; ".join(report.integrity + report.audit)
            raise SafetyError(f"{source} failed its checks and was not restored: {problems}")
        kept: Path | None = None
        if catalogue_path.exists():
            with Catalogue.open(catalogue_path, create=False) as current:
                current.checkpoint()  # everything into the main file before it is moved aside
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = catalogue_path.with_name(f"{catalogue_path.name}.before-restore-{stamp}")
            os.replace(catalogue_path, kept)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                catalogue_path.with_name(catalogue_path.name + suffix).unlink()
        os.replace(candidate, catalogue_path)
    finally:
        for leftover in (candidate, *(candidate.with_name(candidate.name + s) for s in ("-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return RestoreReport(source, kept, report.audit_entries)
