"""The append-only audit trail's hash chain.

Each entry's hash covers its own fields and the previous entry's hash, so editing, inserting or
deleting any row breaks every hash after it. The newest hash and sequence number are also kept apart
from the table (the catalogue's `meta`), which is how a deleted last row shows. The database enforces
append-only with triggers as well, but someone with the file can drop them: the chain is the evidence.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class AuditReport:
    entries: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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


def verify_chain(rows: Iterable[dict[str, Any]], head_seq: int, head_hash: str) -> AuditReport:
    """Check rows (ordered by seq) against each other and against the recorded head.

    `rows` may be a stream: each row is looked at once and dropped, so memory does not grow with the trail.
    """
    report = AuditReport(entries=0)
    prev = GENESIS
    expected_seq = 1
    last_seq = 0
    for row in rows:
        report.entries += 1
        seq = row["seq"]
        if seq != expected_seq:
            report.problems.append(f"entry {expected_seq} is missing (next entry found is {seq})")
        if row["prev_hash"] != prev:
            report.problems.append(
                f"entry {seq} does not follow the entry before it (a row was changed or removed)"
            )
        recomputed = entry_hash(
            row["prev_hash"], seq, row["at"], row["actor"], row["action"], row["subject"], row["details"]
        )
        if recomputed != row["hash"]:
            report.problems.append(f"entry {seq} ({row['action']}) was edited after it was written")
        prev = row["hash"]
        expected_seq = seq + 1
        last_seq = seq
    if last_seq != head_seq or prev != head_hash:
        report.problems.append(
            f"the trail ends at entry {last_seq} but {head_seq} entries were written (entries were removed)"
        )
    return report
