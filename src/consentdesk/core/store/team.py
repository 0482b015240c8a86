"""The team register's people and roles, enforced by PostgreSQL itself (see docs/threat-model.md).

Four group roles (`consentdesk_photographer`, `_reviewer`, `_dpo`, `_admin`); each person signs in as their
own login role that is a member of one of them. Nobody but the register's owner holds any write privilege
on any table: every change is a call to one of the server's functions (`server_rules.py`), which checks the
role, ownership and state and writes the audit entry itself; `init` grants each role EXECUTE on its
functions only. Reads are filtered by row-level security: a photographer sees the releases, scans and photos
they recorded and their own audit entries; reviewers and data-protection officers see everything; an
administrator sees the audit trail and the people, no records. The app only mirrors this: a modified client
gets the same refusals, because they come from the server.

`init` is run by the register's owner (a superuser, or a role that owns the database and may create roles)
once, and again after every upgrade: it re-applies the grants and policies.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from consentdesk.core.store import schema as t
from consentdesk.core.store.catalogue import Catalogue
from consentdesk.core.store.errors import CatalogueError
from consentdesk.core.store.migrations import LATEST_VERSION, TEAM_RULES_KEY
from consentdesk.core.store.server_rules import GRANTS

ROLES = ("photographer", "reviewer", "dpo", "admin")
_MARK = "ConsentDesk user"  # the comment on a person's login role, so a removed person is still listed
PREFIX = "consentdesk_"

#: Every table of the register (all readable; what a role sees of each is filtered below).
_ALL_TABLES = tuple(table.name for table in t.metadata.sorted_tables)

#: What a photographer sees of each table: what they recorded, and what hangs off it.
_PHOTOGRAPHER_SEES = {
    "consents": "created_by = session_user",
    "consent_files": "consent_id IN (SELECT id FROM consents)",
    "consent_events": "consent_id IN (SELECT id FROM consents)",
    "form_ids": "reserved_by = session_user OR id IN (SELECT id FROM consents)",
    "paper_scans": "scanned_by = session_user OR form_id IN (SELECT id FROM consents)",
    "shoots": "created_by = session_user",
    "images": "imported_by = session_user OR shoot_id IN (SELECT id FROM shoots)",
    "analyses": "image_id IN (SELECT id FROM images)",
    "faces": "analysis_id IN (SELECT id FROM analyses)",
    "findings": "analysis_id IN (SELECT id FROM analyses)",
    "clip_analyses": "analysis_id IN (SELECT id FROM analyses)",
    "face_decisions": "image_id IN (SELECT id FROM images)",
    "track_merges": "image_id IN (SELECT id FROM images)",
    "finding_decisions": "image_id IN (SELECT id FROM images)",
    "image_reviews": "image_id IN (SELECT id FROM images)",
    "approvals": "image_id IN (SELECT id FROM images)",
    "approval_channels": "approval_id IN (SELECT id FROM approvals)",
    "approval_consents": "approval_id IN (SELECT id FROM approvals)",
    "takedowns": "approval_id IN (SELECT id FROM approvals)",
    "photo_files": "sha256 IN (SELECT sha256 FROM images)",
    "clip_proxies": "sha256 IN (SELECT sha256 FROM images)",
    "audit": "actor = session_user",
}
#: What an administrator sees: the trail (ids only) and its index; never a release or a photo.
_ADMIN_SEES = ("audit", "audit_states", "audit_copies")
#: Policies of earlier versions, dropped when `init` runs again.
_OLD_POLICIES = ("staff_all", "photographer_read", "photographer_add", "read", "add", "protect")

#: What the app offers to whom: it mirrors the server's grants so nobody is shown an action the server
#: would refuse them (the server still decides). The register's owner, and anyone on a desk catalogue, has
#: every role.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "record": ("photographer",),  # releases on screen or paper, blank forms, scans
    "import": ("photographer",),
    "review": ("reviewer",),  # decisions, re-check, approve and export, reject
    "withdraw": ("reviewer", "dpo"),
    "takedown": ("reviewer", "dpo"),  # record that an approved copy's posts came down (its export deleted)
    "protect": ("dpo",),  # SAR, erasure, backup, restore, check
    "people": ("admin",),  # add, remove, role, password
}


def allowed(roles: set[str], capability: str) -> bool:
    return any(role in roles for role in CAPABILITIES[capability])


def group(role: str) -> str:
    if role not in ROLES:
        raise CatalogueError(f"there is no role {role!r}; choose one of {', '.join(ROLES)}")
    return PREFIX + role


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    roles: tuple[str, ...]
    can_sign_in: bool


def _require_team(catalogue: Catalogue) -> None:
    if not catalogue.is_team_register:
        raise CatalogueError(
            "people and roles belong to a team register (a postgresql:// address), not a file"
        )


def _query(catalogue: Catalogue, text: str, params: tuple = ()) -> list[tuple]:
    _require_team(catalogue)
    with catalogue._connection() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(text, params)]


def _call(catalogue: Catalogue, function: str, *args: object) -> None:
    """One of the server's people functions, as one action (it writes its own audit entry)."""
    _require_team(catalogue)
    placeholders = ", ".join(["%s"] * len(args))
    with catalogue.transaction(needs="admin") as conn:
        conn.exec_driver_sql(f"SELECT {function}({placeholders})", args)


def init(catalogue: Catalogue) -> list[str]:
    """Create the group roles if missing and (re)apply every grant and policy; returns what was done."""
    done: list[str] = []
    statements: list[sql.Composable] = []
    existing = {
        r[0] for r in _query(catalogue, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'consentdesk\\_%%'")
    }
    database = _query(catalogue, "SELECT current_database()")[0][0]
    for role in ROLES:
        name = group(role)
        if name not in existing:
            statements.append(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            done.append(f"created role {name}")
    groups = sql.SQL(", ").join(sql.Identifier(group(r)) for r in ROLES)
    tables = sql.SQL(", ").join(sql.Identifier(name) for name in _ALL_TABLES)
    statements += [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), groups),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(groups),
        # No one but the owner writes any table: every change is one of the server's functions.
        sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(tables),
        sql.SQL("REVOKE ALL ON {} FROM {}").format(tables, groups),
        sql.SQL("GRANT SELECT ON {} TO {}").format(tables, groups),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC"),
        # Each role calls its own functions only (the migration revoked them all from PUBLIC).
        sql.SQL(
            "DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT p.oid::regprocedure FROM pg_proc p "
            "WHERE p.pronamespace = current_schema()::regnamespace AND left(p.proname, 3) = 'cd_' LOOP "
            "EXECUTE 'REVOKE ALL ON FUNCTION ' || f::text || ' FROM PUBLIC, {}'; END LOOP; END $$"
        ).format(groups),
    ]
    for role, functions in GRANTS.items():
        for function in functions:
            statements.append(
                sql.SQL("GRANT EXECUTE ON FUNCTION " + function + " TO {}").format(sql.Identifier(group(role)))
            )
    statements += _read_policies()
    done.append(
        "granted each role its functions and nothing else; photographers see what they recorded, "
        "administrators the audit trail and the people"
    )
    _require_team(catalogue)
    with catalogue.transaction(needs="admin") as conn:
        raw = conn.connection.driver_connection
        for statement in statements:
            conn.exec_driver_sql(statement.as_string(raw))
        conn.exec_driver_sql(
            "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (TEAM_RULES_KEY, str(LATEST_VERSION)),
        )
        catalogue.append_audit("team.initialised", None, {"roles": list(ROLES), "rules": LATEST_VERSION})
    return done


def _read_policies() -> list[sql.Composable]:
    """Row-level security on every table a person reads (meta, the chain's head, is everyone's)."""
    staff = sql.SQL(", ").join(sql.Identifier(group(r)) for r in ("reviewer", "dpo"))
    photographer = sql.Identifier(group("photographer"))
    admin = sql.Identifier(group("admin"))
    statements: list[sql.Composable] = []
    for table in _ALL_TABLES:
        if table == "meta":
            continue
        name = sql.Identifier(table)
        statements.append(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
        for policy in (*_OLD_POLICIES, "staff_read", "photographer_read", "admin_read"):
            for prefix in (f"{table}_", ""):
                statements.append(
                    sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(f"{prefix}{policy}"), name)
                )
        statements.append(
            sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (true)").format(
                sql.Identifier(f"{table}_staff_read"), name, staff
            )
        )
        if table in _PHOTOGRAPHER_SEES:
            statements.append(
                sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (" + _PHOTOGRAPHER_SEES[table] + ")").format(
                    sql.Identifier(f"{table}_photographer_read"), name, photographer
                )
            )
        if table in _ADMIN_SEES:
            statements.append(
                sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (true)").format(
                    sql.Identifier(f"{table}_admin_read"), name, admin
                )
            )
    return statements


def _verifier(catalogue: Catalogue, name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password`, made here: the password itself never leaves this computer
    (nor reaches the server's logs)."""
    with catalogue._connection() as conn:
        pgconn = conn.connection.driver_connection.pgconn
        return pgconn.encrypt_password(password.encode("utf-8"), name.encode("utf-8"), b"scram-sha-256").decode()


def add_user(catalogue: Catalogue, name: str, role: str, password: str | None = None) -> None:
    """A new person who signs in as `name` (with `password`, or as the server's authentication decides)."""
    group(role)
    _require_team(catalogue)
    verifier = _verifier(catalogue, name, password) if password else None
    _call(catalogue, "cd_add_user", name, role, verifier)


def set_role(catalogue: Catalogue, name: str, role: str) -> None:
    group(role)
    _call(catalogue, "cd_set_role", name, role)


def remove_user(catalogue: Catalogue, name: str) -> None:
    """Stop a person signing in and take their roles; their name stays in the audit trail as history."""
    _call(catalogue, "cd_remove_user", name)


def set_password(catalogue: Catalogue, name: str, password: str) -> None:
    """Give a person a new password (someone who forgot theirs); audited as `team.password_set`."""
    _require_team(catalogue)
    _call(catalogue, "cd_set_password", name, _verifier(catalogue, name, password))


def users(catalogue: Catalogue) -> list[Person]:
    """Everyone who has, or had, a ConsentDesk role on this server."""
    query = """
        SELECT u.rolname, u.rolcanlogin,
               array_remove(array_agg(substr(g.rolname, length(%s) + 1) ORDER BY g.rolname), NULL)
        FROM pg_roles u
        LEFT JOIN pg_auth_members m ON m.member = u.oid
        LEFT JOIN pg_roles g ON g.oid = m.roleid AND g.rolname LIKE 'consentdesk\\_%%'
        WHERE u.rolname NOT LIKE 'consentdesk\\_%%' AND u.rolname NOT LIKE 'pg\\_%%'
        GROUP BY u.oid, u.rolname, u.rolcanlogin
        HAVING count(g.oid) > 0 OR coalesce(shobj_description(u.oid, 'pg_authid'), '') LIKE 'ConsentDesk user%%'
        ORDER BY u.rolname
    """
    return [
        Person(name, tuple(roles), can_login)
        for name, can_login, roles in _query(catalogue, query, (PREFIX,))
    ]


def my_roles(catalogue: Catalogue) -> set[str]:
    """The roles of the person signed in (everything on a desk catalogue, whose user owns the file)."""
    if not catalogue.is_team_register:
        return set(ROLES)
    owner = _query(
        catalogue,
        "SELECT pg_has_role(session_user, tableowner, 'USAGE') FROM pg_tables WHERE tablename = 'audit'"
        " AND schemaname = current_schema()",
    )
    if owner and owner[0][0]:
        return set(ROLES)
    existing = {
        r[0] for r in _query(catalogue, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'consentdesk\\_%%'")
    }
    return {
        r
        for r in ROLES
        if group(r) in existing
        and _query(catalogue, "SELECT pg_has_role(session_user, %s, 'USAGE')", (group(r),))[0][0]
    }
