"""`consentdesk forms …`: list the installed release-form definitions and print numbered blank forms."""

from __future__ import annotations

import argparse
from pathlib import Path

from consentdesk.cli.common import UserError, open_catalogue, print_json
from consentdesk.core.forms import FormDefinitionError


def register(sub: argparse._SubParsersAction) -> None:
    forms = sub.add_parser("forms", help="list release-form definitions and print blank numbered forms")
    commands = forms.add_subparsers(dest="forms_command", metavar="ACTION", required=True)

    blank = commands.add_parser(
        "blank",
        help="reserve form ids and write printable blank forms (two A4 pages each) with QR codes",
    )
    blank.add_argument(
        "--count", type=int, default=1, metavar="N", help="how many forms (1 to 500; default 1)"
    )
    blank.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write")
    blank.set_defaults(func=cmd_blank)

    ls = commands.add_parser("list", help="list the installed form definitions")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=cmd_list)

    from consentdesk.cli.lifecycle_cmds import register_forms_actions  # scan, scans

    register_forms_actions(commands)


def cmd_blank(args: argparse.Namespace) -> int:
    from consentdesk.core.pdf.blank_forms import MAX_FORMS, BlankFormsNotWritten, write_blank_forms

    if not 1 <= args.count <= MAX_FORMS:
        advice = "; print larger batches in several runs" if args.count > MAX_FORMS else ""
        raise UserError(f"--count must be between 1 and {MAX_FORMS} (got {args.count}){advice}")
    out = Path(args.out).expanduser()
    with open_catalogue(args) as catalogue:
        try:
            ids = write_blank_forms(catalogue, args.count, out)
        except BlankFormsNotWritten as exc:
            raise UserError(f"cannot write {out}: {exc.strerror}; choose another folder") from exc
        except OSError as exc:
            raise UserError(f"cannot write {out}: {exc.strerror or exc}; no form ids were reserved") from exc
        except FormDefinitionError as exc:
            raise UserError(str(exc)) from exc
    print(out)
    for form_id in ids:
        print(form_id)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from consentdesk import paths
    from consentdesk.core.forms import parse_definition

    try:
        definitions = [parse_definition(p) for p in sorted(paths.forms_dir().glob("*.toml"))]
    except FormDefinitionError as exc:
        raise UserError(str(exc)) from exc
    definitions.sort(key=lambda d: (d.name, d.version))
    if args.json:
        print_json(
            [
                {
                    "name": d.name,
                    "version": d.version,
                    "title": d.title,
                    "fields": len(d.fields),
                    "file": d.source.name,
                }
                for d in definitions
            ]
        )
        return 0
    if not definitions:
        print("No form definitions are installed.")
        return 0
    for d in definitions:
        print(f"{d.name}  v{d.version}  {len(d.fields)} fields  {d.title}  ({d.source.name})")
    return 0
