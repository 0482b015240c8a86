"""`consentdesk recheck`: analyse photos again with the current analyser, keeping decisions that still apply."""

from __future__ import annotations

import argparse
import sys

from consentdesk.cli.common import ExitCode, UserError, open_catalogue, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recheck",
        help="check photos again with the current analyser (decisions that still apply are kept)",
        description="Analyse photos already in the catalogue again. Review decisions carry over where they "
        "still apply (the same face by place, the same finding by kind and place); new faces and findings "
        "need a decision, and what changed is listed.",
    )
    p.add_argument("images", nargs="*", metavar="IMAGE", help="image id, or the path it was imported from")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every photo in the catalogue")
    which.add_argument("--outdated", action="store_true", help="photos checked by an older analyser version")
    p.add_argument("--json", action="store_true", help="print what changed as JSON")
    p.set_defaults(func=cmd_recheck)


def _resolve(catalogue, given: list[str]) -> list[int]:
    by_path = {img.path: img.id for img in catalogue.list_images()}
    ids = []
    for g in given:
        if g.isdigit():
            try:
                ids.append(catalogue.get_image(int(g)).id)
                continue
            except KeyError:
                pass
        from pathlib import Path

        found = by_path.get(g) or by_path.get(str(Path(g).expanduser().resolve()))
        if found is None:
            raise UserError(
                f"no photo {g!r} in the catalogue: give an id from `consentdesk images` or a path"
            )
        ids.append(found)
    return ids


def cmd_recheck(args: argparse.Namespace) -> int:
    from consentdesk.core.review.recheck import images_to_recheck, recheck_image

    if bool(args.images) == bool(args.all or args.outdated):
        raise UserError("name the photos to re-check, or use --all or --outdated (not both)")
    results = []
    with open_catalogue(args, create=False) as catalogue:
        images = images_to_recheck(
            catalogue, _resolve(catalogue, args.images), all_images=args.all, outdated=args.outdated
        )
        for n, image in enumerate(images, start=1):
            if not args.json and sys.stderr.isatty():
                print(f"\r{n}/{len(images)} re-checking   ", end="", file=sys.stderr, flush=True)
            results.append(recheck_image(catalogue, image.id))
    if args.json:
        print_json(
            [
                {
                    "id": r.image_id,
                    "path": r.path,
                    "error": r.error,
                    "analyser": {"before": r.old_version, "now": r.new_version},
                    "kept": {"faces": len(r.carried.faces), "findings": len(r.carried.findings)},
                    "new": {
                        "faces": [f.n for f in r.carried.new_faces],
                        "findings": [{"n": f.n, "kind": str(f.kind)} for f in r.carried.new_findings],
                    },
                    "gone": {
                        "faces": [f.n for f in r.carried.gone_faces],
                        "findings": [{"n": f.n, "kind": str(f.kind)} for f in r.carried.gone_findings],
                    },
                }
                for r in results
            ]
        )
    else:
        if not args.json and sys.stderr.isatty():
            print(file=sys.stderr)
        if not results:
            print("Nothing to re-check: every photo was checked by the current analyser.")
        for r in results:
            print("\n".join(r.lines()))
    return ExitCode.PROBLEMS if any(r.error for r in results) else ExitCode.OK
