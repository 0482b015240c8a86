"""Erasure and keeping the catalogue healthy: the right to be forgotten, compaction, backups, checks, and
the record of each subject access bundle exported.

Erasure removes rows and blanks answers in one action. Deleted data can linger in the engine's files
(SQLite's free pages and WAL; PostgreSQL's dead row versions and index entries), so `compact()` rewrites
what held it: VACUUM between WAL checkpoints on SQLite, `VACUUM FULL` of the personal-data tables on
PostgreSQL (the server's WAL archive and base backups still hold it until they expire: see README).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy import exc as sa_exc

from consentdesk.core.store import schema as t
from consentdesk.core.store.base import utc_now
from consentdesk.core.store.errors import CatalogueError
from consentdesk.core.store.review import ReviewStore
from consentdesk.core.store.states import State
from consentdesk.core.store.states import item as state_item
from consentdesk.core.store.states import merged as merged_states
from consentdesk.core.values import ConsentStatus, ErasureCounts

#: Tables that can hold a person's data; rewritten after an erasure on PostgreSQL.
PERSONAL_TABLES = (
    "consents",
    "consent_files",
    "consent_events",
    "paper_scans",
    "face_decisions",
    "image_reviews",
)

ERASED_IMAGE_REASON = "a person shown was erased from the register; review again before any use"


class MaintenanceStore(ReviewStore):
    def erase_consent(self, consent_id: str, today: date) -> ErasureCounts:
        """Remove a person's personal data and every link to them, leaving an id-only tombstone.

        Face links are deleted (history included: they tie the person to photos) and each face gets a
        fresh 'unresolved' decision, so an older 'blur' decision cannot silently clear it again; each
        image shown is also marked rejected, so it is blocked on every channel until someone reviews it
        on purpose. Free text of earlier status events is blanked too (a withdrawal reason can name
        people). Call `compact()` afterwards so nothing is left in the engine's files.
        """
        with self.transaction(needs="dpo") as conn:
            if self._server_rules:
                done = conn.execute(
                    text("SELECT cd_erase_consent(:id, :today)"), {"id": consent_id, "today": today.isoformat()}
                ).scalar_one()
                return ErasureCounts(
                    consent_id,
                    int(done["face_links_removed"]),
                    tuple(int(i) for i in done["images_blocked"]),
                    int(done["files_removed"]),
                    int(done["scans_removed"]),
                )
            consent = self.get_consent(consent_id)
            if consent.status is ConsentStatus.ERASED:
                raise CatalogueError(f"consent {consent_id} was already erased")
            actor, now = self.actor, utc_now()
            before = self._state("consent", consent_id)
            gone = self._erased_rows(conn, consent_id)
            files, scans = _strip_record(conn, consent_id, today, actor, now)  # first: the guards allow the rest
            removed, images, decisions = _unlink_faces(conn, consent_id, actor, now)
            copies, reviews = _block_images(conn, images, actor, now)
            counts = ErasureCounts(consent_id, removed, images, files, scans)
            self.append_audit(
                "consent.erased",
                consent_id,
                {
                    "face_links_removed": removed,
                    "images_blocked": list(images),
                    "files_removed": files,
                    "scans_removed": scans,
                    "photo_copies_removed": copies,
                },
                states=merged_states(
                    [
                        self._changed("consent", consent_id, before),
                        *gone,
                        *(self._made("face_decision", i) for i in decisions),
                        *(self._made("image_review", i) for i in reviews),
                    ]
                ),
            )
        return counts

    def _erased_rows(self, conn: Connection, consent_id: str) -> list[State]:
        """The face links and scans an erasure removes, with the state each had (recorded as removed)."""
        fd, ps = t.face_decisions, t.paper_scans
        links = list(conn.execute(select(fd.c.id).where(fd.c.consent_id == consent_id).order_by(fd.c.id)).scalars())
        scans = list(conn.execute(select(ps.c.id).where(ps.c.form_id == consent_id).order_by(ps.c.id)).scalars())
        link_states = self._states_now("face_decision", links)
        scan_states = self._states_now("scan", scans)
        return [state_item("face_decision", i, link_states[str(i)], None) for i in links] + [
            state_item("scan", i, scan_states[str(i)], None) for i in scans
        ]

    def record_sar_export(self, consent_id: str, details: dict[str, Any], write: Callable[[], Any]) -> None:
        """Record a subject access bundle as exported ('sar.exported': ids and counts only) and `write` it,
        as one action: the entry is kept only if the bundle was written. On a team register the server's
        `cd_record_sar_export` appends this entry for a data-protection officer only, so anyone else is
        refused before the bundle is written."""
        with self.transaction(needs="dpo") as conn:
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_record_sar_export(:id, :photos, :left_out, :files, :scans, :entries)"),
                    {
                        "id": consent_id,
                        "photos": list(details.get("photos", [])),
                        "left_out": list(details.get("photos_left_out", [])),
                        "files": int(details.get("files", 0)),
                        "scans": int(details.get("scans", 0)),
                        "entries": int(details.get("audit_entries", 0)),
                    },
                )
            else:
                self.append_audit("sar.exported", consent_id, details)
            write()

    def compact(self) -> bool:
        """Rewrite storage so deleted data is really gone; False if another connection kept part of it.

        SQLite: the WAL holds old page images too, so it is checkpointed and truncated before and after
        VACUUM; False means another program kept the WAL from being emptied (close other windows and run
        `consentdesk check` or erase again to finish). PostgreSQL: VACUUM FULL of the personal-data tables
        (new files without dead row versions, indexes rebuilt).
        """
        with self._engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine_name == "sqlite":
                first = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                conn.exec_driver_sql("VACUUM")
                last = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                return first[0] == 0 and last[0] == 0
            try:
                for table in PERSONAL_TABLES:
                    conn.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {table}")
            except sa_exc.DBAPIError:
                return False  # only the tables' owner may rewrite them: the administrator finishes it
            # VACUUM of a table one may not rewrite is skipped with a warning, not an error: check it did.
            return self._owns_personal_tables(conn)

    def _owns_personal_tables(self, conn) -> bool:  # noqa: ANN001 - a SQLAlchemy Connection
        query = (
            "SELECT bool_and(pg_has_role(session_user, tableowner, 'USAGE')) FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s)"
        )
        return bool(conn.exec_driver_sql(query, (list(PERSONAL_TABLES),)).scalar())

    def checkpoint(self) -> bool:
        """Move everything from SQLite's WAL into the main file (before copying or replacing the file)."""
        if self.engine_name != "sqlite":
            return True
        with self._engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            return conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0] == 0

    def backup_to(self, dest: Path) -> None:
        """Copy a desk catalogue with SQLite's online backup: consistent even while the app is writing."""
        if self.engine_name != "sqlite":
            raise CatalogueError(
                "a team register is backed up on its server (pg_dump or the server's own backups), or copied "
                "to a file with `consentdesk catalogue copy`; ask your administrator"
            )
        raw = self._engine.raw_connection()
        try:
            target = sqlite3.connect(dest)
            try:
                raw.driver_connection.backup(target)
            finally:
                target.close()
        finally:
            raw.close()

    def integrity_problems(self) -> list[str]:
        """The engine's own check of its storage plus dangling references; empty means healthy."""
        if self.engine_name != "sqlite":
            return []  # the server enforces references and checks its own pages (checksums, amcheck)
        with self._engine.connect() as conn:
            problems = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check") if r[0] != "ok"]
            for r in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                problems.append(f"{r[0]} row {r[1]} points to a missing {r[2]} row")
        return problems


def _unlink_faces(
    conn: Connection, consent_id: str, actor: str, now: str
) -> tuple[int, tuple[int, ...], list[int]]:
    """Delete every link to the person (history too) and give each of those faces a fresh 'unresolved'
    decision; returns the links removed, the photos they were in and the new decisions' ids."""
    fd = t.face_decisions
    linked = conn.execute(
        select(fd.c.face_id, fd.c.image_id).where(fd.c.consent_id == consent_id).distinct()
    ).all()
    removed = conn.execute(delete(fd).where(fd.c.consent_id == consent_id)).rowcount
    made: list[int] = []
    if linked:
        made = list(
            conn.execute(
                insert(fd).returning(fd.c.id, sort_by_parameter_order=True),
                [
                    {
                        "image_id": image_id,
                        "face_id": face_id,
                        "state": "unresolved",
                        "consent_id": None,
                        "decided_at": now,
                        "decided_by": actor,
                    }
                    for face_id, image_id in sorted(linked)
                ],
            ).scalars()
        )
    return removed, tuple(sorted({image_id for _face, image_id in linked})), made


def _block_images(conn: Connection, images: tuple[int, ...], actor: str, now: str) -> tuple[int, list[int]]:
    """Mark each photo rejected until reviewed again on purpose, and drop the register's working copies
    of it; returns the copies removed and the new decisions' ids."""
    if not images:
        return 0, []
    reviews = list(
        conn.execute(
            insert(t.image_reviews).returning(t.image_reviews.c.id, sort_by_parameter_order=True),
            [
                {
                    "image_id": image_id,
                    "state": "rejected",
                    "reason": ERASED_IMAGE_REASON,
                    "decided_at": now,
                    "decided_by": actor,
                }
                for image_id in images
            ],
        ).scalars()
    )
    shown = select(t.images.c.sha256).where(t.images.c.id.in_(images))
    return conn.execute(delete(t.photo_files).where(t.photo_files.c.sha256.in_(shown))).rowcount, reviews


def _strip_record(conn: Connection, consent_id: str, today: date, actor: str, now: str) -> tuple[int, int]:
    """Leave an id-only tombstone: answers, files, scans and the free text of earlier status events go;
    an 'erased' event is added. Returns the files and scans removed."""
    conn.execute(
        update(t.consents)
        .where(t.consents.c.id == consent_id)
        .values(answers="{}", status="erased", search_key="")
    )
    files = conn.execute(delete(t.consent_files).where(t.consent_files.c.consent_id == consent_id)).rowcount
    scans = conn.execute(delete(t.paper_scans).where(t.paper_scans.c.form_id == consent_id)).rowcount
    conn.execute(
        update(t.consent_events).where(t.consent_events.c.consent_id == consent_id).values(reason=None)
    )
    conn.execute(
        insert(t.consent_events).values(
            consent_id=consent_id,
            kind="erased",
            effective_on=today.isoformat(),
            reason=None,
            recorded_at=now,
            recorded_by=actor,
        )
    )
    return files, scans
