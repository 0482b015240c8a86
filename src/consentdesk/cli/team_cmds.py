"""`consentdesk team …`: the team register's people and roles (run by an administrator).

`team init` creates the tables (if new), the four roles and their grants; it is safe to run again after an
upgrade. Passwords are read from a prompt (or standard input with --password-stdin), never from the
command line, where other users of the computer could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from consentdesk.cli.common import UserError, open_catalogue
from consentdesk.cli.listing import add_limit_option, limited, stream

ROLE_CHOICES = ("photographer", "reviewer", "dpo", "admin")


def register(sub: argparse._SubParsersAction) -> None:
    team = sub.add_parser("team", help="people and roles of a team register (administrators)")
    commands = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    init = commands.add_parser("init", help="create the register's tables, roles and grants (safe to re-run)")
    init.add_argument("url", nargs="?", help="postgresql:// address of the register (default: --catalog)")
    init.set_defaults(func=cmd_init)
    add = commands.add_parser("add-user", help="let a person sign in with one role")
    add.add_argument("name", help="their sign-in name on the server")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    how = add.add_mutually_exclusive_group()
    how.add_argument(
        "--password-stdin", action="store_true", help="read their first password from standard input"
    )
    how.add_argument(
        "--no-password",
        action="store_true",
        help="no password (the server signs them in by certificate or Kerberos)",
    )
    add.set_defaults(func=cmd_add_user)
    role = commands.add_parser("set-role", help="give a person a different role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLE_CHOICES)
    role.set_defaults(func=cmd_set_role)
    remove = commands.add_parser("remove-user", help="stop a person signing in (their audit history stays)")
    remove.add_argument("name")
    remove.set_defaults(func=cmd_remove_user)
    password = commands.add_parser(
        "set-password", help="give a person a new password (one who forgot theirs); they are told it in person"
    )
    password.add_argument("name")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the new password from standard input"
    )
    password.set_defaults(func=cmd_set_password, no_password=False)
    ls = commands.add_parser("users", help="list the people and their roles")
    ls.add_argument("--json", action="store_true")
    add_limit_option(ls)
    ls.set_defaults(func=cmd_users)


def _open(args: argparse.Namespace, *, create: bool = False):
    if getattr(args, "url", None):
        args.catalog = args.url
    return open_catalogue(args, create=create)


def _fail(exc: Exception) -> UserError:
    return UserError(str(exc))


def cmd_init(args: argparse.Namespace) -> int:
    from consentdesk.core.store import CatalogueError, team

    with _open(args, create=True) as catalogue:
        try:
            for line in team.init(catalogue):
                print(line)
        except CatalogueError as exc:
            raise _fail(exc) from exc
    print("The team register is ready. Add people with `consentdesk team add-user NAME --role ROLE`.")
    return 0


def _password(args: argparse.Namespace, what: str = "First password") -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        value = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        value = getpass.getpass(f"{what} for {args.name}: ")
        if value != getpass.getpass("Again: "):
            raise UserError("the two passwords differ; nothing was changed")
    else:
        raise UserError("give the password on standard input with --password-stdin, or use --no-password")
    if len(value) < 12:
        raise UserError("use a password of at least 12 characters; nothing was changed")
    return value


def _as_administrator(args: argparse.Namespace, change) -> None:  # noqa: ANN001 - a callable on the catalogue
    from consentdesk.core.store import CatalogueError

    with _open(args) as catalogue:
        try:
            change(catalogue)
        except CatalogueError as exc:
            raise _fail(exc) from exc


def cmd_add_user(args: argparse.Namespace) -> int:
    from consentdesk.core.store import team

    password = _password(args)
    _as_administrator(args, lambda cat: team.add_user(cat, args.name, args.role, password))
    article = "an" if args.role[0] in "aeiou" else "a"
    print(f"{args.name} can now sign in as {article} {args.role}.")
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    from consentdesk.core.store import team

    _as_administrator(args, lambda cat: team.set_role(cat, args.name, args.role))
    print(f"{args.name} is now a {args.role}.")
    return 0


def cmd_remove_user(args: argparse.Namespace) -> int:
    from consentdesk.core.store import team

    _as_administrator(args, lambda cat: team.remove_user(cat, args.name))
    print(f"{args.name} can no longer sign in; their entries in the audit trail stay.")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    from consentdesk.core.store import team

    password = _password(args, "New password")
    assert password is not None
    _as_administrator(args, lambda cat: team.set_password(cat, args.name, password))
    print(f"{args.name} has a new password; give it to them in person, not by email.")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from consentdesk.core.store import CatalogueError, team

    with _open(args) as catalogue:
        try:
            people = team.users(catalogue)
        except CatalogueError as exc:
            raise _fail(exc) from exc
    stream(
        limited(people, args.limit),
        as_json=args.json,
        to_json=lambda p: {"name": p.name, "roles": list(p.roles), "can_sign_in": p.can_sign_in},
        to_line=lambda p: f"{p.name:<24} {', '.join(p.roles) or '-'}"
        + ("" if p.can_sign_in else "  (removed: cannot sign in)"),
    )
    return 0
