"""Plain SQL on a catalogue's database, bypassing ConsentDesk: what someone with the file or a SQL client
could run. Used to show that the database itself enforces the rules, on both engines."""

from __future__ import annotations

import sqlite3

import psycopg

from consentdesk.core.store import Catalogue

#: What each engine raises when one of its rules (a trigger, a check) refuses a statement.
REFUSED = (sqlite3.IntegrityError, psycopg.errors.RaiseException, psycopg.errors.RestrictViolation)


def raw_connection(catalogue: Catalogue):
    if catalogue.path is not None:
        return sqlite3.connect(catalogue.path, isolation_level=None)
    return psycopg.connect(catalogue.locator, autocommit=True)
