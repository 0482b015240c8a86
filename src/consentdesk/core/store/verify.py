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
from pathlib import Path
from typing import Any

from consentdesk.core.store import guards
from consentdesk.core.store import states as st
from consentdesk.core.store.audit_chain import GENESIS, AuditReport, Checkpoint, entry_hash
from consentdesk.core.store.dbapi import Db, marks

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

    def __init__(self, db: Db) -> None:
        self.db = db
        self.server = db.server

    def page(self, kind: str, after: str | None, limit: int = _PAGE) -> list[tuple[str, str]]:
        if self.server:
            return self.db.all("SELECT row_id, digest FROM cd_record_page(?, ?, ?)", (kind, after, limit))
        return st.page(self.db, kind, after, limit)

    def current(self, kind: str, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(ids), _PAGE):
            chunk = ids[start : start + _PAGE]
            if self.server:
                found.update(dict(self.db.all("SELECT row_id, digest FROM cd_record_states(?, ?)", (kind, chunk))))
            else:
                found.update(st.current(self.db, kind, chunk))
        return found

    def counts(self) -> dict[str, int]:
        if self.server:
            return {k: int(n) for k, n in self.db.all("SELECT kind, n FROM cd_record_counts()")}
        return {kind: int(self.db.scalar(f"SELECT count(*) FROM {table}")) for kind, table in st.TABLES.items()}


def group_of(kind: str, row_id: str) -> int:
    return int(hashlib.sha256(f"{kind}:{row_id}".encode()).hexdigest()[:8], 16) % _GROUPS


def _add(total: int, digest: str) -> int:
    return (total + int(digest, 16)) % _MODULUS


def seal(db: Db) -> dict[str, Any]:
    """The states of every record there is now, per kind in groups (for the upgrade's `audit.sealed` entry)."""
    records = Records(db)
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


_ENTRY = ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")


def _entries(db: Db, after: int) -> Iterator[list[dict[str, Any]]]:
    query = f"SELECT {', '.join(_ENTRY)} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"
    while True:
        rows = [dict(zip(_ENTRY, r, strict=True)) for r in db.all(query, (after, _BATCH))]
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
    db: Db,
    report: AuditReport,
    start_seq: int,
    start_hash: str,
    head: tuple[int, str],
    progress: Progress,
    total: int | None,
) -> _Chain:
    chain = _Chain()
    expected, prev, last = start_seq + 1, start_hash, start_seq
    for batch in _entries(db, start_seq):
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
        for row in db.all("SELECT seq, kind, row_id, before, after FROM audit_states WHERE seq BETWEEN ? AND ?", (lo, hi)):
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


def _head(db: Db) -> tuple[int, str]:
    head = dict(db.all(f"SELECT key, value FROM meta WHERE key IN ({marks(len(_HEAD_KEYS))})", _HEAD_KEYS))
    return int(head.get("audit_head_seq", -1)), head.get("audit_head_hash", "")


def _hash_at(db: Db, seq: int) -> str | None:
    return db.scalar("SELECT hash FROM audit WHERE seq = ?", (seq,))


# --- records against their audited states -------------------------------------------------------------------


def _latest(db: Db, kind: str, ids: list[str], *, up_to: int | None = None) -> dict[str, tuple[int, Any]]:
    """Row id -> (seq, after) of the newest state item of each record (at or before `up_to`)."""
    found: dict[str, tuple[int, Any]] = {}
    bound = "" if up_to is None else " AND s2.seq <= ?"
    for start in range(0, len(ids), _PAGE):
        chunk = ids[start : start + _PAGE]
        query = (
            f"SELECT s.row_id, s.seq, s.after FROM audit_states s WHERE s.kind = ? AND s.row_id IN "
            f"({marks(len(chunk))}) AND s.seq = (SELECT max(s2.seq) FROM audit_states s2 WHERE s2.kind = s.kind "
            f"AND s2.row_id = s.row_id{bound})"
        )
        params = [kind, *chunk, *([] if up_to is None else [up_to])]
        found.update({r[0]: (r[1], r[2]) for r in db.all(query, params)})
    return found


def _items(db: Db, kind: str) -> Iterator[tuple[str, int, Any, Any]]:
    """State items of one kind ordered by record then entry (keyset pages)."""
    columns = "SELECT row_id, seq, before, after FROM audit_states WHERE kind = ?"
    order = " ORDER BY row_id, seq LIMIT ?"
    rows = db.all(columns + order, (kind, _BATCH))
    while True:
        yield from rows
        if len(rows) < _BATCH:
            return
        row_id, seq = rows[-1][0], rows[-1][1]
        rows = db.all(columns + " AND (row_id > ? OR (row_id = ? AND seq > ?))" + order, (kind, row_id, row_id, seq, _BATCH))


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
    db: Db, records: Records, kind: str, chain: _Chain, report: AuditReport, progress: Progress
) -> None:
    """Every record of one kind against the trail, both ways, and the seal of those made before it."""
    groups = _Groups()
    _compare_current(db, records, kind, chain, report, groups, progress)
    _follow_described(db, records, kind, chain, report, groups)
    if chain.seal is not None:
        _compare_seal(kind, chain, report, groups)


def _compare_current(
    db: Db,
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
        latest = _latest(db, kind, [row_id for row_id, _ in page])
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
    db: Db, records: Records, kind: str, chain: _Chain, report: AuditReport, groups: _Groups
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

    for item in _items(db, kind):
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


def _check_since(db: Db, records: Records, since: Checkpoint, report: AuditReport, counts: dict[str, int]) -> None:
    new: dict[str, dict[str, list[tuple[int, Any, Any]]]] = {kind: {} for kind in st.KINDS}
    for kind, row_id, seq, before, after in db.all(
        "SELECT kind, row_id, seq, before, after FROM audit_states WHERE seq > ? ORDER BY seq", (since.seq,)
    ):
        new[kind].setdefault(row_id, []).append((seq, before, after))  # the index on seq: only what is new
    for kind in st.KINDS:
        word = st.WORDS[kind]
        groups = new[kind]
        if not groups:
            _check_count(report, kind, since, 0, counts)
            continue
        ids = sorted(groups)
        earlier = _latest(db, kind, ids, up_to=since.seq)
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
    db: Db,
    *,
    since: Checkpoint | None = None,
    progress: Progress | None = None,
    now: str = "",
) -> AuditReport:
    """Verify on `db` (one snapshot). With `since`, only what is new after that checkpoint (falling back
    to a full check when the checkpoint belongs to another chain)."""
    tick = progress or _nothing
    head = _head(db)
    report = AuditReport(entries=max(head[0], 0))
    total = max(head[0], 0)
    first = _hash_at(db, 1)
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
        at = _hash_at(db, since.seq)
        if at != since.hash:
            report.problems.append(
                f"entry {since.seq} is not the entry verified on {since.at or 'an earlier day'}: "
                + ("it was removed" if at is None else "the trail was rewritten")
            )
            return report
        chain = _walk_chain(db, report, since.seq, since.hash, head, tick, total - since.seq)
    else:
        chain = _walk_chain(db, report, 0, GENESIS, head, tick, total)
    report.problems.extend(guards.problems(db))
    reader = Records(db)
    counts = reader.counts()
    if since is not None:
        _check_since(db, reader, since, report, counts)
    else:
        for kind in st.KINDS:
            _check_kind(db, reader, kind, chain, report, tick)
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




def verify_file(
    path: Path, *, since: Checkpoint | None = None, progress: Progress | None = None, now: str = ""
) -> AuditReport | None:
    """`verify` on a desk catalogue file read with the sqlite3 module alone, for a quick check from the
    command line; None when the file is not a catalogue of this version (then open it the usual way, which
    upgrades it or says what is wrong)."""
    import sqlite3

    from consentdesk.core.store.migrations import APPLICATION_ID, LATEST_VERSION

    try:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return None
        raw = sqlite3.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error):
        return None
    try:
        raw.execute("PRAGMA busy_timeout = 10000")
        if (raw.execute("PRAGMA application_id").fetchone()[0], raw.execute("PRAGMA user_version").fetchone()[0]) != (
            APPLICATION_ID,
            LATEST_VERSION,
        ):
            return None
        raw.execute("BEGIN")  # one snapshot for the whole check, however long others keep writing
        try:
            return verify(Db(raw, server=False), since=since, progress=progress, now=now)
        finally:
            raw.execute("ROLLBACK")
    except sqlite3.Error:
        return None
    finally:
        raw.close()
