"""Take the documentation screenshots: docs/main-window.png, docs/new-release-dialog.png and
docs/timeline.png (a clip in review: its frame with the tracks' boxes, and the timeline's lanes).

Runs the real app under Xvfb on the xcb platform (the path users run) with a demo catalogue made from
forms/examples/ plus a few variants, and a generated clip (tests/data/clip_builder.py) imported through
the real analyser. Usage: .venv/bin/python scripts/screenshots.py
(CONSENTDESK_SHOTS_ONLY=timeline takes the timeline alone.)
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shots import open_main_window, run  # scripts/ is on sys.path when run

if TYPE_CHECKING:
    from consentdesk.core.store import Catalogue
    from consentdesk.ui.releases.register_page import RegisterPage
    from consentdesk.ui.releases.release_dialog import ReleaseDialog
    from consentdesk.ui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "forms" / "examples"

VARIANTS = [
    # (name, role, location, photographer, duration, days ago signed, withdraw reason)
    ("Priya Natarajan", "staff", "Birmingham Donor Centre", "Sam Okafor", "2y", 3, None),
    ("Tomás García", "volunteer", "Bristol Donor Centre", "Alex Morgan", "1y", 350, None),
    ("Grace Adebayo", "donor", "Manchester Donor Centre", "Alex Morgan", "1y", 400, None),
    ("Oliver Bennett", "patient", "Leeds Donor Centre", "Sam Okafor", "until_withdrawn", 60, None),
    ("Hannah Lewis", "donor", "Birmingham Donor Centre", "Jo Patel", "5y", 20, "Asked by email to withdraw"),
    ("Wei Zhang", "staff", "Newcastle Donor Centre", "Jo Patel", "2y", 9, None),
]


def demo_catalogue(folder: Path) -> Path:
    from consentdesk.cli import main as cli
    from consentdesk.core.consent.releases import parse_consent_json, record_consent
    from consentdesk.core.store import Catalogue

    path = folder / "demo-register.sqlite"
    for example in ("adult.json", "minor.json"):
        assert cli(["--catalog", str(path), "consent", "add", "--json", str(EXAMPLES / example)]) == 0
    base = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    with Catalogue.open(path) as catalogue:
        for name, role, location, photographer, duration, days_ago, withdrawn in VARIANTS:
            doc = dict(base)
            answers = dict(base["answers"], full_name=name, role=role, location=location)
            answers.update(photographer=photographer, duration=duration)
            answers.pop("email", None)
            answers.pop("notes", None)
            signed = datetime.now().astimezone() - timedelta(days=days_ago)
            answers["session_date"] = signed.date().isoformat()
            doc["answers"] = answers
            parsed = parse_consent_json(json.dumps(doc), EXAMPLES)
            consent = record_consent(
                catalogue, parsed.form, parsed.submission, source="screen", signed_at=signed
            )
            if withdrawn:
                catalogue.withdraw_consent(consent.id, signed.date() + timedelta(days=10), withdrawn)
    return path


def _shoot_main_window(window: MainWindow) -> RegisterPage:
    """docs/main-window.png: the register with its second release selected; returns the register page."""
    from PySide6.QtTest import QTest

    register = window.pages[0]  # the register loads its rows in a worker once shown
    for _ in range(200):
        if register.is_loaded():
            break
        QTest.qWait(50)
    register.select_id(register.model.consents[1].id)
    QTest.qWait(300)
    DOCS.mkdir(exist_ok=True)
    window.grab().save(str(DOCS / "main-window.png"))
    return register


def _shoot_release_dialog(catalogue: Catalogue, window: MainWindow) -> ReleaseDialog:
    """docs/new-release-dialog.png: a new release with a few answers typed in; returns the open dialog."""
    from PySide6.QtTest import QTest

    from consentdesk.ui.releases.release_dialog import ReleaseDialog

    dialog = ReleaseDialog(catalogue, parent=window)
    dialog.resize(860, 960)
    dialog.show()
    QTest.qWaitForWindowExposed(dialog)
    w = dialog.widgets
    QTest.keyClicks(w["full_name"].edit, "Amara Okonkwo")
    w["role"].set_choice("donor")
    w["age_band"].set_choice("26_40")
    QTest.keyClicks(w["email"].edit, "amara.okonkwo@example.org")
    w["uses"].boxes["social_media"].setChecked(True)
    w["channels"].boxes["instagram"].setChecked(True)
    w["channels"].boxes["facebook"].setChecked(True)
    QTest.qWait(200)
    dialog.grab().save(str(DOCS / "new-release-dialog.png"))
    return dialog


def _shoot_dialog_errors(dialog: ReleaseDialog, folder: Path) -> None:
    """A second view further down (not committed): wording, signature and errors, for review."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    canvas = dialog.widgets["signature"].pad.canvas
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(60, 90))
    for x in range(60, 300, 12):
        QTest.mouseMove(canvas, QPoint(x, 90 - (x % 48)))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 80))
    dialog.save()  # checked and refused in a worker
    while dialog.busy:
        QTest.qWait(20)
    QTest.qWait(200)
    dialog.grab().save(str(folder / "dialog-errors.png"))
    dialog.scroll.verticalScrollBar().setValue(dialog.scroll.verticalScrollBar().maximum())
    QTest.qWait(200)
    dialog.grab().save(str(folder / "dialog-bottom.png"))


def _shoot_record_view(
    catalogue: Catalogue, register: RegisterPage, window: MainWindow, folder: Path
) -> None:
    """A withdrawn release's record (not committed), for review."""
    from PySide6.QtTest import QTest

    from consentdesk.ui.releases.record_dialog import RecordDialog

    withdrawn = next(c for c in register.model.consents if c.withdrawal_reason)
    view = RecordDialog(catalogue, withdrawn, window)
    view.show()
    QTest.qWaitForWindowExposed(view)
    while not view.is_loaded():  # its signature is read in a worker
        QTest.qWait(20)
    QTest.qWait(100)
    view.grab().save(str(folder / "record-view.png"))
    view.done(0)


def demo_clip(catalogue: Catalogue, folder: Path) -> int:
    """A donor-day clip imported through the real analyser, half reviewed: person 1 linked to a release,
    person 2 blurred, person 3 and most findings still to decide."""
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.data.clip_builder import ClipSpec, write_clip

    from consentdesk.core.photos import importer
    from consentdesk.core.review import workflow
    from consentdesk.core.values import FaceState, FindingState

    shoot = folder / "donor-day-clips"
    shoot.mkdir()
    write_clip(shoot / "donor-day-reel.mp4", ClipSpec(seconds=6.0, size=(960, 540), audio=True))
    image_id = importer.import_paths(catalogue, [str(shoot)], workers=1).added[0]
    consent = next(c for c in catalogue.list_consents() if c.full_name == "Priya Natarajan")
    workflow.link_face(catalogue, image_id, 1, consent.id)
    workflow.set_face(catalogue, image_id, 2, FaceState.BLUR)
    workflow.set_finding(catalogue, image_id, 1, FindingState.REDACT)
    return image_id


def _shoot_timeline(catalogue: Catalogue, window: MainWindow, folder: Path) -> None:
    """docs/timeline.png: the clip in review, person 2's lane chosen and stepped to a sighting."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    image_id = demo_clip(catalogue, folder)
    window.resize(1440, 960)
    window.open_review(image_id, [image_id])
    clip = window.review_view.clip_review
    for _ in range(400):
        if clip.clip is not None and clip.frame_t is not None:
            break
        QTest.qWait(50)
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Right):
        QTest.keyClick(clip.timeline, key)
        QTest.qWait(150)
    target = clip.t
    for _ in range(200):
        if clip.frame_t == target:
            break
        QTest.qWait(50)
    QTest.qWait(300)
    DOCS.mkdir(exist_ok=True)
    window.grab().save(str(DOCS / "timeline.png"))
    window.close_review()


def take(folder: Path) -> None:
    app, catalogue, window = open_main_window(demo_catalogue(folder), (1200, 700))  # app: kept alive
    if os.environ.get("CONSENTDESK_SHOTS_ONLY") == "timeline":
        _shoot_timeline(catalogue, window, folder)
        window.close()
        catalogue.close()
        print(f"wrote {DOCS / 'timeline.png'}")
        return
    register = _shoot_main_window(window)
    dialog = _shoot_release_dialog(catalogue, window)
    _shoot_dialog_errors(dialog, folder)
    _shoot_record_view(catalogue, register, window, folder)
    keep = os.environ.get("CONSENTDESK_SHOTS_KEEP")
    if keep:
        for name in ("dialog-errors.png", "dialog-bottom.png", "record-view.png"):
            shutil.copy(folder / name, Path(keep) / name)
    dialog.done(0)  # not close(): that would ask whether to discard the typed answers
    _shoot_timeline(catalogue, window, folder)
    window.close()
    catalogue.close()
    print(f"wrote {DOCS / 'main-window.png'}, {DOCS / 'new-release-dialog.png'} and {DOCS / 'timeline.png'}")


def main() -> int:
    return run(__file__, take, "1440x1000x24")


if __name__ == "__main__":
    raise SystemExit(main())
