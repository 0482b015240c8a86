"""The attacker's view of a team register: each role signs in with its own password and plain SQL
(psycopg, no ConsentDesk code) and tries every way around the rules (docs/threat-model.md): every table
with INSERT, UPDATE, DELETE and TRUNCATE, changing the rules themselves, the server's helper functions, every
function of another role, crafted arguments to their own functions, reading other people's data. Each attempt
is refused or has no effect: the register's rows are exactly as before, and the audit trail still verifies.
The forged-analysis attack is followed end to end in test_forged_analysis.py."""

from __future__ import annotations

import json
from datetime import date

import psycopg
import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face
from tests.data.team_people import PASSWORDS, ROLES

from consentdesk.core.store import Catalogue, team
from consentdesk.core.store.server_rules import GRANTS

ATTACKERS = {"pat": "photographer", "rita": "reviewer", "dora": "dpo", "adam": "admin"}
SCRAM = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$c3RvcmVkc3RvcmVkc3RvcmVk=:c2VydmVyc2VydmVyc2VydmVy="


# --- one register with something of everyone's in it --------------------------------------------------------


@pytest.fixture(scope="module")
def world(pg_server, tmp_path_factory):
    """A register filled through ConsentDesk by its people; yields (server, database, facts)."""
    tmp = tmp_path_factory.mktemp("world")
    database = pg_server.new_database("attack")
    owner = pg_server.url(database)
    with Catalogue.open(owner) as admin:
        team.init(admin)
        for name, role in ROLES.items():
            team.add_user(admin, name, role, PASSWORDS[name])

    def sign_in(name: str) -> Catalogue:
        return Catalogue.open(pg_server.url(database, user=name, password=PASSWORDS[name]), create=False)

    facts: dict = {}
    with sign_in("pat") as pat:
        facts["pat_person"] = add_person(pat, "Pat Donor").id
        facts["pat_photo"] = add_photo(pat, tmp / "a.jpg", [[100, 100, 80, 80], [400, 300, 60, 60]], [[10, 10, 50, 20]], sha="a" * 64)
        facts["pat_forms"] = pat.reserve_form_ids(2)
    with sign_in("paula") as paula:
        facts["paula_person"] = add_person(paula, "Paula Donor").id
        facts["paula_photo"] = add_photo(paula, tmp / "b.jpg", [[500, 500, 90, 90]], sha="b" * 64)
        facts["paula_shoot"] = paula.create_shoot("Paula's shoot", "/card")
        paula_form = paula.reserve_form_ids(1)[0]
        paula.add_paper_scan(paula_form, 1, "scan.png", "image/png", b"\x89PNG not really")
        facts["paula_form"] = paula_form
    with sign_in("rita") as rita:
        decide_face(rita, facts["pat_photo"], [100, 100, 80, 80], "linked", facts["pat_person"])
        decide_face(rita, facts["pat_photo"], [400, 300, 60, 60], "blur")
        rita.record_approval("AP-WRLD-0001", facts["pat_photo"], date(2026, 12, 1), ["website"], "/x.jpg", "e" * 64, [facts["pat_person"]])
        rita.withdraw_consent(facts["paula_person"], date(2026, 12, 2), "asked by phone")
        rita.record_takedown("AP-WRLD-0001")
        state = rita.review_state(facts["pat_photo"])
        facts["pat_faces"] = [f.face_id for f in state.faces]
        facts["pat_finding"] = state.findings[0].finding_id
        facts["paula_faces"] = [f.face_id for f in rita.review_state(facts["paula_photo"]).faces]
    with pg_server.admin(database) as conn:
        facts["owner"] = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit'").fetchone()[0]
    yield pg_server, database, facts
    with pg_server.admin() as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        for name in ROLES:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def connect(world, name: str) -> psycopg.Connection:
    server, database, _ = world
    return psycopg.connect(server.url(database, user=name, password=PASSWORDS[name]), autocommit=True)


def snapshot(world) -> dict[str, str]:
    """Every row of every table, as the owner sees them (a digest per table)."""
    server, database, _ = world
    with server.admin(database) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {
            table: conn.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f'FROM "{table}" t'
            ).fetchone()[0]
            for table in sorted(tables)
        }


def trail_verifies(world) -> bool:
    server, database, _ = world
    with Catalogue.open(server.url(database, user="rita", password=PASSWORDS["rita"]), create=False) as rita:
        report = rita.verify_audit()
        assert report.ok, report.problems
        return report.ok


def refused(conn: psycopg.Connection, statement: str, params: tuple = (), error=psycopg.errors.InsufficientPrivilege):
    with pytest.raises(error) as caught:
        conn.execute(statement, params)
    return str(caught.value)


# --- every table, every way of writing -----------------------------------------------------------------------


def test_no_role_writes_any_table_directly(world):
    before = snapshot(world)
    server, database, _ = world
    with server.admin(database) as conn:
        columns = dict(
            conn.execute(
                "SELECT table_name, min(column_name) FROM information_schema.columns WHERE table_schema = 'public' "
                "GROUP BY table_name"
            ).fetchall()
        )
    assert {"audit", "audit_states", "consents", "analyses", "meta", "approvals"} <= set(columns)
    for name in ATTACKERS:
        with connect(world, name) as conn:
            for table, column in sorted(columns.items()):
                for statement in (
                    f'INSERT INTO "{table}" ("{column}") VALUES (NULL)',
                    f'UPDATE "{table}" SET "{column}" = "{column}"',
                    f'DELETE FROM "{table}"',
                    f'TRUNCATE "{table}"',
                ):
                    refused(conn, statement)
    assert snapshot(world) == before
    assert trail_verifies(world)


def test_no_role_changes_the_rules(world):
    before = snapshot(world)
    for name in ATTACKERS:
        with connect(world, name) as conn:
            for statement in (
                "DROP TRIGGER audit_append ON audit",
                "ALTER TABLE audit DISABLE TRIGGER ALL",
                "ALTER TABLE consents DISABLE ROW LEVEL SECURITY",
                "DROP POLICY consents_photographer_read ON consents",
                "CREATE OR REPLACE FUNCTION cd_require(VARIADIC roles text[]) RETURNS void LANGUAGE sql AS 'SELECT'",
                f'ALTER FUNCTION cd_require(text[]) OWNER TO "{name}"',
                "DROP FUNCTION cd_state(text, text)",
                "CREATE TABLE public.mine (a int)",
                "CREATE TEMP TABLE consents (id text)",
                "CREATE SCHEMA mine",
                f'ALTER ROLE "{name}" CREATEROLE',
                "LOCK TABLE meta IN EXCLUSIVE MODE",
                f"COMMENT ON ROLE \"{name}\" IS 'ConsentDesk user'",
                "SET ROLE consentdesk_admin" if name != "adam" else "SET ROLE consentdesk_dpo",
            ):
                with pytest.raises(psycopg.Error), conn.transaction():
                    conn.execute(statement)
            # Granting oneself a privilege one does not hold is a no-op (PostgreSQL only warns).
            conn.execute(f'GRANT INSERT, UPDATE ON audit, consents, meta TO "{name}"')
            assert conn.execute(
                "SELECT bool_or(has_table_privilege(session_user, t, p)) FROM unnest(ARRAY['audit', 'consents', "
                "'meta']) t, unnest(ARRAY['INSERT', 'UPDATE']) p"
            ).fetchone() == (False,)
            # The owner's "verbatim copy" switch gives nobody else anything.
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("SET LOCAL consentdesk.copying = 'on'")
                conn.execute("INSERT INTO audit SELECT * FROM audit LIMIT 1")
    assert snapshot(world) == before
    assert trail_verifies(world)


def test_the_servers_helpers_are_nobodys_to_call(world):
    server, database, _ = world
    granted = {signature.split("(")[0] for functions in GRANTS.values() for signature in functions}
    with server.admin(database) as conn:
        helpers = [
            (name, args)
            for name, args in conn.execute(
                "SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
                "WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'cd\\_%%' "
                "AND p.prorettype <> 'trigger'::regtype"
            )
            if name not in granted
        ]
    assert {"cd_audit", "cd_insert_analysis", "cd_state", "cd_require", "cd_fail"} <= {n for n, _ in helpers}
    before = snapshot(world)
    for name in ATTACKERS:
        with connect(world, name) as conn:
            for helper, args in helpers:
                nulls = []
                for arg in filter(None, (a.strip() for a in args.split(","))):
                    variadic = arg.startswith("VARIADIC ")
                    kind = arg.removeprefix("VARIADIC ").split(" ", 1)[1]
                    nulls.append(("VARIADIC " if variadic else "") + f"NULL::{kind}")
                refused(conn, f"SELECT {helper}({', '.join(nulls)})")
    assert snapshot(world) == before


def test_each_function_is_refused_to_the_roles_without_it(world):
    before = snapshot(world)
    for name, role in ATTACKERS.items():
        with connect(world, name) as conn:
            for functions in GRANTS.values():
                for signature in functions:
                    if signature in GRANTS[role]:
                        continue
                    function, args = signature[:-1].split("(")
                    nulls = ", ".join(f"NULL::{a.strip()}" for a in args.split(",")) if args else ""
                    refused(conn, f"SELECT * FROM {function}({nulls})")
    assert snapshot(world) == before
    assert trail_verifies(world)


# --- their own functions, with arguments made to get round them -----------------------------------------


def _analysis(**changes) -> str:
    analysis = {"analyser_version": "forged", "error": None, "faces": [], "findings": []}
    analysis.update(changes)
    return json.dumps(analysis)


def crafted_calls(facts: dict) -> list[tuple[str, str, tuple, str]]:
    """(who, statement, parameters, what the refusal says) for each crafted call."""
    paula_sha = "b" * 64
    photo = "SELECT * FROM cd_import_photo(%s, '/x.jpg', 1000, 1600, 1200, NULL, NULL, %s, %s::jsonb, %s)"
    sign = (
        "SELECT cd_sign_consent(%s, %s, 'model_release', 1, %s, %s, %s, 'cli', 'x', %s, %s, %s)"
    )
    signature = (["signature"], ["image/png"], [b"png"])
    box = {"x": 10, "y": 10, "w": 20, "h": 20}
    return [
        # a photographer: someone else's photo, shoot or form; a forged copy; malformed analyses
        ("pat", photo, (paula_sha, None, _analysis(), None), "already in the team register"),
        ("pat", photo, ("c" * 64, facts["paula_shoot"], _analysis(), None), "shoot of your own"),
        ("pat", photo, ("c" * 64, None, _analysis(), b"other bytes"), "not the photo named by its SHA-256"),
        ("pat", photo, ("nope", None, _analysis(), None), "SHA-256"),
        ("pat", photo, ("c" * 64, None, _analysis(faces=[{**box, "x": 5000, "score": 0.9}]), None), "box inside"),
        ("pat", photo, ("c" * 64, None, _analysis(faces=[{**box, "score": 7}]), None), "score from 0 to 1"),
        ("pat", photo, ("c" * 64, None, _analysis(faces=[{**box, "w": -5, "score": 0.5}]), None), "box inside"),
        ("pat", photo, ("c" * 64, None, _analysis(findings=[{**box, "kind": "states", "severity": "low", "text": ""}]), None), "known kind"),
        ("pat", photo, ("c" * 64, None, _analysis(faces={"x": 1}), None), "lists its faces"),
        ("pat", photo, ("c" * 64, None, "[]", None), "lists its faces"),
        ("pat", sign, ("CD-ZZZZ-ZZZZ", True, "{}", "2026-12-01T10:00:00", None, *signature), "never issued"),
        ("pat", sign, (facts["pat_person"], True, "{}", "2026-12-01T10:00:00", None, *signature), "already has a signed record"),
        ("pat", sign, (facts["pat_person"], False, "{}", "2026-12-01T10:00:00", None, *signature), "already issued"),
        ("pat", sign, ("CD-ZZZZ-ZZZ1", False, "[]", "2026-12-01T10:00:00", None, *signature), "JSON object"),
        ("pat", sign, ("CD-ZZZZ-ZZZ1", False, "{}", "2999-01-01T10:00:00", None, *signature), "future"),
        ("pat", sign, ("CD-ZZZZ-ZZZ1", False, "{}", "2026-12-01T10:00:00", "2020-01-01", *signature), "after it was signed"),
        ("pat", sign, ("CD-ZZZZ-ZZZ1", False, "{}", "2026-12-01T10:00:00", None, ["signature", "signature"], ["image/png"] * 2, [b"a", b"b"]), "once"),
        ("pat", sign, ("x'); DROP TABLE audit; --", False, "{}", "2026-12-01T10:00:00", None, *signature), "looks like"),
        ("pat", "SELECT * FROM cd_attach_scan(%s, 1, 's.png', 'image/png', 'x', %s::jsonb)", (facts["pat_forms"][0], '{"states": "ink"}'), '"ink" or "empty"'),
        ("pat", "SELECT * FROM cd_attach_scan('CD-ZZZZ-ZZZZ', 1, 's.png', 'image/png', 'x', NULL)", (), "never issued"),
        ("pat", "SELECT * FROM cd_attach_scan(%s, 0, 's.png', 'image/png', 'x', NULL)", (facts["pat_forms"][0],), "page"),
        ("pat", "SELECT cd_reserve_form_ids(%s, 'b')", ([facts["paula_form"]],), "already issued"),
        ("pat", "SELECT cd_reserve_form_ids(%s, 'b')", (["CD-AAAA-AAAA", "CD-AAAA-AAAA"],), "reserved once"),
        ("pat", "SELECT cd_reserve_form_ids(%s, 'b')", ([f"CD-{n:04d}-0000" for n in range(10001)],), "10,000"),
        ("pat", "SELECT cd_create_shoot(NULL, NULL)", (), "a shoot has"),
        # a clip's proxy: only for a clip (not a photo), only one the caller sees
        ("pat", "SELECT cd_store_clip_proxy(%s, %s, 480, 270)", ("a" * 64, b"\0\0\0\x18ftypisom"), "is a photo"),
        ("paula", "SELECT cd_store_clip_proxy(%s, %s, 480, 270)", ("a" * 64, b"x"), "clips you can see"),
        ("pat", "SELECT cd_store_clip_proxy(NULL, NULL, NULL, NULL)", (), "clips you can see"),
        # a reviewer: faces of another photo or analysis, decisions that break the rules, approvals of nothing
        ("rita", "SELECT cd_decide_face(%s, %s, 'blur', NULL)", (facts["pat_photo"], facts["paula_faces"][0]), "current analysis"),
        ("rita", "SELECT cd_decide_face(%s, %s, 'linked', NULL)", (facts["pat_photo"], facts["pat_faces"][0]), "linked to a release"),
        ("rita", "SELECT cd_decide_face(%s, %s, 'cleared', NULL)", (facts["pat_photo"], facts["pat_faces"][0]), "linked to a release"),
        ("rita", "SELECT cd_decide_face(%s, %s, 'linked', 'CD-NOPE-NOPE')", (facts["pat_photo"], facts["pat_faces"][0]), "no release"),
        ("rita", "SELECT cd_decide_finding(%s, %s, 'dismissed', '  ')", (facts["pat_photo"], facts["pat_finding"]), "with a reason"),
        ("rita", "SELECT cd_review_photo(%s, 'approved', NULL)", (facts["pat_photo"],), "rejected or open"),
        ("rita", "SELECT cd_record_approval('AP-X', 999999, '2026-12-01', '{website}', '/x', %s, '{}')", ("e" * 64,), "no photo"),
        ("rita", "SELECT cd_record_approval('AP-X', %s, '2026-12-01', '{website}', '/x', 'bad', '{}')", (facts["pat_photo"],), "SHA-256"),
        ("rita", "SELECT cd_record_approval('AP-X', %s, '2026-12-01', '{website,website}', '/x', %s, '{}')", (facts["pat_photo"], "e" * 64), "each channel once"),
        ("rita", "SELECT cd_record_approval('AP-X', %s, '2026-12-01', '{website}', '/x', %s, '{CD-NOPE-NOPE}')", (facts["pat_photo"], "e" * 64), "no release"),
        ("rita", "SELECT cd_record_approval('AP-WRLD-0001', %s, '2026-12-01', '{website}', '/x', %s, '{}')", (facts["pat_photo"], "e" * 64), "duplicate key"),
        ("rita", "SELECT cd_withdraw_consent(%s, '2026-12-01', 'again')", (facts["paula_person"],), "already withdrawn"),
        ("rita", "SELECT cd_withdraw_consent(%s, '2026-12-01', ' ')", (facts["pat_person"],), "reason"),
        ("rita", "SELECT cd_withdraw_consent(%s, 'soon', 'x')", (facts["pat_person"],), "date"),
        ("rita", "SELECT cd_recheck_photo(%s, %s::jsonb)", (facts["pat_photo"], '{"faces": []}'), "lists its faces"),
        ("rita", "SELECT cd_merge_tracks(%s, %s, %s)", (facts["pat_photo"], facts["pat_faces"][1], facts["pat_faces"][0]), "is a photo"),
        ("rita", "SELECT cd_merge_tracks(%s, %s, %s)", (facts["pat_photo"], facts["paula_faces"][0], facts["pat_faces"][0]), "current analysis"),
        # take-downs and a crowd's decisions (migration 9): once each, faces of the photo's current analysis
        ("rita", "SELECT cd_record_takedown('AP-NOPE')", (), "no approval"),
        ("rita", "SELECT cd_record_takedown('AP-WRLD-0001')", (), "already recorded"),
        ("rita", "SELECT cd_decide_faces(%s, %s::bigint[], 'blur')", (facts["pat_photo"], facts["paula_faces"][:1]), "current analysis"),
        ("rita", "SELECT cd_decide_faces(%s, %s::bigint[], 'blur')", (facts["pat_photo"], facts["pat_faces"][:1] * 2), "each named once"),
        ("rita", "SELECT cd_decide_faces(%s, %s::bigint[], 'blur')", (facts["pat_photo"], []), "current analysis"),
        ("rita", "SELECT cd_decide_faces(999999, %s::bigint[], 'blur')", (facts["pat_faces"][:1],), "current analysis"),
        ("rita", "SELECT cd_decide_faces(%s, %s::bigint[], 'linked')", (facts["pat_photo"], facts["pat_faces"][:1]), "links name a release"),
        ("rita", "SELECT cd_decide_faces(%s, %s::bigint[], 'cleared')", (facts["pat_photo"], facts["pat_faces"][:1]), "links name a release"),
        # a data-protection officer
        ("dora", "SELECT cd_erase_consent('CD-NOPE-NOPE', '2026-12-01')", (), "no release"),
        ("dora", "SELECT cd_erase_consent(%s, 'today')", (facts["pat_person"],), "date"),
        ("dora", "SELECT cd_relink_photo(999999, '/x')", (), "no photo"),
        ("dora", "SELECT cd_record_sar_export('CD-NOPE-NOPE', '{}', '{}', 0, 0, 0)", (), "no release"),
        ("dora", "SELECT cd_record_takedown(NULL)", (), "no approval"),
        # an administrator: nothing but ConsentDesk people, never themselves, never a superpower
        ("adam", "SELECT cd_add_user('postgres', 'reviewer', NULL)", (), "already a role"),
        ("adam", "SELECT cd_add_user('x\"; DROP TABLE audit; --', 'reviewer', NULL)", (), "sign-in name"),
        ("adam", "SELECT cd_add_user('pg_evil', 'reviewer', NULL)", (), "sign-in name"),
        ("adam", "SELECT cd_add_user('consentdesk_evil', 'reviewer', NULL)", (), "sign-in name"),
        ("adam", "SELECT cd_add_user('eve', 'superuser', NULL)", (), "no role"),
        ("adam", "SELECT cd_add_user('eve', 'reviewer', 'plain-text-password')", (), "SCRAM"),
        ("adam", "SELECT cd_set_role('postgres', 'admin')", (), "not a ConsentDesk person"),
        ("adam", "SELECT cd_set_role(%s, 'admin')", (facts["owner"],), "not a ConsentDesk person"),
        ("adam", "SELECT cd_set_role('consentdesk_admin', 'dpo')", (), "not a ConsentDesk person"),
        ("adam", "SELECT cd_set_role('adam', 'dpo')", (), "their own role"),
        ("adam", "SELECT cd_set_password('postgres', %s)", (SCRAM,), "not a ConsentDesk person"),
        ("adam", "SELECT cd_set_password(%s, %s)", (facts["owner"], SCRAM), "not a ConsentDesk person"),
        ("adam", "SELECT cd_set_password('pat', NULL)", (), "new password"),
        ("adam", "SELECT cd_remove_user('adam')", (), "themselves"),
        ("adam", "SELECT cd_remove_user('nobody_here')", (), "no person"),
    ]


def test_crafted_arguments_are_refused(world):
    before = snapshot(world)
    for who, statement, params, words in crafted_calls(world[2]):
        with connect(world, who) as conn:
            with pytest.raises(psycopg.Error) as caught:
                conn.execute(statement, params)
                pytest.fail(f"{who} was let through: {statement} {params}"[:300])
            assert words in str(caught.value), (who, statement, str(caught.value))
            assert not isinstance(caught.value, psycopg.errors.InsufficientPrivilege), (who, statement)
    assert snapshot(world) == before
    assert trail_verifies(world)


# --- reading ------------------------------------------------------------------------------------------------


def visible(world, name: str, query: str) -> list[tuple]:
    with connect(world, name) as conn:
        return conn.execute(query).fetchall()


def test_a_photographer_reads_only_what_they_recorded(world):
    facts = world[2]
    assert visible(world, "pat", "SELECT id FROM consents") == [(facts["pat_person"],)]
    assert visible(world, "pat", "SELECT DISTINCT consent_id FROM consent_files") == [(facts["pat_person"],)]
    assert visible(world, "pat", "SELECT count(*) FROM consent_events") == [(0,)]  # paula's withdrawal
    assert visible(world, "pat", "SELECT id FROM images") == [(facts["pat_photo"],)]
    assert visible(world, "pat", "SELECT DISTINCT image_id FROM analyses") == [(facts["pat_photo"],)]
    assert visible(world, "pat", "SELECT count(*) FROM paper_scans") == [(0,)]
    assert {r[0] for r in visible(world, "pat", "SELECT id FROM form_ids")} == {facts["pat_person"], *facts["pat_forms"]}
    assert {r[0] for r in visible(world, "pat", "SELECT DISTINCT actor FROM audit")} == {"pat"}
    assert visible(world, "pat", "SELECT count(*) FROM audit_states") == [(0,)]
    assert visible(world, "pat", "SELECT approval_id FROM takedowns") == [("AP-WRLD-0001",)]  # his photo's
    assert visible(world, "paula", "SELECT count(*) FROM takedowns") == [(0,)]
    assert visible(world, "paula", "SELECT count(*) FROM approval_consents") == [(0,)]
    # Paula's are there (the owner sees them), just not to Pat.
    assert visible(world, "rita", "SELECT count(*) FROM consents") == [(2,)]
    assert visible(world, "dora", "SELECT count(*) FROM paper_scans") == [(1,)]


def test_the_administrator_reads_no_record(world):
    for table in ("consents", "consent_files", "consent_events", "images", "analyses", "faces", "paper_scans", "form_ids", "approvals", "face_decisions", "photo_files", "takedowns", "approval_consents"):
        assert visible(world, "adam", f"SELECT count(*) FROM {table}") == [(0,)], table
    assert visible(world, "adam", "SELECT count(*) > 5 FROM audit") == [(True,)]
    # Digests (for verifying), never the records themselves.
    digests = visible(world, "adam", "SELECT * FROM cd_record_page('consent', NULL, 10)")
    assert len(digests) == 2 and all(len(d) == 64 for _, d in digests)
