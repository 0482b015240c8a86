"""`consentdesk audit …`: check and read the hash-chained audit trail."""

from __future__ import annotations

import argparse

from consentdesk.cli.common import open_catalogue
from consentdesk.cli.listing import FIRST_PAGE, PAGE, add_limit_option, limited, rows, stream


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify or list the audit trail")
    commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser("verify", help="check that no audit entry was edited or removed")
    verify.set_defaults(func=cmd_verify)
    ls = commands.add_parser("list", help="print audit entries")
    ls.add_argument("--subject", help="only entries about this record id")
    ls.add_argument("--json", action="store_true")
    add_limit_option(ls)
    ls.set_defaults(func=cmd_list)
    log = commands.add_parser(
        "log", help="the trail as a log: time, who, what (ids only); --json gives one JSON object a line"
    )
    log.add_argument("--after", type=int, default=0, metavar="SEQ", help="only entries after this number")
    log.add_argument("--limit", type=int, default=None, metavar="N", help="at most N entries")
    log.add_argument(
        "--json", action="store_true", help="JSON Lines with time, actor, action, subject, details"
    )
    log.set_defaults(func=cmd_log)


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
    """The whole trail streams in pages (first lines at once, flat memory); one subject's is read whole."""
    with open_catalogue(args, create=False) as catalogue:
        if args.subject:
            entries = limited(catalogue.audit_entries(args.subject), args.limit)
        else:
            entries = rows(_trail_pages(catalogue, args.limit))
        stream(
            entries,
            as_json=args.json,
            to_json=lambda e: e.__dict__ if hasattr(e, "__dict__") else _entry(e),
            to_line=lambda e: f"{e.seq:>6}  {e.at}  {e.actor:<12}  {e.action:<22}  {e.subject or '':<14}  {e.details}",
        )
    return 0


def _trail_pages(catalogue, limit: int | None):  # noqa: ANN001, ANN202 - a Catalogue; pages of entries
    after, shown, size = 0, 0, FIRST_PAGE
    while limit is None or shown < limit:
        page = catalogue.audit_page(after, size if limit is None else min(size, limit - shown))
        if not page:
            return
        yield page
        shown += len(page)
        after = page[-1].seq
        size = PAGE


def cmd_log(args: argparse.Namespace) -> int:
    """Streams the trail page by page, so a register's whole history prints with flat memory."""
    import json
    import sys

    shown, after = 0, args.after
    with open_catalogue(args, create=False) as catalogue:
        while args.limit is None or shown < args.limit:
            page = catalogue.audit_page(after, 500 if args.limit is None else min(500, args.limit - shown))
            if not page:
                break
            for e in page:
                if args.json:
                    line = {
                        "seq": e.seq,
                        "time": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "subject": e.subject,
                        "details": e.details,
                    }
                    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                else:
                    sys.stdout.write(
                        f"{e.seq:>6}  {e.at}  {e.actor:<16}  {e.action:<22}  {e.subject or ''}\n"
                    )
            shown += len(page)
            after = page[-1].seq
    return 0


def _entry(e) -> dict:
    return {f: getattr(e, f) for f in e.__slots__}
