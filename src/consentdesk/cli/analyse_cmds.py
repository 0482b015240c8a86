"""`consentdesk analyse PATH... [--json]`: check images or folders without importing them.

Why it is careful about what it opens: a folder may hold thousands of non-images, so files are
filtered by extension and magic bytes before anything is decoded, and the vision stack (OpenCV,
onnxruntime) is only imported once there is an image to check, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from consentdesk.cli.common import ExitCode, UserError
from consentdesk.core.values import FindingKind


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "analyse",
        aliases=["analyze"],
        help="check images for faces and confidential items (nothing is imported)",
        description="Check image files or folders (recursively) for faces, personal data, codes, "
        "screens and documents. Nothing is imported into the catalogue.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    p.add_argument("--json", action="store_true", help="print one JSON object per image (JSON Lines)")
    p.set_defaults(func=run)


def summary_line(data: dict) -> str:
    """'IMG_1.jpg: 3 faces; 2 confidential items: NHS number, barcode'."""
    from consentdesk.core.review.policy import kind_words

    name = Path(data["path"]).name
    if data.get("error"):
        return f"{name}: ERROR - {data['error']}"
    n_faces = len(data["faces"])
    faces = f"{n_faces} face{'s' if n_faces != 1 else ''}"
    items = [f for f in data["findings"] if f["severity"] != "low"]
    if not items:
        return f"{name}: {faces}; no confidential items"
    counts = Counter(kind_words(FindingKind(f["kind"])) for f in items)
    kinds = ", ".join(f"{label}" + (f" x{n}" if n > 1 else "") for label, n in counts.items())
    return f"{name}: {faces}; {len(items)} confidential item{'s' if len(items) != 1 else ''}: {kinds}"


def _report_skipped(skipped: list, limit: int = 20) -> int:
    """Print why files were passed over: folder problems and photos that cannot be read always (as
    errors, the way `import` reports them), other files up to `limit`. Returns the number of errors."""
    errors = [s for s in skipped if s.is_problem or s.is_unreadable_photo]
    others = [s for s in skipped if s not in errors]
    for s in errors:
        print(f"{'error' if s.is_unreadable_photo else 'skipped'} {s.path}: {s.reason}", file=sys.stderr)
    for s in others[:limit]:
        print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    if len(others) > limit:
        print(f"... and {len(others) - limit} more non-image files skipped", file=sys.stderr)
    return len(errors)


def run(args: argparse.Namespace) -> int:
    from consentdesk.core.media.discovery import Skipped, find_images  # Pillow and numpy: only when used
    from consentdesk.core.media.kinds import is_clip_path

    skipped: list[Skipped] = []
    analyser = None
    n_ok = n_err = 0
    for path in find_images(args.paths, skipped):
        if analyser is None:
            from consentdesk.core.vision.analyse import Analyser  # heavy: only when there is work

            analyser = Analyser()
        if is_clip_path(path):
            from consentdesk.core.vision.clip_analysis import ClipAnalyser

            result = ClipAnalyser(analyser=analyser).analyse(path).to_json()
        else:
            result = analyser.analyse_path(path).to_json()
        if result["error"]:
            n_err += 1
        else:
            n_ok += 1
        if args.json:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(summary_line(result) + "\n")
        sys.stdout.flush()
    n_err += _report_skipped(skipped)
    if n_ok == 0 and n_err == 0 and not skipped:
        raise UserError("no images found")
    passed_over = sum(not s.is_unreadable_photo for s in skipped)
    print(f"{n_ok} image(s) analysed, {n_err} error(s), {passed_over} skipped", file=sys.stderr)
    return ExitCode.PROBLEMS if n_err else ExitCode.OK
