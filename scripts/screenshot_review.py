"""Take docs/review.png: the review view mid-review (two faces linked, one undecided, an NHS number found).

Runs the real app under Xvfb on the xcb platform with a demo photo built by the acceptance test's builder
(three people and a patient label) imported through the real analyser. The picker and the approve dialog
are also captured into CONSENTDESK_SHOTS_KEEP (if set) for checking, not committed.
Usage: .venv/bin/python scripts/screenshot_review.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from shots import open_main_window  # scripts/ is on sys.path when run
from xvfb import rerun_under_xvfb

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "forms" / "examples"
PEOPLE = [
    ("Siân O'Brien-Ærø", "Leeds Donor Centre"),
    ("Kwame Mensah", "Leeds Donor Centre"),
    ("Priya Natarajan", "Leeds Donor Centre"),
]


def under_xvfb() -> int:
    return rerun_under_xvfb(__file__, "1600x1000x24")


def demo(folder: Path) -> tuple[Path, int, list[str]]:
    sys.path.insert(0, str(ROOT))
    from tests.cli.test_verify_workflow import build_photo

    from consentdesk.cli import main as cli
    from consentdesk.core.photos import importer
    from consentdesk.core.review import workflow
    from consentdesk.core.store import Catalogue

    shoot = folder / "leeds-donor-day"
    shoot.mkdir()
    build_photo(shoot / "donor-day-0412.jpg")
    path = folder / "demo.sqlite"
    for i, (name, location) in enumerate(PEOPLE):
        data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
        data["answers"] |= {"full_name": name, "location": location, "session_date": date.today().isoformat()}
        data["files"] = {k: str(EXAMPLES / v) for k, v in data["files"].items()}
        source = folder / f"{i}.json"
        source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        assert cli(["--catalog", str(path), "consent", "add", "--json", str(source)]) == 0
    with Catalogue.open(path) as catalogue:
        by_name = {c.full_name: c.id for c in catalogue.list_consents()}
        ids = [by_name[name] for name, _ in PEOPLE]
        image_id = importer.import_paths(catalogue, [str(shoot)], workers=1).added[0]
        workflow.link_face(catalogue, image_id, 1, ids[0])
        workflow.link_face(catalogue, image_id, 2, ids[1])
    return path, image_id, ids


def take(folder: Path) -> None:
    path, image_id, _ids = demo(folder)
    app, catalogue, window = open_main_window(path, (1440, 900))  # app: kept alive
    from PySide6.QtTest import QTest

    window.open_review(image_id)
    view = window.review_view
    deadline = time.monotonic() + 20
    while view.preview.isNull() and time.monotonic() < deadline:
        QTest.qWait(50)
    view.next_item()  # face 3, the one still needing a decision
    QTest.qWait(300)
    DOCS.mkdir(exist_ok=True)
    window.grab().save(str(DOCS / "review.png"))

    keep = os.environ.get("CONSENTDESK_SHOTS_KEEP")
    if keep:
        view.link()
        from consentdesk.ui.kit.workers import idle

        while not (view.dialog.is_loaded() and idle()) and time.monotonic() < deadline + 20:
            QTest.qWait(20)  # the suggestions, then the reference photo of the first
        QTest.qWait(200)
        view.dialog.grab().save(str(Path(keep) / "review-picker.png"))
        view.dialog.reject()
        QTest.qWait(100)
        view.approve()
        QTest.qWait(400)
        view.dialog.grab().save(str(Path(keep) / "review-approve.png"))
        view.dialog.reject()
        window.close_review()
        next(a for p in window.pages for a in p.page_actions() if a.text() == "To verify").trigger()
        QTest.qWait(300)
        window.grab().save(str(Path(keep) / "review-queue.png"))
    window.close()
    catalogue.close()
    print(f"wrote {DOCS / 'review.png'}")


def main() -> int:
    if not os.environ.get("CONSENTDESK_SHOTS_INNER"):
        return under_xvfb()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CONSENTDESK_HOME"] = tmp
        take(Path(tmp))
        shutil.rmtree(Path(tmp) / "leeds-donor-day", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
