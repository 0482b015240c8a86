"""Connections to a team register on another machine are encrypted and verified by default."""

from __future__ import annotations

import pytest

from consentdesk.core.store import Catalogue, CatalogueError
from consentdesk.core.store.tls import secure


def test_remote_addresses_default_to_verified_tls_and_weaker_ones_warn():
    remote = secure("postgresql://ann@register.example.nhs.uk/consentdesk")
    assert "sslmode=verify-full" in remote.url and remote.warning is None
    for mode in ("disable", "prefer", "require"):
        weak = secure(f"postgresql://ann:pw@register.example.nhs.uk/consentdesk?sslmode={mode}")
        assert weak.warning and f"sslmode={mode}" in weak.warning and "pw" not in weak.warning
    assert secure("postgresql://ann@/db?host=/var/run/postgresql").url.endswith("/var/run/postgresql")
    assert secure("postgresql://ann@127.0.0.1/db").warning is None
    assert "sslmode" not in secure("postgresql://ann@localhost/db").url


@pytest.fixture
def tls_register(pg_server):
    ca = pg_server.enable_tls()
    database = pg_server.new_database("tls")
    with pg_server.admin() as conn:
        conn.execute("DROP ROLE IF EXISTS tina")
        conn.execute("CREATE ROLE tina LOGIN PASSWORD 'tina-secret-123' SUPERUSER")
    yield pg_server, database, ca
    with pg_server.admin() as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        conn.execute("DROP ROLE IF EXISTS tina")


def test_verified_tls_connection_against_the_test_ca(tls_register):
    server, database, ca = tls_register
    url = server.tcp_url(database, "tina", "tina-secret-123", sslmode="verify-full", sslrootcert=str(ca))
    with Catalogue.open(url) as cat:
        assert cat.connection_warning is None
        cat.reserve_form_ids(1)
        assert {e.actor for e in cat.audit_entries()} == {"tina"}
        with cat._connection() as conn:
            assert conn.exec_driver_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar()


def test_unverifiable_server_is_refused(tls_register):
    server, database, ca = tls_register
    other = ca.with_name("other-ca.crt")
    wrong_ca = server.tcp_url(
        database, "tina", "tina-secret-123", sslmode="verify-full", sslrootcert=str(other)
    )
    with pytest.raises(CatalogueError, match="could not be verified"):
        Catalogue.open(wrong_ca)
    # The certificate names "localhost", not "127.0.0.1": verify-full refuses the mismatch.
    wrong_name = server.tcp_url(
        database, "tina", "tina-secret-123", host="127.0.0.1", sslmode="verify-full", sslrootcert=str(ca)
    )
    with pytest.raises(CatalogueError, match="could not be verified"):
        Catalogue.open(wrong_name)
    # Unencrypted connections are refused by the server itself.
    plain = server.tcp_url(database, "tina", "tina-secret-123", sslmode="disable")
    with pytest.raises(CatalogueError):
        Catalogue.open(plain)
