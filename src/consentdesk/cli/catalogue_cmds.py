"""`consentdesk catalogue copy SRC DEST`: copy a whole catalogue between engines, or merge it into another.

How a desk joins the team register and how a laptop that worked offline hands in the day's releases. The
work is `core.store.copy`; this module only prints its report. Exit codes: 0 copied and verified, 1 copied
except the records in conflict (listed), 2 nothing copied (an unusable locator or a catalogue that cannot
be copied).
"""

from __future__ import annotations

import argparse
import sys

from consentdesk.cli.common import ExitCode, UserError, print_json


def register(sub: argparse._SubParsersAction) -> None:
    catalogue = sub.add_parser("catalogue", help="copy a catalogue to another file or team register")
    commands = catalogue.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)
    copy = commands.add_parser(
        "copy",
        help="copy SRC into DEST (a new one is created); into an existing catalogue only what is new is added",
        description=(
            "Copy every record, file, decision and audit entry of SRC into DEST. SRC and DEST are catalogue "
            "files or postgresql:// addresses. A DEST that does not exist yet (or an empty database) becomes "
            "an exact copy with the same audit chain; into an existing catalogue only what it lacks is added, "
            "so copying again adds nothing. Records whose id is in both with different content are listed "
            "and not copied."
        ),
    )
    copy.add_argument("source", metavar="SRC", help="the catalogue to copy from (file or postgresql:// URL)")
    copy.add_argument("destination", metavar="DEST", help="the catalogue to copy into (created if missing)")
    copy.add_argument("--json", action="store_true", help="print the report as JSON")
    copy.set_defaults(func=cmd_copy)
    share = commands.add_parser(
        "share-clips",
        help="give the team register a low-resolution proxy of clips imported here, for reviewers elsewhere",
        description=(
            "Run on the computer that has the clips' originals. Each clip the register keeps no proxy of "
            "(all clips, or the image ids given) gets one, made from its original (480 px, no sound, no "
            "metadata); the originals stay here. A clip that is missing, changed or damaged is listed and "
            "the others go on."
        ),
    )
    share.add_argument("images", nargs="*", type=int, metavar="IMAGE_ID", help="only these clips")
    share.add_argument("--json", action="store_true")
    share.set_defaults(func=cmd_share_clips)


def cmd_copy(args: argparse.Namespace) -> int:
    from consentdesk.core.store import CatalogueError
    from consentdesk.core.store.copy import copy_between
    from consentdesk.core.store.locator import LocatorError, parse

    try:
        source, destination = parse(args.source), parse(args.destination)
    except LocatorError as exc:
        raise UserError(str(exc)) from exc
    progress = None if args.json or not sys.stderr.isatty() else _progress
    try:
        report = copy_between(source, destination, progress)
    except CatalogueError as exc:
        raise UserError(f"nothing was copied: {exc}") from exc
    finally:
        if progress:
            print(file=sys.stderr)
    if args.json:
        print_json({**report.as_dict(), "source": source.safe_text, "destination": destination.safe_text})
    else:
        _print_report(report, source.safe_text, destination.safe_text)
    return ExitCode.OK if report.ok else ExitCode.PROBLEMS


#: Row labels for the tables whose names do not say what they hold.
_LABELS = {"form_ids": "form ids", "audit": "audit entries", "photo_files": "photo copies"}


def _progress(what: str, done: int) -> None:
    print(f"\rcopying {what}: {done}        ", end="", file=sys.stderr, flush=True)


def _print_report(report, source: str, destination: str) -> None:  # noqa: ANN001 - a CopyReport
    how = "new catalogue, exact copy" if report.mode == "new" else "merged into the existing catalogue"
    but = f", except {len(report.conflicts)} record(s) in conflict" if report.conflicts else ""
    print(f"Copied {source} -> {destination} ({how}){but}.")
    rows = {_LABELS.get(name, name): count for name, count in report.tables.items() if name != "audit_copies"}
    width = max(len(label) for label in rows)
    print(f"  {'':<{width}}  {'added':>8}  {'already there':>13}  {'not copied':>10}")
    for label, count in rows.items():
        print(f"  {label:<{width}}  {count.added:>8}  {count.present:>13}  {count.skipped:>10}")
    print(
        f"Audit trail: source {_chain(report.source_chain_ok, report.source_chain_entries)}; "
        f"destination {_chain(report.destination_chain_ok, report.destination_chain_entries)}."
    )
    for sentence in report.notes:
        print(f"Note: {sentence}.")
    if report.conflicts:
        print(f"{len(report.conflicts)} conflict(s): these records were NOT copied (everything else was):")
        for sentence in report.conflicts:
            print(f"  - {sentence}")
        print(
            "Each needs a person to decide which is right, looking at the record in both catalogues. "
            "Copying again later adds only what is still missing."
        )
    else:
        print("No conflicts: everything was copied and verified.")


def _chain(ok: bool, entries: int) -> str:
    return f"{entries} entries, every hash matches" if ok else f"{entries} entries, DAMAGED"


def cmd_share_clips(args: argparse.Namespace) -> int:
    from consentdesk.cli.common import open_catalogue
    from consentdesk.core.photos.clip_sharing import share_clips

    with open_catalogue(args) as catalogue:
        if not catalogue.keeps_photo_copies:
            raise UserError("a desk catalogue keeps no copies; share clips on a team register (--catalog URL)")
        images = (
            list(catalogue.images_by_id(args.images).values()) if args.images else catalogue.list_images()
        )
        report = share_clips(catalogue, images)
    if args.json:
        print_json(
            {
                "shared": report.shared,
                "already": report.already,
                "problems": [{"image_id": i, "error": why} for i, why in report.problems],
            }
        )
    else:
        for image_id, why in report.problems:
            print(f"error clip {image_id}: {why}", file=sys.stderr)
        print(f"{len(report.shared)} clip(s) shared, {len(report.problems)} could not be")
    return ExitCode.PROBLEMS if report.problems else ExitCode.OK
