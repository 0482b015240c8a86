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


def catalogue_path(args: argparse.Namespace) -> Path:
    from consentdesk import paths

    return Path(args.catalog).expanduser() if args.catalog else paths.default_catalogue_path()


def open_catalogue(args: argparse.Namespace, *, create: bool = True):
    """Open the catalogue named on the command line, turning catalogue errors into UserError."""
    from consentdesk.core.store import Catalogue, CatalogueError

    try:
        return Catalogue.open(catalogue_path(args), create=create)
    except CatalogueError as exc:
        raise UserError(str(exc)) from exc


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
