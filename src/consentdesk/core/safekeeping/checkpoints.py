"""Where `audit verify` remembers the last entry it verified: in this person's own data folder, never in the
catalogue.

Why outside: a checkpoint lets the next verification skip what was already checked, so it must not be
something a person editing the catalogue (or, on a team register, anyone with a role) could move forward
over their edit. It sits beside the user's other private files (mode 0600), is written only after a
verification that passed, and is keyed by the catalogue's place (its path, or its address without the
password) and its chain (the hash of entry 1), so a copy or a backup never borrows another's checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from consentdesk import paths
from consentdesk.core.files import atomic_write
from consentdesk.core.store.audit_chain import Checkpoint
from consentdesk.core.store.locator import Locator

if TYPE_CHECKING:
    from consentdesk.core.store import Catalogue

FILE_NAME = "audit-checkpoints.json"
_KEEP = 200  # catalogues remembered; the least recently verified are forgotten first


def key_for(where: Catalogue | Locator) -> str:
    """Which catalogue a checkpoint belongs to: a file by its full path, a register by its address (no
    password)."""
    path = where.path
    if path is not None:
        return str(path.expanduser().resolve())
    return where.safe_text if isinstance(where, Locator) else where.safe_locator


def _file() -> Path:
    return paths.data_dir() / FILE_NAME


def _read() -> dict[str, dict]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, dict]) -> None:
    atomic_write(_file(), lambda tmp: tmp.write_text(json.dumps(data, indent=1), encoding="utf-8"))


#: How old a checkpoint may be before `audit verify` checks everything again: an edit made in place to an
#: entry or record from before the checkpoint (its guard lifted and put back) shows in a full check only.
FULL_EVERY = timedelta(days=7)


def load(key: str, *, max_age: timedelta | None = None) -> Checkpoint | None:
    """The checkpoint kept for `key`, or None (none yet, its last full check older than `max_age`, or an
    unreadable file: then everything is checked)."""
    raw = _read().get(key)
    try:
        checkpoint = Checkpoint(
            chain=str(raw["chain"]),
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            counts={str(k): int(v) for k, v in raw["counts"].items()},
            at=str(raw.get("at", "")),
            full_at=str(raw.get("full_at", "")),
        )
        checked_all = datetime.fromisoformat(checkpoint.full_at)
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    if max_age is not None and datetime.now(UTC) - checked_all > max_age:
        return None
    return checkpoint


def save(key: str, checkpoint: Checkpoint) -> None:
    data = _read()
    data.pop(key, None)
    data[key] = asdict(checkpoint)
    while len(data) > _KEEP:
        data.pop(next(iter(data)))
    _write(data)


def forget(key: str) -> None:
    """Drop the checkpoint of a catalogue that was replaced (a restore): its trail is another one now."""
    data = _read()
    if data.pop(key, None) is not None:
        _write(data)
