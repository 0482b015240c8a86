"""The `consentdesk` command line.

With no subcommand it launches the GUI. Each subcommand group lives in its own module in this package
and exposes `register(subparsers)`; the handler it sets as `func` takes the parsed args and returns
an exit code (`common.ExitCode`). Errors users can act on are raised as `UserError` and printed without a
traceback; anything else is a fault of ours: it is written to the support log (`support_log`, type and code
lines only) and the user is told where that file is.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence

from consentdesk import __version__, support_log
from consentdesk.cli.common import ExitCode, UserError

#: Subcommand modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "consentdesk.cli.consent_cmds",
    "consentdesk.cli.forms_cmds",
    "consentdesk.cli.audit_cmds",
    "consentdesk.cli.analyse_cmds",
    "consentdesk.cli.image_cmds",
    "consentdesk.cli.recheck_cmds",
    "consentdesk.cli.review_cmds",
    "consentdesk.cli.lifecycle_cmds",
    "consentdesk.cli.team_cmds",
    "consentdesk.cli.catalogue_cmds",
)


#: Commands whose module is loaded alone, without the others: a quick check run often (`audit verify`) does
#: not pay for importing the PDF, form and vision code it never uses. `--help` still lists every command.
_ALONE = {"audit": "consentdesk.cli.audit_cmds"}


def _command_named(argv: Sequence[str]) -> str | None:
    """The command word in `argv` (the first argument that is neither an option nor --catalog's value)."""
    value_follows = False
    for arg in argv:
        if value_follows:
            value_follows = False
        elif arg in ("--catalog", "--catalogue"):
            value_follows = True
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consentdesk",
        description="Consent register and pre-posting image checks. Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"ConsentDesk {__version__}")
    _add_catalog_option(parser, default=None)
    _add_verbose_option(parser, default=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    for command in _leaf_parsers(parser):
        # Also accepted after the command (`consentdesk consent list --catalog X`); set only when given there.
        _add_catalog_option(command, default=argparse.SUPPRESS)
        _add_verbose_option(command, default=argparse.SUPPRESS)
        command.set_defaults(command_name=command.prog.removeprefix(f"{parser.prog} "))
    return parser


def _add_verbose_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=default,
        help="also print the support log's lines (timings, errors; never personal data) to the terminal",
    )


def _add_catalog_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--catalog",
        "--catalogue",
        dest="catalog",
        metavar="LOCATOR",
        default=default,
        help="catalogue to open: a file path, or postgresql://USER@HOST/DATABASE for a team register "
        "(default: $CONSENTDESK_CATALOG, else catalogue.sqlite in your ConsentDesk data folder)",
    )


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:  # argparse offers no public walk of its sub-commands
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.append(child)
                found.extend(_leaf_parsers(child))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    broken = [a for a in (sys.argv[1:] if argv is None else argv) if any("\udc80" <= c <= "\udcff" for c in a)]
    if broken:  # bytes the terminal sent that are not UTF-8 text: Python keeps them as lone surrogates
        shown = broken[0].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        print(
            f"consentdesk: the command line holds bytes that are not UTF-8 text ({shown!r}); check the "
            "terminal's character set or type them again",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    alone = _ALONE.get(_command_named(sys.argv[1:] if argv is None else argv) or "")
    parser = build_parser((alone,) if alone else COMMAND_MODULES)
    args, extra = parser.parse_known_args(argv)
    log_file = support_log.setup(verbose=bool(getattr(args, "verbose", False)))
    log = support_log.get("cli")
    name = support_log.label(getattr(args, "command_name", None) or "app")
    started = time.perf_counter()
    code = _run(parser, args, extra, name, log_file)
    log.info("%s: exit %d after %.3f s", name, int(code), time.perf_counter() - started)
    return code


def _catalogue_error() -> type[Exception]:
    """The store's error class, looked up only when something went wrong: importing the store (and
    SQLAlchemy) up front would slow every command's start, `--version` and `--help` included."""
    from consentdesk.core.store.errors import CatalogueError

    return CatalogueError


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str], name, log_file) -> int:  # noqa: ANN001
    try:
        if args.command is None:
            from consentdesk.app import run  # Qt is only imported when the GUI is wanted

            return run(args.catalog, extra)
        if extra:
            parser.error(f"unrecognised arguments: {' '.join(extra)}")
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"consentdesk: {exc}", file=sys.stderr)
        return exc.exit_code
    except _catalogue_error() as exc:  # a command that let one through: still one sentence, no traceback
        print(f"consentdesk: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("consentdesk: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly, like other tools
        sys.stdout = None  # type: ignore[assignment]  # no flush of a closed pipe at exit
        return ExitCode.OK
    except Exception as exc:  # a fault of ours: logged (type and code lines), explained in one sentence
        support_log.get("cli").error("%s: unexpected error", name, exc_info=exc)
        where = (
            f" Details for support are in {log_file}; send that file to whoever supports ConsentDesk for you."
            if log_file
            else ""
        )
        print(
            f"consentdesk: something went wrong inside ConsentDesk ({type(exc).__name__}); nothing more was "
            f"done.{where}",
            file=sys.stderr,
        )
        return ExitCode.UNEXPECTED
