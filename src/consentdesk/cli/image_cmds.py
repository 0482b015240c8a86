"""`consentdesk import` and `consentdesk images`: bring a shoot into the catalogue and list it."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import date

from consentdesk.cli.common import ExitCode, UserError, open_catalogue, print_json
from consentdesk.cli.listing import add_limit_option, pages, rows, stream


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser(
        "import",
        help="add photos (files or folders) to the catalogue and check them",
        description="Add photos to the catalogue and analyse them (faces, personal data, codes, screens). "
        "Files already in the catalogue (same content) are not added twice.",
    )
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--shoot", help="name of the shoot (default: the folder name)")
    imp.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="analysis processes")
    imp.add_argument("--json", action="store_true", help="print the import report as JSON")
    imp.set_defaults(func=cmd_import)

    images = sub.add_parser("images", help="list imported photos")
    images.add_argument("--shoot", type=int, help="only this shoot id")
    images.add_argument("--json", action="store_true")
    add_limit_option(images)
    images.set_defaults(func=cmd_images)


def _progress(p) -> None:  # noqa: ANN001 - an importer.ImportProgress
    eta = p.eta_seconds
    eta_text = f", about {eta:.0f} s left" if eta is not None else ""
    print(f"\r{p.done}/{p.total} checked{eta_text}   ", end="", file=sys.stderr, flush=True)


def cmd_import(args: argparse.Namespace) -> int:
    from consentdesk.core.photos.importer import import_paths  # heavy: only to import

    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    with open_catalogue(args) as catalogue:
        report = import_paths(
            catalogue,
            args.paths,
            workers=args.workers,
            shoot_name=args.shoot,
            progress=None if args.json or not sys.stderr.isatty() else _progress,
        )
    nothing = not (report.added or report.duplicates or report.errors or report.skipped)
    if nothing and not args.json:
        raise UserError(f"no files found in {', '.join(args.paths)}")
    if args.json:
        print_json(
            {
                "shoot": report.shoot_id,
                "added": report.added,
                "duplicates": report.duplicates,
                "errors": [{"path": e.path, "error": e.reason} for e in report.errors],
                "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                "cancelled": report.cancelled,
                "stopped": report.stopped,
                "unshared": [{"path": u.path, "reason": u.reason} for u in report.unshared],
            }
        )
    else:
        print(file=sys.stderr)
        for problem in report.errors:
            print(f"error {problem.path}: {problem.reason}", file=sys.stderr)
        reasons = Counter(s.reason for s in report.skipped)
        for reason, count in reasons.most_common():
            example = next(s.path for s in report.skipped if s.reason == reason)
            more = f" (and {count - 1} more)" if count > 1 else ""
            print(f"skipped {example}{more}: {reason}", file=sys.stderr)
        print(
            f"{len(report.added)} added, {len(report.duplicates)} already in the catalogue, "
            f"{len(report.errors)} could not be read, {len(report.skipped)} skipped"
        )
        for unshared in report.unshared:
            print(f"warning {unshared.path}: {unshared.reason}", file=sys.stderr)
        if report.stopped:
            print(f"consentdesk: {report.stopped}", file=sys.stderr)
    folder_problems = any(s.is_problem for s in report.skipped)
    return ExitCode.PROBLEMS if report.errors or folder_problems or report.stopped else ExitCode.OK


def cmd_images(args: argparse.Namespace) -> int:
    """Streams the list a page at a time: the first lines print at once however many photos there are."""
    from consentdesk.core.review import workflow

    today = date.today()
    with open_catalogue(args) as catalogue:

        def fetch(offset: int, count: int) -> list:
            page = catalogue.list_images(args.shoot, limit=count, offset=offset)
            return workflow.image_rows(catalogue, page, today)

        stream(
            rows(pages(fetch, args.limit)),
            as_json=args.json,
            to_json=_image_json,
            to_line=_image_line,
            empty="No photos imported yet. Use `consentdesk import FOLDER`.",
        )
    return ExitCode.OK


def _image_json(r) -> dict:  # noqa: ANN001 - a workflow.ImageRow
    return {
        "id": r.image.id,
        "badge": r.badge.value,
        "badge_words": r.badge.words,
        "path": r.image.path,
        "shoot": r.image.shoot_id,
        "width": r.image.width,
        "height": r.image.height,
        "faces": r.faces,
        "findings": list(r.confidential),
    }


def _image_line(r) -> str:  # noqa: ANN001 - a workflow.ImageRow
    items = ", ".join(r.confidential) or "no confidential items"
    return f"{r.image.id:>6}  {r.badge.words:<17}  {r.faces} face(s); {items}  {r.image.path}"
