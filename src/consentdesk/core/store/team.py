"""The team register's people and roles, enforced by PostgreSQL itself.

Four group roles (`consentdesk_photographer`, `_reviewer`, `_dpo`, `_admin`); each person signs in as their
own login role that is a member of one of them. What each may do is granted table by table, and a
photographer sees only the photos of their own shoots (row-level security). The app only mirrors this:
a modified client gets the same refusals, because they come from the server.

`init` is run once by an administrator (a superuser, or a role that owns the database and may create
roles) and is safe to run again after an upgrade: it re-applies the grants and policies.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from consentdesk.core.store.catalogue import Catalogue
from consentdesk.core.store.errors import CatalogueError

ROLES = ("photographer", "reviewer", "dpo", "admin")
_MARK = "ConsentDesk user"  # the comment on a person's login role, so a removed person is still listed
PREFIX = "consentdesk_"

_ALL_TABLES = (
    "meta",
    "form_ids",
    "consents",
    "consent_files",
    "consent_events",
    "audit",
    "shoots",
    "images",
    "analyses",
    "faces",
    "findings",
    "face_decisions",
    "finding_decisions",
    "image_reviews",
    "approvals",
    "approval_channels",
    "approval_consents",
    "takedowns",
    "paper_scans",
    "photo_files",
)

#: What each role may change, beyond reading. The owner (who ran `team init`) keeps every right.
_WRITES: dict[str, tuple[str, ...]] = {
    "photographer": (
        "INSERT ON form_ids, consents, consent_files, paper_scans, shoots, images, analyses, faces, findings, "
        "photo_files, audit",
    ),
    "reviewer": (
        "INSERT ON face_decisions, finding_decisions, image_reviews, approvals, approval_channels, consent_events, "
        "analyses, faces, findings, photo_files, takedowns, audit",
        "UPDATE (status) ON consents",
    ),
    "dpo": (
        "INSERT ON consent_events, face_decisions, image_reviews, takedowns, audit",
        "UPDATE (status, answers, search_key) ON consents",
        "UPDATE (reason) ON consent_events",
        "UPDATE (path) ON images",
        "DELETE ON face_decisions, consent_files, paper_scans, photo_files",
    ),
    "admin": ("ALL ON " + ", ".join(_ALL_TABLES),),
}

#: Tables whose rows belong to one photo, and how a row finds it; a photographer sees only their shoots'.
_PHOTO_SCOPED = {
    "images": "imported_by = session_user OR shoot_id IN (SELECT id FROM shoots WHERE created_by = session_user)",
    "analyses": "image_id IN (SELECT id FROM images)",
    "faces": "analysis_id IN (SELECT id FROM analyses)",
    "findings": "analysis_id IN (SELECT id FROM analyses)",
    "face_decisions": "image_id IN (SELECT id FROM images)",
    "finding_decisions": "image_id IN (SELECT id FROM images)",
    "image_reviews": "image_id IN (SELECT id FROM images)",
    "approvals": "image_id IN (SELECT id FROM images)",
    "approval_channels": "approval_id IN (SELECT id FROM approvals)",
    "approval_consents": "approval_id IN (SELECT id FROM approvals)",
    "takedowns": "approval_id IN (SELECT id FROM approvals)",
    "photo_files": "sha256 IN (SELECT sha256 FROM images)",
}


#: Audit actions only a data-protection officer (or an administrator) may append: the server refuses the
#: entry, and with it the action it records, for anyone else (a row-level policy on `audit`, set by `init`).
DPO_ONLY_ACTIONS = ("sar.exported",)

#: What the app offers to whom: it mirrors the grants above so nobody is shown an action the server would
#: refuse them (the server still decides). An administrator may do everything.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "record": ("photographer",),  # releases on screen or paper, blank forms, scans
    "import": ("photographer",),
    "review": ("reviewer",),  # decisions, re-check, approve and export, reject
    "withdraw": ("reviewer", "dpo"),
    "takedown": ("reviewer", "dpo"),  # record that an approved copy's exports and posts were removed
    "protect": ("dpo",),  # SAR, erasure, backup, restore, check
}


def allowed(roles: set[str], capability: str) -> bool:
    return "admin" in roles or any(role in roles for role in CAPABILITIES[capability])


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


def _run_admin(
    catalogue: Catalogue, statements: list[sql.Composable], audit: tuple[str, str | None, dict]
) -> None:
    """Run role statements and their audit entry as one action: both happen, or neither."""
    _require_team(catalogue)
    with catalogue.transaction(needs="admin") as conn:
        raw = conn.connection.driver_connection
        for statement in statements:
            conn.exec_driver_sql(statement.as_string(raw))
        catalogue.append_audit(*audit)


def _query(catalogue: Catalogue, text: str, params: tuple = ()) -> list[tuple]:
    _require_team(catalogue)
    with catalogue._connection() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(text, params)]


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
    tables = sql.SQL(", ").join(sql.Identifier(t) for t in _ALL_TABLES)
    statements += [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), groups),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(groups),
        sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(tables),
        sql.SQL("REVOKE ALL ON {} FROM {}").format(tables, groups),
        sql.SQL("GRANT SELECT ON {} TO {}").format(tables, groups),
    ]
    for role, grants in _WRITES.items():
        for grant in grants:
            statements.append(sql.SQL("GRANT " + grant + " TO {}").format(sql.Identifier(group(role))))
    staff = sql.SQL(", ").join(sql.Identifier(group(r)) for r in ("reviewer", "dpo", "admin"))
    photographer = sql.Identifier(group("photographer"))
    for table, visible in _PHOTO_SCOPED.items():
        name = sql.Identifier(table)
        statements.append(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
        for policy in ("staff_all", "photographer_read", "photographer_add"):
            statements.append(
                sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(f"{table}_{policy}"), name)
            )
        statements += [
            sql.SQL("CREATE POLICY {} ON {} FOR ALL TO {} USING (true) WITH CHECK (true)").format(
                sql.Identifier(f"{table}_staff_all"), name, staff
            ),
            sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (" + visible + ")").format(
                sql.Identifier(f"{table}_photographer_read"), name, photographer
            ),
            sql.SQL("CREATE POLICY {} ON {} FOR INSERT TO {} WITH CHECK (true)").format(
                sql.Identifier(f"{table}_photographer_add"), name, photographer
            ),
        ]
    statements += _audit_policies()
    done.append("granted each role its rights; photographers see their own shoots' photos only")
    _run_admin(catalogue, statements, ("team.initialised", None, {"roles": list(ROLES)}))
    return done


def _audit_policies() -> list[sql.Composable]:
    """Everyone reads the trail and appends their own entries, except the entries of data-protection
    actions (`DPO_ONLY_ACTIONS`, e.g. a subject access bundle exported), which only a DPO or an
    administrator may append; the app writes such an entry in the same transaction as its action, so the
    server's refusal stops the action itself."""
    name = sql.Identifier("audit")
    everyone = sql.SQL(", ").join(sql.Identifier(group(r)) for r in ROLES)
    protectors = sql.SQL(", ").join(sql.Identifier(group(r)) for r in ("dpo", "admin"))
    reserved = sql.SQL(", ").join(sql.Literal(a) for a in DPO_ONLY_ACTIONS)
    statements: list[sql.Composable] = [sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name)]
    for policy in ("audit_read", "audit_add", "audit_protect"):
        statements.append(sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(policy), name))
    statements += [
        sql.SQL("CREATE POLICY audit_read ON {} FOR SELECT TO {} USING (true)").format(name, everyone),
        sql.SQL("CREATE POLICY audit_add ON {} FOR INSERT TO {} WITH CHECK (action NOT IN ({}))").format(
            name, everyone, reserved
        ),
        sql.SQL("CREATE POLICY audit_protect ON {} FOR INSERT TO {} WITH CHECK (true)").format(
            name, protectors
        ),
    ]
    return statements


def add_user(catalogue: Catalogue, name: str, role: str, password: str | None = None) -> None:
    """A new person who signs in as `name` (with `password`, or as the server's authentication decides)."""
    statement = sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
        sql.Identifier(name), sql.Identifier(group(role))
    )
    if password:
        statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
            sql.Identifier(name), sql.Literal(password), sql.Identifier(group(role))
        )
    mark = sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(name), sql.Literal(_MARK))
    _run_admin(catalogue, [statement, mark], ("team.user_added", f"user:{name}", {"role": role}))


def set_role(catalogue: Catalogue, name: str, role: str) -> None:
    statements: list[sql.Composable] = [
        sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group(r)), sql.Identifier(name))
        for r in ROLES
        if r != role
    ]
    statements.append(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group(role)), sql.Identifier(name)))
    _run_admin(catalogue, statements, ("team.role_changed", f"user:{name}", {"role": role}))


def remove_user(catalogue: Catalogue, name: str) -> None:
    """Stop a person signing in and take their roles; their name stays in the audit trail as history."""
    statements: list[sql.Composable] = [
        sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(name)),
        sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(name), sql.Literal(_MARK + " (removed)")),
    ]
    statements += [
        sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group(r)), sql.Identifier(name)) for r in ROLES
    ]
    _run_admin(catalogue, statements, ("team.user_removed", f"user:{name}", {}))


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
