"""Merging a catalogue into an existing one by natural keys, never by integer ids (see `copy.py` for the
rules): records already there unchanged count as present, records with the same id and other content are
conflicts (reported; neither they nor what depends on them is written), and each source audit entry is
appended once as an `audit.copied` entry, remembered in `audit_copies`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert, select, tuple_, update

from consentdesk.core.store import audit_chain
from consentdesk.core.store import schema as t
from consentdesk.core.store.base import utc_now
from consentdesk.core.store.catalogue import Catalogue
from consentdesk.core.store.copy_photos import carry_photo_files
from consentdesk.core.store.copy_rows import (
    ALL_TABLES,
    BATCH,
    BLOB_BATCH,
    CopyError,
    CopyReport,
    Progress,
    TableCount,
    columns,
    count_rows,
    pages,
    stream,
)
from consentdesk.core.store.dbapi import Db
from consentdesk.core.store.states import item as state_item
from consentdesk.core.store.verify import Records

_IMAGE_BATCH = 200
#: Stands for the id of a row this run inserts (newer than every row already there).
_INSERTED = 2**62
_CONSENT_CONTENT = (
    "form_name",
    "form_version",
    "answers",
    "signed_at",
    "expires_on",
    "created_at",
    "created_by",
    "source",
)

# --- into an existing catalogue: merge by natural keys ----------------------------------------------------


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [int(i) for i in result.scalars()]


def merge_into(
    source: Catalogue,
    dest: Catalogue,
    sconn: Connection,
    dconn: Connection,
    report: CopyReport,
    tick: Progress,
) -> None:
    """Merge everything read on `sconn` (the source's snapshot) into `dest` inside its open transaction."""
    _Merge(source, dest, sconn, dconn, report, tick).run()


class _Merge:
    """One merge run: the maps from source to destination ids and the set of records in conflict."""

    def __init__(
        self,
        source: Catalogue,
        dest: Catalogue,
        sconn: Connection,
        dconn: Connection,
        report: CopyReport,
        tick: Progress,
    ) -> None:
        self.source, self.dest = source, dest
        self.s, self.d = sconn, dconn
        self.report, self.tick = report, tick
        self.conflicted_consents: set[str] = set()
        self.erased_here: set[str] = set()  # erased in the destination, not in the source
        self.shoot_map: dict[int, int] = {}
        self.image_map: dict[int, int] = {}
        #: Records this run added (kind -> ids here) and releases it changed (id -> state before): each gets
        #: its state in a `records.copied` entry, so a verification finds them described (verify.py).
        self.made: dict[str, list[Any]] = {}
        self.changed: dict[str, str | None] = {}

    def record(self, kind: str, ids: Iterable[Any]) -> None:
        self.made.setdefault(kind, []).extend(ids)

    def conflict(self, sentence: str) -> None:
        self.report.conflicts.append(sentence)

    def run(self) -> None:
        before = {table.name: count_rows(self.d, table) for table in ALL_TABLES}
        server = self.dest.engine_name == "postgresql"
        if server:
            # Copied rows keep who did them (the register's owner only; see migration 6): the source's
            # history is carried, and a second copy finds the rows exactly as the source has them.
            self.d.exec_driver_sql("SET LOCAL consentdesk.copying = 'on'")
        self.form_ids()
        self.consents()
        self.consent_events()
        self.paper_scans()
        self.shoots()
        self.images()
        if server:
            self.d.exec_driver_sql("SET LOCAL consentdesk.copying = 'off'")  # this run's own entries follow
        self.audit_entries()
        for table in ALL_TABLES:
            expected = before[table.name] + self.report.count(table.name).added
            if count_rows(self.d, table) != expected:
                raise CopyError(f"table {table.name} does not hold what the copy wrote; nothing was saved")
        self.describe_records()

    # consents and their files, events and scans: keyed by text ids -------------------------------------

    def form_ids(self) -> None:
        count = self.report.count("form_ids")
        query = select(t.form_ids).order_by(t.form_ids.c.id)
        for rows in stream(self.s, query, BATCH):
            have = set(
                self.d.execute(
                    select(t.form_ids.c.id).where(t.form_ids.c.id.in_([r["id"] for r in rows]))
                ).scalars()
            )
            new = [r for r in rows if r["id"] not in have]  # the same id reserved in both is the same form id
            if new:
                self.d.execute(insert(t.form_ids), new)
            count.added += len(new)
            count.present += len(rows) - len(new)
            self.tick("form_ids", count.added + count.present)

    def _files(self, conn: Connection, consent_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        f = t.consent_files.c
        files: dict[str, dict[str, str]] = {}
        for cid, field_id, sha in conn.execute(
            select(f.consent_id, f.field, f.sha256).where(f.consent_id.in_(list(consent_ids)))
        ):
            files.setdefault(cid, {})[field_id] = sha
        return files

    def consents(self) -> None:
        count, files_count = self.report.count("consents"), self.report.count("consent_files")
        c = t.consents
        query = select(*columns(c)).order_by(c.c.id)
        for rows in stream(self.s, query, BATCH):
            ids = [r["id"] for r in rows]
            theirs = {
                r.id: dict(r._mapping) for r in self.d.execute(select(*columns(c)).where(c.c.id.in_(ids)))
            }
            src_files, dst_files = self._files(self.s, ids), self._files(self.d, theirs)
            new = []
            for row in rows:
                cid = row["id"]
                if cid not in theirs:
                    new.append(row)
                    continue
                problem = _consent_difference(
                    row, theirs[cid], src_files.get(cid, {}), dst_files.get(cid, {})
                )
                if problem:
                    self.conflicted_consents.add(cid)
                    if theirs[cid]["status"] == "erased":
                        self.erased_here.add(cid)
                    count.skipped += 1
                    files_count.skipped += len(src_files.get(cid, {}))
                    self.conflict(f"consent {cid}: {problem}")
                else:
                    count.present += 1
                    files_count.present += len(src_files.get(cid, {}))
            if new:
                self.d.execute(insert(c), new)
                count.added += len(new)
                self._copy_files([r["id"] for r in new], files_count)
                self.record("consent", [r["id"] for r in new])
            self.tick("consents", count.added + count.present + count.skipped)

    def _copy_files(self, consent_ids: list[str], count: TableCount) -> None:
        f = t.consent_files
        query = select(f).where(f.c.consent_id.in_(consent_ids)).order_by(f.c.consent_id, f.c.field)
        for rows in stream(self.s, query, BLOB_BATCH):
            self.d.execute(insert(f), rows)
            count.added += len(rows)

    def consent_events(self) -> None:
        count = self.report.count("consent_events")
        e = t.consent_events
        withdrawn: set[str] = set()
        query = select(e).order_by(e.c.id)
        for rows in stream(self.s, query, BATCH):
            wanted = {r["consent_id"] for r in rows}
            theirs = {
                (r.consent_id, r.kind, r.recorded_at): r
                for r in self.d.execute(select(e).where(e.c.consent_id.in_(wanted)))
            }
            new = []
            for row in rows:
                if row["consent_id"] in self.conflicted_consents:
                    count.skipped += 1
                    continue
                there = theirs.get((row["consent_id"], row["kind"], row["recorded_at"]))
                if there is None:
                    new.append({k: v for k, v in row.items() if k != "id"})
                    if row["kind"] == "withdrawn":
                        withdrawn.add(row["consent_id"])
                elif (there.effective_on, there.reason, there.recorded_by) != (
                    row["effective_on"],
                    row["reason"],
                    row["recorded_by"],
                ):
                    count.skipped += 1
                    self.conflict(
                        f"consent {row['consent_id']}: its {row['kind']} event recorded at {row['recorded_at']} "
                        "differs between the catalogues; the destination's was kept"
                    )
                else:
                    count.present += 1
            if new:
                self._remember_before({r["consent_id"] for r in new})
                self.d.execute(insert(e), new)
                count.added += len(new)
        if withdrawn:
            # The one column a signed record's rules let change: a withdrawal made on the source must take
            # effect here too, exactly as `withdraw_consent` would have set it.
            self.d.execute(
                update(t.consents)
                .where(t.consents.c.id.in_(sorted(withdrawn)), t.consents.c.status == "active")
                .values(status="withdrawn")
            )

    def _remember_before(self, consent_ids: set[str]) -> None:
        """The state of releases already here that this run is about to change (a withdrawal carried in)."""
        added = set(self.made.get("consent", ()))
        wanted = sorted(consent_ids - added - set(self.changed))
        if wanted:
            before = Records(Db.of(self.d)).current("consent", wanted)
            self.changed.update({cid: before.get(cid) for cid in wanted})

    def paper_scans(self) -> None:
        count = self.report.count("paper_scans")
        p = t.paper_scans
        keys_query = select(p.c.id, p.c.form_id, p.c.sha256).order_by(p.c.id)
        missing: list[int] = []
        for rows in stream(self.s, keys_query, BATCH):
            wanted = [(r["form_id"], r["sha256"]) for r in rows]
            have = {
                (form_id, sha)
                for form_id, sha in self.d.execute(
                    select(p.c.form_id, p.c.sha256).where(tuple_(p.c.form_id, p.c.sha256).in_(wanted))
                )
            }
            for row in rows:
                if row["form_id"] in self.conflicted_consents:
                    count.skipped += 1
                elif (row["form_id"], row["sha256"]) in have:
                    count.present += 1
                else:
                    missing.append(row["id"])
        for ids in _chunks(missing, BLOB_BATCH):
            rows = [
                {k: v for k, v in r._mapping.items() if k != "id"}
                for r in self.s.execute(select(p).where(p.c.id.in_(ids)).order_by(p.c.id))
            ]
            self.record("scan", _insert_returning_ids(self.d, p, rows))
            count.added += len(rows)

    # photos and everything decided about them: integer ids, re-mapped -----------------------------------

    def shoots(self) -> None:
        count = self.report.count("shoots")
        s = t.shoots
        theirs = {(r.name, r.source, r.created_at): r.id for r in self.d.execute(select(s))}
        for rows in stream(self.s, select(s).order_by(s.c.id), BATCH):
            new = []
            for row in rows:
                key = (row["name"], row["source"], row["created_at"])
                if key in theirs:
                    self.shoot_map[row["id"]] = theirs[key]
                    count.present += 1
                else:
                    new.append(row)
            ids = _insert_returning_ids(self.d, s, [{k: v for k, v in r.items() if k != "id"} for r in new])
            for row, new_id in zip(new, ids, strict=True):
                self.shoot_map[row["id"]] = new_id
            count.added += len(new)

    def images(self) -> None:
        """Photos in batches, each batch with its analyses, faces, findings, decisions and approvals, so
        the maps of analysis, face and finding ids never outgrow one batch."""
        i = t.images
        for rows in pages(self.s, select(i), i.c.id, _IMAGE_BATCH):
            _ImageBatch(self, rows).run()
            c = self.report.count("images")
            self.tick("images", c.added + c.present + c.skipped)

    # the audit trail ---------------------------------------------------------------------------------------

    def audit_entries(self) -> None:
        """Append each source entry not yet carried here as an `audit.copied` entry (see module doc)."""
        count = self.report.count("audit")
        copies = self.report.count("audit_copies")
        seq, prev = self.dest._audit_head(lock=True)
        actor, now = self.dest.actor, utc_now()
        server = self.dest.engine_name == "postgresql"
        for rows in pages(self.s, select(t.audit), t.audit.c.seq, BATCH):
            carried, known = self._carried_hashes(rows)
            entries, carries = [], []
            for row in rows:
                hashes = carried[row["seq"]]
                if hashes & known:
                    count.present += 1
                    continue
                if server:  # the server numbers, times, names and hashes each entry itself
                    entry = self._copied_entry(row, 0, "", "", "")
                    seq = self.d.execute(insert(t.audit).values(**entry).returning(t.audit.c.seq)).scalar_one()
                else:
                    seq += 1
                    entry = self._copied_entry(row, seq, prev, now, actor)
                    entries.append(entry)
                    prev = entry["hash"]
                carries += [{"source_hash": h, "seq": seq} for h in sorted(hashes)]
                known |= hashes
                count.added += 1
            if entries:
                self.d.execute(insert(t.audit), entries)
                self.d.execute(update(t.meta).where(t.meta.c.key == "audit_head_seq").values(value=str(seq)))
                self.d.execute(update(t.meta).where(t.meta.c.key == "audit_head_hash").values(value=prev))
            if carries:
                self.d.execute(insert(t.audit_copies), carries)
                copies.added += len(carries)
            self.tick("audit", count.added + count.present)

    def describe_records(self) -> None:
        """One `records.copied` entry per few hundred records this run added or changed, each with its state
        here (ids re-mapped, so the source's own entries cannot describe them)."""
        records = Records(Db.of(self.d))
        items: list[list[Any]] = []
        for kind, ids in self.made.items():
            digests = records.current(kind, [str(i) for i in ids])
            items += [state_item(kind, i, None, digests.get(str(i))) for i in ids]
        if self.changed:
            after = records.current("consent", sorted(self.changed))
            items += [state_item("consent", cid, before, after.get(cid)) for cid, before in self.changed.items()]
        for chunk in _chunks(items, 400):
            self.dest.append_audit(
                "records.copied", None, {"from": self.report.source, "records": len(chunk)}, states=list(chunk)
            )

    def _carried_hashes(self, rows: list[Any]) -> tuple[dict[int, set[str]], set[str]]:
        """For a page of source entries: each entry's own hash with the hashes it carries from earlier
        copies, and which of all those the destination already holds (as entries or as carried copies)."""
        a, ac = t.audit, t.audit_copies
        carried: dict[int, set[str]] = {r["seq"]: {r["hash"]} for r in rows}
        for s_seq, s_hash in self.s.execute(
            select(ac.c.seq, ac.c.source_hash).where(ac.c.seq.in_(list(carried)))
        ):
            carried[s_seq].add(s_hash)
        every = sorted(set().union(*carried.values()))
        known = set(self.d.execute(select(a.c.hash).where(a.c.hash.in_(every))).scalars())
        known |= set(self.d.execute(select(ac.c.source_hash).where(ac.c.source_hash.in_(every))).scalars())
        return carried, known

    def _copied_entry(self, row: Any, seq: int, prev: str, now: str, actor: str) -> dict[str, Any]:
        """The `audit.copied` entry that carries one source entry whole, chained after `prev`."""
        details = audit_chain.canonical_details(
            {
                "from": self.report.source,
                "source": {
                    "seq": row["seq"],
                    "at": row["at"],
                    "actor": row["actor"],
                    "action": row["action"],
                    "subject": row["subject"],
                    "details": json.loads(row["details"]),
                    "hash": row["hash"],
                },
            }
        )
        subject = self._subject_here(row["subject"])
        return {
            "seq": seq,
            "at": now,
            "actor": actor,
            "action": "audit.copied",
            "subject": subject,
            "details": details,
            "prev_hash": prev,
            "hash": audit_chain.entry_hash(prev, seq, now, actor, "audit.copied", subject, details),
        }

    def _subject_here(self, subject: str | None) -> str | None:
        """A source subject naming a photo or shoot by its integer id, re-mapped to the id it has here (the
        original stays in the details); None when that photo was not copied."""
        if not subject or ":" not in subject:
            return subject
        kind, _, raw = subject.partition(":")
        mapping = {"image": self.image_map, "shoot": self.shoot_map}.get(kind)
        if mapping is None or not raw.isdigit():
            return subject
        here = mapping.get(int(raw))
        return f"{kind}:{here}" if here is not None else None


def _settled(m: _Merge, count: TableCount, here: bool, older: bool, sentence: str) -> bool:
    """Whether a source row needs no insert: it is here already (present), or it is older than the
    destination's newest on the same thing (skipped, and the conflict reported in `sentence`)."""
    if here:
        count.present += 1
    elif older:
        count.skipped += 1
        m.conflict(sentence)
    return here or older


def _consent_difference(mine: dict, theirs: dict, my_files: dict, their_files: dict) -> str | None:
    """Why two records with the same id are not the same record (None when they are); no personal data."""
    if mine["status"] == "erased" and theirs["status"] != "erased":
        return (
            "was erased in the source but not in the destination; nothing of it was copied. Erase it in the "
            "destination too (consentdesk consent erase) to complete the erasure"
        )
    if theirs["status"] == "erased" and mine["status"] != "erased":
        return (
            "was erased in the destination; the source still holds the person's data, which was not copied. "
            "Erase it in the source too"
        )
    differing = [name for name in _CONSENT_CONTENT if not _same(name, mine[name], theirs[name])]
    if my_files != their_files:
        differing.append("files (" + ", ".join(sorted(set(my_files) ^ set(their_files) or my_files)) + ")")
    if not differing:
        return None
    return (
        "the same form id holds a different signed record in each catalogue ("
        + ", ".join(differing)
        + " differ); the destination's record was kept and the source's was not copied, nor its events, "
        "scans, face links or approvals"
    )


def _same(name: str, a: Any, b: Any) -> bool:
    if name == "answers":
        return json.loads(a) == json.loads(b)
    return a == b


class _ImageBatch:
    """One batch of source photos merged with everything hanging off them."""

    def __init__(self, merge: _Merge, rows: list[dict[str, Any]]) -> None:
        self.m = merge
        self.rows = rows
        self.analysis_map: dict[int, int] = {}
        self.face_map: dict[int, int] = {}
        self.finding_map: dict[int, int] = {}
        self.skipped_images: set[int] = set()  # source ids of photos in conflict
        self.added: list[tuple[dict[str, Any], int]] = []  # (source row, id here) of photos this run adds

    def run(self) -> None:
        self.images()
        self.analyses()
        self.decisions(t.face_decisions, "face_id", self.face_map, with_consent=True)
        self.track_merges()
        self.decisions(t.finding_decisions, "finding_id", self.finding_map, with_consent=False)
        self.image_reviews()
        self.approvals()
        self.takedowns()
        self.photo_files()  # a clip's proxy too, into a register (see copy_photos)

    def photo_files(self) -> None:
        """The working copies of the photos this batch added, into a destination that keeps them (see
        `copy_photos`); photos already there get nothing."""
        m = self.m
        if not self.added or not m.dest.keeps_photo_copies:
            return
        withheld: set[int] = set()
        if m.erased_here:
            fd = t.face_decisions
            withheld = set(
                m.s.execute(
                    select(fd.c.image_id).where(
                        fd.c.image_id.in_([row["id"] for row, _ in self.added]),
                        fd.c.consent_id.in_(sorted(m.erased_here)),
                    )
                ).scalars()
            )
        carry_photo_files(m.s, m.d, self.added, m.report, m.dest.actor, withheld)
        c = m.report.count("photo_files")
        m.tick("photo_files", c.added + c.present + c.skipped)

    def images(self) -> None:
        m, i = self.m, t.images
        count = m.report.count("images")
        theirs = {
            r.sha256: r
            for r in m.d.execute(select(i).where(i.c.sha256.in_([r["sha256"] for r in self.rows])))
        }
        new = []
        for row in self.rows:
            there = theirs.get(row["sha256"])
            if there is None:
                new.append(row)
            elif (there.file_size, there.width, there.height) != (
                row["file_size"],
                row["width"],
                row["height"],
            ):
                self.skipped_images.add(row["id"])
                count.skipped += 1
                m.conflict(
                    f"photo {row['sha256'][:12]}… (source image {row['id']}): the same file hash is recorded "
                    "with a different size in the destination; not copied, nor its analyses or decisions"
                )
            else:
                m.image_map[row["id"]] = (
                    there.id
                )  # the same photo; where its file lives is each computer's own
                count.present += 1
        values = [
            {**{k: v for k, v in r.items() if k != "id"}, "shoot_id": m.shoot_map.get(r["shoot_id"])}
            for r in new
        ]
        for row, new_id in zip(new, _insert_returning_ids(m.d, i, values), strict=True):
            m.image_map[row["id"]] = new_id
            self.added.append((row, new_id))
            m.record("image", [new_id])
        count.added += len(new)

    def analyses(self) -> None:
        m, a = self.m, t.analyses
        count = m.report.count("analyses")
        source_images = [r["id"] for r in self.rows]
        here_images = [m.image_map[i] for i in source_images if i in m.image_map]
        theirs: dict[int, dict[tuple[str, str], int]] = {}
        newest: dict[int, tuple[int, str]] = {}  # image here -> (id, analysed_at) of its current analysis
        for r in m.d.execute(select(a).where(a.c.image_id.in_(here_images))):
            theirs.setdefault(r.image_id, {})[(r.analysed_at, r.analyser_version)] = r.id
            if r.image_id not in newest or r.id > newest[r.image_id][0]:
                newest[r.image_id] = (r.id, r.analysed_at)
        present: list[int] = []
        pending: list[tuple[int, dict[str, Any]]] = []
        for row in m.s.execute(select(a).where(a.c.image_id.in_(source_images)).order_by(a.c.id)):
            if row.image_id in self.skipped_images:
                count.skipped += 1
                continue
            here = m.image_map[row.image_id]
            found = theirs.get(here, {}).get((row.analysed_at, row.analyser_version))
            if found is not None:
                self.analysis_map[row.id] = found
                present.append(row.id)
                count.present += 1
                continue
            if here in newest and newest[here][1] > row.analysed_at:
                count.skipped += 1
                m.conflict(
                    f"image {here}: the source has an analysis from {row.analysed_at} that is older than the "
                    "destination's current one (the photo was checked separately in each catalogue); it was "
                    "not copied, nor the decisions made on it"
                )
                continue
            values = {k: v for k, v in row._mapping.items() if k not in ("id", "image_id")}
            pending.append((row.id, {**values, "image_id": here}))
            newest[here] = (_INSERTED, row.analysed_at)  # inserted after all that is here: the current one
        ids = _insert_returning_ids(m.d, a, [values for _, values in pending])
        m.record("analysis", ids)
        for (source_id, _), new_id in zip(pending, ids, strict=True):
            self.analysis_map[source_id] = new_id
        count.added += len(pending)
        self.clip_rows([source_id for source_id, _ in pending])
        self.parts(t.faces, self.face_map, present)
        self.parts(t.findings, self.finding_map, present)

    def clip_rows(self, copied: list[int]) -> None:
        """A clip's facts and tracks, with each clip analysis this batch copied (one already here has its
        own); before the analysis's state is described, since the clip's row is part of it."""
        m, c = self.m, t.clip_analyses
        count = m.report.count("clip_analyses")
        for chunk in _chunks(copied, BATCH):
            rows = [dict(r._mapping) for r in m.s.execute(select(c).where(c.c.analysis_id.in_(chunk)))]
            for row in rows:
                row["analysis_id"] = self.analysis_map[row["analysis_id"]]
            if rows:
                m.d.execute(insert(c), rows)
            count.added += len(rows)

    def track_merges(self) -> None:
        """"Same person as" decisions on clips' tracks, keyed by (track, decided_at, decided_by, same as);
        one whose tracks were not copied is skipped, one older than the destination's newest on the same
        track is reported (as any decision)."""
        m, tm = self.m, t.track_merges
        count = m.report.count("track_merges")
        theirs: set[tuple] = set()
        newest: dict[int, str] = {}
        for r in m.d.execute(select(tm).where(tm.c.face_id.in_(list(self.face_map.values()))).order_by(tm.c.id)):
            theirs.add((r.face_id, r.decided_at, r.decided_by, r.same_as))
            newest[r.face_id] = r.decided_at
        pending: list[dict[str, Any]] = []
        source = select(tm).where(tm.c.image_id.in_([r["id"] for r in self.rows])).order_by(tm.c.id)
        for row in m.s.execute(source):
            face, same_as = self.face_map.get(row.face_id), self.face_map.get(row.same_as)
            if face is None or (row.same_as is not None and same_as is None):
                count.skipped += 1
                continue
            key = (face, row.decided_at, row.decided_by, same_as)
            older = (
                f"image {m.image_map[row.image_id]}: a same-person decision made at {row.decided_at} in the "
                "source is older than the destination's newest one on the same track; it was not copied"
            )
            if _settled(m, count, key in theirs, newest.get(face, "") > row.decided_at, older):
                continue
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            pending.append({**values, "image_id": m.image_map[row.image_id], "face_id": face, "same_as": same_as})
            theirs.add(key)
            newest[face] = row.decided_at
        if pending:
            m.record("track_merge", _insert_returning_ids(m.d, tm, pending))
        count.added += len(pending)

    def parts(self, table: Table, mapping: dict[int, int], present_analyses: list[int]) -> None:
        """Faces or findings: mapped by (analysis, n) where the analysis was already here, else copied."""
        m = self.m
        count = m.report.count(table.name)
        here_present = [self.analysis_map[i] for i in present_analyses]
        theirs = {
            (r.analysis_id, r.n): r.id
            for r in m.d.execute(
                select(table.c.id, table.c.analysis_id, table.c.n).where(
                    table.c.analysis_id.in_(here_present)
                )
            )
        }
        query = select(table).where(table.c.analysis_id.in_(list(self.analysis_map))).order_by(table.c.id)
        new, present = [], set(present_analyses)
        for row in m.s.execute(query):
            here_analysis = self.analysis_map[row.analysis_id]
            if row.analysis_id in present:
                found = theirs.get((here_analysis, row.n))
                if found is not None:
                    mapping[row.id] = found
                    count.present += 1
                else:
                    count.skipped += 1
                    m.conflict(
                        f"analysis {here_analysis}: {table.name} {row.n} is missing in the destination"
                    )
                continue
            new.append(
                (
                    row.id,
                    {**{k: v for k, v in row._mapping.items() if k != "id"}, "analysis_id": here_analysis},
                )
            )
        ids = _insert_returning_ids(m.d, table, [v for _, v in new])
        for (source_id, _), new_id in zip(new, ids, strict=True):
            mapping[source_id] = new_id
        count.added += len(new)
        # decisions about faces or findings of analyses that were not copied are skipped (counted there)

    def decisions(self, table: Table, target: str, mapping: dict[int, int], *, with_consent: bool) -> None:
        """Face or finding decisions, keyed by (target, decided_at, decided_by, state[, consent])."""
        m = self.m
        count = m.report.count(table.name)
        source_images = [r["id"] for r in self.rows]
        extra = ("consent_id",) if with_consent else ("reason",)
        theirs: set[tuple] = set()
        newest: dict[int, tuple[int, str]] = {}
        here_targets = list(mapping.values())
        for r in m.d.execute(select(table).where(table.c[target].in_(here_targets))):
            theirs.add((r._mapping[target], r.decided_at, r.decided_by, r.state, r._mapping[extra[0]]))
            tid = r._mapping[target]
            if tid not in newest or r.id > newest[tid][0]:
                newest[tid] = (r.id, r.decided_at)
        pending: list[dict[str, Any]] = []
        for row in m.s.execute(select(table).where(table.c.image_id.in_(source_images)).order_by(table.c.id)):
            values = row._mapping
            here_target = mapping.get(values[target])
            if here_target is None or (with_consent and values["consent_id"] in m.conflicted_consents):
                count.skipped += 1
                continue
            key = (here_target, row.decided_at, row.decided_by, row.state, values[extra[0]])
            what = "face" if with_consent else "finding"
            older = (
                f"image {m.image_map[row.image_id]}: a {what} decision made at {row.decided_at} in the source is "
                "older than the destination's newest decision on the same "
                f"{what}; it was not copied (decide again if it should count)"
            )
            is_older = here_target in newest and newest[here_target][1] > row.decided_at
            if _settled(m, count, key in theirs, is_older, older):
                continue
            new = {k: v for k, v in values.items() if k != "id"}
            new.update(image_id=m.image_map[row.image_id], **{target: here_target})
            pending.append(new)
            theirs.add(key)
            newest[here_target] = (_INSERTED, row.decided_at)
        if pending:
            # in source order: their ids keep the order they were made in
            m.record(table.name[:-1], _insert_returning_ids(m.d, table, pending))
        count.added += len(pending)

    def image_reviews(self) -> None:
        m, r = self.m, t.image_reviews
        count = m.report.count("image_reviews")
        here_images = [m.image_map[i["id"]] for i in self.rows if i["id"] in m.image_map]
        theirs: set[tuple] = set()
        newest: dict[int, tuple[int, str]] = {}
        for row in m.d.execute(select(r).where(r.c.image_id.in_(here_images))):
            theirs.add((row.image_id, row.decided_at, row.decided_by, row.state))
            if row.image_id not in newest or row.id > newest[row.image_id][0]:
                newest[row.image_id] = (row.id, row.decided_at)
        source_images = [i["id"] for i in self.rows]
        pending: list[dict[str, Any]] = []
        for row in m.s.execute(select(r).where(r.c.image_id.in_(source_images)).order_by(r.c.id)):
            here = m.image_map.get(row.image_id)
            if here is None:
                count.skipped += 1
                continue
            key = (here, row.decided_at, row.decided_by, row.state)
            if key in theirs:
                count.present += 1
                continue
            if here in newest and newest[here][1] > row.decided_at:
                count.skipped += 1
                m.conflict(
                    f"image {here}: a {row.state} decision on the whole photo made at {row.decided_at} in the "
                    "source is older than the destination's newest one; it was not copied"
                )
                continue
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            pending.append({**values, "image_id": here})
            theirs.add(key)
            newest[here] = (_INSERTED, row.decided_at)
        if pending:
            m.record("image_review", _insert_returning_ids(m.d, r, pending))
        count.added += len(pending)

    def takedowns(self) -> None:
        """Recorded take-downs of this batch's approvals, by approval id: one recorded in both is the same
        take-down; one whose approval was not copied (a conflict) is left out with it."""
        m, k, a = self.m, t.takedowns, t.approvals
        count = m.report.count("takedowns")
        theirs = select(a.c.id).where(a.c.image_id.in_([i["id"] for i in self.rows]))
        rows = [dict(r._mapping) for r in m.s.execute(select(k).where(k.c.approval_id.in_(theirs)))]
        if not rows:
            return
        ids = [r["approval_id"] for r in rows]
        approved_here = set(m.d.execute(select(a.c.id).where(a.c.id.in_(ids))).scalars())
        recorded_here = set(m.d.execute(select(k.c.approval_id).where(k.c.approval_id.in_(ids))).scalars())
        new = [r for r in rows if r["approval_id"] in approved_here - recorded_here]
        count.present += sum(r["approval_id"] in recorded_here for r in rows)
        count.skipped += sum(r["approval_id"] not in approved_here for r in rows)
        if new:
            m.d.execute(insert(k), new)
        count.added += len(new)

    def approvals(self) -> None:
        m, a, ch = self.m, t.approvals, t.approval_channels
        count, ch_count = m.report.count("approvals"), m.report.count("approval_channels")
        source_images = [i["id"] for i in self.rows]
        rows = [
            dict(r._mapping)
            for r in m.s.execute(select(a).where(a.c.image_id.in_(source_images)).order_by(a.c.id))
        ]
        if not rows:
            return
        ids = [r["id"] for r in rows]

        def channels(conn: Connection) -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            for approval_id, channel in conn.execute(
                select(ch.c.approval_id, ch.c.channel).where(ch.c.approval_id.in_(ids))
            ):
                found.setdefault(approval_id, set()).add(channel)
            return found

        mine_ch, theirs_ch = channels(m.s), channels(m.d)
        theirs = {r.id: dict(r._mapping) for r in m.d.execute(select(a).where(a.c.id.in_(ids)))}
        for row in rows:
            aid, here = row["id"], m.image_map.get(row["image_id"])
            my_channels = mine_ch.get(aid, set())
            if here is None:
                count.skipped += 1
                ch_count.skipped += len(my_channels)
                continue
            comparable = {**row, "image_id": here}
            if aid in theirs:
                if theirs[aid] == comparable and theirs_ch.get(aid, set()) == my_channels:
                    count.present += 1
                    ch_count.present += len(my_channels)
                else:
                    count.skipped += 1
                    ch_count.skipped += len(my_channels)
                    m.conflict(
                        f"approval {aid}: a different approval with this id is in the destination; the "
                        "destination's was kept"
                    )
                continue
            lapsed = sorted(set(json.loads(row["consent_ids"])) & m.conflicted_consents)
            if lapsed:
                count.skipped += 1
                ch_count.skipped += len(my_channels)
                m.conflict(
                    f"approval {aid} (image {here}) relies on consent {', '.join(lapsed)}, which is in "
                    "conflict; it was not copied"
                )
                continue
            m.d.execute(insert(a).values(**comparable))
            m.record("approval", [aid])
            if my_channels:
                m.d.execute(insert(ch), [{"approval_id": aid, "channel": c} for c in sorted(my_channels)])
            count.added += 1
            ch_count.added += len(my_channels)
