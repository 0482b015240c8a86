"""Numbered schema migrations, one history for both engines, applied in order when a catalogue is opened.

A migration is never edited once released; a change is a new, higher number with a script for each engine.
SQLite catalogues keep the version in `user_version` and went through 1-4 before PostgreSQL existed, so a
team register starts from the version-5 baseline (the same tables, triggers and indexes as an upgraded
SQLite file) and both go on together from there. Each step runs inside the caller's transaction (both
engines have transactional DDL), so a failed upgrade leaves the catalogue exactly as it was.

The DDL is the one place with engine-specific SQL: triggers and identity columns have no portable form.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from consentdesk.core.store import clip_rules, proxy_rules, server_rules, takedown_rules, text_search

if TYPE_CHECKING:  # SQLAlchemy is loaded by whoever migrates; reading the scripts (guards.py) needs none of it
    from sqlalchemy import Connection

#: 'CDSK' — marks an SQLite file as a ConsentDesk catalogue.
APPLICATION_ID = 0x4344534B

#: SQLite's history, as released (never edited). PostgreSQL registers start at the version-5 baseline below.
SQLITE_SCRIPTS: dict[int, str] = {
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

SQLITE_SCRIPTS[5] = """
    -- Search key (case- and accent-free, see core/text_search.py), written by the store with each record.
    ALTER TABLE consents ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE consents ADD COLUMN photographer TEXT
        GENERATED ALWAYS AS (json_extract(answers, '$.photographer')) VIRTUAL;
    ALTER TABLE consents ADD COLUMN session_date TEXT
        GENERATED ALWAYS AS (json_extract(answers, '$.session_date')) VIRTUAL;
    CREATE INDEX consents_signed ON consents(signed_at, id);
    CREATE INDEX consents_role ON consents(role);
    CREATE INDEX consents_location ON consents(location);
    CREATE INDEX consents_session_date ON consents(session_date);
    CREATE INDEX images_order ON images(shoot_id, coalesce(captured_at, imported_at), id);
    CREATE INDEX face_decisions_image ON face_decisions(image_id);
    CREATE INDEX finding_decisions_image ON finding_decisions(image_id);
    """

#: 6: the register's status filters ("expired", "expiring within N days"), their counts and pages: one index
#: that finds active records by end date and holds the page order, so a page is chosen from the index alone
#: instead of reading every matching record (see bench/catalogue.py). Same DDL on both engines.
_STATUS_EXPIRY_INDEX = """
    CREATE INDEX consents_status_expires ON consents(status, expires_on, signed_at, id);
    """

#: Run after SQLite's script 5 (in the same transaction): fill the new key, then guard it like the record.
SQLITE_AFTER: dict[int, str] = {
    5: """
    DROP TRIGGER consents_immutable;
    CREATE TRIGGER consents_immutable
    BEFORE UPDATE OF id, form_name, form_version, answers, signed_at, expires_on, created_at, created_by, source,
        search_key
    ON consents WHEN NEW.status != 'erased'
    BEGIN SELECT RAISE(ABORT, 'signed consent records cannot be edited'); END;
    """
}

POSTGRESQL_BASELINE = 5
POSTGRESQL_SCRIPTS: dict[int, str] = {
    5: r"""
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);

    CREATE TABLE form_ids (
        id text PRIMARY KEY,
        reserved_at text NOT NULL,
        reserved_by text NOT NULL,
        batch text NOT NULL
    );

    CREATE TABLE consents (
        id text PRIMARY KEY REFERENCES form_ids(id),
        form_name text NOT NULL,
        form_version integer NOT NULL,
        answers text NOT NULL CHECK (jsonb_typeof(answers::jsonb) = 'object'),
        signed_at text NOT NULL,
        expires_on text,
        created_at text NOT NULL,
        created_by text NOT NULL,
        source text NOT NULL CHECK (source IN ('screen', 'cli', 'paper')),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn', 'erased')),
        search_key text NOT NULL DEFAULT '',
        full_name text GENERATED ALWAYS AS (answers::jsonb ->> 'full_name') STORED,
        role text GENERATED ALWAYS AS (answers::jsonb ->> 'role') STORED,
        location text GENERATED ALWAYS AS (answers::jsonb ->> 'location') STORED,
        photographer text GENERATED ALWAYS AS (answers::jsonb ->> 'photographer') STORED,
        session_date text GENERATED ALWAYS AS (answers::jsonb ->> 'session_date') STORED
    );
    CREATE INDEX consents_expires ON consents(expires_on);
    CREATE INDEX consents_status ON consents(status);
    CREATE INDEX consents_signed ON consents(signed_at, id);
    CREATE INDEX consents_role ON consents(role);
    CREATE INDEX consents_location ON consents(location);
    CREATE INDEX consents_session_date ON consents(session_date);

    CREATE TABLE consent_files (
        consent_id text NOT NULL REFERENCES consents(id),
        field text NOT NULL,
        mime text NOT NULL,
        sha256 text NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (consent_id, field)
    );

    CREATE TABLE consent_events (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        consent_id text NOT NULL REFERENCES consents(id),
        kind text NOT NULL CHECK (kind IN ('withdrawn', 'erased')),
        effective_on text NOT NULL,
        reason text,
        recorded_at text NOT NULL,
        recorded_by text NOT NULL
    );
    CREATE INDEX consent_events_consent ON consent_events(consent_id);

    CREATE TABLE audit (
        seq bigint PRIMARY KEY,
        at text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        subject text,
        details text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL UNIQUE
    );
    CREATE INDEX audit_subject ON audit(subject);

    CREATE TABLE shoots (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        source text NOT NULL,
        created_at text NOT NULL
    );

    CREATE TABLE images (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        sha256 text NOT NULL UNIQUE,
        path text NOT NULL,
        file_size bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        captured_at text,
        camera text,
        shoot_id bigint REFERENCES shoots(id),
        imported_at text NOT NULL
    );
    CREATE INDEX images_shoot ON images(shoot_id, captured_at);
    CREATE INDEX images_order ON images(shoot_id, coalesce(captured_at, imported_at), id);

    CREATE TABLE analyses (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        image_id bigint NOT NULL REFERENCES images(id),
        analyser_version text NOT NULL,
        analysed_at text NOT NULL,
        error text,
        timings text NOT NULL DEFAULT '{}'
    );
    CREATE INDEX analyses_image ON analyses(image_id, id);

    CREATE TABLE faces (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        analysis_id bigint NOT NULL REFERENCES analyses(id),
        n integer NOT NULL,
        x integer NOT NULL, y integer NOT NULL, w integer NOT NULL, h integer NOT NULL,
        score double precision NOT NULL,
        UNIQUE (analysis_id, n)
    );

    CREATE TABLE findings (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        analysis_id bigint NOT NULL REFERENCES analyses(id),
        n integer NOT NULL,
        kind text NOT NULL,
        severity text NOT NULL,
        x integer NOT NULL, y integer NOT NULL, w integer NOT NULL, h integer NOT NULL,
        text text NOT NULL DEFAULT '',
        UNIQUE (analysis_id, n)
    );

    CREATE TABLE face_decisions (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        image_id bigint NOT NULL REFERENCES images(id),
        face_id bigint NOT NULL REFERENCES faces(id),
        state text NOT NULL CHECK (state IN ('unresolved', 'linked', 'blur', 'not_a_person')),
        consent_id text REFERENCES consents(id),
        decided_at text NOT NULL,
        decided_by text NOT NULL,
        CHECK ((state = 'linked') = (consent_id IS NOT NULL))
    );
    CREATE INDEX face_decisions_face ON face_decisions(face_id, id);
    CREATE INDEX face_decisions_consent ON face_decisions(consent_id);
    CREATE INDEX face_decisions_image ON face_decisions(image_id);

    CREATE TABLE finding_decisions (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        image_id bigint NOT NULL REFERENCES images(id),
        finding_id bigint NOT NULL REFERENCES findings(id),
        state text NOT NULL CHECK (state IN ('unresolved', 'redact', 'dismissed')),
        reason text,
        decided_at text NOT NULL,
        decided_by text NOT NULL,
        CHECK (state <> 'dismissed' OR length(trim(coalesce(reason, ''))) > 0)
    );
    CREATE INDEX finding_decisions_finding ON finding_decisions(finding_id, id);
    CREATE INDEX finding_decisions_image ON finding_decisions(image_id);

    CREATE TABLE image_reviews (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        image_id bigint NOT NULL REFERENCES images(id),
        state text NOT NULL CHECK (state IN ('open', 'rejected')),
        reason text,
        decided_at text NOT NULL,
        decided_by text NOT NULL
    );
    CREATE INDEX image_reviews_image ON image_reviews(image_id, id);

    CREATE TABLE approvals (
        id text PRIMARY KEY,
        image_id bigint NOT NULL REFERENCES images(id),
        approved_at text NOT NULL,
        approved_by text NOT NULL,
        posting_date text NOT NULL,
        export_path text NOT NULL,
        export_sha256 text NOT NULL,
        consent_ids text NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(consent_ids::jsonb) = 'array')
    );
    CREATE INDEX approvals_image ON approvals(image_id);
    CREATE TABLE approval_channels (
        approval_id text NOT NULL REFERENCES approvals(id),
        channel text NOT NULL,
        PRIMARY KEY (approval_id, channel)
    );

    CREATE TABLE paper_scans (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        form_id text NOT NULL REFERENCES form_ids(id),
        page integer NOT NULL,
        source_name text NOT NULL,
        mime text NOT NULL,
        sha256 text NOT NULL,
        data bytea NOT NULL,
        scanned_at text NOT NULL,
        scanned_by text NOT NULL,
        UNIQUE (form_id, sha256)
    );
    CREATE INDEX paper_scans_form ON paper_scans(form_id);

    -- Rules the database enforces whatever the client does (the same as SQLite's triggers).
    CREATE FUNCTION cd_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';
    END $$;
    CREATE FUNCTION cd_refuse_unless_erased() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT status FROM consents WHERE id = to_jsonb(OLD) ->> TG_ARGV[0]) IS DISTINCT FROM 'erased' THEN
            RAISE EXCEPTION USING MESSAGE = TG_ARGV[1], ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END $$;

    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('the audit trail is append-only');
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('the audit trail is append-only');
    CREATE TRIGGER consents_immutable BEFORE UPDATE ON consents FOR EACH ROW
        WHEN (NEW.status <> 'erased' AND
              (OLD.id, OLD.form_name, OLD.form_version, OLD.answers, OLD.signed_at, OLD.expires_on,
               OLD.created_at, OLD.created_by, OLD.source, OLD.search_key)
              IS DISTINCT FROM
              (NEW.id, NEW.form_name, NEW.form_version, NEW.answers, NEW.signed_at, NEW.expires_on,
               NEW.created_at, NEW.created_by, NEW.source, NEW.search_key))
        EXECUTE FUNCTION cd_refuse('signed consent records cannot be edited');
    CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('consent records are never deleted; erase them instead');
    CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('consent records are never deleted; erase them instead');
    CREATE TRIGGER consent_files_immutable BEFORE UPDATE ON consent_files
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('signatures and photos of a signed record cannot be edited');
    CREATE TRIGGER consent_files_delete_only_when_erased BEFORE DELETE ON consent_files
        FOR EACH ROW EXECUTE FUNCTION cd_refuse_unless_erased(
            'consent_id', 'files of a signed record are removed only by erasure');
    CREATE TRIGGER analyses_immutable BEFORE UPDATE ON analyses
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never edited; run a new analysis instead');
    CREATE TRIGGER faces_immutable BEFORE UPDATE ON faces
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never edited; run a new analysis instead');
    CREATE TRIGGER findings_immutable BEFORE UPDATE ON findings
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never edited; run a new analysis instead');
    CREATE TRIGGER paper_scans_immutable BEFORE UPDATE ON paper_scans
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('paper scans are evidence and are never edited');
    CREATE TRIGGER paper_scans_delete_only_when_erased BEFORE DELETE ON paper_scans
        FOR EACH ROW EXECUTE FUNCTION cd_refuse_unless_erased(
            'form_id', 'paper scans are removed only by erasure of their record');
    """,
}

# 6: who made each shoot (a photographer sees the photos of their own shoots on a team register), and on
# PostgreSQL the server itself fills in who did each thing and keeps the audit chain's head, so a client
# cannot write another person's name or move the head (see core/store/team.py for the roles).
SQLITE_SCRIPTS[6] = """
    ALTER TABLE shoots ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE images ADD COLUMN imported_by TEXT NOT NULL DEFAULT '';
    -- Working copies of photos, by content (a team register keeps them so a photo imported at one site
    -- can be reviewed at another; a desk catalogue reads the originals where they are and keeps none).
    CREATE TABLE photo_files (
        sha256 TEXT PRIMARY KEY,
        data BLOB NOT NULL,
        stored_at TEXT NOT NULL,
        stored_by TEXT NOT NULL
    );
    -- Source audit entries already carried in by `catalogue copy` (so a second copy adds nothing).
    CREATE TABLE audit_copies (
        source_hash TEXT PRIMARY KEY,
        seq INTEGER NOT NULL REFERENCES audit(seq)
    );
    CREATE INDEX audit_copies_seq ON audit_copies(seq);
    CREATE TRIGGER audit_copies_append_only_update BEFORE UPDATE ON audit_copies
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_copies_append_only_delete BEFORE DELETE ON audit_copies
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    """

POSTGRESQL_SCRIPTS[6] = r"""
    ALTER TABLE shoots ADD COLUMN created_by text NOT NULL DEFAULT session_user;
    ALTER TABLE images ADD COLUMN imported_by text NOT NULL DEFAULT session_user;
    CREATE INDEX images_imported_by ON images(imported_by);
    CREATE TABLE photo_files (
        sha256 text PRIMARY KEY,
        data bytea NOT NULL,
        stored_at text NOT NULL,
        stored_by text NOT NULL DEFAULT session_user
    );
    -- Photos are already compressed: storing them as they are saves the server the work.
    ALTER TABLE photo_files ALTER COLUMN data SET STORAGE EXTERNAL;

    CREATE TABLE audit_copies (
        source_hash text PRIMARY KEY,
        seq bigint NOT NULL REFERENCES audit(seq)
    );
    CREATE INDEX audit_copies_seq ON audit_copies(seq);
    CREATE TRIGGER audit_copies_append_only BEFORE UPDATE OR DELETE ON audit_copies
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('the audit trail is append-only');
    CREATE TRIGGER audit_copies_no_truncate BEFORE TRUNCATE ON audit_copies
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('the audit trail is append-only');

    -- Every "who" column is the signed-in person, whatever the client sent.
    CREATE FUNCTION cd_copying() RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT coalesce(current_setting('consentdesk.copying', true), '') = 'on'
           AND pg_has_role(session_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'audit'
                                          AND schemaname = current_schema()), 'USAGE')
    $$;
    CREATE FUNCTION cd_fill_actor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT cd_copying() THEN
            NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], session_user::text));
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER form_ids_actor BEFORE INSERT ON form_ids
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('reserved_by');
    CREATE TRIGGER consents_actor BEFORE INSERT ON consents
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('created_by');
    CREATE TRIGGER consent_events_actor BEFORE INSERT ON consent_events
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('recorded_by');
    CREATE TRIGGER shoots_actor BEFORE INSERT ON shoots
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('created_by');
    CREATE TRIGGER images_actor BEFORE INSERT ON images
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('imported_by');
    CREATE TRIGGER face_decisions_actor BEFORE INSERT ON face_decisions
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('decided_by');
    CREATE TRIGGER finding_decisions_actor BEFORE INSERT ON finding_decisions
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('decided_by');
    CREATE TRIGGER image_reviews_actor BEFORE INSERT ON image_reviews
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('decided_by');
    CREATE TRIGGER approvals_actor BEFORE INSERT ON approvals
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('approved_by');
    CREATE TRIGGER paper_scans_actor BEFORE INSERT ON paper_scans
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('scanned_by');
    CREATE TRIGGER photo_files_actor BEFORE INSERT ON photo_files
        FOR EACH ROW EXECUTE FUNCTION cd_fill_actor('stored_by');
    CREATE TRIGGER photo_files_immutable BEFORE UPDATE ON photo_files
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('stored photos are never changed');

    -- The chain's head moves only here, as the table's owner: an entry must name the signed-in person and
    -- extend the head exactly. (A verbatim copy into an empty register by its owner is the one exception,
    -- announced with SET LOCAL consentdesk.copying = 'on'.)
    CREATE FUNCTION cd_audit_append() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
    DECLARE
        head_seq bigint;
        head_hash text;
    BEGIN
        IF cd_copying() THEN
            RETURN NEW;
        END IF;
        IF NEW.actor IS DISTINCT FROM session_user::text THEN
            RAISE EXCEPTION USING MESSAGE = 'audit entries are written in the name of the person signed in',
                ERRCODE = 'restrict_violation';
        END IF;
        SELECT value::bigint INTO head_seq FROM meta WHERE key = 'audit_head_seq' FOR UPDATE;
        SELECT value INTO head_hash FROM meta WHERE key = 'audit_head_hash' FOR UPDATE;
        IF NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
            RAISE EXCEPTION USING MESSAGE = 'an audit entry must extend the end of the chain',
                ERRCODE = 'restrict_violation';
        END IF;
        UPDATE meta SET value = NEW.seq::text WHERE key = 'audit_head_seq';
        UPDATE meta SET value = NEW.hash WHERE key = 'audit_head_hash';
        RETURN NEW;
    END $$;
    CREATE TRIGGER audit_append BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION cd_audit_append();
    """

# and the register's status filters' index (see `_STATUS_EXPIRY_INDEX` above), on both engines.
SQLITE_SCRIPTS[6] += _STATUS_EXPIRY_INDEX
POSTGRESQL_SCRIPTS[6] += _STATUS_EXPIRY_INDEX

# 7: tamper evidence and the server as the only judge (docs/threat-model.md). Audit entries carry the state
# digests of the records they describe, indexed in `audit_states` by a trigger on both engines; guard
# triggers refuse editing or deleting decisions, approvals, issued form ids, analyses and photos, and a
# release's status only moves forward. On PostgreSQL every write is a SECURITY DEFINER function and the
# audit trigger computes each entry's number, time, actor and hash (server_rules.py). The catalogue's
# records as they are at the upgrade are sealed by an `audit.sealed` entry (catalogue.py).
SQLITE_SCRIPTS[7] = """
    -- The index of record states carried by audit entries (kept by the trigger below; see store/states.py).
    CREATE TABLE audit_states (
        seq INTEGER NOT NULL REFERENCES audit(seq),
        kind TEXT NOT NULL CHECK (kind IN ('consent', 'scan', 'image', 'analysis', 'face_decision',
                                           'finding_decision', 'image_review', 'approval')),
        row_id TEXT NOT NULL,
        before TEXT CHECK (before IS NULL OR (length(before) = 64 AND before NOT GLOB '*[^0-9a-f]*')),
        after TEXT CHECK (after IS NULL OR (length(after) = 64 AND after NOT GLOB '*[^0-9a-f]*')),
        PRIMARY KEY (kind, row_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX audit_states_seq ON audit_states(seq);
    CREATE TRIGGER audit_states_append_only_update BEFORE UPDATE ON audit_states
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_states_append_only_delete BEFORE DELETE ON audit_states
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_project AFTER INSERT ON audit WHEN json_type(NEW.details, '$.states') = 'array'
    BEGIN
        INSERT INTO audit_states(seq, kind, row_id, before, after)
        SELECT NEW.seq, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
               json_extract(value, '$[3]')
        FROM json_each(NEW.details, '$.states');
    END;

    -- Decisions, approvals and issued form ids are never edited or deleted (erasure removes the face links
    -- of an erased release only); of a photo's record only where its file is may change.
    CREATE TRIGGER face_decisions_immutable BEFORE UPDATE ON face_decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are never edited; add a new one instead'); END;
    CREATE TRIGGER face_decisions_delete_only_when_erased BEFORE DELETE ON face_decisions
    WHEN OLD.consent_id IS NULL OR (SELECT status FROM consents WHERE id = OLD.consent_id) IS NOT 'erased'
    BEGIN SELECT RAISE(ABORT, 'face decisions are removed only by erasure of the release they link to'); END;
    CREATE TRIGGER finding_decisions_immutable BEFORE UPDATE ON finding_decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are never edited; add a new one instead'); END;
    CREATE TRIGGER finding_decisions_no_delete BEFORE DELETE ON finding_decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are never deleted'); END;
    CREATE TRIGGER image_reviews_immutable BEFORE UPDATE ON image_reviews
    BEGIN SELECT RAISE(ABORT, 'decisions are never edited; add a new one instead'); END;
    CREATE TRIGGER image_reviews_no_delete BEFORE DELETE ON image_reviews
    BEGIN SELECT RAISE(ABORT, 'decisions are never deleted'); END;
    CREATE TRIGGER approvals_immutable BEFORE UPDATE ON approvals
    BEGIN SELECT RAISE(ABORT, 'approvals are never edited or deleted'); END;
    CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
    BEGIN SELECT RAISE(ABORT, 'approvals are never edited or deleted'); END;
    CREATE TRIGGER approval_channels_immutable BEFORE UPDATE ON approval_channels
    BEGIN SELECT RAISE(ABORT, 'approvals are never edited or deleted'); END;
    CREATE TRIGGER approval_channels_no_delete BEFORE DELETE ON approval_channels
    BEGIN SELECT RAISE(ABORT, 'approvals are never edited or deleted'); END;
    CREATE TRIGGER form_ids_immutable BEFORE UPDATE ON form_ids
    BEGIN SELECT RAISE(ABORT, 'issued form ids are never changed or withdrawn'); END;
    CREATE TRIGGER form_ids_no_delete BEFORE DELETE ON form_ids
    BEGIN SELECT RAISE(ABORT, 'issued form ids are never changed or withdrawn'); END;
    CREATE TRIGGER analyses_no_delete BEFORE DELETE ON analyses
    BEGIN SELECT RAISE(ABORT, 'analyses are never deleted; run a new analysis instead'); END;
    CREATE TRIGGER faces_no_delete BEFORE DELETE ON faces
    BEGIN SELECT RAISE(ABORT, 'analyses are never deleted; run a new analysis instead'); END;
    CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings
    BEGIN SELECT RAISE(ABORT, 'analyses are never deleted; run a new analysis instead'); END;
    CREATE TRIGGER images_only_path_changes
    BEFORE UPDATE OF id, sha256, file_size, width, height, captured_at, camera, shoot_id, imported_at, imported_by
    ON images
    BEGIN SELECT RAISE(ABORT, 'a photo''s record is never edited (only where its file is)'); END;
    CREATE TRIGGER images_no_delete BEFORE DELETE ON images
    BEGIN SELECT RAISE(ABORT, 'photos are never removed from the catalogue'); END;
    CREATE TRIGGER consent_events_immutable BEFORE UPDATE ON consent_events
    WHEN NEW.id IS NOT OLD.id OR NEW.consent_id IS NOT OLD.consent_id OR NEW.kind IS NOT OLD.kind
        OR NEW.effective_on IS NOT OLD.effective_on OR NEW.recorded_at IS NOT OLD.recorded_at
        OR NEW.recorded_by IS NOT OLD.recorded_by OR NEW.reason IS NOT NULL
        OR (SELECT status FROM consents WHERE id = OLD.consent_id) IS NOT 'erased'
    BEGIN SELECT RAISE(ABORT, 'status events are never edited (erasure only blanks their reason)'); END;
    CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
    BEGIN SELECT RAISE(ABORT, 'status events are never deleted'); END;
    CREATE TRIGGER consents_status_moves_forward BEFORE UPDATE OF status ON consents
    WHEN NOT (OLD.status = NEW.status OR (OLD.status = 'active' AND NEW.status IN ('withdrawn', 'erased'))
              OR (OLD.status = 'withdrawn' AND NEW.status = 'erased'))
    BEGIN SELECT RAISE(ABORT, 'a release''s status only moves forward: active, withdrawn, erased'); END;
    """
POSTGRESQL_SCRIPTS[7] = server_rules.MIGRATION_7
#: The first version whose entries describe record states (older records are covered by the seal).
STATES_FROM = 7
#: `meta` key: the version whose grants and policies `team init` last applied to a team register.
TEAM_RULES_KEY = "team_rules"

# 8: video clips. A clip is an image record; its analysis keeps, beside the faces and findings that stand
# for its person and finding tracks, the clip's facts and each track's boxes over time (JSON, boxes and
# seconds only: no pixels, no text). One row per clip analysis, never edited, like the analysis itself.
SQLITE_SCRIPTS[8] = """
CREATE TABLE clip_analyses (
    analysis_id INTEGER PRIMARY KEY REFERENCES analyses(id),
    clip TEXT NOT NULL,
    face_tracks TEXT NOT NULL,
    finding_tracks TEXT NOT NULL
);
CREATE TRIGGER clip_analyses_immutable BEFORE UPDATE ON clip_analyses
BEGIN SELECT RAISE(ABORT, 'analyses are never edited; run a new analysis instead'); END;
"""
POSTGRESQL_SCRIPTS[8] = """
CREATE TABLE clip_analyses (
    analysis_id bigint PRIMARY KEY REFERENCES analyses(id),
    clip text NOT NULL,
    face_tracks text NOT NULL,
    finding_tracks text NOT NULL
);
CREATE TRIGGER clip_analyses_immutable BEFORE UPDATE OR DELETE ON clip_analyses
    FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never edited; run a new analysis instead');
CREATE TRIGGER clip_analyses_no_truncate BEFORE TRUNCATE ON clip_analyses
    FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('analyses are never edited; run a new analysis instead');
-- The server's import and re-check store a clip's facts and tracks with its analysis: the photo version of
-- cd_insert_analysis does the checks and the rows, this one adds the clip's row when the payload has one.
ALTER FUNCTION cd_insert_analysis(bigint, jsonb) RENAME TO cd_insert_photo_analysis;
CREATE FUNCTION cd_insert_analysis(image bigint, analysis jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    analysis_id bigint;
BEGIN
    analysis_id := cd_insert_photo_analysis(image, analysis);
    IF analysis ? 'clip' THEN
        IF jsonb_typeof(analysis -> 'clip') IS DISTINCT FROM 'object'
           OR jsonb_typeof(analysis -> 'face_tracks') IS DISTINCT FROM 'array'
           OR jsonb_typeof(analysis -> 'finding_tracks') IS DISTINCT FROM 'array'
           OR jsonb_array_length(analysis -> 'face_tracks') <> jsonb_array_length(analysis -> 'faces')
           OR jsonb_array_length(analysis -> 'finding_tracks') <> jsonb_array_length(analysis -> 'findings') THEN
            PERFORM cd_fail('a clip''s analysis gives one track for each face and each finding');
        END IF;
        INSERT INTO clip_analyses(analysis_id, clip, face_tracks, finding_tracks)
            VALUES (analysis_id, (analysis -> 'clip')::text, (analysis -> 'face_tracks')::text,
                    (analysis -> 'finding_tracks')::text);
    END IF;
    RETURN analysis_id;
END $$;
"""

# 9: take-downs. What each approved copy relied on, kept by the database itself from the approval's own
# list (so an approval whose release lapses is found from the release, even after an erasure removed the
# face links), and who recorded that an approved copy's posts came down and its export was deleted. Both
# are append-only. On PostgreSQL both are written by the server's functions only (takedown_rules.py), with
# a function for a crowd's decisions beside them. (8 is the video work's.)
SQLITE_SCRIPTS[9] = """
    CREATE TABLE approval_consents (
        approval_id TEXT NOT NULL REFERENCES approvals(id),
        consent_id TEXT NOT NULL,
        PRIMARY KEY (approval_id, consent_id)
    );
    CREATE INDEX approval_consents_consent ON approval_consents(consent_id);
    INSERT OR IGNORE INTO approval_consents (approval_id, consent_id)
        SELECT a.id, j.value FROM approvals a, json_each(a.consent_ids) j;
    CREATE TRIGGER approvals_relied_on AFTER INSERT ON approvals
    BEGIN
        INSERT OR IGNORE INTO approval_consents (approval_id, consent_id)
        SELECT NEW.id, value FROM json_each(NEW.consent_ids);
    END;
    CREATE TRIGGER approval_consents_append_only_update BEFORE UPDATE ON approval_consents
    BEGIN SELECT RAISE(ABORT, 'what an approval relied on is never changed'); END;
    CREATE TRIGGER approval_consents_append_only_delete BEFORE DELETE ON approval_consents
    BEGIN SELECT RAISE(ABORT, 'what an approval relied on is never changed'); END;

    CREATE TABLE takedowns (
        approval_id TEXT PRIMARY KEY REFERENCES approvals(id),
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL
    );
    CREATE TRIGGER takedowns_append_only_update BEFORE UPDATE ON takedowns
    BEGIN SELECT RAISE(ABORT, 'a recorded take-down is never changed'); END;
    CREATE TRIGGER takedowns_append_only_delete BEFORE DELETE ON takedowns
    BEGIN SELECT RAISE(ABORT, 'a recorded take-down is never changed'); END;
    """
POSTGRESQL_SCRIPTS[9] = takedown_rules.migration_9(POSTGRESQL_SCRIPTS)

# 10: "same person" decisions on a clip's person tracks; a clip's tracks in its analysis's state (clip_rules).
SQLITE_SCRIPTS[10] = clip_rules.SQLITE
POSTGRESQL_SCRIPTS[10] = clip_rules.POSTGRESQL
#: The first version whose analysis states cover a clip's row (clips analysed before are restated at upgrade).
CLIP_STATES_FROM = 10

# 11: clips' low-resolution proxies on a team register, by the original's SHA-256, written only through
# cd_store_clip_proxy and dropped by erasure (see clip_copies.py and proxy_rules.py; a desk catalogue keeps none).
SQLITE_SCRIPTS[11] = proxy_rules.SQLITE_11
POSTGRESQL_SCRIPTS[11] = proxy_rules.POSTGRESQL_11

# 12: no decision on a person track that joined another (server and store refuse it); joins indexed by track.
SQLITE_SCRIPTS[12] = clip_rules.SQLITE_12
POSTGRESQL_SCRIPTS[12] = clip_rules.migration_12(POSTGRESQL_SCRIPTS)

LATEST_VERSION = max(max(SQLITE_SCRIPTS), max(POSTGRESQL_SCRIPTS))


def sqlite_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)


def postgresql_version(conn: Connection) -> int:
    exists = conn.exec_driver_sql("SELECT to_regclass('meta') IS NOT NULL").scalar()
    if not exists:
        return 0
    value = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar()
    return int(value or 0)


def schema_version(conn: Connection) -> int:
    return sqlite_version(conn) if conn.dialect.name == "sqlite" else postgresql_version(conn)


def migrate(conn: Connection, target: int = LATEST_VERSION) -> list[int]:
    """Apply the steps after the current version up to `target`; return the numbers applied.

    Runs inside the caller's open transaction.
    """
    if conn.dialect.name == "sqlite":
        return _migrate_sqlite(conn, target)
    return _migrate_postgresql(conn, target)


def _migrate_sqlite(conn: Connection, target: int) -> list[int]:
    applied = []
    current = sqlite_version(conn)
    for number in sorted(SQLITE_SCRIPTS):
        if current < number <= target:
            for statement in sqlite_statements(SQLITE_SCRIPTS[number]):
                conn.exec_driver_sql(statement)
            _AFTER_SCRIPT.get(number, lambda _c: None)(conn)
            for statement in sqlite_statements(SQLITE_AFTER.get(number, "")):
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(f"PRAGMA user_version = {number}")
            applied.append(number)
    if applied:
        conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    return applied


def _migrate_postgresql(conn: Connection, target: int) -> list[int]:
    import psycopg  # only a team register needs it (a desk catalogue opens without loading the driver)
    from sqlalchemy import text

    from consentdesk.core.store.errors import CatalogueError

    applied = []
    current = postgresql_version(conn)
    for number in sorted(POSTGRESQL_SCRIPTS):
        if current < number <= target:
            with conn.connection.driver_connection.cursor() as cursor:
                for statement in _postgresql_statements(POSTGRESQL_SCRIPTS[number]):
                    try:
                        cursor.execute(statement)  # no parameters: '%' in a function body stays as written
                    except psycopg.Error as exc:
                        raise CatalogueError(
                            f"the register could not be upgraded to version {number} ({exc}); nothing was changed"
                        ) from exc
            applied.append(number)
    if applied:
        _enable_trigram_search(conn)
        conn.execute(
            text(
                "INSERT INTO meta(key, value) VALUES ('schema_version', :v) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            {"v": str(applied[-1])},
        )
    return applied


def _enable_trigram_search(conn: Connection) -> None:
    """Index the search key for substring search when the server has pg_trgm (contrib); search works
    without it, by scanning, so a server without contrib is not refused."""
    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS consents_search ON consents USING gin (search_key gin_trgm_ops)"
        )
        savepoint.commit()
    except Exception:  # noqa: BLE001 - an optional speed-up; the reason is not the user's concern
        savepoint.rollback()


def _backfill_search_keys(conn: Connection) -> None:
    from sqlalchemy import select, update

    from consentdesk.core.store import schema

    rows = conn.execute(select(schema.consents.c.id, schema.consents.c.answers)).all()
    for consent_id, answers in rows:
        conn.execute(
            update(schema.consents)
            .where(schema.consents.c.id == consent_id)
            .values(search_key=consent_search_key(consent_id, json.loads(answers)))
        )


def consent_search_key(consent_id: str, answers: dict) -> str:
    """What the register's search matches for one record: name, id, location and photographer."""
    return text_search.search_key(
        *(str(answers.get(k) or "") for k in ("full_name", "location", "photographer")), consent_id
    )


_AFTER_SCRIPT: dict[int, Callable[[Connection], None]] = {5: _backfill_search_keys}


def sqlite_statements(script: str) -> list[str]:
    """Split a script into statements (triggers contain ';', so split on complete statements)."""
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


def _postgresql_statements(script: str) -> list[str]:
    """Split a script on ';' at line ends outside $$-quoted function bodies."""
    statements, buffer, in_body = [], [], False
    for line in script.splitlines():
        buffer.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            statement = "\n".join(buffer).strip()
            if statement and not all(part.strip().startswith("--") for part in buffer if part.strip()):
                statements.append(statement)
            buffer = []
    if "".join(buffer).strip():
        statements.append("\n".join(buffer).strip())
    return statements
