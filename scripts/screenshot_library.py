"""Take docs/library.png: the Library page with a few imported generated photos, one selected.

Runs the real app under Xvfb on the xcb platform with a demo catalogue: generated photos (tests/data
builders) imported by the core, one cleared (faces blurred, items redacted), one rejected, the rest still
needing attention. Usage: .venv/bin/python scripts/screenshot_library.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from xvfb import rerun_under_xvfb  # noqa: E402  (scripts/ is on sys.path when run)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))

SIZES = [(3000, 2000), (2400, 1600), (3000, 2000), (2400, 1600), (3000, 2000), (2400, 1600), (3000, 2000)]


def under_xvfb() -> int:
    return rerun_under_xvfb(__file__, "1600x1000x24")


def demo_catalogue(folder: Path) -> tuple[Path, int]:
    """Import generated photos; returns the catalogue path and the id of the photo to select."""
    from tests.data.builders import build_image

    from consentdesk.core.photos.importer import import_paths
    from consentdesk.core.review import workflow
    from consentdesk.core.store import Catalogue
    from consentdesk.core.values import FaceState, FindingState

    shoot = folder / "Leeds donor centre 2026-05-14"
    shoot.mkdir()
    for i, size in enumerate(SIZES):
        scene, _ = build_image(i, size, seed=3)
        scene.save(shoot / f"IMG_{4210 + i}.jpg", "JPEG", quality=90)
    path = folder / "demo-library.sqlite"
    with Catalogue.open(path) as catalogue:
        report = import_paths(catalogue, [str(shoot)], workers=2)
        ids = sorted(report.added)
        cleared, rejected = ids[3], ids[4]
        state = workflow.image_state(catalogue, cleared)
        for face in state.faces:
            workflow.set_face(catalogue, cleared, face.n, FaceState.BLUR)
        for finding in state.findings:
            workflow.set_finding(catalogue, cleared, finding.n, FindingState.REDACT)
        workflow.reject(catalogue, rejected, "Donor's child in the background")
        # the photo to show: the one with the most findings, so the overlays say the most
        selected = max(ids[:3], key=lambda i: len(catalogue.current_analysis(i).findings))
    return path, selected


def inner() -> int:
    from consentdesk.qt_env import prepare_qt_environment

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CONSENTDESK_HOME"] = str(Path(tmp) / "home")
        catalogue_path, selected = demo_catalogue(Path(tmp))
        prepare_qt_environment()
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication

        from consentdesk.core.store import Catalogue
        from consentdesk.ui.kit.style import apply_style
        from consentdesk.ui.shell.main_window import MainWindow

        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([sys.argv[0]])
        apply_style(app)
        catalogue = Catalogue.open(catalogue_path)
        window = MainWindow(catalogue)
        window.resize(1440, 900)
        window.show()
        from consentdesk.ui.library.library_page import LibraryPage

        library = window.page(LibraryPage)
        window.show_page(library)
        steps = {"n": 0}

        def wait_then_shoot() -> None:
            steps["n"] += 1
            rows = library.model.rows
            thumbs = rows and all(library.model.has_thumbnail(r.image_id) for r in rows)
            if len(rows) and library.selected_image_id() is None:
                library.select_image(selected)
            ready = thumbs and library.canvas.overlays and steps["n"] > 10
            if ready or steps["n"] > 200:
                DOCS.mkdir(exist_ok=True)
                window.grab().save(str(DOCS / "library.png"))
                print(f"wrote {DOCS / 'library.png'}")
                app.quit()
                return
            QTimer.singleShot(100, wait_then_shoot)

        QTimer.singleShot(300, wait_then_shoot)
        app.exec()
        window.close()
        catalogue.close()
    return 0


if __name__ == "__main__":
    sys.exit(inner() if os.environ.get("CONSENTDESK_SHOTS_INNER") else under_xvfb())
