"""Backups while the app runs, and verified restores.

A backup uses SQLite's online backup API, so it is a consistent snapshot even mid-import. A restore
first proves the file is a ConsentDesk catalogue that passes SQLite's integrity check and the audit
chain (`health.check_catalogue`), and keeps the file it replaces.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from consentdesk.core.files import atomic_write
from consentdesk.core.safekeeping import checkpoints
from consentdesk.core.safekeeping.health import CheckReport, check_catalogue
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

    def build(tmp: Path) -> None:
        catalogue.backup_to(tmp)
        os.chmod(tmp, 0o600)  # the backup holds everyone's personal data

    atomic_write(out, build)
    return out


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
                check_catalogue(restored, report)
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
        # What was verified here before is another trail now: the next verification checks the whole file.
        checkpoints.forget(str(catalogue_path.resolve()))
    finally:
        for leftover in (candidate, *(candidate.with_name(candidate.name + s) for s in ("-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return RestoreReport(source, kept, report.audit_entries)
