"""Copying a whole catalogue to another one, on either engine: how a desk joins the team register and how a
laptop that worked offline hands in its day's work.

Two ways, chosen by the destination:

* **New destination** (no catalogue there yet): every row is copied as it is, ids included, together with
  the audit trail and its head, so the copy's chain *is* the source's chain (same hashes). One
  `catalogue.copied` entry is then appended, so the copy itself is on the record.
* **Existing destination** (a register with its own chain, or a second copy): records are merged by their
  natural keys, never by integer ids (those are re-mapped). A record already there unchanged counts as
  present, so copying twice adds nothing the second time. A record whose id is there with different
  content is a *conflict*: it is reported and neither it nor anything that depends on it is written.
  Each source audit entry is appended once as an `audit.copied` entry carrying the original (its seq,
  time, actor, action, subject, details and hash); `audit_copies` remembers which source hashes are
  already carried, including those a copied entry itself carried, so a chain of copies
  (laptop → register → desk) never brings an entry in twice, and copying back and forth settles. A
  `catalogue.copied` summary entry follows when records were added or conflicts found.

History is only appended in time order: the store treats the newest row (highest id) as current, so a
source analysis or decision older than the destination's newest one for the same photo, face or finding
would silently overrule a later decision. Such rows are reported as conflicts instead of merged.

This module opens both sides and makes the verbatim copy; `merge.py` merges, `copy_rows.py` holds the report.
Everything of one run is one transaction on the destination (all or nothing); the source is read from one
snapshot. The chain is verified on both sides before, and on the destination again before committing,
with the table counts; a failed check rolls the whole copy back.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy import Connection, Integer, insert, inspect, select

from consentdesk.core.store import schema as t
from consentdesk.core.store import verify
from consentdesk.core.store.catalogue import Catalogue, _prepare_file
from consentdesk.core.store.copy_photos import carry_photo_files
from consentdesk.core.store.copy_rows import (
    ALL_TABLES,
    BATCH,
    CopyError,
    CopyReport,
    Progress,
    TableCount,
    batch_size,
    columns,
    count_rows,
    pages,
    stream,
)
from consentdesk.core.store.dbapi import Db
from consentdesk.core.store.engine import make_engine
from consentdesk.core.store.errors import CatalogueError
from consentdesk.core.store.locator import Locator, LocatorError, parse
from consentdesk.core.store.merge import merge_into
from consentdesk.core.store.migrations import migrate, schema_version

__all__ = ["CopyError", "CopyReport", "TableCount", "copy_between", "copy_catalogue", "open_destination"]

_HEAD_KEYS = ("audit_head_seq", "audit_head_hash")


# --- opening both sides ---------------------------------------------------------------------------------


def open_destination(where: str | os.PathLike[str] | Locator) -> Catalogue:
    """Open DEST for a copy. An existing catalogue opens (and upgrades) as usual; where there is none yet
    (no file, an empty file or an empty database) the catalogue is left unstarted (no schema, no chain),
    so the copy can give it the source's chain unchanged."""
    try:
        locator = parse(where)
    except LocatorError as exc:
        raise CatalogueError(str(exc)) from exc
    if locator.path is not None:
        _prepare_file(locator.path, create=True)
    engine = make_engine(locator)
    unstarted = Catalogue(locator, engine)
    try:
        empty = _is_empty(unstarted)
    except BaseException:
        engine.dispose()
        raise
    if empty:
        return unstarted
    engine.dispose()
    return Catalogue.open(locator)


def _is_empty(catalogue: Catalogue) -> bool:
    with catalogue._connection() as conn:
        return schema_version(conn) == 0 and not inspect(conn).get_table_names()


def copy_between(
    source: str | os.PathLike[str] | Locator,
    destination: str | os.PathLike[str] | Locator,
    progress: Progress | None = None,
) -> CopyReport:
    """Open SOURCE (it must exist) and DESTINATION (created when missing), copy, close both.

    A destination file this call created is removed again when the copy fails, so a failed copy leaves
    nothing behind."""
    try:
        src_loc, dst_loc = parse(source), parse(destination)
    except LocatorError as exc:
        raise CopyError(str(exc)) from exc
    if _same_place(src_loc, dst_loc):
        raise CopyError(f"{src_loc.safe_text} is both the source and the destination; name two catalogues")
    created_file = dst_loc.path is not None and not dst_loc.path.exists()
    with Catalogue.open(src_loc, create=False) as src:
        try:
            with open_destination(dst_loc) as dst:
                return copy_catalogue(src, dst, progress)
        except BaseException:
            if created_file and dst_loc.path is not None:
                _remove_new_file(dst_loc.path)
            raise


def _same_place(a: Locator, b: Locator) -> bool:
    if a.path is not None and b.path is not None:
        return a.path.expanduser().resolve() == b.path.expanduser().resolve()
    return a.text == b.text


def _remove_new_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


# --- the copy ---------------------------------------------------------------------------------------------


def copy_catalogue(source: Catalogue, dest: Catalogue, progress: Progress | None = None) -> CopyReport:
    """Copy everything in `source` into `dest` (verbatim when `dest` holds no catalogue yet, else merged)."""
    report = CopyReport(source.display_name, dest.display_name, "new" if _is_empty(dest) else "merge")
    report.tables = {table.name: TableCount() for table in ALL_TABLES}  # one fixed order in every report
    tick = progress or (lambda _what, _n: None)
    if report.mode == "merge" and dest.is_team_register:
        with dest._connection() as conn:
            owner = dest._is_owner(conn)
        if not owner:
            raise CopyError(
                f"only the owner of the team register at {dest.display_name} can copy a catalogue into it: a "
                "copy writes other people's records in their names. Ask the administrator who runs "
                "`consentdesk team init` to copy it; nothing was copied."
            )
    with source._snapshot() as sconn, dest.transaction() as dconn:
        # Both chains are checked in the same snapshot / transaction the copy reads and writes, so what is
        # copied is exactly what was verified; raising here leaves the destination untouched. The source's
        # records are checked against their audited states too: a tampered catalogue is not handed in.
        if source.is_team_register:
            source._require_verifier(sconn)
        src_chain = verify.verify(Db.of(sconn))
        report.source_chain_entries, report.source_chain_ok = src_chain.entries, src_chain.ok
        if not src_chain.ok:
            raise CopyError(
                f"the audit trail of {source.display_name} is damaged ({src_chain.problems[0]}); nothing was "
                "copied. Run `consentdesk audit verify` on it and restore a backup."
            )
        if report.mode == "merge":
            dest._audit_head(lock=True)  # one copy at a time, and no one appends half-way through it
            before = dest.verify_audit()
            if not before.ok:
                raise CopyError(
                    f"the audit trail of {dest.display_name} is damaged ({before.problems[0]}); nothing was "
                    "copied into it."
                )
        if report.mode == "new":
            _copy_verbatim(sconn, dconn, dest, report, tick)
        else:
            merge_into(source, dest, sconn, dconn, report, tick)
        if report.mode == "new" or report.conflicts or _records_added(report):
            _append_summary(source, dest, sconn, report)
        chain = dest.verify_audit()  # inside the transaction: sees the copy before it is committed
        report.destination_chain_entries, report.destination_chain_ok = chain.entries, chain.ok
        if not chain.ok:
            raise CopyError(
                f"after copying, the audit trail of {dest.display_name} did not verify ({chain.problems[0]}); "
                "nothing was saved."
            )
    return report


def _records_added(report: CopyReport) -> bool:
    """Whether records (not only audit entries) were added. A run that brought in nothing, or only audit
    entries (each `audit.copied` entry names its source itself), writes no summary entry: otherwise copying
    back and forth would never settle, each side's summary being new to the other."""
    return any(c.added for name, c in report.tables.items() if name not in ("audit", "audit_copies"))


def _append_summary(source: Catalogue, dest: Catalogue, sconn: Connection, report: CopyReport) -> None:
    head = dict(sconn.execute(select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.in_(_HEAD_KEYS))).all())
    dest.append_audit(
        "catalogue.copied",
        None,
        {
            "from": report.source,
            "mode": report.mode,
            "source_head": {"seq": int(head.get("audit_head_seq", 0)), "hash": head.get("audit_head_hash")},
            "added": {name: c.added for name, c in report.tables.items() if c.added},
            "present": {name: c.present for name, c in report.tables.items() if c.present},
            "skipped": {name: c.skipped for name, c in report.tables.items() if c.skipped},
            "conflicts": len(report.conflicts),
        },
    )


# --- into an empty destination: row for row ---------------------------------------------------------------


def _copy_verbatim(
    sconn: Connection, dconn: Connection, dest: Catalogue, report: CopyReport, tick: Progress
) -> None:
    migrate(dconn)
    if dest.engine_name == "postgresql":
        # Rows keep who did them and the chain is carried as it is: the owner announces a verbatim copy, so
        # the server's triggers neither rename the actors nor move the audit head (see migration 6).
        dconn.exec_driver_sql("SET LOCAL consentdesk.copying = 'on'")
    for table in ALL_TABLES:
        query = select(*columns(table)).order_by(*table.primary_key.columns)
        done = 0
        for rows in stream(sconn, query, batch_size(table)):
            dconn.execute(insert(table), rows)
            done += len(rows)
            tick(table.name, done)
        report.count(table.name).added = done
    # On a register the audit trigger already moved the head along the copied entries.
    skip = ("schema_version", *(_HEAD_KEYS if dest.engine_name == "postgresql" else ()))
    meta = sconn.execute(select(t.meta).where(t.meta.c.key.not_in(skip))).all()
    if meta:
        dconn.execute(insert(t.meta), [dict(r._mapping) for r in meta])
    if dest.engine_name == "postgresql":
        _move_identities_past_copied_ids(dconn)
        dconn.exec_driver_sql("SET LOCAL consentdesk.copying = 'off'")  # entries from here on are this run's
    for table in ALL_TABLES:
        expected = report.count(table.name).added
        if count_rows(dconn, table) != expected or count_rows(sconn, table) != expected:
            raise CopyError(
                f"the copy of table {table.name} does not hold every row of the source; nothing saved"
            )
    if dest.keeps_photo_copies:
        _carry_missing_photo_files(sconn, dconn, dest, report)


def _carry_missing_photo_files(
    sconn: Connection, dconn: Connection, dest: Catalogue, report: CopyReport
) -> None:
    """A desk joining the register keeps no working copies: give its photos theirs (see `copy_photos`)."""
    i, pf = t.images, t.photo_files
    missing = select(i.c.id, i.c.sha256, i.c.path, i.c.file_size).where(
        i.c.sha256.not_in(select(pf.c.sha256))
    )
    for rows in pages(dconn, missing, i.c.id, BATCH):
        carry_photo_files(sconn, dconn, [(row, row["id"]) for row in rows], report, dest.actor)


def _move_identities_past_copied_ids(conn: Connection) -> None:
    """Rows were written with their ids; the next id the server hands out must come after them."""
    for table in t.COPY_ORDER:
        if "id" in table.c and isinstance(table.c.id.type, Integer):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
