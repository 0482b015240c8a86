"""Shared test set-up: GUI tests run headless, and nothing touches the real user data folder."""

from __future__ import annotations

import os

# Before any Qt import: GUI tests draw offscreen unless a test (the Xvfb one) asks for a real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _consentdesk_home(tmp_path_factory, monkeypatch):
    """Each test gets its own ConsentDesk data folder, so the real one is never read or written."""
    home = tmp_path_factory.mktemp("consentdesk-home")
    monkeypatch.setenv("CONSENTDESK_HOME", str(home))
    return home


# --- the two catalogue engines ---------------------------------------------------------------------------

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the session (see tests/data/pg_server.py); fails under CI if none starts."""
    from tests.data import pg_server as pg

    existing = os.environ.get("CONSENTDESK_TEST_PG_URL")
    if existing:
        yield pg.ExternalServer(existing)
        return
    try:
        server = pg.start_server()
    except pg.ServerUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests need a server and none could be started: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture
def catalogue_locator(engine_name, tmp_path, request) -> str:
    """Where a fresh catalogue lives on each engine: a new SQLite file, or a new database on the server."""
    if engine_name == "sqlite":
        return str(tmp_path / "cat.sqlite")
    server = request.getfixturevalue("pg_server")
    return server.url(server.new_database())


@pytest.fixture
def team_register(pg_server):
    """A team register initialised by the server's administrator, with the people of
    tests/data/team_people.py; yields (server, database, the administrator's address)."""
    from tests.data.team_people import PASSWORDS, ROLES

    from consentdesk.core.store import Catalogue, team

    database = pg_server.new_database("team")
    admin_url = pg_server.url(database)
    with Catalogue.open(admin_url) as admin:
        team.init(admin)
        for name, role in ROLES.items():
            team.add_user(admin, name, role, PASSWORDS[name])
    yield pg_server, database, admin_url
    with pg_server.admin() as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        # The people of the fixture, and anyone a test added (their roles are marked as ConsentDesk's).
        added = [
            row[0]
            for row in conn.execute(
                "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE 'ConsentDesk user%%'"
            )
        ]
        for name in {*ROLES, *added}:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')
