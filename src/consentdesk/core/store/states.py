"""Digests of record states: what an audit entry says a record looked like, so a changed record shows.

Every audit entry that creates, changes or removes a release, scan, photo, analysis, decision or approval
carries, for each such record, `[kind, id, before, after]`: the digest of the record's state before and
after the action (None for "did not exist" / "removed"). `audit verify` recomputes the digest of every
current record and compares it with its last audited state (see `verify.py`).

A digest is the SHA-256 of a JSON array of the record's columns as text (numbers written in decimal, no
floats) plus, for records made of several rows, the arrays of their parts. The same arrays are built in
SQL on a team register (`server_rules.py`, `cd_state`), where the server writes the audit entries itself;
both must give the same bytes, which is why everything is text and the JSON is written the way
PostgreSQL's `jsonb` writes it (", " between items).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from consentdesk.core.store import schema as t

#: Every kind of record whose state the trail describes, with its table.
TABLES = {
    "consent": t.consents,
    "scan": t.paper_scans,
    "image": t.images,
    "analysis": t.analyses,
    "face_decision": t.face_decisions,
    "finding_decision": t.finding_decisions,
    "image_review": t.image_reviews,
    "approval": t.approvals,
}
KINDS = tuple(TABLES)
#: Kinds whose ids are text (the rest are integers, ordered as numbers).
TEXT_IDS = frozenset({"consent", "approval"})
#: How each kind is named to people in a verification report.
WORDS = {
    "consent": "release",
    "scan": "paper form scan",
    "image": "photo",
    "analysis": "analysis",
    "face_decision": "face decision",
    "finding_decision": "finding decision",
    "image_review": "photo decision",
    "approval": "approval",
}
PLURALS = {kind: ("analyses" if kind == "analysis" else WORDS[kind] + "s") for kind in WORDS}
_CHUNK = 500

State = list  # [kind, id, before, after] as written into an audit entry's "states"


def digest(parts: Sequence[Any]) -> str:
    """SHA-256 of the parts as PostgreSQL's jsonb would write them (see module doc)."""
    return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False).encode("utf-8")).hexdigest()


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _row(kind: str, row: Any, columns: Sequence[str]) -> list[Any]:
    return [kind, *(_s(row[c]) for c in columns)]


_COLUMNS = {
    "consent": (
        "id", "form_name", "form_version", "answers", "signed_at", "expires_on", "created_at", "created_by",
        "source", "status", "search_key",
    ),
    "scan": ("id", "form_id", "page", "source_name", "mime", "sha256", "scanned_at", "scanned_by"),
    "image": (
        "id", "sha256", "file_size", "width", "height", "captured_at", "camera", "shoot_id", "imported_at",
        "imported_by",
    ),
    "analysis": ("id", "image_id", "analyser_version", "analysed_at", "error"),
    "face_decision": ("id", "image_id", "face_id", "state", "consent_id", "decided_at", "decided_by"),
    "finding_decision": ("id", "image_id", "finding_id", "state", "reason", "decided_at", "decided_by"),
    "image_review": ("id", "image_id", "state", "reason", "decided_at", "decided_by"),
    "approval": (
        "id", "image_id", "approved_at", "approved_by", "posting_date", "export_path", "export_sha256",
        "consent_ids",
    ),
}  # fmt: skip


def key(kind: str, row_id: Any) -> Any:
    """A row id as the table holds it (an int for integer kinds)."""
    return str(row_id) if kind in TEXT_IDS else int(row_id)


def current(conn: Connection, kind: str, ids: Iterable[Any]) -> dict[str, str]:
    """Digest of each existing record among `ids` (as text id -> digest); missing ids are left out."""
    wanted = sorted({key(kind, i) for i in ids})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        table = TABLES[kind]
        rows = [dict(r._mapping) for r in conn.execute(select(table).where(table.c.id.in_(chunk)))]
        found.update(_digests(conn, kind, rows))
    return found


def page(conn: Connection, kind: str, after: Any, limit: int) -> list[tuple[str, str]]:
    """Up to `limit` records of `kind` with an id after `after` (None: from the start), in id order, with
    their digests: how a full verification walks every record with flat memory."""
    table = TABLES[kind]
    query = select(table).order_by(table.c.id).limit(limit)
    if after is not None:
        query = query.where(table.c.id > key(kind, after))
    rows = [dict(r._mapping) for r in conn.execute(query)]
    digests = _digests(conn, kind, rows)
    return [(str(r["id"]), digests[str(r["id"])]) for r in rows]


def _digests(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> dict[str, str]:
    if not rows:
        return {}
    ids = [r["id"] for r in rows]
    extra: dict[Any, list[list[Any]]] = {}
    if kind == "consent":
        files = _children(
            conn, t.consent_files, "consent_id", ids, ("field", "mime", "sha256"), order=("field",)
        )
        events = _children(
            conn,
            t.consent_events,
            "consent_id",
            ids,
            ("id", "kind", "effective_on", "reason", "recorded_at", "recorded_by"),
            order=("id",),
        )
        extra = {i: [sorted(files.get(i, [])), events.get(i, [])] for i in ids}
    elif kind == "analysis":
        faces = _children(conn, t.faces, "analysis_id", ids, ("n", "x", "y", "w", "h"), order=("n",))
        findings = _children(
            conn,
            t.findings,
            "analysis_id",
            ids,
            ("n", "kind", "severity", "x", "y", "w", "h", "text"),
            order=("n",),
        )
        extra = {i: [faces.get(i, []), findings.get(i, [])] for i in ids}
    elif kind == "approval":
        channels = _children(conn, t.approval_channels, "approval_id", ids, ("channel",), order=("channel",))
        extra = {i: [sorted(c[0] for c in channels.get(i, []))] for i in ids}
    return {str(r["id"]): digest(_row(kind, r, _COLUMNS[kind]) + extra.get(r["id"], [])) for r in rows}


def _children(
    conn: Connection, table: Any, parent: str, ids: list[Any], columns: Sequence[str], order: Sequence[str]
) -> dict[Any, list[list[Any]]]:
    found: dict[Any, list[list[Any]]] = {}
    query = (
        select(table.c[parent], *(table.c[c] for c in columns))
        .where(table.c[parent].in_(ids))
        .order_by(table.c[parent], *(table.c[c] for c in order))
    )
    for row in conn.execute(query):
        found.setdefault(row[0], []).append([_s(v) for v in row[1:]])
    return found


def item(kind: str, row_id: Any, before: str | None, after: str | None) -> State:
    return [kind, str(row_id), before, after]


def merged(items: Iterable[State]) -> list[State]:
    """One item per record: a record removed and another made with the same id in one action (SQLite
    reuses the highest integer id once it is free) is that id going from the first state to the last."""
    by_record: dict[tuple[str, str], State] = {}
    for kind, row_id, before, after in items:
        first = by_record.get((kind, row_id))
        by_record[(kind, row_id)] = [kind, row_id, first[2] if first else before, after]
    return list(by_record.values())
