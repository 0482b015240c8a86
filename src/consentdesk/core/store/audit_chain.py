"""The append-only audit trail's hash chain.

Each entry's hash covers its own fields and the previous entry's hash, so editing, inserting or
deleting any row breaks every hash after it. The newest hash and sequence number are also kept apart
from the table (the catalogue's `meta`), which is how a deleted last row shows. The database enforces
append-only with triggers as well, but someone with the file can drop them: the chain is the evidence.
On a team register the server computes each entry's time, actor and hash (`server_rules.py`); the same
`entry_hash` checks them. Verification lives in `verify.py`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The last entry a verification passed, and how many records of each kind there were then: the next
    verification need only check what came after (see store/verify.py)."""

    chain: str  # the hash of entry 1: which chain this is
    seq: int
    hash: str
    counts: dict[str, int]
    at: str = ""  # when it was verified (UTC, ISO 8601)
    full_at: str = ""  # when everything was last verified (the checkpoint of an incremental run keeps it)


@dataclass(slots=True)
class AuditReport:
    entries: int  # entries in the trail
    problems: list[str] = field(default_factory=list)
    checked: int = 0  # entries this verification looked at
    records: int = 0  # records compared with their audited state
    incremental: bool = False  # only what is new since `since` was checked
    since: int | None = None
    checkpoint: Checkpoint | None = None  # what the next verification may start from (when ok)

    @property
    def ok(self) -> bool:
        return not self.problems


def utc_now() -> str:
    """Now, as every time in the catalogue is written (UTC, to the second, ISO 8601)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_actor() -> str:
    """Who is at the keyboard, as the operating system knows them (the actor on a desk catalogue)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def canonical_details(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str | None, details_json: str
) -> str:
    payload = json.dumps(
        [prev_hash, seq, at, actor, action, subject, details_json], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
