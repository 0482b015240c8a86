"""The audit trail's storage: appending to the hash chain and reading it back, streamed.

Appends are serialised by locking the chain head (the `meta` rows holding the last sequence number and
hash): SQLite's write lock does it for a desk catalogue, `SELECT … FOR UPDATE` for several people on a
team register, so two writers can never both extend the same entry. Reading streams rows, so checking a
trail of millions of entries needs the memory of one batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select, update

from consentdesk.core.store import audit_chain
from consentdesk.core.store import schema as t
from consentdesk.core.store.base import StoreBase, utc_now

_HEAD_KEYS = ("audit_head_seq", "audit_head_hash")
_CHAIN_LOCK = 0x43445355  # 'CDSU': the advisory lock key that serialises appends to the chain
_BATCH = 2000


class AuditStore(StoreBase):
    def _audit_head(self, *, lock: bool) -> tuple[int, str]:
        conn = self._require_action() if lock else None
        query = select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.in_(_HEAD_KEYS))
        if conn is not None and self.engine_name == "postgresql":
            # One appender at a time across the register; an advisory lock needs no write right on `meta`
            # (the server-side trigger, running as the owner, moves the head and re-checks it).
            conn.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))
        if conn is not None:
            head = dict(conn.execute(query).all())
        else:
            with self._connection() as read:
                head = dict(read.execute(query).all())
        return int(head.get("audit_head_seq", -1)), head.get("audit_head_hash", "")

    def _start_chain(self) -> None:
        conn = self._require_action()
        conn.execute(
            t.meta.insert(),
            [
                {"key": "audit_head_seq", "value": "0"},
                {"key": "audit_head_hash", "value": audit_chain.GENESIS},
            ],
        )

    def append_audit(
        self, action: str, subject: str | None, details: dict[str, Any], actor: str | None = None
    ) -> str:
        """Add an entry to the chain. Must run inside a transaction so it commits with its action."""
        conn = self._require_action()
        seq, prev = self._audit_head(lock=True)
        seq += 1
        at = utc_now()
        actor = actor or self.actor
        details_json = audit_chain.canonical_details(details)
        digest = audit_chain.entry_hash(prev, seq, at, actor, action, subject, details_json)
        self._write_audit_row(seq, at, actor, action, subject, details_json, prev, digest)
        if not self._server_moves_head(conn):
            conn.execute(update(t.meta).where(t.meta.c.key == "audit_head_seq").values(value=str(seq)))
            conn.execute(update(t.meta).where(t.meta.c.key == "audit_head_hash").values(value=digest))
        return digest

    def _server_moves_head(self, conn: Connection) -> bool:
        if self.engine_name != "postgresql":
            return False
        cached = getattr(self, "_head_by_server", None)
        if cached is None:
            cached = (
                conn.exec_driver_sql("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_append'").first()
                is not None
            )
            if cached:  # once the trigger exists it stays (an upgrade in this session may still add it)
                self._head_by_server = True
        return cached

    def _write_audit_row(
        self,
        seq: int,
        at: str,
        actor: str,
        action: str,
        subject: str | None,
        details_json: str,
        prev: str,
        digest: str,
    ) -> None:
        self._require_action().execute(
            t.audit.insert().values(
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                details=details_json,
                prev_hash=prev,
                hash=digest,
            )
        )

    def iter_audit_rows(self, subject: str | None = None) -> Iterator[dict[str, Any]]:
        """Raw rows in sequence order, fetched in batches (keyset paging: memory stays flat)."""
        with self._snapshot() as conn:
            yield from _batched_rows(conn, subject)

    def audit_entries(self, subject: str | None = None) -> list[audit_chain.AuditEntry]:
        return [_entry(r) for r in self.iter_audit_rows(subject)]

    def audit_page(self, after: int = 0, limit: int = 200) -> list[audit_chain.AuditEntry]:
        """Up to `limit` entries after sequence number `after` (for `audit log` and paged views)."""
        query = select(t.audit).where(t.audit.c.seq > after).order_by(t.audit.c.seq).limit(limit)
        with self._connection() as conn:
            return [_entry(r._mapping) for r in conn.execute(query)]

    def audit_head_seq(self) -> int:
        """The number of the newest audit entry: every change adds one, so a window that remembers it can
        tell cheaply whether anyone (another window, another person) changed anything since."""
        return self._audit_head(lock=False)[0]

    def verify_audit(self) -> audit_chain.AuditReport:
        """Check the whole chain against its head, both read from one snapshot (others may be appending)."""
        with self._snapshot() as conn:
            head = dict(
                conn.execute(select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.in_(_HEAD_KEYS))).all()
            )
            return audit_chain.verify_chain(
                _batched_rows(conn, None),
                int(head.get("audit_head_seq", -1)),
                head.get("audit_head_hash", ""),
            )

    def audit_entries_mentioning(self, text: str) -> list[audit_chain.AuditEntry]:
        """Entries whose subject is `text` or whose details contain it (e.g. an image entry naming a consent)."""
        query = (
            select(t.audit)
            .where(or_(t.audit.c.subject == text, t.audit.c.details.contains(text, autoescape=True)))
            .order_by(t.audit.c.seq)
        )
        with self._connection() as conn:
            return [_entry(r._mapping) for r in conn.execute(query)]


def _batched_rows(conn: Connection, subject: str | None) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        query = select(t.audit).where(t.audit.c.seq > after).order_by(t.audit.c.seq).limit(_BATCH)
        if subject is not None:
            query = query.where(t.audit.c.subject == subject)
        rows = [dict(r._mapping) for r in conn.execute(query)]
        yield from rows
        if len(rows) < _BATCH:
            return
        after = rows[-1]["seq"]


def _entry(row: Row | dict[str, Any] | Any) -> audit_chain.AuditEntry:
    return audit_chain.AuditEntry(
        row["seq"],
        row["at"],
        row["actor"],
        row["action"],
        row["subject"],
        json.loads(row["details"]),
        row["prev_hash"],
        row["hash"],
    )
