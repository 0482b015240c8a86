"""A team register made by the previous release (schema 6, tests/data/register-v6.sql, dumped from a
register that release's own code filled) upgrades: its people cannot use it until the register's owner has
upgraded it and re-applied the rules (`consentdesk team init`), then everything it held reads as before,
its records are sealed (a later change to any of them shows), and the new rules hold."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from consentdesk.cli import main
from consentdesk.core.store import Catalogue, CatalogueError, team
from consentdesk.core.store.migrations import LATEST_VERSION
from consentdesk.core.values import ConsentStatus

DUMP = Path(__file__).parents[2] / "data" / "register-v6.sql"
OLD_PERSON = ("olga", "olga-secret-1234")


@pytest.fixture
def old_register(pg_server):
    database = pg_server.new_database("v6")
    with pg_server.admin() as conn:
        for role in team.ROLES:
            if conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (team.group(role),)).fetchone() is None:
                conn.execute(f'CREATE ROLE "{team.group(role)}" NOLOGIN')
        conn.execute(f'CREATE ROLE "{OLD_PERSON[0]}" LOGIN PASSWORD \'{OLD_PERSON[1]}\' IN ROLE consentdesk_reviewer')
    with pg_server.admin(database) as conn:
        conn.execute(DUMP.read_text(encoding="utf-8"))
        # The grants the previous release's `team init` gave (the dump leaves privileges out).
        conn.execute(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO consentdesk_photographer, consentdesk_reviewer, "
            "consentdesk_dpo, consentdesk_admin"
        )
    yield pg_server, database
    with pg_server.admin() as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{OLD_PERSON[0]}"')
        for name in ("pat", "rita", "dora"):
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_a_register_of_the_previous_release_upgrades_when_its_owner_says(old_register, tmp_path: Path, capsys):
    server, database = old_register
    old_person = server.url(database, user=OLD_PERSON[0], password=OLD_PERSON[1])
    with pytest.raises(CatalogueError, match="must be upgraded by its administrator first"):
        Catalogue.open(old_person, create=False)
    owner = server.url(database)
    assert main(["team", "init", owner]) == 0  # upgrades, seals, re-applies the rules
    capsys.readouterr()
    with Catalogue.open(owner, create=False) as cat:
        assert cat.schema_version == LATEST_VERSION
        actions = [e.action for e in cat.audit_entries()]
        assert actions[-3:] == ["audit.sealed", "catalogue.upgraded", "team.initialised"]
        report = cat.verify_audit()
        assert report.ok, report.problems
        assert report.records >= 10  # three releases, two photos, analyses, decisions, the approval, the scan
        names = {c.full_name: c.status for c in cat.list_consents()}
        assert names["Kept Person"] is ConsentStatus.ACTIVE and names["Withdrawn Person"] is ConsentStatus.WITHDRAWN
        assert ConsentStatus.ERASED in names.values()
        (approval,) = cat.review_approvals()
        assert approval.id == "AP-V6V6-0001"
        policies = {r[0] for r in cat._engine.connect().exec_driver_sql("SELECT policyname FROM pg_policies")}
        assert not any(p.endswith(("_photographer_add", "_staff_all")) or p.startswith("audit_add") for p in policies)
        for name, role in (("pat", "photographer"), ("rita", "reviewer"), ("dora", "dpo")):
            team.add_user(cat, name, role, f"{name}-new-secret-1")
    # The old grants no longer let anyone write; the new functions do.
    with psycopg.connect(old_person, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE consents SET status = 'active'")
    with Catalogue.open(server.url(database, user="rita", password="rita-new-secret-1"), create=False) as rita:
        kept = next(c for c in rita.list_consents() if c.full_name == "Kept Person")
        rita.withdraw_consent(kept.id, date(2026, 12, 5), "asked")
        assert rita.verify_audit().ok
    # A record from before the upgrade changed behind ConsentDesk (by the owner, the one superpower) shows.
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("ALTER TABLE approvals DISABLE TRIGGER approvals_immutable")
        conn.execute("UPDATE approvals SET export_path = '/elsewhere.jpg'")
        conn.execute("ALTER TABLE approvals ENABLE TRIGGER approvals_immutable")
    with Catalogue.open(owner, create=False) as cat:
        problems = cat.verify_audit().problems
        assert any("an approval made before the upgrade" in p and "group" in p for p in problems), problems
