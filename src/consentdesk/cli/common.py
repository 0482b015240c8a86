"""Helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import json
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any


class ExitCode(IntEnum):
    """The one table of exit codes, the same for every command (README: "Exit codes")."""

    OK = 0  # done, or there was nothing to do (approving again with nothing changed, an empty list)
    PROBLEMS = 1  # done in part, or refused by a rule: a file that could not be read (the rest were done),
    #               a photo not cleared, an empty signature box, a damaged catalogue or audit trail
    USAGE = 2  # nothing was done: a wrong command, option or input, an unknown id, a catalogue that
    #            cannot be opened, or something your role may not do
    FILES_MISSING = 3  # `check`: the catalogue is sound but photo files are missing or changed
    UNEXPECTED = 4  # a fault in ConsentDesk itself: the support log has the details
    INTERRUPTED = 130  # stopped with Ctrl+C


class UserError(Exception):
    """A problem the user can fix; printed as one plain sentence, no traceback."""

    def __init__(self, message: str, exit_code: int = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def catalogue_locator(args: argparse.Namespace) -> str:
    """--catalog (before or after the command), else $CONSENTDESK_CATALOG, else the desk default."""
    from consentdesk import paths

    return paths.catalogue_locator(getattr(args, "catalog", None))


def catalogue_file(args: argparse.Namespace) -> Path:
    """The catalogue as a file, for commands that replace the file itself (restore)."""
    from consentdesk.core.store import LocatorError, parse

    try:
        locator = parse(catalogue_locator(args))
    except LocatorError as exc:
        raise UserError(str(exc)) from exc
    if locator.path is None:
        raise UserError(
            "this works on a catalogue file only; a team register is restored on its server by your administrator"
        )
    return locator.path


def open_catalogue(args: argparse.Namespace, *, create: bool = True):
    """Open the catalogue named on the command line, turning catalogue errors into UserError."""
    from consentdesk.core.store import Catalogue, CatalogueError
    from consentdesk.core.store.errors import PasswordRequired
    from consentdesk.core.store.locator import with_password

    locator = catalogue_locator(args)
    try:
        try:
            catalogue = Catalogue.open(locator, create=create)
        except PasswordRequired as exc:
            if not sys.stdin.isatty():
                raise UserError(
                    f"{exc} Set PGPASSWORD or a ~/.pgpass entry to run without a prompt."
                ) from exc
            import getpass

            catalogue = Catalogue.open(with_password(locator, getpass.getpass("Password: ")), create=create)
    except CatalogueError as exc:
        raise UserError(str(exc)) from exc
    if catalogue.connection_warning:
        print(f"consentdesk: warning: {catalogue.connection_warning}", file=sys.stderr)
    return catalogue


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
