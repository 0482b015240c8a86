"""Helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


class UserError(Exception):
    """A problem the user can fix; printed as one plain sentence, no traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
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
