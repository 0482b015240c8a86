"""Numbered schema migrations, applied in order when a catalogue is opened.

The schema version lives in SQLite's `user_version`. A migration is never edited once released; a
change is a new, higher number. Each runs inside the caller's transaction, so a failed upgrade leaves
the catalogue exactly as it was.
"""

from __future__ import annotations

import sqlite3

#: 'CDSK' — marks an SQLite file as a ConsentDesk catalogue.
APPLICATION_ID = 0x4344534B

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    -- Every form id ever issued: printed on blank forms (reserved ahead) or given to an on-screen record.
    CREATE TABLE form_ids (
        id TEXT PRIMARY KEY,
        reserved_at TEXT NOT NULL,
        reserved_by TEXT NOT NULL,
        batch TEXT NOT NULL
    );

    -- Signed release records. Answers are JSON keyed by the field ids of (form_name, form_version).
    CREATE TABLE consents (
        id TEXT PRIMARY KEY REFERENCES form_ids(id),
        form_name TEXT NOT NULL,
        form_version INTEGER NOT NULL,
        answers TEXT NOT NULL CHECK (json_valid(answers)),
        signed_at TEXT NOT NULL,
        expires_on TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('screen', 'cli', 'paper')),
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn', 'erased')),
        full_name TEXT GENERATED ALWAYS AS (json_extract(answers, '$.full_name')) VIRTUAL,
        role TEXT GENERATED ALWAYS AS (json_extract(answers, '$.role')) VIRTUAL,
        location TEXT GENERATED ALWAYS AS (json_extract(answers, '$.location')) VIRTUAL
    );
    CREATE INDEX consents_expires ON consents(expires_on);
    CREATE INDEX consents_status ON consents(status);

    -- Signatures and reference photos, kept apart so listing records never loads them.
    CREATE TABLE consent_files (
        consent_id TEXT NOT NULL REFERENCES consents(id),
        field TEXT NOT NULL,
        mime TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (consent_id, field)
    );

    -- Status changes of a signed record: the record itself never changes, these rows say what happened.
    CREATE TABLE consent_events (
        id INTEGER PRIMARY KEY,
        consent_id TEXT NOT NULL REFERENCES consents(id),
        kind TEXT NOT NULL CHECK (kind IN ('withdrawn', 'erased')),
        effective_on TEXT NOT NULL,
        reason TEXT,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL
    );
    CREATE INDEX consent_events_consent ON consent_events(consent_id);

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    );
    CREATE INDEX audit_subject ON audit(subject);

    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

    -- A signed record is immutable; only its status changes, and erasure may blank its answers.
    CREATE TRIGGER consents_immutable
    BEFORE UPDATE OF id, form_name, form_version, answers, signed_at, expires_on, created_at, created_by, source
    ON consents WHEN NEW.status != 'erased'
    BEGIN SELECT RAISE(ABORT, 'signed consent records cannot be edited'); END;
    CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
    BEGIN SELECT RAISE(ABORT, 'consent records are never deleted; erase them instead'); END;
    CREATE TRIGGER consent_files_immutable BEFORE UPDATE ON consent_files
    BEGIN SELECT RAISE(ABORT, 'signatures and photos of a signed record cannot be edited'); END;
    CREATE TRIGGER consent_files_delete_only_when_erased BEFORE DELETE ON consent_files
    WHEN (SELECT status FROM consents WHERE id = OLD.consent_id) != 'erased'
    BEGIN SELECT RAISE(ABORT, 'files of a signed record are removed only by erasure'); END;
    """,
    2: """
    -- A shoot groups the photos imported together (usually one folder from one session).
    CREATE TABLE shoots (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    -- Imported photos. Originals stay where they are and are never written to; sha256 de-duplicates.
    CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        file_size INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        captured_at TEXT,
        camera TEXT,
        shoot_id INTEGER REFERENCES shoots(id),
        imported_at TEXT NOT NULL
    );
    CREATE INDEX images_shoot ON images(shoot_id, captured_at);

    -- Every analysis run is kept with the analyser version, so a newer analyser can re-check old images
    -- without losing what the older one found. The newest row per image is the current one.
    CREATE TABLE analyses (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        analyser_version TEXT NOT NULL,
        analysed_at TEXT NOT NULL,
        error TEXT,
        timings TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX analyses_image ON analyses(image_id, id);

    CREATE TABLE faces (
        id INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses(id),
        n INTEGER NOT NULL,
        x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
        score REAL NOT NULL,
        UNIQUE (analysis_id, n)
    );

    -- `text` holds only what is needed to show the finding (personal data is masked before storing).
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses(id),
        n INTEGER NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        UNIQUE (analysis_id, n)
    );

    CREATE TRIGGER analyses_immutable BEFORE UPDATE ON analyses
    BEGIN SELECT RAISE(ABORT, 'analyses are never edited; run a new analysis instead'); END;
    CREATE TRIGGER faces_immutable BEFORE UPDATE ON faces
    BEGIN SELECT RAISE(ABORT, 'analyses are never edited; run a new analysis instead'); END;
    CREATE TRIGGER findings_immutable BEFORE UPDATE ON findings
    BEGIN SELECT RAISE(ABORT, 'analyses are never edited; run a new analysis instead'); END;
    """,
    3: """
    -- A reviewer's decisions. Rows are only ever added: the newest decision for a face or finding is the
    -- current one and the earlier ones are its history. (Erasure is the one thing that deletes them.)
    CREATE TABLE face_decisions (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        face_id INTEGER NOT NULL REFERENCES faces(id),
        state TEXT NOT NULL CHECK (state IN ('unresolved', 'linked', 'blur', 'not_a_person')),
        consent_id TEXT REFERENCES consents(id),
        decided_at TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        CHECK ((state = 'linked') = (consent_id IS NOT NULL))
    );
    CREATE INDEX face_decisions_face ON face_decisions(face_id, id);
    CREATE INDEX face_decisions_consent ON face_decisions(consent_id);

    CREATE TABLE finding_decisions (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        finding_id INTEGER NOT NULL REFERENCES findings(id),
        state TEXT NOT NULL CHECK (state IN ('unresolved', 'redact', 'dismissed')),
        reason TEXT,
        decided_at TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        CHECK (state != 'dismissed' OR length(trim(coalesce(reason, ''))) > 0)
    );
    CREATE INDEX finding_decisions_finding ON finding_decisions(finding_id, id);

    -- Whole-image decisions: 'rejected' (never to be posted) or 'open' (rejection undone).
    CREATE TABLE image_reviews (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        state TEXT NOT NULL CHECK (state IN ('open', 'rejected')),
        reason TEXT,
        decided_at TEXT NOT NULL,
        decided_by TEXT NOT NULL
    );
    CREATE INDEX image_reviews_image ON image_reviews(image_id, id);

    -- An approval exports one cleaned copy for one or more channels; its id is written into the copy's XMP.
    CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        approved_at TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        posting_date TEXT NOT NULL,
        export_path TEXT NOT NULL,
        export_sha256 TEXT NOT NULL,
        consent_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(consent_ids))
    );
    CREATE INDEX approvals_image ON approvals(image_id);
    CREATE TABLE approval_channels (
        approval_id TEXT NOT NULL REFERENCES approvals(id),
        channel TEXT NOT NULL,
        PRIMARY KEY (approval_id, channel)
    );
    """,
    4: """
    -- Scans and phone photos of signed paper forms, matched to their form id by the QR code on the page.
    -- A scan of a reserved id is "awaiting data entry" until a record with that id exists; no state is
    -- stored, it follows from form_ids/consents. Erasure deletes the scans of the erased record.
    CREATE TABLE paper_scans (
        id INTEGER PRIMARY KEY,
        form_id TEXT NOT NULL REFERENCES form_ids(id),
        page INTEGER NOT NULL,
        source_name TEXT NOT NULL,
        mime TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        scanned_at TEXT NOT NULL,
        scanned_by TEXT NOT NULL,
        UNIQUE (form_id, sha256)
    );
    CREATE INDEX paper_scans_form ON paper_scans(form_id);

    CREATE TRIGGER paper_scans_immutable BEFORE UPDATE ON paper_scans
    BEGIN SELECT RAISE(ABORT, 'paper scans are evidence and are never edited'); END;
    CREATE TRIGGER paper_scans_delete_only_when_erased BEFORE DELETE ON paper_scans
    WHEN (SELECT status FROM consents WHERE id = OLD.form_id) IS NOT 'erased'
    BEGIN SELECT RAISE(ABORT, 'paper scans are removed only by erasure of their record'); END;
    """,
}

LATEST_VERSION = max(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> list[int]:
    """Apply the migrations after the current version up to `target`; return the numbers applied.

    Runs inside the caller's open transaction (SQLite DDL is transactional).
    """
    applied = []
    current = schema_version(conn)
    for number in sorted(MIGRATIONS):
        if current < number <= target:
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            applied.append(number)
    if applied:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return applied


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers contain ';' so split on complete statements)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
