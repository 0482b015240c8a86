"""`consentdesk consent …`: add, list, show and print release records."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from consentdesk.cli.common import UserError, open_catalogue, print_json
from consentdesk.cli.listing import add_limit_option, pages, rows, stream
from consentdesk.core.forms import FormDefinitionError, load_form, one_line
from consentdesk.core.values import Consent, ConsentStatus

# The store and the release rules are imported by the commands that use them, not here: every command
# builds this module's parser, and `consentdesk queue | head` should not wait for what `consent add` needs.


def register(sub: argparse._SubParsersAction) -> None:
    consent = sub.add_parser("consent", help="add, list, show and print consent records")
    commands = consent.add_subparsers(dest="consent_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="record a signed release from a JSON file (see forms/examples/)")
    add.add_argument(
        "--json", required=True, metavar="FILE", help="the release as JSON, or - for standard input"
    )
    add.set_defaults(func=cmd_add)

    ls = commands.add_parser("list", help="list consent records")
    ls.add_argument("--search", default="", help="text to find in name, id, location or photographer")
    ls.add_argument(
        "--status", choices=[s.value for s in ConsentStatus], help="only records with this status"
    )
    ls.add_argument("--role", help="only this role (donor, staff, volunteer, patient, visitor)")
    ls.add_argument("--location", help="only this location")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_limit_option(ls)
    ls.set_defaults(func=cmd_list)

    show = commands.add_parser("show", help="show one record")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    pdf = commands.add_parser("pdf", help="write the completed release form of a record as PDF")
    pdf.add_argument("id")
    pdf.add_argument("--out", required=True, metavar="FILE.pdf")
    pdf.set_defaults(func=cmd_pdf)

    from consentdesk.cli.lifecycle_cmds import register_consent_actions  # withdraw, erase

    register_consent_actions(commands)


def _read_json_arg(value: str) -> tuple[str, Path]:
    if value == "-":
        return sys.stdin.read(), Path.cwd()
    path = Path(value).expanduser()
    try:
        if path.stat().st_size > 20_000_000:
            raise UserError(f"{path} is too large to be a consent record (over 20 MB)")
        return path.read_text(encoding="utf-8"), path.parent
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 JSON") from exc


def cmd_add(args: argparse.Namespace) -> int:
    from consentdesk.core.consent.releases import ConsentInvalid, parse_consent_json, record_consent
    from consentdesk.core.store import CatalogueError

    text, base = _read_json_arg(args.json)
    try:
        doc = parse_consent_json(text, base)
    except ConsentInvalid as exc:
        raise UserError(_invalid_message(exc)) from exc
    except FormDefinitionError as exc:
        raise UserError(str(exc)) from exc
    with open_catalogue(args) as catalogue:
        try:
            consent = record_consent(catalogue, doc.form, doc.submission, source="cli", form_id=doc.form_id)
        except ConsentInvalid as exc:
            raise UserError(_invalid_message(exc)) from exc
        except CatalogueError as exc:
            raise UserError(str(exc)) from exc
    print(consent.id)
    return 0


def _invalid_message(exc) -> str:  # noqa: ANN001 - a releases.ConsentInvalid
    lines = "\n".join(f"  - {e.field}: {e.message}" for e in exc.errors)
    return f"the consent record was not saved; fix these fields:\n{lines}"


def cmd_list(args: argparse.Namespace) -> int:
    from consentdesk.core.consent.releases import STATE_WORDS, release_state, with_paper_signatures
    from consentdesk.core.store import ConsentQuery

    query = ConsentQuery(
        text=args.search,
        status=ConsentStatus(args.status) if args.status else None,
        role=args.role,
        location=args.location,
    )
    today = date.today()

    def line(c: Consent) -> str:
        expires = c.expires_on.isoformat() if c.expires_on else "until withdrawn"
        state = STATE_WORDS[release_state(c, today)]
        return (
            f"{c.id}  {state:<27}  {c.signed_at.date()}  {expires:<15}  "
            f"{one_line(c.answers.get('role', '')):<9}  {_who(c)}"
        )

    with open_catalogue(args) as catalogue:  # a page at a time: the first lines print at once
        def fetch(offset: int, count: int) -> list[Consent]:  # a paper record is signed once its scan shows ink
            found = catalogue.list_consents(query, limit=count, offset=offset)
            return [with_paper_signatures(catalogue, c) for c in found]

        stream(
            rows(pages(fetch, args.limit)),
            as_json=args.json,
            to_json=lambda c: c.to_json()
            | {"effective_status": str(c.effective_status(today)), "state": release_state(c, today)},
            to_line=line,
            empty="No consent records match.",
        )
    return 0


def _who(consent: Consent) -> str:
    """Name and location on one line (names are cleaned on entry; older records are cleaned here)."""
    if consent.status is ConsentStatus.ERASED:
        return "(personal data erased)"
    location = one_line(consent.answers.get("location", ""))
    return one_line(consent.full_name) + (f"  ({location})" if location else "")


def _get(catalogue, consent_id: str):
    consent = catalogue.find_consent(consent_id.strip().upper())
    if consent is None:
        raise UserError(f"no consent record with id {consent_id}; `consentdesk consent list` shows the ids")
    return consent


def cmd_show(args: argparse.Namespace) -> int:
    with open_catalogue(args) as catalogue:
        consent = _get(catalogue, args.id)
    today = date.today()
    if args.json:
        print_json(consent.to_json() | {"effective_status": str(consent.effective_status(today))})
        return 0
    print(
        f"{consent.id}  {consent.effective_status(today)}  form {consent.form_name} v{consent.form_version}"
    )
    for label, value in _record_facts(consent):
        print(f"  {label}: {value}")
    if consent.status is ConsentStatus.ERASED:
        print("  Personal data erased; only this id-only record is kept.")
        return 0
    for key, value in consent.answers.items():
        shown = ", ".join(map(one_line, value)) if isinstance(value, list) else one_line(value)
        print(f"  {key}: {shown}")
    return 0


def _is_minor(consent: Consent) -> bool:
    try:
        form = load_form(consent.form_name, consent.form_version)
    except FormDefinitionError:
        return False
    return form.is_minor(consent.answers, consent.signed_at.date())


def _record_facts(consent: Consent) -> list[tuple[str, str]]:
    """What `consent show` says about the record itself, before the person's answers."""
    facts = [
        ("Signed", consent.signed_at.strftime("%Y-%m-%d %H:%M")),
        ("Expires", consent.expires_on.isoformat() if consent.expires_on else "never (until withdrawn)"),
    ]
    if consent.withdrawn_on:
        facts.append(("Withdrawn", consent.withdrawn_on.isoformat()))
    if consent.status is not ConsentStatus.ERASED:
        facts.append(("Signature", "yes" if consent.has_signature else "none on record"))
        if consent.has_guardian_signature or _is_minor(consent):
            facts.append(
                ("Guardian signature", "yes" if consent.has_guardian_signature else "none on record")
            )
    facts.append(
        (
            "Source",
            {"screen": "on screen", "cli": "command line", "paper": "paper form"}.get(
                consent.source, consent.source
            ),
        )
    )
    return facts


def cmd_pdf(args: argparse.Namespace) -> int:
    from consentdesk.core.pdf.release_form import write_completed_form

    out = Path(args.out).expanduser()
    with open_catalogue(args) as catalogue:
        consent = _get(catalogue, args.id)
        try:
            write_completed_form(catalogue, consent, out)
        except OSError as exc:
            raise UserError(f"cannot write {out}: {exc.strerror}; choose another folder") from exc
    print(out)
    return 0
