"""The Library's re-check action and its "older check" marker, on a real catalogue and the real analyser."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QMessageBox
from skimage import data

from consentdesk.core.photos.importer import import_paths
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Analysis, Face, FaceState
from consentdesk.core.vision.analyse import ANALYSER_VERSION
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.library.library_page import LibraryPage


@pytest.fixture(autouse=True)
def _drain(qtbot):
    yield
    wait_for_all(60_000)
    QApplication.processEvents()
    QThreadPool.globalInstance().waitForDone(10_000)
    QApplication.processEvents()


@pytest.fixture
def outdated_catalogue(tmp_path: Path):
    """One photo whose current analysis came from an older analyser, with its face decided."""
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    Image.fromarray(data.astronaut()).resize((1600, 1600)).save(shoot / "portrait.jpg", quality=92)
    catalogue = Catalogue.open(str(tmp_path / "cat.sqlite"))
    (image_id,) = import_paths(catalogue, [str(shoot)], workers=1).added
    current = catalogue.current_analysis(image_id)
    catalogue.save_analysis(
        image_id,
        Analysis(
            path="",
            width=1600,
            height=1600,
            faces=tuple(Face(f.box, f.score) for f in current.faces),
            analyser_version="consentdesk-vision 0.9",
        ),
    )
    for face in catalogue.review_state(image_id).faces:
        catalogue.add_face_decision(image_id, face, FaceState.BLUR, None)
    yield catalogue, image_id
    catalogue.close()


def test_older_check_is_marked_and_recheck_keeps_the_decision(qtbot, outdated_catalogue, monkeypatch):
    catalogue, image_id = outdated_catalogue
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "exec", lambda box: shown.append(box.text() + box.informativeText()) or 0
    )
    library = LibraryPage(catalogue)
    qtbot.addWidget(library)
    library.resize(1200, 800)
    library.show()
    library.page_shown()  # what the main window does when the page is opened
    qtbot.waitUntil(lambda: len(library.model.rows) == 1, timeout=20_000)
    row = library.model.rows[0]
    assert row.outdated and "older check" in row.badge_text  # a word, not a colour
    assert library.select_image(image_id)
    qtbot.waitUntil(lambda: library.recheck_button.isEnabled(), timeout=20_000)
    assert "older analyser" in library.preview_summary.text()
    assert library.recheck_button.accessibleName()

    library.recheck_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    assert "re-checked" in shown[0] and "1 face" in shown[0]
    qtbot.waitUntil(lambda: library.model.rows and not library.model.rows[0].outdated, timeout=20_000)
    assert catalogue.current_analysis(image_id).analyser_version == ANALYSER_VERSION
    assert [f.state for f in catalogue.review_state(image_id).faces] == [FaceState.BLUR]
