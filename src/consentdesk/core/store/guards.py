"""The triggers and server functions that refuse edits, and whether they are still in place.

A guard someone removed is evidence, so it is reported, never silently put back. The expected set comes from
the migrations themselves: on SQLite, the triggers a fresh catalogue gets (name and exact text); on
PostgreSQL, every trigger the scripts create (present and enabled) and the body of every `cd_` function
as last defined (unchanged). Only the register's owner, or whoever holds the file, can remove or replace
one; the report says so, it does not hide it.
"""

from __future__ import annotations

import functools
import hashlib
import re

from consentdesk.core.store.dbapi import Db

_PG_TRIGGER = re.compile(r"CREATE TRIGGER (\w+)\s+(?:BEFORE|AFTER)[^;]*?\bON (\w+)", re.S)
_PG_FUNCTION = re.compile(
    r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\(.*?\$\$(.*?)\$\$|ALTER FUNCTION (\w+)\([^)]*\) RENAME TO (\w+)", re.S
)


_SQLITE_TRIGGER = re.compile(r"CREATE TRIGGER (\w+)")
_SQLITE_DROP = re.compile(r"DROP TRIGGER (\w+)")
_LEADING_COMMENTS = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")


@functools.cache
def _sqlite_expected() -> dict[str, str]:
    """Each trigger the SQLite scripts leave in place, with the text SQLite keeps of it (the statement as
    written, without its ';'), found by replaying the scripts' statements in order."""
    from consentdesk.core.store.migrations import SQLITE_AFTER, SQLITE_SCRIPTS, sqlite_statements

    triggers: dict[str, str] = {}
    for number in sorted(SQLITE_SCRIPTS):
        for script in (SQLITE_SCRIPTS[number], SQLITE_AFTER.get(number, "")):
            for statement in sqlite_statements(script):
                statement = _LEADING_COMMENTS.sub("", statement)  # SQLite keeps the text from CREATE on
                if created := _SQLITE_TRIGGER.match(statement):
                    triggers[created.group(1)] = statement.removesuffix(";").rstrip()
                elif dropped := _SQLITE_DROP.match(statement):
                    triggers.pop(dropped.group(1), None)
    return triggers


@functools.cache
def _pg_expected() -> tuple[dict[str, str], dict[str, str]]:
    from consentdesk.core.store.migrations import POSTGRESQL_SCRIPTS

    triggers: dict[str, str] = {}
    functions: dict[str, str] = {}
    for number in sorted(POSTGRESQL_SCRIPTS):
        script = POSTGRESQL_SCRIPTS[number]
        for name, table in _PG_TRIGGER.findall(script):
            triggers[name] = table
        for name, body, old_name, new_name in _PG_FUNCTION.findall(script):
            if old_name:  # a function kept under a new name while a new version takes its place: both checked
                functions[new_name] = functions.pop(old_name)
            else:
                functions[name] = body
    return triggers, functions


def problems(db: Db) -> list[str]:
    """What is missing, disabled or replaced among the guards; empty when every one is in place."""
    return _postgresql_problems(db) if db.server else _sqlite_problems(db)


def _sqlite_problems(db: Db) -> list[str]:
    found = dict(db.all("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    found_problems = []
    for name, sql in sorted(_sqlite_expected().items()):
        if name not in found:
            found_problems.append(f"the guard trigger {name} is missing (someone removed it from the file)")
        elif found[name] != sql:
            found_problems.append(f"the guard trigger {name} was replaced by another one")
    for name in sorted(set(found) - set(_sqlite_expected())):
        found_problems.append(f"there is a trigger {name} that ConsentDesk never made")
    return found_problems


def _postgresql_problems(db: Db) -> list[str]:
    triggers, functions = _pg_expected()
    found = {
        name: (table, enabled)
        for name, table, enabled in db.all(
            "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
    }
    found_problems = []
    for name, table in sorted(triggers.items()):
        if name not in found or found[name][0] != table:
            found_problems.append(f"the server's guard trigger {name} on {table} is missing")
        elif found[name][1] == "D":
            found_problems.append(f"the server's guard trigger {name} on {table} is disabled")
    bodies = {
        name: body
        for name, body in db.all(
            "SELECT p.proname, p.prosrc FROM pg_proc p "
            "WHERE p.pronamespace = current_schema()::regnamespace AND left(p.proname, 3) = 'cd_'"
        )
    }
    for name, body in sorted(functions.items()):
        if name not in bodies:
            found_problems.append(f"the server's rule {name} is missing")
        elif _fingerprint(bodies[name]) != _fingerprint(body):
            found_problems.append(f"the server's rule {name} was replaced by another one")
    return found_problems


def _fingerprint(body: str) -> str:
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()
