"""The team register's rules, written in the server itself (migration 7 on PostgreSQL).

Login roles hold no write privilege on any table (see `team.py`); every change is a call to one of the
`SECURITY DEFINER` functions below, owned by the register's owner. Each function checks the caller's role
(`cd_require`), the ownership and state of what it touches (`cd_fail` with the rule in words), writes the
rows with the server's clock and `session_user`, and appends the audit entry itself (`cd_audit`); the
entry's sequence number, time, actor, previous hash and hash are set by the `audit` table's insert
trigger, for every insert, so even the owner's own entries are the server's. Each entry that creates,
changes or removes a record carries the record's state digest before and after (`cd_state`, the same bytes
as `states.py` computes in Python) and the trigger keeps `audit_states`, an index of those digests, so a
verification can find the last audited state of any record quickly.

Why functions rather than row-level security with `WITH CHECK`: see docs/threat-model.md. Row-level
security is used for reads (team.py). `GRANTS` says which group role may call which function; everything
else is refused by default (EXECUTE is revoked from PUBLIC here, and `team init` grants).
"""

from __future__ import annotations

from consentdesk.core.store.proxy_rules import GRANTS as _PROXY_GRANTS

#: Which functions each group role may call (`team init` grants EXECUTE accordingly).
GRANTS: dict[str, tuple[str, ...]] = {
    "photographer": (
        "cd_reserve_form_ids(text[], text)",
        "cd_sign_consent(text, boolean, text, integer, text, text, text, text, text, text[], text[], bytea[])",
        "cd_attach_scan(text, integer, text, text, bytea, jsonb)",
        "cd_create_shoot(text, text)",
        "cd_import_photo(text, text, bigint, integer, integer, text, text, bigint, jsonb, bytea)",
    ),
    "reviewer": (
        "cd_recheck_photo(bigint, jsonb)",
        "cd_decide_face(bigint, bigint, text, text)",
        "cd_decide_finding(bigint, bigint, text, text)",
        "cd_merge_tracks(bigint, bigint, bigint)",
        "cd_review_photo(bigint, text, text)",
        "cd_record_approval(text, bigint, text, text[], text, text, text[])",
        "cd_withdraw_consent(text, text, text)",
        "cd_record_states(text, text[])",
        "cd_record_page(text, text, integer)",
        "cd_record_counts()",
        "cd_record_takedown(text)",  # migration 9 (takedown_rules.py)
        "cd_decide_faces(bigint, bigint[], text)",  # migration 9
    ),
    "dpo": (
        "cd_withdraw_consent(text, text, text)",
        "cd_erase_consent(text, text)",
        "cd_relink_photo(bigint, text)",
        "cd_record_sar_export(text, bigint[], bigint[], integer, integer, integer)",
        "cd_record_states(text, text[])",
        "cd_record_page(text, text, integer)",
        "cd_record_counts()",
        "cd_record_takedown(text)",  # migration 9
    ),
    "admin": (
        "cd_add_user(text, text, text)",
        "cd_set_role(text, text)",
        "cd_remove_user(text)",
        "cd_set_password(text, text)",
        "cd_record_states(text, text[])",
        "cd_record_page(text, text, integer)",
        "cd_record_counts()",
    ),
}

# Clips' proxies (migration 11): a photographer for the clips they see, reviewers and DPOs for any clip.
for _role, _functions in _PROXY_GRANTS.items():
    GRANTS[_role] = (*GRANTS[_role], *_functions)

#: Ends each PostgreSQL migration that adds `cd_` functions (the same text every time).
LOCK_DOWN = r"""
    -- Functions run with a fixed search path (the register's schema, then pg_temp last, so no object a
    -- caller makes can stand in for a register table), and nobody may call them until `team init` grants.
    DO $$
    DECLARE
        f regprocedure;
    BEGIN
        FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                 WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'cd\_%' LOOP
            EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, current_schema());
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        END LOOP;
    END $$;
"""

#: Version 7 on PostgreSQL. Statements end with ';' at a line end; function bodies are $$-quoted.
MIGRATION_7 = r"""
    -- The index of record states carried by audit entries: kept by the audit trigger, never by a client.
    CREATE TABLE audit_states (
        seq bigint NOT NULL REFERENCES audit(seq),
        kind text NOT NULL CHECK (kind IN ('consent', 'scan', 'image', 'analysis', 'face_decision',
                                           'finding_decision', 'image_review', 'approval')),
        row_id text COLLATE "C" NOT NULL,
        before text CHECK (before ~ '^[0-9a-f]{64}$'),
        after text CHECK (after ~ '^[0-9a-f]{64}$'),
        PRIMARY KEY (kind, row_id, seq)
    );
    CREATE INDEX audit_states_seq ON audit_states(seq);
    CREATE TRIGGER audit_states_append_only BEFORE UPDATE OR DELETE ON audit_states
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('the audit trail is append-only');
    CREATE TRIGGER audit_states_no_truncate BEFORE TRUNCATE ON audit_states
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('the audit trail is append-only');

    -- Decisions, approvals and form ids are never edited or deleted (erasure deletes the face links and
    -- scans of an erased release only); a photo's path is the one column of a photo that may change.
    CREATE FUNCTION cd_refuse_unless_consent_erased() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.consent_id IS NULL
           OR (SELECT status FROM consents WHERE id = OLD.consent_id) IS DISTINCT FROM 'erased' THEN
            RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END $$;
    CREATE TRIGGER face_decisions_immutable BEFORE UPDATE ON face_decisions
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('decisions are never edited; add a new one instead');
    CREATE TRIGGER face_decisions_delete_only_when_erased BEFORE DELETE ON face_decisions
        FOR EACH ROW EXECUTE FUNCTION cd_refuse_unless_consent_erased(
            'face decisions are removed only by erasure of the release they link to');
    CREATE TRIGGER face_decisions_no_truncate BEFORE TRUNCATE ON face_decisions
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('decisions are never deleted');
    CREATE TRIGGER finding_decisions_immutable BEFORE UPDATE OR DELETE ON finding_decisions
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('decisions are never edited or deleted; add a new one instead');
    CREATE TRIGGER finding_decisions_no_truncate BEFORE TRUNCATE ON finding_decisions
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('decisions are never deleted');
    CREATE TRIGGER image_reviews_immutable BEFORE UPDATE OR DELETE ON image_reviews
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('decisions are never edited or deleted; add a new one instead');
    CREATE TRIGGER image_reviews_no_truncate BEFORE TRUNCATE ON image_reviews
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('decisions are never deleted');
    CREATE TRIGGER approvals_immutable BEFORE UPDATE OR DELETE ON approvals
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('approvals are never edited or deleted');
    CREATE TRIGGER approvals_no_truncate BEFORE TRUNCATE ON approvals
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('approvals are never deleted');
    CREATE TRIGGER approval_channels_immutable BEFORE UPDATE OR DELETE ON approval_channels
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('approvals are never edited or deleted');
    CREATE TRIGGER approval_channels_no_truncate BEFORE TRUNCATE ON approval_channels
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('approvals are never deleted');
    CREATE TRIGGER form_ids_immutable BEFORE UPDATE OR DELETE ON form_ids
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('issued form ids are never changed or withdrawn');
    CREATE TRIGGER form_ids_no_truncate BEFORE TRUNCATE ON form_ids
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('issued form ids are never withdrawn');
    CREATE TRIGGER analyses_no_delete BEFORE DELETE ON analyses
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never deleted; run a new analysis instead');
    CREATE TRIGGER analyses_no_truncate BEFORE TRUNCATE ON analyses
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('analyses are never deleted');
    CREATE TRIGGER faces_no_truncate BEFORE TRUNCATE ON faces
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('analyses are never deleted');
    CREATE TRIGGER findings_no_truncate BEFORE TRUNCATE ON findings
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('analyses are never deleted');
    CREATE TRIGGER faces_no_delete BEFORE DELETE ON faces
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never deleted; run a new analysis instead');
    CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('analyses are never deleted; run a new analysis instead');
    CREATE TRIGGER images_only_path_changes BEFORE UPDATE ON images FOR EACH ROW
        WHEN ((OLD.id, OLD.sha256, OLD.file_size, OLD.width, OLD.height, OLD.captured_at, OLD.camera,
               OLD.shoot_id, OLD.imported_at, OLD.imported_by)
              IS DISTINCT FROM
              (NEW.id, NEW.sha256, NEW.file_size, NEW.width, NEW.height, NEW.captured_at, NEW.camera,
               NEW.shoot_id, NEW.imported_at, NEW.imported_by))
        EXECUTE FUNCTION cd_refuse('a photo''s record is never edited (only where its file is)');
    CREATE TRIGGER images_no_delete BEFORE DELETE ON images
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('photos are never removed from the register');
    CREATE TRIGGER images_no_truncate BEFORE TRUNCATE ON images
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('photos are never removed from the register');
    CREATE TRIGGER shoots_no_truncate BEFORE TRUNCATE ON shoots
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('photos are never removed from the register');
    CREATE FUNCTION cd_only_erasure_blanks_reasons() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (NEW.id, NEW.consent_id, NEW.kind, NEW.effective_on, NEW.recorded_at, NEW.recorded_by)
               IS DISTINCT FROM
           (OLD.id, OLD.consent_id, OLD.kind, OLD.effective_on, OLD.recorded_at, OLD.recorded_by)
           OR NEW.reason IS NOT NULL
           OR (SELECT status FROM consents WHERE id = OLD.consent_id) IS DISTINCT FROM 'erased' THEN
            RAISE EXCEPTION USING MESSAGE = 'status events are never edited (erasure only blanks their reason)',
                ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER consent_events_immutable BEFORE UPDATE ON consent_events
        FOR EACH ROW EXECUTE FUNCTION cd_only_erasure_blanks_reasons();
    CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('status events are never deleted');
    CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('records of releases are never deleted; erase them instead');
    CREATE TRIGGER consent_files_no_truncate BEFORE TRUNCATE ON consent_files
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('records of releases are never deleted; erase them instead');
    CREATE TRIGGER paper_scans_no_truncate BEFORE TRUNCATE ON paper_scans
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('records of releases are never deleted; erase them instead');
    CREATE TRIGGER consents_status_moves_forward BEFORE UPDATE OF status ON consents FOR EACH ROW
        WHEN (NOT (OLD.status = NEW.status
                   OR (OLD.status = 'active' AND NEW.status IN ('withdrawn', 'erased'))
                   OR (OLD.status = 'withdrawn' AND NEW.status = 'erased')))
        EXECUTE FUNCTION cd_refuse('a release''s status only moves forward: active, withdrawn, erased');

    -- Helpers (not callable by anyone but the owner: EXECUTE is revoked from PUBLIC below).
    CREATE FUNCTION cd_now() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00'
    $$;
    CREATE FUNCTION cd_owner() RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT pg_has_role(session_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'audit'
                                          AND schemaname = current_schema()), 'USAGE')
    $$;
    CREATE FUNCTION cd_fail(message text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = 'restrict_violation';
    END $$;
    CREATE FUNCTION cd_require(VARIADIC roles text[]) RETURNS void LANGUAGE plpgsql STABLE AS $$
    BEGIN
        IF cd_owner() OR EXISTS (
            SELECT FROM unnest(roles) AS r(name)
            WHERE to_regrole('consentdesk_' || r.name) IS NOT NULL
              AND pg_has_role(session_user, ('consentdesk_' || r.name)::regrole, 'USAGE')) THEN
            RETURN;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'permission denied: this needs the ' || array_to_string(roles, ' or ') || ' role';
    END $$;
    CREATE FUNCTION cd_entry_hash(prev text, seq bigint, at text, actor text, action text, subject text,
                                  details text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(
            '[' || to_json(prev)::text || ',' || seq::text || ',' || to_json(at)::text || ','
            || to_json(actor)::text || ',' || to_json(action)::text || ','
            || coalesce(to_json(subject)::text, 'null') || ',' || to_json(details)::text || ']', 'UTF8')), 'hex')
    $$;
    CREATE FUNCTION cd_digest(parts jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(parts::text, 'UTF8')), 'hex')
    $$;

    -- The state of one record, as `states.py` computes it (same columns, same order, same text).
    CREATE FUNCTION cd_state(kind text, row_id text) RETURNS text LANGUAGE plpgsql STABLE AS $$
    BEGIN
        CASE kind
        WHEN 'consent' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('consent', c.id, c.form_name, c.form_version::text,
                        c.answers, c.signed_at, c.expires_on, c.created_at, c.created_by, c.source, c.status,
                        c.search_key,
                        coalesce((SELECT jsonb_agg(jsonb_build_array(f.field, f.mime, f.sha256)
                                                   ORDER BY f.field COLLATE "C")
                                  FROM consent_files f WHERE f.consent_id = c.id), '[]'::jsonb),
                        coalesce((SELECT jsonb_agg(jsonb_build_array(e.id::text, e.kind, e.effective_on, e.reason,
                                                                     e.recorded_at, e.recorded_by) ORDER BY e.id)
                                  FROM consent_events e WHERE e.consent_id = c.id), '[]'::jsonb)))
                    FROM consents c WHERE c.id = row_id);
        WHEN 'scan' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('scan', s.id::text, s.form_id, s.page::text,
                        s.source_name, s.mime, s.sha256, s.scanned_at, s.scanned_by))
                    FROM paper_scans s WHERE s.id = row_id::bigint);
        WHEN 'image' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('image', i.id::text, i.sha256, i.file_size::text,
                        i.width::text, i.height::text, i.captured_at, i.camera, i.shoot_id::text, i.imported_at,
                        i.imported_by))
                    FROM images i WHERE i.id = row_id::bigint);
        WHEN 'analysis' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('analysis', a.id::text, a.image_id::text,
                        a.analyser_version, a.analysed_at, a.error,
                        coalesce((SELECT jsonb_agg(jsonb_build_array(f.n::text, f.x::text, f.y::text, f.w::text,
                                                                     f.h::text) ORDER BY f.n)
                                  FROM faces f WHERE f.analysis_id = a.id), '[]'::jsonb),
                        coalesce((SELECT jsonb_agg(jsonb_build_array(f.n::text, f.kind, f.severity, f.x::text,
                                                                     f.y::text, f.w::text, f.h::text, f.text)
                                                   ORDER BY f.n)
                                  FROM findings f WHERE f.analysis_id = a.id), '[]'::jsonb)))
                    FROM analyses a WHERE a.id = row_id::bigint);
        WHEN 'face_decision' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('face_decision', d.id::text, d.image_id::text,
                        d.face_id::text, d.state, d.consent_id, d.decided_at, d.decided_by))
                    FROM face_decisions d WHERE d.id = row_id::bigint);
        WHEN 'finding_decision' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('finding_decision', d.id::text, d.image_id::text,
                        d.finding_id::text, d.state, d.reason, d.decided_at, d.decided_by))
                    FROM finding_decisions d WHERE d.id = row_id::bigint);
        WHEN 'image_review' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('image_review', d.id::text, d.image_id::text, d.state,
                        d.reason, d.decided_at, d.decided_by))
                    FROM image_reviews d WHERE d.id = row_id::bigint);
        WHEN 'approval' THEN
            RETURN (SELECT cd_digest(jsonb_build_array('approval', a.id, a.image_id::text, a.approved_at,
                        a.approved_by, a.posting_date, a.export_path, a.export_sha256, a.consent_ids,
                        coalesce((SELECT jsonb_agg(c.channel ORDER BY c.channel COLLATE "C")
                                  FROM approval_channels c WHERE c.approval_id = a.id), '[]'::jsonb)))
                    FROM approvals a WHERE a.id = row_id);
        ELSE
            PERFORM cd_fail('there is no kind of record called ' || coalesce(kind, 'NULL'));
        END CASE;
    END $$;
    CREATE FUNCTION cd_item(kind text, row_id text, before text) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_array(kind, row_id, before, cd_state(kind, row_id))
    $$;

    -- Every insert into the trail gets the server's number, time, actor, link and hash. A verbatim copy
    -- into an empty register by its owner (SET LOCAL consentdesk.copying = 'on') keeps the source's
    -- entries, which must then be well-formed links of the chain.
    CREATE OR REPLACE FUNCTION cd_audit_append() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        head_seq bigint;
        head_hash text;
    BEGIN
        SELECT value::bigint INTO head_seq FROM meta WHERE key = 'audit_head_seq' FOR UPDATE;
        SELECT value INTO head_hash FROM meta WHERE key = 'audit_head_hash' FOR UPDATE;
        IF cd_copying() THEN
            head_seq := coalesce(head_seq, 0);
            head_hash := coalesce(head_hash, repeat('0', 64));
            IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash
               OR NEW.hash IS DISTINCT FROM cd_entry_hash(NEW.prev_hash, NEW.seq, NEW.at, NEW.actor, NEW.action,
                                                          NEW.subject, NEW.details) THEN
                PERFORM cd_fail('a copied audit entry must be a well-formed link of the chain');
            END IF;
        ELSE
            IF head_seq IS NULL OR head_hash IS NULL THEN
                PERFORM cd_fail('the audit trail has no recorded end; restore the register from a backup');
            END IF;
            NEW.seq := head_seq + 1;
            NEW.prev_hash := head_hash;
            NEW.at := cd_now();
            NEW.actor := session_user::text;
            NEW.hash := cd_entry_hash(NEW.prev_hash, NEW.seq, NEW.at, NEW.actor, NEW.action, NEW.subject,
                                      NEW.details);
        END IF;
        INSERT INTO meta(key, value) VALUES ('audit_head_seq', NEW.seq::text), ('audit_head_hash', NEW.hash)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
        RETURN NEW;
    END $$;
    CREATE FUNCTION cd_audit_project() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
        IF jsonb_typeof(NEW.details::jsonb -> 'states') = 'array' THEN
            INSERT INTO audit_states(seq, kind, row_id, before, after)
            SELECT NEW.seq, s ->> 0, s ->> 1, s ->> 2, s ->> 3
            FROM jsonb_array_elements(NEW.details::jsonb -> 'states') AS s;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER audit_project AFTER INSERT ON audit FOR EACH ROW EXECUTE FUNCTION cd_audit_project();

    CREATE FUNCTION cd_audit(action text, subject text, details jsonb, states jsonb DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql AS $$
    DECLARE
        digest text;
    BEGIN
        IF states IS NOT NULL AND jsonb_array_length(states) > 0 THEN
            details := details || jsonb_build_object('states', states);
        END IF;
        INSERT INTO audit(seq, at, actor, action, subject, details, prev_hash, hash)
            VALUES (0, '', '', action, subject, details::text, '', '') RETURNING hash INTO digest;
        RETURN digest;
    END $$;

    CREATE FUNCTION cd_box_ok(box jsonb, width integer, height integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
        SELECT jsonb_typeof(box -> 'x') = 'number' AND jsonb_typeof(box -> 'y') = 'number'
           AND jsonb_typeof(box -> 'w') = 'number' AND jsonb_typeof(box -> 'h') = 'number'
           AND (box ->> 'x')::numeric = floor((box ->> 'x')::numeric)
           AND (box ->> 'y')::numeric = floor((box ->> 'y')::numeric)
           AND (box ->> 'w')::numeric = floor((box ->> 'w')::numeric)
           AND (box ->> 'h')::numeric = floor((box ->> 'h')::numeric)
           AND (box ->> 'x')::numeric >= 0 AND (box ->> 'y')::numeric >= 0
           AND (box ->> 'w')::numeric >= 1 AND (box ->> 'h')::numeric >= 1
           AND (box ->> 'x')::numeric < width AND (box ->> 'y')::numeric < height
           AND (box ->> 'w')::numeric <= width AND (box ->> 'h')::numeric <= height
    $$;
    CREATE FUNCTION cd_insert_analysis(image bigint, analysis jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        analysis_id bigint;
        image_width integer;
        image_height integer;
    BEGIN
        SELECT width, height INTO image_width, image_height FROM images WHERE id = image;
        IF jsonb_typeof(analysis) IS DISTINCT FROM 'object'
           OR jsonb_typeof(analysis -> 'faces') IS DISTINCT FROM 'array'
           OR jsonb_typeof(analysis -> 'findings') IS DISTINCT FROM 'array'
           OR jsonb_typeof(analysis -> 'analyser_version') IS DISTINCT FROM 'string'
           OR length(analysis ->> 'analyser_version') > 500
           OR jsonb_typeof(coalesce(analysis -> 'error', 'null')) NOT IN ('null', 'string') THEN
            PERFORM cd_fail('an analysis names its analyser and lists its faces and findings');
        END IF;
        IF EXISTS (SELECT FROM jsonb_array_elements(analysis -> 'faces') AS f
                   WHERE jsonb_typeof(f) IS DISTINCT FROM 'object'
                      OR NOT cd_box_ok(f, image_width, image_height)
                      OR jsonb_typeof(f -> 'score') IS DISTINCT FROM 'number'
                      OR (f ->> 'score')::float8 NOT BETWEEN 0 AND 1) THEN
            PERFORM cd_fail('each face of an analysis is a box inside the photo with a score from 0 to 1');
        END IF;
        IF EXISTS (SELECT FROM jsonb_array_elements(analysis -> 'findings') AS f
                   WHERE jsonb_typeof(f) IS DISTINCT FROM 'object'
                      OR NOT cd_box_ok(f, image_width, image_height)
                      OR (f ->> 'kind') IS NULL
                      OR (f ->> 'kind') NOT IN ('nhs_number', 'person_name', 'date_of_birth', 'postcode',
                                                'address', 'phone', 'email', 'donation_number', 'vehicle_plate',
                                                'barcode', 'qr_code', 'screen', 'document', 'text')
                      OR (f ->> 'severity') IS NULL OR (f ->> 'severity') NOT IN ('high', 'medium', 'low')
                      OR jsonb_typeof(f -> 'text') IS DISTINCT FROM 'string') THEN
            PERFORM cd_fail('each finding of an analysis is a box inside the photo with a known kind and severity');
        END IF;
        INSERT INTO analyses(image_id, analyser_version, analysed_at, error, timings)
            VALUES (image, analysis ->> 'analyser_version', cd_now(), analysis ->> 'error',
                    CASE WHEN jsonb_typeof(analysis -> 'timings') = 'object' THEN (analysis -> 'timings')::text
                         ELSE '{}' END)
            RETURNING id INTO analysis_id;
        INSERT INTO faces(analysis_id, n, x, y, w, h, score)
            SELECT analysis_id, o.n, (o.f ->> 'x')::integer, (o.f ->> 'y')::integer, (o.f ->> 'w')::integer,
                   (o.f ->> 'h')::integer, (o.f ->> 'score')::float8
            FROM jsonb_array_elements(analysis -> 'faces') WITH ORDINALITY AS o(f, n);
        INSERT INTO findings(analysis_id, n, kind, severity, x, y, w, h, text)
            SELECT analysis_id, o.n, o.f ->> 'kind', o.f ->> 'severity', (o.f ->> 'x')::integer,
                   (o.f ->> 'y')::integer, (o.f ->> 'w')::integer, (o.f ->> 'h')::integer, o.f ->> 'text'
            FROM jsonb_array_elements(analysis -> 'findings') WITH ORDINALITY AS o(f, n);
        RETURN analysis_id;
    END $$;
    CREATE FUNCTION cd_form_id_ok(form_id text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
        SELECT form_id ~ '^CD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'
    $$;
    CREATE FUNCTION cd_sees_image(image bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT cd_owner() OR EXISTS (SELECT FROM images i WHERE i.id = image AND (i.imported_by = session_user
            OR i.shoot_id IN (SELECT id FROM shoots WHERE created_by = session_user)))
            OR (to_regrole('consentdesk_reviewer') IS NOT NULL
                AND pg_has_role(session_user, 'consentdesk_reviewer', 'USAGE'))
            OR (to_regrole('consentdesk_dpo') IS NOT NULL AND pg_has_role(session_user, 'consentdesk_dpo', 'USAGE'))
    $$;

    -- Photographers -------------------------------------------------------------------------------------
    CREATE FUNCTION cd_reserve_form_ids(ids text[], batch text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        taken text;
    BEGIN
        PERFORM cd_require('photographer');
        IF coalesce(cardinality(ids), 0) NOT BETWEEN 1 AND 10000 THEN
            PERFORM cd_fail('between 1 and 10,000 form ids can be reserved at once');
        END IF;
        IF EXISTS (SELECT FROM unnest(ids) AS i WHERE i IS NULL OR NOT cd_form_id_ok(i))
           OR (SELECT count(DISTINCT i) FROM unnest(ids) AS i) <> cardinality(ids) THEN
            PERFORM cd_fail('form ids look like CD-XXXX-XXXX and each is reserved once');
        END IF;
        IF batch IS NULL OR length(batch) NOT BETWEEN 1 AND 100 THEN
            PERFORM cd_fail('a reservation needs a batch name');
        END IF;
        SELECT f.id INTO taken FROM form_ids f WHERE f.id = ANY(ids) LIMIT 1;
        IF FOUND THEN
            PERFORM cd_fail('form id ' || taken || ' was already issued');
        END IF;
        INSERT INTO form_ids(id, reserved_at, reserved_by, batch)
            SELECT i, cd_now(), session_user, batch FROM unnest(ids) AS i;
        PERFORM cd_audit('form_ids.reserved', NULL, jsonb_build_object(
            'count', cardinality(ids), 'batch', batch, 'first', ids[1], 'last', ids[cardinality(ids)]));
    END $$;

    CREATE FUNCTION cd_sign_consent(consent_id text, paper boolean, form_name text, form_version integer,
                                    answers text, signed_at text, expires_on text, source text,
                                    search_key text, file_fields text[], file_mimes text[], file_data bytea[])
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        signed timestamptz;
    BEGIN
        PERFORM cd_require('photographer');
        IF consent_id IS NULL OR NOT cd_form_id_ok(consent_id) THEN
            PERFORM cd_fail('a release id looks like CD-XXXX-XXXX');
        END IF;
        IF paper THEN
            IF NOT EXISTS (SELECT FROM form_ids f WHERE f.id = consent_id) THEN
                PERFORM cd_fail('form id ' || consent_id || ' was never issued by this register; check the number');
            END IF;
            IF EXISTS (SELECT FROM consents c WHERE c.id = consent_id) THEN
                PERFORM cd_fail('form id ' || consent_id || ' already has a signed record');
            END IF;
        ELSE
            IF EXISTS (SELECT FROM form_ids f WHERE f.id = consent_id) THEN
                PERFORM cd_fail('form id ' || consent_id || ' is already issued; a new release needs a new id');
            END IF;
            INSERT INTO form_ids(id, reserved_at, reserved_by, batch)
                VALUES (consent_id, cd_now(), session_user, 'screen');
        END IF;
        IF form_name IS NULL OR form_version IS NULL OR form_version < 1 OR answers IS NULL
           OR search_key IS NULL OR source IS NULL THEN
            PERFORM cd_fail('a release names its form and version and has answers');
        END IF;
        IF jsonb_typeof(answers::jsonb) IS DISTINCT FROM 'object' THEN
            PERFORM cd_fail('the answers of a release are a JSON object');
        END IF;
        IF signed_at IS NULL OR signed_at !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2})?$' THEN
            PERFORM cd_fail('a release is signed at a date and time (YYYY-MM-DDTHH:MM:SS)');
        END IF;
        signed := signed_at::timestamptz;
        IF signed > clock_timestamp() + interval '1 day' THEN
            PERFORM cd_fail('a release cannot be signed in the future');
        END IF;
        IF expires_on IS NOT NULL AND (expires_on !~ '^\d{4}-\d{2}-\d{2}$' OR expires_on::date < signed::date) THEN
            PERFORM cd_fail('a release ends on a date (YYYY-MM-DD) after it was signed');
        END IF;
        IF coalesce(cardinality(file_fields), 0) <> coalesce(cardinality(file_mimes), 0)
           OR coalesce(cardinality(file_fields), 0) <> coalesce(cardinality(file_data), 0)
           OR EXISTS (SELECT FROM unnest(file_fields, file_mimes, file_data) AS f(field, mime, data)
                      WHERE field IS NULL OR mime IS NULL OR data IS NULL OR length(data) = 0
                         OR field !~ '^[a-z_]{1,64}$' OR mime !~ '^[a-z]+/[a-z0-9.+-]+$')
           OR (SELECT count(DISTINCT f) FROM unnest(file_fields) AS f) <> coalesce(cardinality(file_fields), 0) THEN
            PERFORM cd_fail('each file of a release has a field name, a type and data, once');
        END IF;
        INSERT INTO consents(id, form_name, form_version, answers, signed_at, expires_on, created_at,
                             created_by, source, status, search_key)
            VALUES (consent_id, form_name, form_version, answers, signed_at, expires_on, cd_now(), session_user,
                    source, 'active', search_key);
        INSERT INTO consent_files(consent_id, field, mime, sha256, data)
            SELECT consent_id, f.field, f.mime, encode(sha256(f.data), 'hex'), f.data
            FROM unnest(file_fields, file_mimes, file_data) AS f(field, mime, data);
        PERFORM cd_audit('consent.signed', consent_id, jsonb_build_object(
                'form', form_name || '@v' || form_version, 'source', source, 'expires_on', expires_on,
                'files', coalesce((SELECT jsonb_agg(f ORDER BY f COLLATE "C") FROM unnest(file_fields) AS f),
                                  '[]'::jsonb)),
            jsonb_build_array(cd_item('consent', consent_id, NULL)));
    END $$;

    CREATE FUNCTION cd_attach_scan(form_id text, page integer, source_name text, mime text, data bytea,
                                   signature_boxes jsonb)
    RETURNS TABLE(scan_id bigint, added boolean) LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        digest text;
        found_id bigint;
        details jsonb;
    BEGIN
        PERFORM cd_require('photographer');
        IF form_id IS NULL OR NOT EXISTS (SELECT FROM form_ids f WHERE f.id = form_id) THEN
            PERFORM cd_fail('form id ' || coalesce(form_id, 'NULL') || ' was never issued by this register');
        END IF;
        IF page IS NULL OR page < 1 OR data IS NULL OR length(data) = 0 OR mime IS NULL
           OR mime !~ '^[a-z]+/[a-z0-9.+-]+$' OR source_name IS NULL THEN
            PERFORM cd_fail('a scan is a page (from 1) of a named file with a type and data');
        END IF;
        IF signature_boxes IS NOT NULL AND (jsonb_typeof(signature_boxes) <> 'object' OR EXISTS (
                SELECT FROM jsonb_each(signature_boxes) AS b
                WHERE b.key !~ '^[a-z_]{0,55}signature$' OR b.value NOT IN ('"ink"'::jsonb, '"empty"'::jsonb))) THEN
            PERFORM cd_fail('the signature check of a scan says "ink" or "empty" for each signature box');
        END IF;
        digest := encode(sha256(data), 'hex');
        SELECT s.id INTO found_id FROM paper_scans s WHERE s.form_id = cd_attach_scan.form_id AND s.sha256 = digest;
        IF FOUND THEN
            RETURN QUERY SELECT found_id, false;
            RETURN;
        END IF;
        INSERT INTO paper_scans(form_id, page, source_name, mime, sha256, data, scanned_at, scanned_by)
            VALUES (form_id, page, source_name, mime, digest, data, cd_now(), session_user)
            RETURNING id INTO found_id;
        details := jsonb_build_object('scan', found_id, 'page', page, 'sha256', digest, 'state',
            CASE WHEN EXISTS (SELECT FROM consents c WHERE c.id = form_id) THEN 'used' ELSE 'reserved' END);
        IF signature_boxes IS NOT NULL THEN
            details := details || jsonb_build_object('signature_boxes', signature_boxes);
        END IF;
        PERFORM cd_audit('paper_scan.attached', form_id, details,
                         jsonb_build_array(cd_item('scan', found_id::text, NULL)));
        RETURN QUERY SELECT found_id, true;
    END $$;

    CREATE FUNCTION cd_create_shoot(name text, source text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        shoot bigint;
    BEGIN
        PERFORM cd_require('photographer');
        IF name IS NULL OR source IS NULL OR length(name) > 1000 OR length(source) > 4000 THEN
            PERFORM cd_fail('a shoot has a name and a source');
        END IF;
        INSERT INTO shoots(name, source, created_at, created_by) VALUES (name, source, cd_now(), session_user)
            RETURNING id INTO shoot;
        PERFORM cd_audit('shoot.created', 'shoot:' || shoot, jsonb_build_object('name', name));
        RETURN shoot;
    END $$;

    CREATE FUNCTION cd_import_photo(sha256 text, path text, file_size bigint, width integer, height integer,
                                    captured_at text, camera text, shoot bigint, analysis jsonb, data bytea)
    RETURNS TABLE(image_id bigint, added boolean) LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        image bigint;
        analysis_id bigint;
    BEGIN
        PERFORM cd_require('photographer');
        IF sha256 IS NULL OR sha256 !~ '^[0-9a-f]{64}$' THEN
            PERFORM cd_fail('a photo is known by the SHA-256 of its file (64 hex digits)');
        END IF;
        IF path IS NULL OR file_size IS NULL OR file_size < 1 OR width IS NULL OR width < 1
           OR height IS NULL OR height < 1 THEN
            PERFORM cd_fail('a photo has a path, a size in bytes and a width and height in pixels');
        END IF;
        SELECT i.id INTO image FROM images i WHERE i.sha256 = cd_import_photo.sha256;
        IF FOUND THEN
            IF NOT cd_sees_image(image) THEN
                PERFORM cd_fail('this photo is already in the team register (imported by someone else, so it is '
                                || 'not among your photos); a reviewer can find it there. Nothing was added.');
            END IF;
            RETURN QUERY SELECT image, false;
            RETURN;
        END IF;
        IF shoot IS NOT NULL AND NOT EXISTS (SELECT FROM shoots s WHERE s.id = shoot
                                             AND (s.created_by = session_user OR cd_owner())) THEN
            PERFORM cd_fail('photos are added to a shoot of your own');
        END IF;
        IF data IS NOT NULL AND encode(pg_catalog.sha256(data), 'hex') <> sha256 THEN
            PERFORM cd_fail('the working copy sent is not the photo named by its SHA-256');
        END IF;
        INSERT INTO images(sha256, path, file_size, width, height, captured_at, camera, shoot_id, imported_at,
                           imported_by)
            VALUES (sha256, path, file_size, width, height, captured_at, camera, shoot, cd_now(), session_user)
            RETURNING id INTO image;
        analysis_id := cd_insert_analysis(image, analysis);
        IF data IS NOT NULL THEN
            INSERT INTO photo_files(sha256, data, stored_at, stored_by)
                VALUES (sha256, data, cd_now(), session_user) ON CONFLICT DO NOTHING;
        END IF;
        PERFORM cd_audit('image.imported', 'image:' || image, jsonb_build_object(
                'sha256', sha256, 'faces', jsonb_array_length(analysis -> 'faces'),
                'findings', jsonb_array_length(analysis -> 'findings'),
                'analyser', analysis ->> 'analyser_version', 'error', (analysis ->> 'error') IS NOT NULL),
            jsonb_build_array(cd_item('image', image::text, NULL), cd_item('analysis', analysis_id::text, NULL)));
        RETURN QUERY SELECT image, true;
    END $$;

    -- Reviewers -----------------------------------------------------------------------------------------
    CREATE FUNCTION cd_recheck_photo(image bigint, analysis jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        analysis_id bigint;
    BEGIN
        PERFORM cd_require('reviewer');
        IF NOT EXISTS (SELECT FROM images i WHERE i.id = image) THEN
            PERFORM cd_fail('there is no photo ' || coalesce(image::text, 'NULL'));
        END IF;
        analysis_id := cd_insert_analysis(image, analysis);
        PERFORM cd_audit('image.reanalysed', 'image:' || image, jsonb_build_object(
                'faces', jsonb_array_length(analysis -> 'faces'),
                'findings', jsonb_array_length(analysis -> 'findings'),
                'analyser', analysis ->> 'analyser_version'),
            jsonb_build_array(cd_item('analysis', analysis_id::text, NULL)));
        RETURN analysis_id;
    END $$;

    CREATE FUNCTION cd_current_analysis(image bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT max(a.id) FROM analyses a WHERE a.image_id = image
    $$;

    CREATE FUNCTION cd_decide_face(image bigint, face bigint, state text, consent_id text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        decision bigint;
        face_n integer;
    BEGIN
        PERFORM cd_require('reviewer');
        SELECT f.n INTO face_n FROM faces f WHERE f.id = face AND f.analysis_id = cd_current_analysis(image);
        IF NOT FOUND THEN
            PERFORM cd_fail('face ' || coalesce(face::text, 'NULL') || ' is not a face of the current analysis of photo '
                            || coalesce(image::text, 'NULL'));
        END IF;
        IF state IS NULL OR state NOT IN ('unresolved', 'linked', 'blur', 'not_a_person')
           OR (state = 'linked') <> (consent_id IS NOT NULL) THEN
            PERFORM cd_fail('a face is linked to a release, blurred, not a person, or unresolved');
        END IF;
        IF consent_id IS NOT NULL AND NOT EXISTS (SELECT FROM consents c WHERE c.id = consent_id
                                                  AND c.status <> 'erased') THEN
            PERFORM cd_fail('there is no release ' || consent_id || ' to link (or it was erased)');
        END IF;
        INSERT INTO face_decisions(image_id, face_id, state, consent_id, decided_at, decided_by)
            VALUES (image, face, state, consent_id, cd_now(), session_user) RETURNING id INTO decision;
        PERFORM cd_audit('review.face', 'image:' || image, jsonb_build_object(
                'face', face_n, 'face_id', face, 'state', state, 'consent', consent_id),
            jsonb_build_array(cd_item('face_decision', decision::text, NULL)));
        RETURN decision;
    END $$;

    CREATE FUNCTION cd_decide_finding(image bigint, finding bigint, state text, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        decision bigint;
        finding_n integer;
        finding_kind text;
    BEGIN
        PERFORM cd_require('reviewer');
        SELECT f.n, f.kind INTO finding_n, finding_kind FROM findings f
            WHERE f.id = finding AND f.analysis_id = cd_current_analysis(image);
        IF NOT FOUND THEN
            PERFORM cd_fail('finding ' || coalesce(finding::text, 'NULL')
                            || ' is not a finding of the current analysis of photo ' || coalesce(image::text, 'NULL'));
        END IF;
        IF state IS NULL OR state NOT IN ('unresolved', 'redact', 'dismissed')
           OR (state = 'dismissed' AND length(trim(coalesce(reason, ''))) = 0) THEN
            PERFORM cd_fail('a finding is redacted, dismissed with a reason, or unresolved');
        END IF;
        INSERT INTO finding_decisions(image_id, finding_id, state, reason, decided_at, decided_by)
            VALUES (image, finding, state, reason, cd_now(), session_user) RETURNING id INTO decision;
        PERFORM cd_audit('review.finding', 'image:' || image, jsonb_build_object(
                'finding', finding_n, 'finding_id', finding, 'kind', finding_kind, 'state', state,
                'reason_given', reason IS NOT NULL AND reason <> ''),
            jsonb_build_array(cd_item('finding_decision', decision::text, NULL)));
        RETURN decision;
    END $$;

    CREATE FUNCTION cd_review_photo(image bigint, state text, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        decision bigint;
    BEGIN
        PERFORM cd_require('reviewer');
        IF NOT EXISTS (SELECT FROM images i WHERE i.id = image) THEN
            PERFORM cd_fail('there is no photo ' || coalesce(image::text, 'NULL'));
        END IF;
        IF state IS NULL OR state NOT IN ('open', 'rejected') THEN
            PERFORM cd_fail('a photo is rejected or open');
        END IF;
        INSERT INTO image_reviews(image_id, state, reason, decided_at, decided_by)
            VALUES (image, state, reason, cd_now(), session_user) RETURNING id INTO decision;
        PERFORM cd_audit('review.image', 'image:' || image, jsonb_build_object(
                'state', state, 'reason_given', reason IS NOT NULL AND reason <> ''),
            jsonb_build_array(cd_item('image_review', decision::text, NULL)));
        RETURN decision;
    END $$;

    CREATE FUNCTION cd_record_approval(approval_id text, image bigint, posting_date text, channels text[],
                                       export_path text, export_sha256 text, consent_ids text[])
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        missing text;
    BEGIN
        PERFORM cd_require('reviewer');
        IF approval_id IS NULL OR approval_id !~ '^AP-[A-Za-z0-9_-]{1,40}$' THEN
            PERFORM cd_fail('an approval id looks like AP-XXXX-XXXX');
        END IF;
        IF NOT EXISTS (SELECT FROM images i WHERE i.id = image) THEN
            PERFORM cd_fail('there is no photo ' || coalesce(image::text, 'NULL'));
        END IF;
        IF (SELECT r.state FROM image_reviews r WHERE r.image_id = image ORDER BY r.id DESC LIMIT 1) = 'rejected' THEN
            PERFORM cd_fail('photo ' || image || ' is rejected; open it again before approving it');
        END IF;
        IF posting_date IS NULL OR posting_date !~ '^\d{4}-\d{2}-\d{2}$' OR posting_date::date IS NULL THEN
            PERFORM cd_fail('an approval is for a posting date (YYYY-MM-DD)');
        END IF;
        IF EXISTS (SELECT FROM unnest(coalesce(channels, '{}')) AS c WHERE c IS NULL OR c !~ '^[a-z0-9_]{1,40}$')
           OR (SELECT count(DISTINCT c) FROM unnest(coalesce(channels, '{}')) AS c) <> coalesce(cardinality(channels), 0) THEN
            PERFORM cd_fail('an approval names each channel once');
        END IF;
        IF export_path IS NULL OR export_sha256 IS NULL OR export_sha256 !~ '^[0-9a-f]{64}$' THEN
            PERFORM cd_fail('an approval names the exported file and its SHA-256');
        END IF;
        SELECT c INTO missing FROM unnest(coalesce(consent_ids, '{}')) AS c
            WHERE c IS NULL OR NOT EXISTS (SELECT FROM consents x WHERE x.id = c) LIMIT 1;
        IF FOUND THEN
            PERFORM cd_fail('there is no release ' || coalesce(missing, 'NULL'));
        END IF;
        INSERT INTO approvals(id, image_id, approved_at, approved_by, posting_date, export_path, export_sha256,
                              consent_ids)
            VALUES (approval_id, image, cd_now(), session_user, posting_date, export_path, export_sha256,
                    to_jsonb(coalesce(consent_ids, '{}'))::text);
        INSERT INTO approval_channels(approval_id, channel) SELECT approval_id, c FROM unnest(channels) AS c;
        PERFORM cd_audit('image.approved', 'image:' || image, jsonb_build_object(
                'approval', approval_id, 'channels', to_jsonb(coalesce(channels, '{}')),
                'posting_date', posting_date, 'export_path', export_path, 'export_sha256', export_sha256,
                'consents', to_jsonb(coalesce(consent_ids, '{}'))),
            jsonb_build_array(cd_item('approval', approval_id, NULL)));
    END $$;

    -- Withdrawal (reviewers and data-protection officers) ---------------------------------------------------
    CREATE FUNCTION cd_withdraw_consent(consent_id text, effective_on text, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        now_status text;
        before text;
    BEGIN
        PERFORM cd_require('reviewer', 'dpo');
        SELECT c.status INTO now_status FROM consents c WHERE c.id = consent_id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM cd_fail('there is no release ' || coalesce(consent_id, 'NULL'));
        END IF;
        IF now_status <> 'active' THEN
            PERFORM cd_fail('release ' || consent_id || ' is already ' || now_status);
        END IF;
        IF length(trim(coalesce(reason, ''))) = 0 THEN
            PERFORM cd_fail('a reason for the withdrawal is required');
        END IF;
        IF effective_on IS NULL OR effective_on !~ '^\d{4}-\d{2}-\d{2}$' OR effective_on::date IS NULL THEN
            PERFORM cd_fail('a withdrawal takes effect on a date (YYYY-MM-DD)');
        END IF;
        before := cd_state('consent', consent_id);
        INSERT INTO consent_events(consent_id, kind, effective_on, reason, recorded_at, recorded_by)
            VALUES (consent_id, 'withdrawn', effective_on, trim(reason), cd_now(), session_user);
        UPDATE consents SET status = 'withdrawn' WHERE id = consent_id;
        PERFORM cd_audit('consent.withdrawn', consent_id, jsonb_build_object('effective_on', effective_on),
                         jsonb_build_array(cd_item('consent', consent_id, before)));
    END $$;

    -- Data-protection officers ------------------------------------------------------------------------------
    CREATE FUNCTION cd_erase_consent(consent_id text, today text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        now_status text;
        states jsonb := '[]'::jsonb;
        before text;
        removed integer;
        link_faces bigint[];
        link_images bigint[];
        blocked bigint[];
        files integer;
        scans integer;
        copies integer;
        r record;
        new_id bigint;
        counts jsonb;
    BEGIN
        PERFORM cd_require('dpo');
        SELECT c.status INTO now_status FROM consents c WHERE c.id = consent_id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM cd_fail('there is no release ' || coalesce(consent_id, 'NULL'));
        END IF;
        IF now_status = 'erased' THEN
            PERFORM cd_fail('release ' || consent_id || ' was already erased');
        END IF;
        IF today IS NULL OR today !~ '^\d{4}-\d{2}-\d{2}$' OR today::date IS NULL THEN
            PERFORM cd_fail('an erasure takes effect on a date (YYYY-MM-DD)');
        END IF;
        before := cd_state('consent', consent_id);
        -- What goes: every face link to the release (its history too) and its scans, each with its state.
        FOR r IN SELECT d.id FROM face_decisions d WHERE d.consent_id = cd_erase_consent.consent_id ORDER BY d.id LOOP
            states := states || jsonb_build_array(jsonb_build_array('face_decision', r.id::text,
                                                                    cd_state('face_decision', r.id::text), NULL));
        END LOOP;
        FOR r IN SELECT s.id FROM paper_scans s WHERE s.form_id = consent_id ORDER BY s.id LOOP
            states := states || jsonb_build_array(jsonb_build_array('scan', r.id::text, cd_state('scan', r.id::text),
                                                                    NULL));
        END LOOP;
        SELECT coalesce(array_agg(x.face_id ORDER BY x.face_id), '{}'),
               coalesce(array_agg(x.image_id ORDER BY x.face_id), '{}')
            INTO link_faces, link_images
            FROM (SELECT DISTINCT d.face_id, d.image_id FROM face_decisions d
                  WHERE d.consent_id = cd_erase_consent.consent_id) AS x;
        UPDATE consents SET answers = '{}', status = 'erased', search_key = '' WHERE id = consent_id;
        DELETE FROM face_decisions d WHERE d.consent_id = cd_erase_consent.consent_id;
        GET DIAGNOSTICS removed = ROW_COUNT;
        -- Each face gets a fresh "unresolved" decision, so an older "blur" cannot clear it again silently,
        -- and each photo shown is rejected until someone reviews it on purpose.
        FOR i IN 1 .. coalesce(cardinality(link_faces), 0) LOOP
            INSERT INTO face_decisions(image_id, face_id, state, consent_id, decided_at, decided_by)
                VALUES (link_images[i], link_faces[i], 'unresolved', NULL, cd_now(), session_user)
                RETURNING id INTO new_id;
            states := states || jsonb_build_array(cd_item('face_decision', new_id::text, NULL));
        END LOOP;
        SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') INTO blocked FROM unnest(link_images) AS x;
        FOR i IN 1 .. coalesce(cardinality(blocked), 0) LOOP
            INSERT INTO image_reviews(image_id, state, reason, decided_at, decided_by)
                VALUES (blocked[i], 'rejected',
                        'a person shown was erased from the register; review again before any use',
                        cd_now(), session_user)
                RETURNING id INTO new_id;
            states := states || jsonb_build_array(cd_item('image_review', new_id::text, NULL));
        END LOOP;
        DELETE FROM photo_files p WHERE p.sha256 IN (SELECT i.sha256 FROM images i WHERE i.id = ANY(blocked));
        GET DIAGNOSTICS copies = ROW_COUNT;
        DELETE FROM consent_files f WHERE f.consent_id = cd_erase_consent.consent_id;
        GET DIAGNOSTICS files = ROW_COUNT;
        DELETE FROM paper_scans s WHERE s.form_id = consent_id;
        GET DIAGNOSTICS scans = ROW_COUNT;
        UPDATE consent_events e SET reason = NULL WHERE e.consent_id = cd_erase_consent.consent_id;
        INSERT INTO consent_events(consent_id, kind, effective_on, reason, recorded_at, recorded_by)
            VALUES (consent_id, 'erased', today, NULL, cd_now(), session_user);
        states := jsonb_build_array(cd_item('consent', consent_id, before)) || states;
        counts := jsonb_build_object('face_links_removed', removed, 'images_blocked', to_jsonb(blocked),
                                     'files_removed', files, 'scans_removed', scans, 'photo_copies_removed', copies);
        PERFORM cd_audit('consent.erased', consent_id, counts, states);
        RETURN counts;
    END $$;

    CREATE FUNCTION cd_relink_photo(image bigint, path text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        digest text;
    BEGIN
        PERFORM cd_require('dpo');
        IF path IS NULL OR length(path) = 0 THEN
            PERFORM cd_fail('a photo''s new place is a path');
        END IF;
        UPDATE images i SET path = cd_relink_photo.path WHERE i.id = image RETURNING i.sha256 INTO digest;
        IF NOT FOUND THEN
            PERFORM cd_fail('there is no photo ' || coalesce(image::text, 'NULL'));
        END IF;
        PERFORM cd_audit('image.relinked', 'image:' || image, jsonb_build_object('sha256', digest));
    END $$;

    CREATE FUNCTION cd_record_sar_export(consent_id text, photos bigint[], photos_left_out bigint[], files integer,
                                         scans integer, audit_entries integer)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
        PERFORM cd_require('dpo');
        IF NOT EXISTS (SELECT FROM consents c WHERE c.id = consent_id) THEN
            PERFORM cd_fail('there is no release ' || coalesce(consent_id, 'NULL'));
        END IF;
        PERFORM cd_audit('sar.exported', consent_id, jsonb_build_object(
            'photos', to_jsonb(coalesce(photos, '{}')), 'photos_left_out', to_jsonb(coalesce(photos_left_out, '{}')),
            'files', coalesce(files, 0), 'scans', coalesce(scans, 0), 'audit_entries', coalesce(audit_entries, 0)));
    END $$;

    -- Administrators: people and roles, nothing else ------------------------------------------------------
    CREATE FUNCTION cd_person_ok(name text) RETURNS void LANGUAGE plpgsql STABLE AS $$
    DECLARE
        person oid := to_regrole(quote_ident(name));
        owner_name text := (SELECT tableowner FROM pg_tables WHERE tablename = 'audit'
                            AND schemaname = current_schema());
    BEGIN
        IF person IS NULL THEN
            PERFORM cd_fail('there is no person called ' || coalesce(name, 'NULL') || ' on this server');
        END IF;
        IF (SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls FROM pg_roles
            WHERE oid = person)
           OR pg_has_role(person, owner_name, 'MEMBER') OR name LIKE 'consentdesk\_%' OR name LIKE 'pg\_%'
           OR NOT (coalesce(shobj_description(person, 'pg_authid'), '') LIKE 'ConsentDesk user%'
                   OR EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                              WHERE m.member = person AND g.rolname LIKE 'consentdesk\_%')) THEN
            PERFORM cd_fail(name || ' is not a ConsentDesk person; an administrator manages ConsentDesk people only');
        END IF;
    END $$;
    CREATE FUNCTION cd_role_ok(role text) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
    BEGIN
        IF role IS NULL OR role NOT IN ('photographer', 'reviewer', 'dpo', 'admin') THEN
            PERFORM cd_fail('there is no role ' || coalesce(role, 'NULL')
                            || '; choose one of photographer, reviewer, dpo, admin');
        END IF;
    END $$;
    CREATE FUNCTION cd_verifier_ok(verifier text) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
    BEGIN
        IF verifier IS NOT NULL AND verifier !~ '^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
            PERFORM cd_fail('a password is sent as a SCRAM-SHA-256 verifier made on the administrator''s computer');
        END IF;
    END $$;

    CREATE FUNCTION cd_add_user(name text, role text, verifier text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
        PERFORM cd_require('admin');
        PERFORM cd_role_ok(role);
        PERFORM cd_verifier_ok(verifier);
        IF name IS NULL OR name !~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$' OR name LIKE 'consentdesk\_%'
           OR name LIKE 'pg\_%' THEN
            PERFORM cd_fail('a sign-in name is 1 to 63 letters, digits, and . _ @ - (not starting with pg_ or consentdesk_)');
        END IF;
        IF to_regrole(quote_ident(name)) IS NOT NULL THEN
            PERFORM cd_fail('there is already a role called ' || name || ' on this server');
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT',
                       name);
        IF verifier IS NOT NULL THEN
            EXECUTE format('ALTER ROLE %I PASSWORD %L', name, verifier);
        END IF;
        EXECUTE format('GRANT %I TO %I', 'consentdesk_' || role, name);
        EXECUTE format('COMMENT ON ROLE %I IS %L', name, 'ConsentDesk user');
        PERFORM cd_audit('team.user_added', 'user:' || name, jsonb_build_object('role', role));
    END $$;

    CREATE FUNCTION cd_set_role(name text, role text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        other text;
    BEGIN
        PERFORM cd_require('admin');
        PERFORM cd_role_ok(role);
        PERFORM cd_person_ok(name);
        IF name = session_user THEN
            PERFORM cd_fail('an administrator cannot change their own role; ask another administrator');
        END IF;
        FOREACH other IN ARRAY ARRAY['photographer', 'reviewer', 'dpo', 'admin'] LOOP
            IF other <> role AND to_regrole('consentdesk_' || other) IS NOT NULL
               AND pg_has_role(name, 'consentdesk_' || other, 'MEMBER') THEN
                EXECUTE format('REVOKE %I FROM %I', 'consentdesk_' || other, name);
            END IF;
        END LOOP;
        EXECUTE format('GRANT %I TO %I', 'consentdesk_' || role, name);
        PERFORM cd_audit('team.role_changed', 'user:' || name, jsonb_build_object('role', role));
    END $$;

    CREATE FUNCTION cd_remove_user(name text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        other text;
    BEGIN
        PERFORM cd_require('admin');
        PERFORM cd_person_ok(name);
        IF name = session_user THEN
            PERFORM cd_fail('an administrator cannot remove themselves; ask another administrator');
        END IF;
        EXECUTE format('ALTER ROLE %I NOLOGIN', name);
        EXECUTE format('COMMENT ON ROLE %I IS %L', name, 'ConsentDesk user (removed)');
        FOREACH other IN ARRAY ARRAY['photographer', 'reviewer', 'dpo', 'admin'] LOOP
            IF to_regrole('consentdesk_' || other) IS NOT NULL AND pg_has_role(name, 'consentdesk_' || other, 'MEMBER') THEN
                EXECUTE format('REVOKE %I FROM %I', 'consentdesk_' || other, name);
            END IF;
        END LOOP;
        PERFORM cd_audit('team.user_removed', 'user:' || name, '{}'::jsonb);
    END $$;

    CREATE FUNCTION cd_set_password(name text, verifier text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
        PERFORM cd_require('admin');
        PERFORM cd_person_ok(name);
        IF verifier IS NULL THEN
            PERFORM cd_fail('a new password is needed');
        END IF;
        PERFORM cd_verifier_ok(verifier);
        EXECUTE format('ALTER ROLE %I PASSWORD %L', name, verifier);
        PERFORM cd_audit('team.password_set', 'user:' || name, '{}'::jsonb);
    END $$;

    -- Verification: record digests for people who may verify (never the records themselves) -------------
    CREATE FUNCTION cd_record_states(kind text, ids text[]) RETURNS TABLE(row_id text, digest text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
    BEGIN
        PERFORM cd_require('reviewer', 'dpo', 'admin');
        IF cardinality(ids) > 5000 THEN
            PERFORM cd_fail('at most 5,000 records at a time');
        END IF;
        RETURN QUERY SELECT i, cd_state(kind, i) FROM unnest(ids) AS i WHERE cd_state(kind, i) IS NOT NULL;
    END $$;
    CREATE FUNCTION cd_record_counts() RETURNS TABLE(kind text, n bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
    BEGIN
        PERFORM cd_require('reviewer', 'dpo', 'admin');
        RETURN QUERY VALUES ('consent', (SELECT count(*) FROM consents)), ('scan', (SELECT count(*) FROM paper_scans)),
            ('image', (SELECT count(*) FROM images)), ('analysis', (SELECT count(*) FROM analyses)),
            ('face_decision', (SELECT count(*) FROM face_decisions)),
            ('finding_decision', (SELECT count(*) FROM finding_decisions)),
            ('image_review', (SELECT count(*) FROM image_reviews)), ('approval', (SELECT count(*) FROM approvals));
    END $$;
    CREATE FUNCTION cd_record_page(kind text, after text, size integer) RETURNS TABLE(row_id text, digest text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
    BEGIN
        PERFORM cd_require('reviewer', 'dpo', 'admin');
        size := least(greatest(coalesce(size, 1000), 1), 5000);
        CASE kind
        WHEN 'consent' THEN RETURN QUERY SELECT x.id, cd_state(kind, x.id) FROM consents x
            WHERE after IS NULL OR x.id COLLATE "C" > after ORDER BY x.id COLLATE "C" LIMIT size;
        WHEN 'approval' THEN RETURN QUERY SELECT x.id, cd_state(kind, x.id) FROM approvals x
            WHERE after IS NULL OR x.id COLLATE "C" > after ORDER BY x.id COLLATE "C" LIMIT size;
        WHEN 'scan' THEN RETURN QUERY SELECT x.id::text, cd_state(kind, x.id::text) FROM paper_scans x
            WHERE x.id > coalesce(after::bigint, 0) ORDER BY x.id LIMIT size;
        WHEN 'image' THEN RETURN QUERY SELECT x.id::text, cd_state(kind, x.id::text) FROM images x
            WHERE x.id > coalesce(after::bigint, 0) ORDER BY x.id LIMIT size;
        WHEN 'analysis' THEN RETURN QUERY SELECT x.id::text, cd_state(kind, x.id::text) FROM analyses x
            WHERE x.id > coalesce(after::bigint, 0) ORDER BY x.id LIMIT size;
        WHEN 'face_decision' THEN RETURN QUERY SELECT x.id::text, cd_state(kind, x.id::text) FROM face_decisions x
            WHERE x.id > coalesce(after::bigint, 0) ORDER BY x.id LIMIT size;
        WHEN 'finding_decision' THEN RETURN QUERY SELECT x.id::text, cd_state(kind, x.id::text)
            FROM finding_decisions x WHERE x.id > coalesce(after::bigint, 0) ORDER BY x.id LIMIT size;
        WHEN 'image_review' THEN RETURN QUERY SELECT x.id::text, cd_state(kind, x.id::text) FROM image_reviews x
            WHERE x.id > coalesce(after::bigint, 0) ORDER BY x.id LIMIT size;
        ELSE
            PERFORM cd_fail('there is no kind of record called ' || coalesce(kind, 'NULL'));
        END CASE;
    END $$;
""" + LOCK_DOWN
