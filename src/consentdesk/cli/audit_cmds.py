"""`consentdesk audit …`: check and read the hash-chained audit trail."""

from __future__ import annotations

import argparse

from consentdesk.cli.common import open_catalogue, print_json


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify or list the audit trail")
    commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser("verify", help="check that no audit entry was edited or removed")
    verify.set_defaults(func=cmd_verify)
    ls = commands.add_parser("list", help="print audit entries")
    ls.add_argument("--subject", help="only entries about this record id")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def cmd_verify(args: argparse.Namespace) -> int:
    with open_catalogue(args, create=False) as catalogue:
        report = catalogue.verify_audit()
    if report.ok:
        print(f"Audit trail intact: {report.entries} entries, every hash matches.")
        return 0
    print(f"AUDIT TRAIL DAMAGED: {len(report.problems)} problem(s) in {report.entries} entries:")
    for problem in report.problems:
        print(f"  - {problem}")
    print("Keep this catalogue file as evidence and restore a backup to continue.")
    return 1


def cmd_list(args: argparse.Namespace) -> int:
    with open_catalogue(args, create=False) as catalogue:
        entries = catalogue.audit_entries(args.subject)
    if args.json:
        print_json([e.__dict__ if hasattr(e, "__dict__") else _entry(e) for e in entries])
        return 0
    for e in entries:
        print(f"{e.seq:>6}  {e.at}  {e.actor:<12}  {e.action:<22}  {e.subject or '':<14}  {e.details}")
    return 0


def _entry(e) -> dict:
    return {f: getattr(e, f) for f in e.__slots__}
