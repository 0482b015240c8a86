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

from consentdesk.core.store.dbapi import Db, marks

#: Every kind of record whose state the trail describes, with its table.
TABLES = {
    "consent": "consents",
    "scan": "paper_scans",
    "image": "images",
    "analysis": "analyses",
    "face_decision": "face_decisions",
    "finding_decision": "finding_decisions",
    "image_review": "image_reviews",
    "approval": "approvals",
    "track_merge": "track_merges",
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
    "track_merge": "same-person decision",
}
PLURALS = {kind: ("analyses" if kind == "analysis" else WORDS[kind] + "s") for kind in WORDS}
_CHUNK = 500

State = list  # [kind, id, before, after] as written into an audit entry's "states"


def digest(parts: Sequence[Any]) -> str:
    """SHA-256 of the parts as PostgreSQL's jsonb would write them (see module doc)."""
    return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False).encode("utf-8")).hexdigest()


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


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
    "track_merge": ("id", "image_id", "face_id", "same_as", "decided_at", "decided_by"),
}  # fmt: skip


def key(kind: str, row_id: Any) -> Any:
    """A row id as the table holds it (an int for integer kinds)."""
    return str(row_id) if kind in TEXT_IDS else int(row_id)


def _select(kind: str) -> str:
    return f"SELECT {', '.join(_COLUMNS[kind])} FROM {TABLES[kind]}"


def current(db: Db, kind: str, ids: Iterable[Any]) -> dict[str, str]:
    """Digest of each existing record among `ids` (as text id -> digest); missing ids are left out."""
    wanted = sorted({key(kind, i) for i in ids})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = db.all(f"{_select(kind)} WHERE id IN ({marks(len(chunk))})", chunk)
        found.update(_digests(db, kind, rows))
    return found


def page(db: Db, kind: str, after: Any, limit: int) -> list[tuple[str, str]]:
    """Up to `limit` records of `kind` with an id after `after` (None: from the start), in id order, with
    their digests: how a full verification walks every record with flat memory."""
    where, params = ("", []) if after is None else (" WHERE id > ?", [key(kind, after)])
    rows = db.all(f"{_select(kind)}{where} ORDER BY id LIMIT ?", [*params, limit])
    digests = _digests(db, kind, rows)
    return [(str(r[0]), digests[str(r[0])]) for r in rows]


#: The parts of a record kept in other tables: (table, the column naming the record, columns, order).
_PARTS = {
    "consent": (
        ("consent_files", "consent_id", ("field", "mime", "sha256"), "field"),
        ("consent_events", "consent_id", ("id", "kind", "effective_on", "reason", "recorded_at", "recorded_by"), "id"),
    ),
    "analysis": (
        ("faces", "analysis_id", ("n", "x", "y", "w", "h"), "n"),
        ("findings", "analysis_id", ("n", "kind", "severity", "x", "y", "w", "h", "text"), "n"),
    ),
    "approval": (
        ("approval_channels", "approval_id", ("channel",), "channel"),
        ("takedowns", "approval_id", ("recorded_at", "recorded_by"), "approval_id"),
    ),
}


def _digests(db: Db, kind: str, rows: list[tuple], clips: bool = True) -> dict[str, str]:
    """Rows as `_select(kind)` returns them (id first) -> their digests, with their parts."""
    if not rows:
        return {}
    ids = [r[0] for r in rows]
    parts = [_children(db, table, parent, ids, columns, order) for table, parent, columns, order in _PARTS.get(kind, ())]
    digests = {}
    for row in rows:
        extra = [found.get(row[0], []) for found in parts]
        if kind == "approval":  # its channels, then its take-down once one is recorded (migration 9)
            extra = [sorted(c[0] for c in extra[0]), *extra[1][:1]]
        digests[str(row[0])] = digest([kind, *(_s(v) for v in row), *extra])
    return _with_clips(db, ids, digests) if kind == "analysis" and clips else digests


def _with_clips(db: Db, ids: list[Any], digests: dict[str, str]) -> dict[str, str]:
    """A clip's analysis also covers its clip row (facts and every track's boxes: what an export destroys):
    its digest wraps the photo-style digest with that row, as `cd_state` does since version 10."""
    for analysis_id, clip, face_tracks, finding_tracks in clip_rows(db, ids):
        digests[str(analysis_id)] = digest(["analysis", digests[str(analysis_id)], clip, face_tracks, finding_tracks])
    return digests


def clip_restatements(db: Db) -> list[State]:
    """Each clip analysis made before its clip row counted (versions 8 and 9): its state as then audited
    and as now computed, for the upgrade's entry, so verification goes on matching both."""
    ids = [row[0] for row in clip_rows(db)]
    items = []
    for start in range(0, len(ids), _CHUNK):
        rows = db.all(f"{_select('analysis')} WHERE id IN ({marks(len(ids[start : start + _CHUNK]))})",
                      ids[start : start + _CHUNK])
        before, after = _digests(db, "analysis", rows, clips=False), _digests(db, "analysis", rows)
        items += [item("analysis", row_id, before[row_id], after[row_id]) for row_id in sorted(after, key=int)]
    return items


def clip_rows(db: Db, ids: list[Any] | None = None) -> list[tuple]:
    """(analysis id, clip, face tracks, finding tracks) of the clip analyses among `ids` (None: all)."""
    query = "SELECT analysis_id, clip, face_tracks, finding_tracks FROM clip_analyses"
    if ids is None:
        return db.all(query + " ORDER BY analysis_id", [])
    return db.all(f"{query} WHERE analysis_id IN ({marks(len(ids))})", list(ids))


def _children(
    db: Db, table: str, parent: str, ids: list[Any], columns: Sequence[str], order: str
) -> dict[Any, list[list[Any]]]:
    found: dict[Any, list[list[Any]]] = {}
    query = (
        f"SELECT {parent}, {', '.join(columns)} FROM {table} WHERE {parent} IN ({marks(len(ids))}) "
        f"ORDER BY {parent}, {order}"
    )
    for row in db.all(query, ids):
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
