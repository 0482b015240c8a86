"""The audit trail's storage: appending to the hash chain and reading it back, streamed.

Appends are serialised by locking the chain head (the `meta` rows holding the last sequence number and
hash): SQLite's write lock does it for a desk catalogue; on a team register the `audit` table's insert
trigger takes the head rows `FOR UPDATE` and computes the entry's number, time, actor and hash itself
(server_rules.py), so the store only says what happened. Reading streams rows, so checking a trail of
millions of entries needs the memory of one batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, text, update

from consentdesk.core.store import audit_chain, verify
from consentdesk.core.store import schema as t
from consentdesk.core.store.base import StoreBase, utc_now
from consentdesk.core.store.dbapi import Db
from consentdesk.core.store.errors import RefusedError
from consentdesk.core.store.states import State
from consentdesk.core.store.states import item as state_item

_HEAD_KEYS = ("audit_head_seq", "audit_head_hash")
_BATCH = 2000


class AuditStore(StoreBase):
    @property
    def _server_rules(self) -> bool:
        """A team register: every change is one of the server's functions (server_rules.py)."""
        return self._locator.is_server

    def _audit_head(self, *, lock: bool) -> tuple[int, str]:
        conn = self._require_action() if lock else None
        query = select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.in_(_HEAD_KEYS))
        if conn is not None and self.engine_name == "postgresql":
            query = query.with_for_update()  # the owner's copy: one at a time, nobody appends meanwhile
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
        self,
        action: str,
        subject: str | None,
        details: dict[str, Any],
        actor: str | None = None,
        states: Sequence[State] = (),
    ) -> str:
        """Add an entry to the chain; returns its hash. Must run inside a transaction so it commits with its
        action. `states` describe the records the action created, changed or removed (states.item).

        On a team register the server sets the number, time, actor and hash (`actor` is ignored there)."""
        conn = self._require_action()
        if states:
            details = {**details, "states": list(states)}
        details_json = audit_chain.canonical_details(details)
        if self._server_rules:
            return str(
                conn.execute(
                    insert(t.audit)
                    .values(
                        seq=0, at="", actor="", action=action, subject=subject, details=details_json,
                        prev_hash="", hash="",
                    )
                    .returning(t.audit.c.hash)
                ).scalar_one()
            )
        seq, prev = self._audit_head(lock=True)
        seq += 1
        at = utc_now()
        actor = actor or self.actor
        digest = audit_chain.entry_hash(prev, seq, at, actor, action, subject, details_json)
        self._write_audit_row(seq, at, actor, action, subject, details_json, prev, digest)
        conn.execute(update(t.meta).where(t.meta.c.key == "audit_head_seq").values(value=str(seq)))
        conn.execute(update(t.meta).where(t.meta.c.key == "audit_head_hash").values(value=digest))
        return digest

    def _states_now(self, kind: str, ids: Sequence[Any]) -> dict[str, str]:
        """The current state digest of each of these records (the server's own on a team register)."""
        return verify.Records(Db.of(self._require_action())).current(kind, [str(i) for i in ids])

    def _state(self, kind: str, row_id: Any) -> str | None:
        return self._states_now(kind, [row_id]).get(str(row_id))

    def _made(self, kind: str, row_id: Any) -> State:
        """The state item of a record this action created (for `append_audit(states=...)`)."""
        return state_item(kind, row_id, None, self._state(kind, row_id))

    def _changed(self, kind: str, row_id: Any, before: str | None) -> State:
        return state_item(kind, row_id, before, self._state(kind, row_id))

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

    def verify_audit(
        self,
        *,
        since: audit_chain.Checkpoint | None = None,
        progress: verify.Progress | None = None,
    ) -> audit_chain.AuditReport:
        """Check the chain against its head and every record against its last audited state, all read from
        one snapshot (others may be appending); with `since`, only what is new after that checkpoint (see
        verify.py)."""
        with self._snapshot() as conn:
            if self.is_team_register:
                self._require_verifier(conn)
            return verify.verify(Db.of(conn), since=since, progress=progress, now=utc_now())

    def _require_verifier(self, conn: Connection) -> None:
        """On a team register a photographer reads only their own entries, so cannot check the chain."""
        query = text(
            "SELECT pg_has_role(session_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'audit' "
            "AND schemaname = current_schema()), 'USAGE') OR EXISTS (SELECT FROM pg_roles r "
            "WHERE r.rolname IN ('consentdesk_reviewer', 'consentdesk_dpo', 'consentdesk_admin') "
            "AND pg_has_role(session_user, r.oid, 'USAGE'))"
        )
        if not conn.execute(query).scalar():
            raise RefusedError(
                "checking the audit trail needs the reviewer, data-protection officer or administrator role: "
                "a photographer sees only their own entries. Ask one of them to run `consentdesk audit verify`."
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
