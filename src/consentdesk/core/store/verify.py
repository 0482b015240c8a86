"""Verifying the audit trail and the records it describes: everything, or only what is new since a checkpoint.

A full verification walks the whole chain (each entry's hash and link, the recorded end), checks that the
index of record states (`audit_states`, kept by a trigger) says exactly what the entries say, that the
guard triggers are in place (`guards.py`), and then compares every current record with its last audited
state (`states.py`): a record that differs, one the trail never described, one gone without an audited
removal, and one changed between two audited changes (the later entry's "before" is not the earlier one's
"after") are each named. Records that existed before states were recorded are covered by the seal the
upgrade wrote (`seal()`): per kind of record, 64 groups, each the sum of its records' digests.

An incremental verification starts from a `Checkpoint` (the last entry a verification passed, and how many
records of each kind there were then): it checks that entry is unchanged, walks only the entries after it,
compares the records those entries touched, checks that the number of records of each kind moved only as
the new entries say, and that the guards are in place. A checkpoint is kept outside the catalogue by
whoever verified (see safekeeping/checkpoints.py), so nobody editing the catalogue can move it.

Everything is read in pages (keyset paging), so memory stays flat however long the trail is. On a team
register the server computes the record digests (`cd_record_page`, `cd_record_states`): the verifier needs
no right to read releases or photos, only the trail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, text

from consentdesk.core.store import guards
from consentdesk.core.store import schema as t
from consentdesk.core.store import states as st
from consentdesk.core.store.audit_chain import GENESIS, AuditReport, Checkpoint, entry_hash

#: Progress callback: (what is being checked, done, total or None when unknown).
Progress = Callable[[str, int, int | None], None]
_BATCH = 2000
_PAGE = 1000
_GROUPS = 64
_MODULUS = 2**256
_HEAD_KEYS = ("audit_head_seq", "audit_head_hash")
SEAL_ACTION = "audit.sealed"


# --- record digests: computed here (desk) or by the server (team register) --------------------------------


class Records:
    """Digests of current records, page by page or by id."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.server = conn.dialect.name == "postgresql"

    def page(self, kind: str, after: str | None, limit: int = _PAGE) -> list[tuple[str, str]]:
        if self.server:
            rows = self.conn.execute(
                text("SELECT row_id, digest FROM cd_record_page(:k, :a, :n)"), {"k": kind, "a": after, "n": limit}
            )
            return [(r[0], r[1]) for r in rows]
        return st.page(self.conn, kind, after, limit)

    def current(self, kind: str, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(ids), _PAGE):
            chunk = ids[start : start + _PAGE]
            if self.server:
                rows = self.conn.execute(
                    text("SELECT row_id, digest FROM cd_record_states(:k, :ids)"), {"k": kind, "ids": chunk}
                )
                found.update({r[0]: r[1] for r in rows})
            else:
                found.update(st.current(self.conn, kind, chunk))
        return found

    def counts(self) -> dict[str, int]:
        if self.server:
            return {k: int(n) for k, n in self.conn.execute(text("SELECT kind, n FROM cd_record_counts()"))}
        return {
            kind: int(self.conn.execute(select(func.count()).select_from(table)).scalar_one())
            for kind, table in st.TABLES.items()
        }


def group_of(kind: str, row_id: str) -> int:
    return int(hashlib.sha256(f"{kind}:{row_id}".encode()).hexdigest()[:8], 16) % _GROUPS


def _add(total: int, digest: str) -> int:
    return (total + int(digest, 16)) % _MODULUS


def seal(conn: Connection) -> dict[str, Any]:
    """The states of every record there is now, per kind in groups (for the upgrade's `audit.sealed` entry)."""
    records = Records(conn)
    sealed: dict[str, Any] = {}
    for kind in st.KINDS:
        sums: dict[int, int] = {}
        rows, after = 0, None
        while page := records.page(kind, after):
            for row_id, digest in page:
                group = group_of(kind, row_id)
                sums[group] = _add(sums.get(group, 0), digest)
                rows += 1
            after = page[-1][0]
        if rows:
            sealed[kind] = {"rows": rows, "groups": {str(g): f"{s:064x}" for g, s in sorted(sums.items())}}
    return sealed


# --- the chain ----------------------------------------------------------------------------------------------


@dataclass
class _Chain:
    seal_seq: int | None = None
    seal: dict[str, Any] | None = None
    first_hash: str | None = None


def _entries(conn: Connection, after: int) -> Iterator[list[dict[str, Any]]]:
    while True:
        query = select(t.audit).where(t.audit.c.seq > after).order_by(t.audit.c.seq).limit(_BATCH)
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if rows:
            yield rows
        if len(rows) < _BATCH:
            return
        after = rows[-1]["seq"]


def _states_of(row: dict[str, Any], report: AuditReport) -> list[tuple[Any, ...]] | None:
    if '"states"' not in row["details"] and '"seal"' not in row["details"]:
        return None
    try:
        details = json.loads(row["details"])
    except ValueError:
        report.problems.append(f"entry {row['seq']} ({row['action']}) has details that are not JSON")
        return None
    items = details.get("states") if isinstance(details, dict) else None
    if items is None:
        return None
    if not isinstance(items, list) or not all(
        isinstance(i, list) and len(i) == 4 and i[0] in st.TABLES and isinstance(i[1], str) for i in items
    ):
        report.problems.append(f"entry {row['seq']} ({row['action']}) describes records in a form ConsentDesk never writes")
        return None
    return sorted(tuple(i) for i in items)


def _walk_chain(
    conn: Connection,
    report: AuditReport,
    start_seq: int,
    start_hash: str,
    head: tuple[int, str],
    progress: Progress,
    total: int | None,
) -> _Chain:
    chain = _Chain()
    expected, prev, last = start_seq + 1, start_hash, start_seq
    s = t.audit_states
    for batch in _entries(conn, start_seq):
        described: dict[int, list[tuple[Any, ...]]] = {}
        for row in batch:
            report.checked += 1
            seq = row["seq"]
            if seq == 1:
                chain.first_hash = row["hash"]
            if seq != expected:
                report.problems.append(f"entry {expected} is missing (next entry found is {seq})")
            if row["prev_hash"] != prev:
                report.problems.append(
                    f"entry {seq} does not follow the entry before it (a row was changed or removed)"
                )
            recomputed = entry_hash(
                row["prev_hash"], seq, row["at"], row["actor"], row["action"], row["subject"], row["details"]
            )
            if recomputed != row["hash"]:
                report.problems.append(f"entry {seq} ({row['action']}) was edited after it was written")
            items = _states_of(row, report)
            if items:
                described[seq] = items
            if row["action"] == SEAL_ACTION and chain.seal is None:
                with contextlib.suppress(ValueError, AttributeError):
                    chain.seal, chain.seal_seq = json.loads(row["details"]).get("seal") or {}, seq
            prev, expected, last = row["hash"], seq + 1, seq
        lo, hi = batch[0]["seq"], batch[-1]["seq"]
        indexed: dict[int, list[tuple[Any, ...]]] = {}
        for row in conn.execute(
            select(s.c.seq, s.c.kind, s.c.row_id, s.c.before, s.c.after).where(s.c.seq.between(lo, hi))
        ):
            indexed.setdefault(row[0], []).append(tuple(row[1:]))
        for seq in sorted(set(described) | set(indexed)):
            if sorted(indexed.get(seq, [])) != described.get(seq, []):
                report.problems.append(
                    f"the index of record states does not match entry {seq} (it was edited behind the trail)"
                )
        progress("audit entries", report.checked, total)
    if last != head[0] or prev != head[1]:
        report.problems.append(
            f"the trail ends at entry {last} but {head[0]} entries were written (entries were removed)"
        )
    return chain


def _head(conn: Connection) -> tuple[int, str]:
    head = dict(conn.execute(select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.in_(_HEAD_KEYS))).all())
    return int(head.get("audit_head_seq", -1)), head.get("audit_head_hash", "")


def _hash_at(conn: Connection, seq: int) -> str | None:
    return conn.execute(select(t.audit.c.hash).where(t.audit.c.seq == seq)).scalar()


# --- records against their audited states -------------------------------------------------------------------


def _latest(conn: Connection, kind: str, ids: list[str], *, up_to: int | None = None) -> dict[str, tuple[int, Any]]:
    """Row id -> (seq, after) of the newest state item of each record (at or before `up_to`)."""
    s, s2 = t.audit_states, t.audit_states.alias("s2")
    newest = select(func.max(s2.c.seq)).where(s2.c.kind == s.c.kind, s2.c.row_id == s.c.row_id)
    if up_to is not None:
        newest = newest.where(s2.c.seq <= up_to)
    found: dict[str, tuple[int, Any]] = {}
    for start in range(0, len(ids), _PAGE):
        chunk = ids[start : start + _PAGE]
        query = select(s.c.row_id, s.c.seq, s.c.after).where(
            s.c.kind == kind, s.c.row_id.in_(chunk), s.c.seq == newest.scalar_subquery()
        )
        found.update({r[0]: (r[1], r[2]) for r in conn.execute(query)})
    return found


def _items(conn: Connection, kind: str, since: int | None) -> Iterator[tuple[str, int, Any, Any]]:
    """State items of one kind ordered by record then entry (keyset pages)."""
    s = t.audit_states
    last: tuple[str, int] | None = None
    while True:
        query = (
            select(s.c.row_id, s.c.seq, s.c.before, s.c.after)
            .where(s.c.kind == kind)
            .order_by(s.c.row_id, s.c.seq)
            .limit(_BATCH)
        )
        if since is not None:
            query = query.where(s.c.seq > since)
        if last is not None:
            query = query.where(or_(s.c.row_id > last[0], and_(s.c.row_id == last[0], s.c.seq > last[1])))
        rows = [tuple(r) for r in conn.execute(query)]
        yield from rows
        if len(rows) < _BATCH:
            return
        last = (rows[-1][0], rows[-1][1])


@dataclass
class _Groups:
    """What one kind's sealed records add up to, group by group."""

    sums: dict[int, int] = field(default_factory=dict)
    rows: int = 0

    def add(self, kind: str, row_id: str, digest: str) -> None:
        group = group_of(kind, row_id)
        self.sums[group] = _add(self.sums.get(group, 0), digest)
        self.rows += 1


def _check_kind(
    conn: Connection, records: Records, kind: str, chain: _Chain, report: AuditReport, progress: Progress
) -> None:
    """Every record of one kind against the trail, both ways, and the seal of those made before it."""
    groups = _Groups()
    _compare_current(conn, records, kind, chain, report, groups, progress)
    _follow_described(conn, records, kind, chain, report, groups)
    if chain.seal is not None:
        _compare_seal(kind, chain, report, groups)


def _compare_current(
    conn: Connection,
    records: Records,
    kind: str,
    chain: _Chain,
    report: AuditReport,
    groups: _Groups,
    progress: Progress,
) -> None:
    """Every current record against its newest audited state (records never described count in the seal)."""
    word = st.WORDS[kind]
    after: str | None = None
    while page := records.page(kind, after):
        latest = _latest(conn, kind, [row_id for row_id, _ in page])
        for row_id, digest in page:
            report.records += 1
            if row_id in latest:
                seq, audited = latest[row_id]
                if audited != digest:
                    what = "was removed according to" if audited is None else "differs from its last audited state in"
                    report.problems.append(f"{word} {row_id} {what} entry {seq}")
            elif chain.seal is not None:
                groups.add(kind, row_id, digest)
            else:
                report.problems.append(f"{word} {row_id} is not in the audit trail (it was added behind ConsentDesk)")
        after = page[-1][0]
        progress(st.PLURALS[kind], report.records, None)


def _follow_described(
    conn: Connection, records: Records, kind: str, chain: _Chain, report: AuditReport, groups: _Groups
) -> None:
    """Every record the trail describes: its changes follow one another (each entry's "before" is the
    previous one's "after"), and it is there unless its removal was recorded."""
    word = st.WORDS[kind]
    to_find: list[tuple[str, int]] = []
    previous: tuple[str, int, Any, Any] | None = None

    def look_for(batch: list[tuple[str, int]]) -> None:
        present = records.current(kind, [row_id for row_id, _ in batch])
        for row_id, seq in batch:
            if row_id not in present:
                report.problems.append(
                    f"{word} {row_id} is gone, but the trail does not record its removal (entry {seq} describes it)"
                )

    for item in _items(conn, kind, None):
        row_id, seq, before, _after = item
        if previous is None or previous[0] != row_id:
            if previous is not None and previous[3] is not None:
                to_find.append((previous[0], previous[1]))
            if before is not None and chain.seal is not None:
                groups.add(kind, row_id, before)  # it existed when sealed: as it was then
            elif before is not None:
                report.problems.append(
                    f"{word} {row_id} is described as changed in entry {seq} but was never recorded as made"
                )
        elif before != previous[3]:
            report.problems.append(
                f"{word} {row_id} was changed between entries {previous[1]} and {seq} without an audit entry"
            )
        previous = item
        if len(to_find) >= _PAGE:
            look_for(to_find)
            to_find = []
    if previous is not None and previous[3] is not None:
        to_find.append((previous[0], previous[1]))
    if to_find:
        look_for(to_find)


def _compare_seal(kind: str, chain: _Chain, report: AuditReport, groups: _Groups) -> None:
    """The records made before the upgrade, as they were when sealed, add up to the seal group by group."""
    word = st.WORDS[kind]
    expected = (chain.seal or {}).get(kind) or {"rows": 0, "groups": {}}
    if groups.rows != expected.get("rows", 0):
        report.problems.append(
            f"{expected.get('rows', 0)} {st.PLURALS[kind]} were sealed when the catalogue was upgraded (entry "
            f"{chain.seal_seq}), {groups.rows} are accounted for now: records made before the upgrade were "
            "added or removed behind ConsentDesk"
        )
    want = {int(g): int(v, 16) for g, v in (expected.get("groups") or {}).items()}
    for group in sorted(set(want) | set(groups.sums)):
        if want.get(group, 0) != groups.sums.get(group, 0):
            report.problems.append(
                f"{'an' if word[0] in 'aeiou' else 'a'} {word} made before the upgrade (entry {chain.seal_seq}) "
                f"was changed behind ConsentDesk (group {group} of 64 differs)"
            )


# --- incremental ---------------------------------------------------------------------------------------------


def _check_since(conn: Connection, records: Records, since: Checkpoint, report: AuditReport, counts: dict[str, int]) -> None:
    s = t.audit_states
    for kind in st.KINDS:
        word = st.WORDS[kind]
        groups: dict[str, list[tuple[int, Any, Any]]] = {}
        for row_id, seq, before, after in conn.execute(
            select(s.c.row_id, s.c.seq, s.c.before, s.c.after)
            .where(s.c.kind == kind, s.c.seq > since.seq)
            .order_by(s.c.row_id, s.c.seq)
        ):
            groups.setdefault(row_id, []).append((seq, before, after))
        if not groups:
            _check_count(report, kind, since, 0, counts)
            continue
        ids = sorted(groups)
        earlier = _latest(conn, kind, ids, up_to=since.seq)
        present = records.current(kind, ids)
        net = 0
        for row_id in ids:
            items = groups[row_id]
            report.records += 1
            first_before = items[0][1]
            if row_id in earlier and earlier[row_id][1] != first_before:
                report.problems.append(
                    f"{word} {row_id} was changed between entries {earlier[row_id][0]} and {items[0][0]} "
                    "without an audit entry"
                )
            for (seq_a, _b, after_a), (seq_b, before_b, _a) in zip(items, items[1:], strict=False):
                if before_b != after_a:
                    report.problems.append(
                        f"{word} {row_id} was changed between entries {seq_a} and {seq_b} without an audit entry"
                    )
            last_seq, last_after = items[-1][0], items[-1][2]
            if last_after is None and row_id in present:
                report.problems.append(f"{word} {row_id} is still there although entry {last_seq} removed it")
            elif last_after is not None and present.get(row_id) != last_after:
                what = "is gone" if row_id not in present else "differs from its last audited state"
                report.problems.append(f"{word} {row_id} {what} (entry {last_seq} describes it)")
            net += (last_after is not None) - (first_before is not None)
        _check_count(report, kind, since, net, counts)


def _check_count(report: AuditReport, kind: str, since: Checkpoint, net: int, counts: dict[str, int]) -> None:
    """The number of records of a kind moved only as the entries since the checkpoint say."""
    was, now = since.counts.get(kind, 0), counts.get(kind, 0)
    if now != was + net:
        report.problems.append(
            f"there were {was} {st.PLURALS[kind]} at entry {since.seq} and there are {now} now, but the entries "
            f"since account for {was + net}: records were added or removed behind ConsentDesk"
        )


# --- the whole check ---------------------------------------------------------------------------------------------


def _nothing(_what: str, _done: int, _total: int | None) -> None:
    return None


def verify(
    conn: Connection,
    *,
    since: Checkpoint | None = None,
    progress: Progress | None = None,
    now: str = "",
) -> AuditReport:
    """Verify on `conn` (one snapshot). With `since`, only what is new after that checkpoint (falling back
    to a full check when the checkpoint belongs to another chain)."""
    tick = progress or _nothing
    head = _head(conn)
    report = AuditReport(entries=max(head[0], 0))
    total = max(head[0], 0)
    first = _hash_at(conn, 1)
    if since is not None and first != since.chain:
        # The same place holds another trail: a catalogue replaced by hand, or a trail rewritten from its
        # first entry. Either way this is not what was verified; `--full` checks it as a new catalogue.
        report.problems.append(
            f"the first entry is not the one verified on {since.at or 'an earlier day'}: this is another "
            "catalogue now, or its whole trail was rewritten. If it was replaced on purpose, check it with "
            "`audit verify --full`."
        )
        return report
    if since is not None:
        report.incremental = True
        report.since = since.seq
        at = _hash_at(conn, since.seq)
        if at != since.hash:
            report.problems.append(
                f"entry {since.seq} is not the entry verified on {since.at or 'an earlier day'}: "
                + ("it was removed" if at is None else "the trail was rewritten")
            )
            return report
        chain = _walk_chain(conn, report, since.seq, since.hash, head, tick, total - since.seq)
    else:
        chain = _walk_chain(conn, report, 0, GENESIS, head, tick, total)
    report.problems.extend(guards.problems(conn))
    reader = Records(conn)
    counts = reader.counts()
    if since is not None:
        _check_since(conn, reader, since, report, counts)
    else:
        for kind in st.KINDS:
            _check_kind(conn, reader, kind, chain, report, tick)
    if report.ok and head[0] > 0:
        report.checkpoint = Checkpoint(
            chain=chain.first_hash or first or "",
            seq=head[0],
            hash=head[1],
            counts=counts,
            at=now,
            full_at=since.full_at if since is not None else now,
        )
    return report


