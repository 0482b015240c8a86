"""Making an SQLAlchemy engine for a locator, with each engine's connection settings in one place.

SQLite: foreign keys on, WAL with synchronous=FULL, a busy timeout, and write transactions that take the
write lock up front (`BEGIN IMMEDIATE`) so two windows never deadlock half-way through an action.
PostgreSQL (psycopg 3): connections are checked before use, so a server that restarted is reconnected
on the next action instead of failing every one after it.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from consentdesk.core.store import tls
from consentdesk.core.store.locator import Locator

#: Connection.info key: the transaction being begun will write (SQLite takes the lock at BEGIN).
WRITE_INTENT = "consentdesk_write"


def make_engine(locator: Locator) -> Engine:
    if locator.is_server:
        return _postgresql_engine(locator)
    assert locator.path is not None
    return _sqlite_engine(locator.path)


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{os.fspath(path)}",
        connect_args={"timeout": 10, "check_same_thread": False},
        pool_size=2,
        max_overflow=4,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 10000",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = FULL",
            "PRAGMA secure_delete = ON",  # deleted personal data is overwritten, not left in free pages
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop(WRITE_INTENT, False) else "BEGIN")

    return engine


def connection_warning(locator: Locator) -> str | None:
    """Why this locator's connection is weaker than verified TLS, or None."""
    return tls.secure(locator.url).warning if locator.url else None


def _postgresql_engine(locator: Locator) -> Engine:
    url = make_url(tls.secure(locator.url or "").url)
    url = url.set(drivername="postgresql+psycopg")
    query = dict(url.query)
    query.setdefault("application_name", "ConsentDesk")
    query.setdefault("connect_timeout", "10")
    url = url.set(query=query)
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
