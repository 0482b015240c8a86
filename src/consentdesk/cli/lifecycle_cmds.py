"""Data-protection commands: withdraw, erase, expiring, sar, forms scan/scans, backup, restore, check.

`consent withdraw|erase` and `forms scan|scans` hang under their existing command groups (those modules
call `register_consent_actions` / `register_forms_actions`); the rest are top-level commands.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date
from pathlib import Path

from consentdesk.cli.common import ExitCode, UserError, catalogue_file, open_catalogue, print_json
from consentdesk.cli.listing import add_limit_option, limited, stream


def register(sub: argparse._SubParsersAction) -> None:
    exp = sub.add_parser("expiring", help="consents ending soon and images that lost clearance")
    exp.add_argument("--days", type=int, default=30, help="look this many days ahead (default 30)")
    exp.add_argument("--json", action="store_true")
    add_limit_option(exp)
    exp.set_defaults(func=cmd_expiring)

    sar = sub.add_parser("sar", help="write a subject access request bundle (zip) for one person")
    sar.add_argument("id", metavar="CONSENT_ID")
    sar.add_argument("--out", required=True, metavar="BUNDLE.zip")
    sar.add_argument("--force", action="store_true", help="replace an existing file")
    sar.set_defaults(func=cmd_sar)

    bak = sub.add_parser("backup", help="write a consistent copy of the catalogue (safe while the app runs)")
    bak.add_argument("--out", required=True, metavar="FILE")
    bak.add_argument("--force", action="store_true", help="replace an existing file")
    bak.set_defaults(func=cmd_backup)

    res = sub.add_parser("restore", help="replace the catalogue with a verified backup (the old one is kept)")
    res.add_argument("file", metavar="BACKUP")
    res.set_defaults(func=cmd_restore)

    chk = sub.add_parser("check", help="check the catalogue, the audit trail and the photo files")
    chk.add_argument("--json", action="store_true")
    chk.add_argument(
        "--relink", metavar="FOLDER", help="find moved photos in FOLDER by content and update them"
    )
    chk.add_argument("--no-files", action="store_true", help="skip hashing the photo files")
    chk.set_defaults(func=cmd_check)


def register_consent_actions(commands: argparse._SubParsersAction) -> None:
    wd = commands.add_parser(
        "withdraw", help="record a withdrawal and list the images and posts to take down"
    )
    wd.add_argument("id")
    wd.add_argument("--reason", required=True, help="why (kept with the record; erased with it)")
    wd.add_argument("--on", metavar="YYYY-MM-DD", help="effective date (default today)")
    wd.add_argument("--report", metavar="DIR", help="also write takedown-<id>.pdf and .csv into DIR")
    wd.add_argument("--json", action="store_true")
    wd.set_defaults(func=cmd_withdraw)

    er = commands.add_parser("erase", help="erase a person's personal data, keeping an id-only tombstone")
    er.add_argument("id")
    er.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    er.set_defaults(func=cmd_erase)


def register_forms_actions(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser(
        "scan", help="attach scans or photos of signed paper forms by their QR form id"
    )
    scan.add_argument("files", nargs="+", metavar="FILE", help="PDF scans or photos (JPEG, PNG…)")
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(func=cmd_scan)

    scans = commands.add_parser("scans", help="list scanned paper forms awaiting data entry")
    scans.add_argument("--all", action="store_true", help="list every stored scan, entered or not")
    scans.add_argument("--json", action="store_true")
    add_limit_option(scans)
    scans.set_defaults(func=cmd_scans)


def _consent_id(catalogue, raw: str) -> str:
    consent = catalogue.find_consent(raw.strip().upper())
    if consent is None:
        raise UserError(f"no consent record with id {raw}; `consentdesk consent list` shows the ids")
    return consent.id


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--on must be a date as YYYY-MM-DD (got {text})") from None


def cmd_withdraw(args: argparse.Namespace) -> int:
    from consentdesk.core.protection.withdrawal import csv_rows, withdraw, write_takedown_report
    from consentdesk.core.store import CatalogueError

    on = _date(args.on)
    with open_catalogue(args) as catalogue:
        consent_id = _consent_id(catalogue, args.id)
        try:
            takedown = withdraw(catalogue, consent_id, args.reason, on)
        except ValueError as exc:
            raise UserError(f"{exc}; give one with --reason") from exc
        except CatalogueError as exc:
            raise UserError(f"{exc}; nothing was changed") from exc
        written: tuple[Path, ...] = ()
        report_error = None
        if args.report:
            try:
                written = write_takedown_report(takedown, Path(args.report).expanduser())
            except OSError as exc:
                report_error = (
                    f"the withdrawal was recorded, but the report could not be written to {args.report} "
                    f"({exc.strerror or exc}); the take-down list is printed above, copy it from there"
                )
    if args.json:
        print_json(
            {"consent_id": consent_id, "takedown": csv_rows(takedown), "report": [str(p) for p in written]}
        )
        return 0
    print(
        f"Consent {consent_id} withdrawn. {len(takedown.items)} image(s) are now blocked for every channel."
    )
    if takedown.exported:
        print("Take down these posts and delete these exported copies:")
    for item in takedown.items:
        what = f"clip {item.image.id}" if item.is_clip else f"image {item.image.id}"
        seen = f"  ({item.seen_words})" if item.seen else ""
        if not item.approvals:
            print(f"  {what}  {item.image.path}  (never approved){seen}")
        for a in item.approvals:
            done = "" if a.live else f"  (taken down {a.taken_down.recorded_at[:10]})"
            print(
                f"  {what}  channels: {', '.join(a.channels)}  approved {a.approved_at}  "
                f"export: {a.export_path}{done}{seen}"
            )
    for path in written:
        print(f"Wrote {path}")
    if report_error:
        raise UserError(report_error, exit_code=ExitCode.PROBLEMS)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from consentdesk.core.protection.erasure import erase
    from consentdesk.core.store import CatalogueError

    if not args.yes:
        raise UserError(
            "erasure deletes the person's answers, signatures, scans and photo links for good; "
            "run again with --yes to confirm (take a backup first if you need one)"
        )
    with open_catalogue(args) as catalogue:
        consent_id = _consent_id(catalogue, args.id)
        try:
            report = erase(catalogue, consent_id)
        except CatalogueError as exc:
            raise UserError(f"{exc}; nothing was changed") from exc
    c = report.counts
    print(
        f"Record {consent_id} erased: {c.files_removed} file(s), {c.scans_removed} scan(s) and "
        f"{c.face_links_removed} face link(s) removed; {len(c.images_blocked)} image(s) blocked for review."
    )
    if report.advice:
        print(f"Warning: {report.advice}")
    for copy in report.older_copies:
        print(
            f"Note: {copy} is an older copy that may still hold this person's data; delete it if not needed."
        )
    return 0


def cmd_expiring(args: argparse.Namespace) -> int:
    from consentdesk.core.protection.expiry import expiry_dashboard

    if args.days < 0:
        raise UserError("--days must be 0 or more")
    with open_catalogue(args) as catalogue:
        dash = expiry_dashboard(catalogue, args.days)
    if args.limit is not None:  # each list cut to N rows; the counts stay whole
        shown = dataclasses.replace(dash, expiring=dash.expiring[: args.limit], blocked=dash.blocked[: args.limit])
    else:
        shown = dash
    if args.json:
        print_json(shown.to_json())
        return 0
    print(f"Consents ending within {args.days} days: {len(dash.expiring)}")
    for e in shown.expiring:
        print(
            f"  {e.consent.id}  ends {e.consent.expires_on}  ({e.days_left} days)  {e.linked_images} image(s)"
        )
    print(f"Images that lost clearance: {len(dash.blocked)}")
    for b in shown.blocked:
        reasons = ", ".join(f"{cid} {status}" for cid, status in b.reasons)
        take_down = f"; take down {', '.join(b.take_down)}" if b.take_down else ""
        print(f"  {'clip' if b.is_clip else 'image'} {b.image.id}  {b.image.path}  ({reasons}{take_down})")
    return 0


def cmd_sar(args: argparse.Namespace) -> int:
    from consentdesk.core.protection.sar import SarError, build_sar_bundle
    from consentdesk.core.store import CatalogueError

    out = Path(args.out).expanduser()
    if out.exists() and not args.force:
        raise UserError(f"{out} already exists; choose another name or use --force")
    with open_catalogue(args) as catalogue:
        consent_id = _consent_id(catalogue, args.id)
        try:
            contents = build_sar_bundle(catalogue, consent_id, out)
        except SarError as exc:
            raise UserError(str(exc)) from exc
        except CatalogueError as exc:
            raise UserError(f"{exc} No bundle was written.") from exc
        except OSError as exc:
            raise UserError(f"cannot write {out}: {exc.strerror or exc}; choose another folder") from exc
    print(out)
    for img in contents.images:
        if img.bundle_name is None:
            print(f"  {'clip' if img.is_clip else 'photo'} {img.image_id} not included: {img.problem}")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from consentdesk.core.consent.paper import scan_forms

    with open_catalogue(args) as catalogue:
        results = scan_forms(catalogue, args.files)
    if args.json:
        print_json(
            [
                {
                    "file": r.source,
                    "page": r.page,
                    "outcome": r.outcome.value,
                    "form_id": r.form_id,
                    "scan_id": r.scan_id,
                    "detail": r.detail,
                }
                for r in results
            ]
        )
    else:
        for r in results:
            print(r.message)
    return ExitCode.PROBLEMS if any(r.outcome.needs_attention for r in results) else ExitCode.OK


def cmd_scans(args: argparse.Namespace) -> int:
    from consentdesk.core.consent.paper import scans_awaiting_entry

    with open_catalogue(args) as catalogue:
        scans = catalogue.paper_scans() if args.all else scans_awaiting_entry(catalogue)

    def line(s) -> str:  # noqa: ANN001 - a PaperScan
        state = f"record {s.consent_id}" if s.consent_id else "awaiting entry"
        return f"{s.form_id}  page {s.page}  {s.source_name}  scanned {s.scanned_at}  {state}"

    stream(
        limited(scans, args.limit),
        as_json=args.json,
        to_json=lambda s: {
            "scan_id": s.id,
            "form_id": s.form_id,
            "page": s.page,
            "file": s.source_name,
            "scanned_at": s.scanned_at,
            "record": s.consent_id,
        },
        to_line=line,
        empty="No scanned forms are awaiting data entry." if not args.all else "No scans are stored.",
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from consentdesk.core.safekeeping.backups import SafetyError, backup

    with open_catalogue(args, create=False) as catalogue:
        try:
            out = backup(catalogue, Path(args.out), force=args.force)
        except SafetyError as exc:
            raise UserError(str(exc)) from exc
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror or exc}; choose another folder") from exc
    print(out)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from consentdesk.core.safekeeping.backups import SafetyError, restore
    from consentdesk.core.store import CatalogueError

    try:
        report = restore(catalogue_file(args), Path(args.file))
    except SafetyError as exc:
        raise UserError(str(exc)) from exc
    except CatalogueError as exc:
        raise UserError(f"{exc}; close ConsentDesk and try again") from exc
    print(f"Restored from {report.restored_from} ({report.audit_entries} audit entries verified).")
    if report.previous_kept_as:
        print(f"The catalogue it replaced is kept as {report.previous_kept_as}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from consentdesk.core.safekeeping.health import check

    relink = Path(args.relink).expanduser() if args.relink else None
    if relink is not None and not relink.is_dir():
        raise UserError(f"{relink} is not a folder; give the folder the photos were moved to")
    with open_catalogue(args, create=False) as catalogue:
        report = check(catalogue, files=not args.no_files, relink_folder=relink)
    if args.json:
        print_json(report.to_json())
    else:
        print("Catalogue structure: " + ("ok" if not report.integrity else "PROBLEMS"))
        for p in report.integrity:
            print(f"  {p}")
        print(f"Audit trail: {report.audit_entries} entries, " + ("intact" if not report.audit else "BROKEN"))
        for p in report.audit:
            print(f"  {p}")
        print(f"Photo files: {report.images_checked} checked, {len(report.files)} problem(s)")
        for f in report.files:
            print(f"  image {f.image_id}: {f.problem}  {f.path}")
        for image_id, path in report.relinked:
            print(f"  image {image_id}: found at {path} (updated)")
        if report.from_register:
            n = len(report.from_register)
            print(
                f"{n} photo{'s are' if n != 1 else ' is'} not on this computer; the team register holds "
                f"{'their' if n != 1 else 'its'} working cop{'ies' if n != 1 else 'y'}, which review, export "
                "and subject access bundles use."
            )
        if report.compacted is not None:
            print(
                "Erased data: rewritten out of the register's files."
                if report.compacted
                else "Erased data: the register's files are rewritten only when the administrator runs "
                "`consentdesk check` (the tables' owner)."
            )
        if report.files:
            print(
                "Missing or changed photos cannot be checked or exported; use --relink FOLDER if they moved."
            )
        if not report.ok:
            print("The catalogue is damaged: restore the latest backup with `consentdesk restore FILE`.")
    if not report.ok:
        return ExitCode.PROBLEMS
    return ExitCode.FILES_MISSING if report.files else ExitCode.OK
