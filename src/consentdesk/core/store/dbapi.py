"""Plain SQL on a driver's own connection (sqlite3 or psycopg), for the few store paths that must not pay
for importing SQLAlchemy: checking the audit trail from the command line starts a process each time, and
most of its half second would otherwise go to loading SQLAlchemy (see bench/audit_verify.py).

Queries are written once with `?` placeholders (rewritten to psycopg's `%s` on a team register), so they
must hold no literal `?` or `%`. Inside an action the store hands over its SQLAlchemy connection's driver
connection (`Db.of`), so the reads see the same transaction or snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Db:
    def __init__(self, raw: Any, server: bool) -> None:
        self.raw = raw
        self.server = server

    @classmethod
    def of(cls, conn: Any) -> Db:
        """The driver connection under a SQLAlchemy connection (same transaction)."""
        return cls(conn.connection.driver_connection, conn.dialect.name == "postgresql")

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql.replace("?", "%s") if self.server else sql, tuple(params))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None


def marks(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)
