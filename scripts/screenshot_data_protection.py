"""Screenshots of the data-protection screens: docs/expiry.png and docs/takedown.png.

Runs the real main window under Xvfb on the xcb platform with a demo catalogue: people signed at different
times (some ending soon), a generated group photo linked to one of them, approved and exported, and then
that person's consent withdrawn. Usage: .venv/bin/python scripts/screenshot_data_protection.py
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import DOCS  # noqa: E402
from shots import open_main_window, run  # noqa: E402

PEOPLE = [
    # name, days ago signed, duration
    ("Tomás García", 358, "1y"),
    ("Priya Natarajan", 349, "1y"),
    ("Wei Zhang", 341, "1y"),
    ("Grace Adebayo", 320, "1y"),
    ("Oliver Bennett", 400, "1y"),  # already expired
]


def demo(folder: Path) -> tuple[Path, object]:
    from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face, write_group_photo

    from consentdesk.core.protection.withdrawal import withdraw
    from consentdesk.core.store import Catalogue

    path = folder / "demo-register.sqlite"
    with Catalogue.open(path) as cat:
        people = {name: add_person(cat, name, signed_days_ago=d, duration=dur) for name, d, dur in PEOPLE}
        hannah = add_person(cat, "Hannah Lewis", signed_days_ago=40)
        photo, faces = write_group_photo(folder / "Shoots" / "Manchester 2026-11")
        image_id = add_photo(cat, photo, faces)
        decide_face(cat, image_id, faces[0], "linked", hannah.id)
        decide_face(cat, image_id, faces[1], "linked", people["Oliver Bennett"].id)
        approve(
            cat,
            image_id,
            "AP-7K2Q",
            ["instagram", "facebook"],
            str(folder / "Exports" / "group-approved-instagram.jpg"),
            [hannah.id],
        )
        takedown = withdraw(cat, hannah.id, "Emailed the Social Media Team asking to withdraw", date.today())
    return path, takedown


def take(folder: Path) -> None:
    path, takedown = demo(folder)
    app, catalogue, window = open_main_window(path, (1200, 720))  # app: kept alive
    from PySide6.QtTest import QTest

    from consentdesk.ui.expiry.expiry_page import ExpiryPage
    from consentdesk.ui.releases.takedown_dialog import TakedownDialog

    page = next(p for p in window.pages if isinstance(p, ExpiryPage))
    window.nav.setCurrentRow(window.pages.index(page))
    for _ in range(100):  # the page reads its rows in a worker: wait until they are on screen
        QTest.qWait(100)
        if page.is_loaded():
            break
    QTest.qWait(1500)  # the "Linked photos" counts are filled in a few rows at a time
    DOCS.mkdir(exist_ok=True)
    window.grab().save(str(DOCS / "expiry.png"))

    dialog = TakedownDialog(takedown, window)
    dialog.show()
    QTest.qWaitForWindowExposed(dialog)
    QTest.qWait(200)
    dialog.grab().save(str(DOCS / "takedown.png"))
    dialog.done(0)
    window.close()
    catalogue.close()
    print(f"wrote {DOCS / 'expiry.png'} and {DOCS / 'takedown.png'}")


def main() -> int:
    return run(__file__, take)


if __name__ == "__main__":
    raise SystemExit(main())
