"""`consentdesk audit …`: check and read the hash-chained audit trail."""

from __future__ import annotations

import argparse
import sys
import time

from consentdesk.cli.common import UserError, catalogue_locator, open_catalogue
from consentdesk.cli.listing import FIRST_PAGE, PAGE, add_limit_option, limited, rows, stream


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify or list the audit trail")
    commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser(
        "verify",
        help="check that no audit entry or record was edited, added or removed behind ConsentDesk",
        description="Checks what is new since the last verification on this computer (its entries, the "
        "records they describe, that no record appeared or vanished, that the guards are in place); "
        "--full checks the whole trail and every record.",
    )
    verify.add_argument("--full", action="store_true", help="check the whole trail and every record")
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


class _Progress:
    """Progress on standard error while a long check runs: rewritten in place on a terminal, a line every
    few seconds otherwise (a log), nothing for a check that is over in a moment."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, what: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.started < 1.0 or now - self.last < (0.5 if self.tty else 5.0):
            return
        self.last = now
        line = f"checking {what}: {done:,}" + (f" of {total:,}" if total else "")
        if self.tty:
            sys.stderr.write("\r" + line.ljust(60))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown and self.tty:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def cmd_verify(args: argparse.Namespace) -> int:
    from consentdesk.core.safekeeping import checkpoints
    from consentdesk.core.store import CatalogueError, LocatorError, parse
    from consentdesk.core.store.audit_chain import utc_now
    from consentdesk.core.store.verify import verify_file

    progress = _Progress()
    try:
        where = parse(catalogue_locator(args))
    except LocatorError as exc:
        raise UserError(str(exc)) from exc
    key = checkpoints.key_for(where)
    since = None if args.full else checkpoints.load(key, max_age=checkpoints.FULL_EVERY)
    try:
        # A desk catalogue of this version is read directly (a quick start: no SQLAlchemy); anything else is
        # opened as usual (a register, or an older file that opening upgrades).
        report = verify_file(where.path, since=since, progress=progress, now=utc_now()) if where.path else None
        if report is None:
            with open_catalogue(args, create=False) as catalogue:
                report = catalogue.verify_audit(since=since, progress=progress)
    except CatalogueError as exc:
        raise UserError(str(exc)) from exc
    finally:
        progress.finish()
    if report.ok and report.checkpoint is not None:
        checkpoints.save(key, report.checkpoint)
    return _print_verification(report, since)


def _print_verification(report, since) -> int:  # noqa: ANN001 - an AuditReport and a Checkpoint or None
    if report.ok:
        if report.incremental:
            print(
                f"Audit trail intact: {report.entries} entries. The {report.checked} written since entry "
                f"{report.since} (verified {since.at if since else ''}) were checked, every hash matches, the "
                f"{report.records} records they describe match their audited states, no other record was added "
                "or removed, and the guards are in place (`audit verify --full` checks everything)."
            )
        else:
            print(
                f"Audit trail intact: {report.entries} entries, every hash matches; {report.records} records "
                "match their audited states and the guards are in place."
            )
        return 0
    print(f"AUDIT TRAIL DAMAGED: {len(report.problems)} problem(s) in {report.entries} entries:")
    for problem in report.problems:
        print(f"  - {problem}")
    print("Keep this catalogue as evidence and restore a backup to continue.")
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
