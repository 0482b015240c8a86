"""The SQLite catalogue: the one place that knows SQL.

One `Catalogue` per thread. Every user action is one transaction (`BEGIN IMMEDIATE` … `COMMIT`) that
also appends its audit entry, so a crash leaves either the whole action with its audit row or neither.
The rest of the app sees dataclasses, never rows or connections, so the store can later move to a shared
server without touching callers.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from consentdesk.core import audit, decisions, ids
from consentdesk.core.lifecycle.records import ErasureCounts, LapsedLink, PaperScan
from consentdesk.core.migrations import APPLICATION_ID, LATEST_VERSION, migrate, schema_version
from consentdesk.core.minimise import mask_finding_text
from consentdesk.core.model import (
    Analysis,
    Box,
    Consent,
    ConsentStatus,
    FindingKind,
    ImageRecord,
    Severity,
    StoredAnalysis,
    StoredFace,
    StoredFinding,
    reading_order,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"


class CatalogueError(Exception):
    """The catalogue cannot be opened or written; the message says why and what to do."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ConsentQuery:
    """Filters for the register. Text matches name, id, location or photographer, case-insensitively."""

    text: str = ""
    status: ConsentStatus | None = None
    role: str | None = None
    location: str | None = None
    expiring_before: date | None = None
    today: date | None = None


@dataclass(frozen=True, slots=True)
class NewConsent:
    """A validated submission ready to store (see `consents.record_consent`)."""

    form_name: str
    form_version: int
    answers: dict[str, Any]
    files: dict[str, tuple[str, bytes]]  # field id -> (mime, data)
    signed_at: datetime
    expires_on: date | None
    source: str
    form_id: str | None = None  # a pre-printed paper form id to use; a new id is issued when None


@dataclass(frozen=True, slots=True)
class NewImage:
    """What the importer learnt about a file before adding it."""

    sha256: str
    path: str
    file_size: int
    width: int
    height: int
    captured_at: str | None = None
    camera: str | None = None


class Catalogue:
    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self.db = sqlite_utils.Database(conn)

    # --- opening ------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = True) -> Catalogue:
        path = Path(path).expanduser()
        _check_file_before_open(path, create)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=10)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            catalogue = cls(path, conn)
            catalogue._upgrade()
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(_explain(path, exc)) from exc
        return catalogue

    def _upgrade(self) -> None:
        version = schema_version(self._conn)
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        has_tables = self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if has_tables and app_id != APPLICATION_ID:
            raise CatalogueError(
                f"{self.path} is an SQLite database but not a ConsentDesk catalogue. "
                "Choose a catalogue file, or a new file name to start one."
            )
        if version > LATEST_VERSION:
            raise CatalogueError(
                f"{self.path} was made by a newer ConsentDesk (catalogue version {version}; this one reads up "
                f"to {LATEST_VERSION}). Update ConsentDesk to open it; the file was not changed."
            )
        if version == LATEST_VERSION:
            return
        if version > 0:
            self._backup_before_upgrade(version)
        with self.transaction():
            applied = migrate(self._conn)
            if version == 0:
                self._conn.execute("INSERT INTO meta(key, value) VALUES ('audit_head_seq', '0')")
                self._conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('audit_head_hash', ?)", (audit.GENESIS,)
                )
                self.append_audit("catalogue.created", None, {"schema": LATEST_VERSION})
            else:
                self.append_audit(
                    "catalogue.upgraded", None, {"from": version, "to": LATEST_VERSION, "applied": applied}
                )

    def _backup_before_upgrade(self, version: int) -> None:
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        if target.exists():
            return
        dest = sqlite3.connect(target)
        try:
            self._conn.backup(dest)
        finally:
            dest.close()
        os.chmod(target, 0o600)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def locator(self) -> str:
        """What opens this same catalogue again (a file path today, a server URL later): workers use it to
        open their own connection, never a bare path."""
        return str(self.path)

    @property
    def display_name(self) -> str:
        """A short name for window titles and labels."""
        return self.path.name

    @property
    def schema_version(self) -> int:
        return schema_version(self._conn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One user action: all of it is saved, with its audit entry, or none of it."""
        if self._conn.in_transaction:
            yield
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise CatalogueError(_explain(self.path, exc)) from exc
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        try:
            self._conn.commit()
        except sqlite3.DatabaseError as exc:
            self._conn.rollback()
            raise CatalogueError(_explain(self.path, exc)) from exc

    # --- audit -------------------------------------------------------------------------------------

    def append_audit(
        self, action: str, subject: str | None, details: dict[str, Any], actor: str | None = None
    ) -> str:
        """Add an entry to the chain. Must run inside a transaction so it commits with its action."""
        assert self._conn.in_transaction, "audit entries are written with the action they record"
        head = dict(
            self._conn.execute("SELECT key, value FROM meta WHERE key LIKE 'audit_head_%'").fetchall()
        )
        seq = int(head["audit_head_seq"]) + 1
        prev = head["audit_head_hash"]
        at = utc_now()
        actor = actor or audit.current_actor()
        details_json = audit.canonical_details(details)
        digest = audit.entry_hash(prev, seq, at, actor, action, subject, details_json)
        self._conn.execute(
            "INSERT INTO audit(seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
            (seq, at, actor, action, subject, details_json, prev, digest),
        )
        self._conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_seq'", (str(seq),))
        self._conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_hash'", (digest,))
        return digest

    def audit_entries(self, subject: str | None = None) -> list[audit.AuditEntry]:
        sql = "SELECT * FROM audit" + (" WHERE subject = ?" if subject else "") + " ORDER BY seq"
        rows = self._conn.execute(sql, (subject,) if subject else ()).fetchall()
        return [
            audit.AuditEntry(
                r["seq"],
                r["at"],
                r["actor"],
                r["action"],
                r["subject"],
                json.loads(r["details"]),
                r["prev_hash"],
                r["hash"],
            )
            for r in rows
        ]

    def verify_audit(self) -> audit.AuditReport:
        rows = [dict(r) for r in self._conn.execute("SELECT * FROM audit ORDER BY seq")]
        head = dict(
            self._conn.execute("SELECT key, value FROM meta WHERE key LIKE 'audit_head_%'").fetchall()
        )
        return audit.verify_chain(rows, int(head.get("audit_head_seq", -1)), head.get("audit_head_hash", ""))

    # --- form ids ----------------------------------------------------------------------------------

    def _issue_form_ids(self, count: int, batch: str) -> list[str]:
        issued: list[str] = []
        now, actor = utc_now(), audit.current_actor()
        while len(issued) < count:
            candidate = ids.new_id()
            try:
                self._conn.execute(
                    "INSERT INTO form_ids(id, reserved_at, reserved_by, batch) VALUES (?,?,?,?)",
                    (candidate, now, actor, batch),
                )
            except sqlite3.IntegrityError:
                continue  # astronomically rare collision: draw again
            issued.append(candidate)
        return issued

    def reserve_form_ids(self, count: int) -> list[str]:
        """Pre-allocate ids for printed blank forms so each paper form can be matched back by its QR code."""
        if not 1 <= count <= 10_000:
            raise ValueError("between 1 and 10,000 form ids can be reserved at once")
        with self.transaction():
            batch = ids.new_id()
            issued = self._issue_form_ids(count, batch)
            self.append_audit(
                "form_ids.reserved",
                None,
                {"count": count, "batch": batch, "first": issued[0], "last": issued[-1]},
            )
        return issued

    def form_id_state(self, form_id: str) -> str:
        """'unknown', 'reserved' (printed, not yet entered) or 'used' (a record exists)."""
        row = self._conn.execute(
            "SELECT f.id, c.id AS consent FROM form_ids f LEFT JOIN consents c ON c.id = f.id WHERE f.id = ?",
            (form_id,),
        ).fetchone()
        if row is None:
            return "unknown"
        return "used" if row["consent"] else "reserved"

    # --- consents ----------------------------------------------------------------------------------

    def add_consent(self, new: NewConsent) -> Consent:
        with self.transaction():
            if new.form_id:
                state = self.form_id_state(new.form_id)
                if state == "unknown":
                    raise CatalogueError(
                        f"form id {new.form_id} was never issued by this catalogue; check the number"
                    )
                if state == "used":
                    raise CatalogueError(f"form id {new.form_id} already has a signed record")
                consent_id = new.form_id
            else:
                consent_id = self._issue_form_ids(1, "screen")[0]
            created_at = utc_now()
            actor = audit.current_actor()
            self.db["consents"].insert(
                {
                    "id": consent_id,
                    "form_name": new.form_name,
                    "form_version": new.form_version,
                    "answers": json.dumps(new.answers, ensure_ascii=False, sort_keys=True),
                    "signed_at": new.signed_at.isoformat(timespec="seconds"),
                    "expires_on": new.expires_on.isoformat() if new.expires_on else None,
                    "created_at": created_at,
                    "created_by": actor,
                    "source": new.source,
                }
            )
            for field_id, (mime, data) in new.files.items():
                self.db["consent_files"].insert(
                    {
                        "consent_id": consent_id,
                        "field": field_id,
                        "mime": mime,
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "data": data,
                    }
                )
            self.append_audit(
                "consent.signed",
                consent_id,
                {
                    "form": f"{new.form_name}@v{new.form_version}",
                    "source": new.source,
                    "expires_on": new.expires_on.isoformat() if new.expires_on else None,
                    "files": sorted(new.files),
                },
            )
        return self.get_consent(consent_id)

    _CONSENT_SELECT = """
        SELECT c.*,
          (SELECT group_concat(field) FROM consent_files f WHERE f.consent_id = c.id) AS file_fields,
          (SELECT effective_on FROM consent_events e WHERE e.consent_id = c.id AND e.kind = 'withdrawn'
             ORDER BY e.id DESC LIMIT 1) AS withdrawn_on,
          (SELECT reason FROM consent_events e WHERE e.consent_id = c.id AND e.kind = 'withdrawn'
             ORDER BY e.id DESC LIMIT 1) AS withdrawal_reason
        FROM consents c
    """

    def get_consent(self, consent_id: str) -> Consent:
        row = self._conn.execute(self._CONSENT_SELECT + " WHERE c.id = ?", (consent_id,)).fetchone()
        if row is None:
            raise KeyError(consent_id)
        return _consent_from_row(row)

    def find_consent(self, consent_id: str) -> Consent | None:
        try:
            return self.get_consent(consent_id)
        except KeyError:
            return None

    def list_consents(self, query: ConsentQuery | None = None) -> list[Consent]:
        query = query or ConsentQuery()
        today = (query.today or date.today()).isoformat()
        where, params = [], []
        if query.text:
            where.append(
                "(c.full_name LIKE ? OR c.id LIKE ? OR c.location LIKE ? OR json_extract(c.answers, '$.photographer') LIKE ?)"
            )
            needle = f"%{query.text.strip()}%"
            params += [needle] * 4
        if query.status is ConsentStatus.EXPIRED:
            where.append("c.status = 'active' AND c.expires_on IS NOT NULL AND c.expires_on < ?")
            params.append(today)
        elif query.status is ConsentStatus.ACTIVE:
            where.append("c.status = 'active' AND (c.expires_on IS NULL OR c.expires_on >= ?)")
            params.append(today)
        elif query.status is not None:
            where.append("c.status = ?")
            params.append(str(query.status))
        if query.role:
            where.append("c.role = ?")
            params.append(query.role)
        if query.location:
            where.append("c.location = ?")
            params.append(query.location)
        if query.expiring_before:
            where.append(
                "c.status = 'active' AND c.expires_on IS NOT NULL AND c.expires_on >= ? AND c.expires_on <= ?"
            )
            params += [today, query.expiring_before.isoformat()]
        sql = self._CONSENT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY c.signed_at DESC, c.id"
        return [_consent_from_row(r) for r in self._conn.execute(sql, params)]

    def consent_file(self, consent_id: str, field_id: str) -> tuple[str, bytes] | None:
        row = self._conn.execute(
            "SELECT mime, data FROM consent_files WHERE consent_id = ? AND field = ?", (consent_id, field_id)
        ).fetchone()
        return (row["mime"], bytes(row["data"])) if row else None

    def locations(self) -> list[str]:
        return [
            r[0]
            for r in self._conn.execute(
                "SELECT DISTINCT location FROM consents WHERE location IS NOT NULL ORDER BY 1"
            )
        ]

    def withdraw_consent(self, consent_id: str, effective_on: date, reason: str) -> Consent:
        """Record a withdrawal as an event; the signed record itself stays as signed."""
        reason = reason.strip()
        if not reason:
            raise ValueError("a reason for the withdrawal is required")
        with self.transaction():
            consent = self.get_consent(consent_id)
            if consent.status is not ConsentStatus.ACTIVE:
                raise CatalogueError(f"consent {consent_id} is already {consent.status}")
            self._conn.execute(
                "INSERT INTO consent_events(consent_id, kind, effective_on, reason, recorded_at, recorded_by) "
                "VALUES (?, 'withdrawn', ?, ?, ?, ?)",
                (consent_id, effective_on.isoformat(), reason, utc_now(), audit.current_actor()),
            )
            self._conn.execute("UPDATE consents SET status = 'withdrawn' WHERE id = ?", (consent_id,))
            self.append_audit("consent.withdrawn", consent_id, {"effective_on": effective_on.isoformat()})
        return self.get_consent(consent_id)

    # --- images and analyses --------------------------------------------------------------------

    def create_shoot(self, name: str, source: str) -> int:
        with self.transaction():
            shoot_id = self._conn.execute(
                "INSERT INTO shoots(name, source, created_at) VALUES (?, ?, ?)", (name, source, utc_now())
            ).lastrowid
            self.append_audit("shoot.created", f"shoot:{shoot_id}", {"name": name})
        return int(shoot_id)

    def shoots(self) -> list[dict[str, Any]]:
        sql = """SELECT s.*, count(i.id) AS images FROM shoots s LEFT JOIN images i ON i.shoot_id = s.id
                 GROUP BY s.id ORDER BY s.created_at DESC, s.id DESC"""
        return [dict(r) for r in self._conn.execute(sql)]

    def find_image_by_sha(self, sha256: str) -> ImageRecord | None:
        row = self._conn.execute("SELECT * FROM images WHERE sha256 = ?", (sha256,)).fetchone()
        return _image_from_row(row) if row else None

    def known_hashes(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT sha256 FROM images")}

    def get_image(self, image_id: int) -> ImageRecord:
        row = self._conn.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise KeyError(image_id)
        return _image_from_row(row)

    def list_images(self, shoot_id: int | None = None) -> list[ImageRecord]:
        sql = "SELECT * FROM images" + (" WHERE shoot_id = ?" if shoot_id is not None else "")
        sql += " ORDER BY shoot_id, coalesce(captured_at, imported_at), id"
        return [
            _image_from_row(r) for r in self._conn.execute(sql, (shoot_id,) if shoot_id is not None else ())
        ]

    def add_image(
        self, new: NewImage, analysis: Analysis, shoot_id: int | None = None
    ) -> tuple[ImageRecord, bool]:
        """Add an image and its first analysis in one transaction; a known file (same SHA-256) is not added
        again. Returns the record and whether it was new."""
        with self.transaction():
            existing = self.find_image_by_sha(new.sha256)
            if existing:
                return existing, False
            image_id = self._conn.execute(
                "INSERT INTO images(sha256, path, file_size, width, height, captured_at, camera, shoot_id, imported_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    new.sha256,
                    new.path,
                    new.file_size,
                    new.width,
                    new.height,
                    new.captured_at,
                    new.camera,
                    shoot_id,
                    utc_now(),
                ),
            ).lastrowid
            self._insert_analysis(int(image_id), analysis)
            self.append_audit(
                "image.imported",
                f"image:{image_id}",
                {
                    "sha256": new.sha256,
                    "faces": len(analysis.faces),
                    "findings": len(analysis.findings),
                    "analyser": analysis.analyser_version,
                    "error": bool(analysis.error),
                },
            )
        return self.get_image(int(image_id)), True

    def save_analysis(self, image_id: int, analysis: Analysis) -> StoredAnalysis:
        """Store a re-check as a new analysis; earlier ones stay as they were."""
        with self.transaction():
            self._insert_analysis(image_id, analysis)
            self.append_audit(
                "image.reanalysed",
                f"image:{image_id}",
                {
                    "faces": len(analysis.faces),
                    "findings": len(analysis.findings),
                    "analyser": analysis.analyser_version,
                },
            )
        stored = self.current_analysis(image_id)
        assert stored is not None
        return stored

    def _insert_analysis(self, image_id: int, analysis: Analysis) -> int:
        analysis_id = int(
            self._conn.execute(
                "INSERT INTO analyses(image_id, analyser_version, analysed_at, error, timings) VALUES (?,?,?,?,?)",
                (
                    image_id,
                    analysis.analyser_version,
                    utc_now(),
                    analysis.error,
                    json.dumps(analysis.timings),
                ),
            ).lastrowid
        )
        faces = list(analysis.faces)
        for n, i in enumerate(reading_order([f.box for f in faces]), start=1):
            f = faces[i]
            self._conn.execute(
                "INSERT INTO faces(analysis_id, n, x, y, w, h, score) VALUES (?,?,?,?,?,?,?)",
                (analysis_id, n, *f.box.as_list(), float(f.score)),
            )
        findings = list(analysis.findings)
        for n, i in enumerate(reading_order([f.box for f in findings]), start=1):
            f = findings[i]
            self._conn.execute(
                "INSERT INTO findings(analysis_id, n, kind, severity, x, y, w, h, text) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    analysis_id,
                    n,
                    str(f.kind),
                    str(f.severity),
                    *f.box.as_list(),
                    mask_finding_text(f.kind, f.text),
                ),
            )
        return analysis_id

    def current_analysis(self, image_id: int) -> StoredAnalysis | None:
        row = self._conn.execute(
            "SELECT * FROM analyses WHERE image_id = ? ORDER BY id DESC LIMIT 1", (image_id,)
        ).fetchone()
        if row is None:
            return None
        faces = tuple(
            StoredFace(r["id"], r["n"], Box(r["x"], r["y"], r["w"], r["h"]), r["score"])
            for r in self._conn.execute("SELECT * FROM faces WHERE analysis_id = ? ORDER BY n", (row["id"],))
        )
        findings = tuple(
            StoredFinding(
                r["id"],
                r["n"],
                FindingKind(r["kind"]),
                Severity(r["severity"]),
                Box(r["x"], r["y"], r["w"], r["h"]),
                r["text"],
            )
            for r in self._conn.execute(
                "SELECT * FROM findings WHERE analysis_id = ? ORDER BY n", (row["id"],)
            )
        )
        return StoredAnalysis(
            row["id"], image_id, row["analyser_version"], row["analysed_at"], row["error"], faces, findings
        )

    def images_analysed_before(self, analyser_version: str) -> list[ImageRecord]:
        """Images whose current analysis came from another analyser version (candidates for a re-check)."""
        sql = """SELECT i.* FROM images i JOIN analyses a ON a.id = (
                   SELECT max(id) FROM analyses WHERE image_id = i.id)
                 WHERE a.analyser_version != ? ORDER BY i.id"""
        return [_image_from_row(r) for r in self._conn.execute(sql, (analyser_version,))]

    # --- review decisions and approvals (verify-before-posting) --------------------------------

    def review_state(self, image_id: int) -> decisions.ImageState:
        """The image's current analysis with the newest decision for each face and finding.

        Decisions belong to the face/finding rows of one analysis, so a re-analysis starts unresolved.
        """
        self.get_image(image_id)  # KeyError for an unknown image
        analysis = self.current_analysis(image_id)
        review = self._conn.execute(
            "SELECT state, reason FROM image_reviews WHERE image_id = ? ORDER BY id DESC LIMIT 1", (image_id,)
        ).fetchone()
        rejected = review is not None and review["state"] == "rejected"
        reason = review["reason"] if rejected else None
        if analysis is None:
            return decisions.ImageState(image_id, None, None, rejected=rejected, rejection_reason=reason)
        face_rows = {
            r["face_id"]: r
            for r in self._conn.execute(
                """SELECT d.face_id, d.state, d.consent_id FROM face_decisions d
                   JOIN faces f ON f.id = d.face_id
                   WHERE f.analysis_id = ? AND d.id = (SELECT max(id) FROM face_decisions WHERE face_id = d.face_id)""",
                (analysis.id,),
            )
        }
        finding_rows = {
            r["finding_id"]: r
            for r in self._conn.execute(
                """SELECT d.finding_id, d.state, d.reason FROM finding_decisions d
                   JOIN findings f ON f.id = d.finding_id
                   WHERE f.analysis_id = ?
                     AND d.id = (SELECT max(id) FROM finding_decisions WHERE finding_id = d.finding_id)""",
                (analysis.id,),
            )
        }
        faces = tuple(
            decisions.FaceReview(
                f.id,
                f.n,
                f.box,
                f.score,
                decisions.FaceState(face_rows[f.id]["state"])
                if f.id in face_rows
                else decisions.FaceState.UNRESOLVED,
                face_rows[f.id]["consent_id"] if f.id in face_rows else None,
            )
            for f in analysis.faces
        )
        findings = tuple(
            decisions.FindingReview(
                f.id,
                f.n,
                f.kind,
                f.severity,
                f.box,
                f.text,
                decisions.FindingState(finding_rows[f.id]["state"])
                if f.id in finding_rows
                else decisions.FindingState.UNRESOLVED,
                finding_rows[f.id]["reason"] if f.id in finding_rows else None,
            )
            for f in analysis.findings
        )
        return decisions.ImageState(image_id, analysis.id, analysis.error, faces, findings, rejected, reason)

    def add_face_decision(
        self, image_id: int, face: decisions.FaceReview, state: decisions.FaceState, consent_id: str | None
    ) -> None:
        """Append a decision for one face (the newest wins); audited with ids only, never names."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO face_decisions(image_id, face_id, state, consent_id, decided_at, decided_by)"
                " VALUES (?,?,?,?,?,?)",
                (image_id, face.face_id, str(state), consent_id, utc_now(), audit.current_actor()),
            )
            self.append_audit(
                "review.face",
                f"image:{image_id}",
                {"face": face.n, "face_id": face.face_id, "state": str(state), "consent": consent_id},
            )

    def add_finding_decision(
        self,
        image_id: int,
        finding: decisions.FindingReview,
        state: decisions.FindingState,
        reason: str | None,
    ) -> None:
        """Append a decision for one finding. The reason stays in the catalogue, not in the audit details,
        because reviewers may quote the personal data they dismissed."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO finding_decisions(image_id, finding_id, state, reason, decided_at, decided_by)"
                " VALUES (?,?,?,?,?,?)",
                (image_id, finding.finding_id, str(state), reason, utc_now(), audit.current_actor()),
            )
            self.append_audit(
                "review.finding",
                f"image:{image_id}",
                {
                    "finding": finding.n,
                    "finding_id": finding.finding_id,
                    "kind": str(finding.kind),
                    "state": str(state),
                    "reason_given": bool(reason),
                },
            )

    def add_image_review(self, image_id: int, state: str, reason: str | None) -> None:
        """Reject an image ('rejected') or undo a rejection ('open')."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO image_reviews(image_id, state, reason, decided_at, decided_by) VALUES (?,?,?,?,?)",
                (image_id, state, reason, utc_now(), audit.current_actor()),
            )
            self.append_audit(
                "review.image", f"image:{image_id}", {"state": state, "reason_given": bool(reason)}
            )

    def record_approval(
        self,
        approval_id: str,
        image_id: int,
        posting_date: date,
        channels: list[str],
        export_path: str,
        export_sha256: str,
        consent_ids: list[str],
    ) -> decisions.ApprovalRecord:
        """Store an approval and its channels with one audit entry (who, when, channels, file and hash)."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO approvals(id, image_id, approved_at, approved_by, posting_date, export_path,"
                " export_sha256, consent_ids) VALUES (?,?,?,?,?,?,?,?)",
                (
                    approval_id,
                    image_id,
                    utc_now(),
                    audit.current_actor(),
                    posting_date.isoformat(),
                    export_path,
                    export_sha256,
                    json.dumps(consent_ids),
                ),
            )
            for channel in channels:
                self._conn.execute(
                    "INSERT INTO approval_channels(approval_id, channel) VALUES (?, ?)",
                    (approval_id, channel),
                )
            self.append_audit(
                "image.approved",
                f"image:{image_id}",
                {
                    "approval": approval_id,
                    "channels": channels,
                    "posting_date": posting_date.isoformat(),
                    "export_path": export_path,
                    "export_sha256": export_sha256,
                    "consents": consent_ids,
                },
            )
        return next(a for a in self.review_approvals(image_id) if a.id == approval_id)

    def review_approvals(self, image_id: int | None = None) -> list[decisions.ApprovalRecord]:
        """Approvals of one image (or all), oldest first, with their channels."""
        sql = """SELECT a.*, (SELECT group_concat(channel) FROM approval_channels c WHERE c.approval_id = a.id)
                   AS channels FROM approvals a"""
        sql += " WHERE a.image_id = ?" if image_id is not None else ""
        rows = self._conn.execute(
            sql + " ORDER BY a.approved_at, a.id", (image_id,) if image_id is not None else ()
        )
        return [
            decisions.ApprovalRecord(
                id=r["id"],
                image_id=r["image_id"],
                approved_at=r["approved_at"],
                approved_by=r["approved_by"],
                posting_date=date.fromisoformat(r["posting_date"]),
                export_path=r["export_path"],
                export_sha256=r["export_sha256"],
                consent_ids=tuple(json.loads(r["consent_ids"])),
                channels=tuple(sorted((r["channels"] or "").split(","))) if r["channels"] else (),
            )
            for r in rows
        ]

    def images_to_verify(self) -> list[ImageRecord]:
        """Images neither approved nor rejected (newest review decides), by shoot and capture date."""
        sql = """SELECT i.* FROM images i
                 WHERE NOT EXISTS (SELECT 1 FROM approvals a WHERE a.image_id = i.id)
                   AND coalesce((SELECT state FROM image_reviews r WHERE r.image_id = i.id
                                 ORDER BY r.id DESC LIMIT 1), 'open') != 'rejected'
                 ORDER BY i.shoot_id, coalesce(i.captured_at, i.imported_at), i.id"""
        return [_image_from_row(r) for r in self._conn.execute(sql)]

    def consents_linked_in_shoot(self, shoot_id: int) -> dict[str, int]:
        """Consent id -> number of the shoot's photos whose current analysis links a face to it."""
        sql = """SELECT d.consent_id, count(DISTINCT i.id) AS photos
                 FROM images i
                 JOIN analyses a ON a.id = (SELECT max(id) FROM analyses WHERE image_id = i.id)
                 JOIN faces f ON f.analysis_id = a.id
                 JOIN face_decisions d ON d.id = (SELECT max(id) FROM face_decisions WHERE face_id = f.id)
                 WHERE i.shoot_id = ? AND d.state = 'linked'
                 GROUP BY d.consent_id ORDER BY photos DESC, d.consent_id"""
        return {r["consent_id"]: r["photos"] for r in self._conn.execute(sql, (shoot_id,))}

    def consents_of_day(self, day: date) -> list[Consent]:
        """Consents signed on `day`, or whose session date is `day` (paper forms entered later)."""
        sql = (
            self._CONSENT_SELECT
            + """ WHERE substr(c.signed_at, 1, 10) = ?
              OR json_extract(c.answers, '$.session_date') = ? ORDER BY c.signed_at, c.id"""
        )
        return [_consent_from_row(r) for r in self._conn.execute(sql, (day.isoformat(), day.isoformat()))]

    # --- data-protection lifecycle (erasure, paper scans, backup, integrity) -------------------

    # Faces of each image's current analysis (highest analyses.id) with their newest decision, if any.
    _CURRENT_FACE_LINKS = """
        SELECT f.id AS face_id, f.n, a.image_id, f.x, f.y, f.w, f.h,
               coalesce(d.state, 'unresolved') AS state, d.consent_id
        FROM analyses a
        JOIN faces f ON f.analysis_id = a.id
        LEFT JOIN face_decisions d ON d.id = (SELECT max(id) FROM face_decisions WHERE face_id = f.id)
        WHERE a.id = (SELECT max(id) FROM analyses WHERE image_id = a.image_id)
    """

    def images_linked_to(self, consent_id: str) -> dict[int, list[int]]:
        """Image id -> face numbers currently linked to this consent (current analyses only)."""
        rows = self._conn.execute(
            self._CURRENT_FACE_LINKS
            + " AND d.state = 'linked' AND d.consent_id = ? ORDER BY a.image_id, f.n",
            (consent_id,),
        ).fetchall()
        linked: dict[int, list[int]] = {}
        for r in rows:
            linked.setdefault(r["image_id"], []).append(r["n"])
        return linked

    def lapsed_links(self, today: date) -> list[LapsedLink]:
        """Current face links to consents that are withdrawn, erased or past their end date on `today`."""
        sql = f"""
            SELECT DISTINCT l.image_id, c.id AS consent_id,
                   CASE WHEN c.status != 'active' THEN c.status ELSE 'expired' END AS status
            FROM ({self._CURRENT_FACE_LINKS}) l JOIN consents c ON c.id = l.consent_id
            WHERE l.state = 'linked'
              AND (c.status != 'active' OR (c.expires_on IS NOT NULL AND c.expires_on < ?))
            ORDER BY l.image_id, c.id
        """
        return [
            LapsedLink(r["image_id"], r["consent_id"], r["status"])
            for r in self._conn.execute(sql, (today.isoformat(),))
        ]

    def audit_entries_mentioning(self, text: str) -> list[audit.AuditEntry]:
        """Entries whose subject is `text` or whose details contain it (e.g. an image entry naming a consent)."""
        rows = self._conn.execute(
            "SELECT seq FROM audit WHERE subject = ? OR instr(details, ?) > 0 ORDER BY seq", (text, text)
        ).fetchall()
        wanted = {r["seq"] for r in rows}
        return [e for e in self.audit_entries() if e.seq in wanted]

    def erase_consent(self, consent_id: str, today: date) -> ErasureCounts:
        """Remove a person's personal data and every link to them, leaving an id-only tombstone.

        Face links are deleted (history included: they tie the person to photos) and each face gets a
        fresh 'unresolved' decision, so an older 'blur' decision cannot silently clear it again; each
        image shown is also marked rejected, so it is blocked on every channel until someone reviews it
        on purpose. Free text of earlier status events is blanked too (a withdrawal reason can name
        people). Call `compact()` afterwards so nothing is left in free pages or the WAL.
        """
        self._conn.execute("PRAGMA secure_delete = ON")
        with self.transaction():
            consent = self.get_consent(consent_id)
            if consent.status is ConsentStatus.ERASED:
                raise CatalogueError(f"consent {consent_id} was already erased")
            actor, now = audit.current_actor(), utc_now()
            linked = self._conn.execute(
                "SELECT DISTINCT face_id, image_id FROM face_decisions WHERE consent_id = ?", (consent_id,)
            ).fetchall()
            removed = self._conn.execute(
                "DELETE FROM face_decisions WHERE consent_id = ?", (consent_id,)
            ).rowcount
            for r in linked:
                self._conn.execute(
                    "INSERT INTO face_decisions(image_id, face_id, state, consent_id, decided_at, decided_by)"
                    " VALUES (?, ?, 'unresolved', NULL, ?, ?)",
                    (r["image_id"], r["face_id"], now, actor),
                )
            images = tuple(sorted({r["image_id"] for r in linked}))
            for image_id in images:
                self._conn.execute(
                    "INSERT INTO image_reviews(image_id, state, reason, decided_at, decided_by)"
                    " VALUES (?, 'rejected', ?, ?, ?)",
                    (
                        image_id,
                        "a person shown was erased from the register; review again before any use",
                        now,
                        actor,
                    ),
                )
            self._conn.execute(
                "UPDATE consents SET answers = '{}', status = 'erased' WHERE id = ?", (consent_id,)
            )
            files = self._conn.execute(
                "DELETE FROM consent_files WHERE consent_id = ?", (consent_id,)
            ).rowcount
            scans = self._conn.execute("DELETE FROM paper_scans WHERE form_id = ?", (consent_id,)).rowcount
            self._conn.execute("UPDATE consent_events SET reason = NULL WHERE consent_id = ?", (consent_id,))
            self._conn.execute(
                "INSERT INTO consent_events(consent_id, kind, effective_on, reason, recorded_at, recorded_by) "
                "VALUES (?, 'erased', ?, NULL, ?, ?)",
                (consent_id, today.isoformat(), now, actor),
            )
            counts = ErasureCounts(consent_id, removed, images, files, scans)
            self.append_audit(
                "consent.erased",
                consent_id,
                {
                    "face_links_removed": removed,
                    "images_blocked": list(images),
                    "files_removed": files,
                    "scans_removed": scans,
                },
            )
        return counts

    def compact(self) -> bool:
        """Rewrite the file without free pages and empty the WAL, so deleted data is really gone.

        The WAL holds old page images too, so it is checkpointed and truncated before and after VACUUM.
        Returns False if another connection kept the WAL from being fully emptied (close other windows
        and run `consentdesk check` or erase again to finish).
        """
        first = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        self._conn.execute("VACUUM")
        last = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return first[0] == 0 and last[0] == 0

    def checkpoint(self) -> bool:
        """Move everything from the WAL into the main file (before copying or replacing the file)."""
        return self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0

    def add_paper_scan(
        self, form_id: str, page: int, source_name: str, mime: str, data: bytes
    ) -> tuple[PaperScan, bool]:
        """Attach one scanned page to a form id issued by this catalogue; the same bytes are kept once."""
        digest = hashlib.sha256(data).hexdigest()
        with self.transaction():
            row = self._conn.execute(
                "SELECT id FROM paper_scans WHERE form_id = ? AND sha256 = ?", (form_id, digest)
            ).fetchone()
            if row:
                return self._paper_scan(row["id"]), False
            scan_id = self._conn.execute(
                "INSERT INTO paper_scans(form_id, page, source_name, mime, sha256, data, scanned_at, scanned_by)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (form_id, page, source_name, mime, digest, data, utc_now(), audit.current_actor()),
            ).lastrowid
            self.append_audit(
                "paper_scan.attached",
                form_id,
                {"scan": scan_id, "page": page, "sha256": digest, "state": self.form_id_state(form_id)},
            )
        return self._paper_scan(int(scan_id)), True

    _PAPER_SCAN_SELECT = """SELECT s.id, s.form_id, s.page, s.source_name, s.mime, s.sha256, s.scanned_at,
                                   s.scanned_by, c.id AS consent_id
                            FROM paper_scans s LEFT JOIN consents c ON c.id = s.form_id"""

    def _paper_scan(self, scan_id: int) -> PaperScan:
        row = self._conn.execute(self._PAPER_SCAN_SELECT + " WHERE s.id = ?", (scan_id,)).fetchone()
        return PaperScan(*row)

    def paper_scans(self, form_id: str | None = None, *, awaiting_entry: bool = False) -> list[PaperScan]:
        """Scans of one form id (or all); `awaiting_entry` keeps only forms with no record entered yet."""
        where, params = [], []
        if form_id:
            where.append("s.form_id = ?")
            params.append(form_id)
        if awaiting_entry:
            where.append("c.id IS NULL")
        sql = self._PAPER_SCAN_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        return [PaperScan(*r) for r in self._conn.execute(sql + " ORDER BY s.form_id, s.page, s.id", params)]

    def paper_scan_data(self, scan_id: int) -> bytes:
        row = self._conn.execute("SELECT data FROM paper_scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise KeyError(scan_id)
        return bytes(row["data"])

    def backup_to(self, dest: Path) -> None:
        """Copy the catalogue with SQLite's online backup: consistent even while the app is writing."""
        target = sqlite3.connect(dest)
        try:
            self._conn.backup(target)
        finally:
            target.close()

    def integrity_problems(self) -> list[str]:
        """SQLite's own check of the file's structure plus dangling references; empty means healthy."""
        problems = [r[0] for r in self._conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for r in self._conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"{r[0]} row {r[1]} points to a missing {r[2]} row")
        return problems

    def update_image_path(self, image_id: int, new_path: str) -> None:
        """Record where an image's file is now (found by its SHA-256 after it was moved)."""
        with self.transaction():
            old = self.get_image(image_id)
            self._conn.execute("UPDATE images SET path = ? WHERE id = ?", (new_path, image_id))
            self.append_audit("image.relinked", f"image:{image_id}", {"sha256": old.sha256})


def _image_from_row(row: sqlite3.Row) -> ImageRecord:
    return ImageRecord(
        id=row["id"],
        sha256=row["sha256"],
        path=row["path"],
        file_size=row["file_size"],
        width=row["width"],
        height=row["height"],
        captured_at=row["captured_at"],
        camera=row["camera"],
        shoot_id=row["shoot_id"],
        imported_at=row["imported_at"],
    )


def _consent_from_row(row: sqlite3.Row) -> Consent:
    files = set((row["file_fields"] or "").split(","))
    withdrawn_on = row["withdrawn_on"]
    return Consent(
        id=row["id"],
        form_name=row["form_name"],
        form_version=row["form_version"],
        answers=json.loads(row["answers"]),
        signed_at=datetime.fromisoformat(row["signed_at"]),
        expires_on=date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
        created_by=row["created_by"],
        status=ConsentStatus(row["status"]),
        withdrawn_on=date.fromisoformat(withdrawn_on) if withdrawn_on else None,
        withdrawal_reason=row["withdrawal_reason"],
        has_signature="signature" in files,
        has_guardian_signature="guardian_signature" in files,
        has_reference_photo="reference_photo" in files,
        source=row["source"],
    )


def _check_file_before_open(path: Path, create: bool) -> None:
    if path.is_dir():
        raise CatalogueError(f"{path} is a folder; give the path of a catalogue file inside it")
    if not path.exists():
        if not create:
            raise CatalogueError(f"there is no catalogue at {path}")
        if path.parent.exists() and not os.access(path.parent, os.W_OK):
            raise CatalogueError(f"cannot create a catalogue in {path.parent}: the folder is not writable")
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise CatalogueError(f"cannot read {path}: {exc.strerror}. Check the file's permissions.") from exc
    if header and header != _SQLITE_MAGIC:
        raise CatalogueError(
            f"{path} is not a ConsentDesk catalogue (it is not an SQLite database). "
            "Choose a catalogue file, or a new file name to start one. The file was not changed."
        )
    mode = path.stat().st_mode
    if not (mode & stat.S_IWUSR) or not os.access(path, os.W_OK):
        raise CatalogueError(
            f"{path} is read-only. Make it writable (or copy it somewhere writable) to open it; "
            "ConsentDesk needs to write to record every action in the audit trail."
        )


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"{path} cannot be written (read-only file or folder). Check its permissions."
    if "disk is full" in text or "database or disk is full" in text:
        return f"the disk holding {path} is full; free some space and try again. Nothing was saved."
    if "locked" in text or "busy" in text:
        return f"{path} is busy in another ConsentDesk window or program; close it and try again."
    if "not a database" in text or "malformed" in text:
        return f"{path} is damaged or not a ConsentDesk catalogue ({text}). Restore it from a backup."
    return f"{path}: {text}"
