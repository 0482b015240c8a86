"""The server's rules for take-downs and for a crowd's decisions (migration 9 on PostgreSQL).

As everywhere on a team register (see `server_rules.py` and docs/threat-model.md), nobody writes these
tables: `cd_record_takedown` records that an approved copy's posts came down and its export was deleted
(reviewers and data-protection officers), and `cd_decide_faces` gives many faces of one photo the same
decision in one action (reviewers). Each checks the role and the state, writes with the server's clock and
`session_user`, and appends its own audit entry with the state digests of what it made or changed. Who may
call them is in `server_rules.GRANTS` with every other function.

A take-down is part of its approval's recorded state (`cd_state('approval', …)` and `states.py` add it
when there is one, so an approval without a take-down keeps the digest it always had): an approval's
take-down removed or forged shows in `audit verify` as a changed approval. What an approval relied on
(`approval_consents`) is kept by the database from the approval's own list, which its digest covers.
"""

from __future__ import annotations

import re

_CD_STATE = re.compile(r"CREATE (?:OR REPLACE )?FUNCTION cd_state\(.*?\n\s*END \$\$;", re.S)
#: The block that locks the rules' functions down (a fixed search path, no PUBLIC access).
LOCK_DOWN = re.compile(r"DO \$\$\s*DECLARE\s*f regprocedure;.*?\n\s*END \$\$;", re.S)
_APPROVAL_END = """'[]'::jsonb)))
                    FROM approvals a WHERE a.id = row_id);"""
_APPROVAL_WITH_TAKEDOWN = """'[]'::jsonb))
                        || coalesce((SELECT jsonb_build_array(jsonb_build_array(k.recorded_at, k.recorded_by))
                                     FROM takedowns k WHERE k.approval_id = a.id), '[]'::jsonb))
                    FROM approvals a WHERE a.id = row_id);"""


def migration_9(earlier: dict[int, str]) -> str:
    """Version 9 on PostgreSQL, given the scripts before it. `cd_state` is replaced by its latest earlier
    definition with an approval's take-down added to the approval's digest, and the functions are locked
    down as the latest earlier rules lock them (never stale copies, so what another migration added
    stays). Statements end with ';' at a line end; function bodies are $$-quoted."""

    cd_state = latest_definition(earlier, _CD_STATE, 9).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    if cd_state.count(_APPROVAL_END) != 1:
        raise AssertionError("cd_state's approval digest changed shape: update takedown_rules.migration_9")
    cd_state = cd_state.replace(_APPROVAL_END, _APPROVAL_WITH_TAKEDOWN)
    return _MIGRATION_9.replace("{cd_state}", cd_state).replace("{lock_down}", latest_definition(earlier, LOCK_DOWN, 9))


def latest_definition(earlier: dict[int, str], pattern: re.Pattern[str], before: int) -> str:
    """The newest text `pattern` matches in the scripts numbered below `before`: what a later migration
    replaces or repeats, so it never works from a stale copy."""
    return [m for number in sorted(earlier) if number < before for m in pattern.findall(earlier[number])][-1]


_MIGRATION_9 = r"""
    -- What each approved copy relied on: filled from the approval's own list when it is written (by the
    -- approval function, or by a copy run by the owner), never by a person.
    CREATE TABLE approval_consents (
        approval_id text NOT NULL REFERENCES approvals(id),
        consent_id text NOT NULL,
        PRIMARY KEY (approval_id, consent_id)
    );
    CREATE INDEX approval_consents_consent ON approval_consents(consent_id);
    INSERT INTO approval_consents (approval_id, consent_id)
        SELECT DISTINCT a.id, j.value FROM approvals a, jsonb_array_elements_text(a.consent_ids::jsonb) j(value);
    CREATE FUNCTION cd_approval_relied_on() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO approval_consents (approval_id, consent_id)
            SELECT DISTINCT NEW.id, j.value FROM jsonb_array_elements_text(NEW.consent_ids::jsonb) j(value)
            ON CONFLICT DO NOTHING;
        RETURN NEW;
    END $$;
    CREATE TRIGGER approvals_relied_on AFTER INSERT ON approvals
        FOR EACH ROW EXECUTE FUNCTION cd_approval_relied_on();
    CREATE TRIGGER approval_consents_append_only BEFORE UPDATE OR DELETE ON approval_consents
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('what an approval relied on is never changed');
    CREATE TRIGGER approval_consents_no_truncate BEFORE TRUNCATE ON approval_consents
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('what an approval relied on is never changed');

    -- Who recorded that an approved copy's posts came down and its exported file was deleted: once, for good.
    CREATE TABLE takedowns (
        approval_id text PRIMARY KEY REFERENCES approvals(id),
        recorded_at text NOT NULL,
        recorded_by text NOT NULL
    );
    CREATE TRIGGER takedowns_append_only BEFORE UPDATE OR DELETE ON takedowns
        FOR EACH ROW EXECUTE FUNCTION cd_refuse('a recorded take-down is never changed');
    CREATE TRIGGER takedowns_no_truncate BEFORE TRUNCATE ON takedowns
        FOR EACH STATEMENT EXECUTE FUNCTION cd_refuse('a recorded take-down is never changed');

    {cd_state}

    CREATE FUNCTION cd_record_takedown(approval_id text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        image bigint;
        before text;
        done_by text;
    BEGIN
        PERFORM cd_require('reviewer', 'dpo');
        SELECT a.image_id INTO image FROM approvals a WHERE a.id = approval_id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM cd_fail('there is no approval ' || coalesce(approval_id, 'NULL'));
        END IF;
        SELECT k.recorded_by INTO done_by FROM takedowns k WHERE k.approval_id = cd_record_takedown.approval_id;
        IF FOUND THEN
            PERFORM cd_fail('the take-down of approval ' || approval_id || ' was already recorded by ' || done_by);
        END IF;
        before := cd_state('approval', approval_id);
        INSERT INTO takedowns(approval_id, recorded_at, recorded_by) VALUES (approval_id, cd_now(), session_user);
        PERFORM cd_audit('approval.taken_down', 'image:' || image, jsonb_build_object('approval', approval_id),
                         jsonb_build_array(cd_item('approval', approval_id, before)));
    END $$;

    CREATE FUNCTION cd_decide_faces(image bigint, face_ids bigint[], state text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
        numbers jsonb;
        items jsonb := '[]'::jsonb;
        face bigint;
        decision bigint;
    BEGIN
        PERFORM cd_require('reviewer');
        IF state IS NULL OR state NOT IN ('unresolved', 'blur', 'not_a_person') THEN
            PERFORM cd_fail('many faces at once are blurred, not a person, or unresolved (links name a release each)');
        END IF;
        IF face_ids IS NULL OR cardinality(face_ids) = 0
           OR (SELECT count(DISTINCT f) FROM unnest(face_ids) AS f) <> cardinality(face_ids)
           OR EXISTS (SELECT FROM unnest(face_ids) AS f WHERE f IS NULL OR NOT EXISTS (
                   SELECT FROM faces x WHERE x.id = f AND x.analysis_id = cd_current_analysis(image))) THEN
            PERFORM cd_fail('every face must be a face of the current analysis of photo '
                            || coalesce(image::text, 'NULL') || ', each named once');
        END IF;
        FOREACH face IN ARRAY face_ids LOOP
            INSERT INTO face_decisions(image_id, face_id, state, consent_id, decided_at, decided_by)
                VALUES (image, face, state, NULL, cd_now(), session_user) RETURNING id INTO decision;
            items := items || jsonb_build_array(cd_item('face_decision', decision::text, NULL));
        END LOOP;
        SELECT jsonb_agg(x.n ORDER BY x.n) INTO numbers FROM faces x WHERE x.id = ANY(face_ids);
        PERFORM cd_audit('review.faces', 'image:' || image, jsonb_build_object(
                'faces', numbers, 'face_ids', to_jsonb(face_ids), 'state', state), items);
    END $$;

    -- As for every rule: a fixed search path, and nobody may call them until `team init` grants.
    {lock_down}
"""
