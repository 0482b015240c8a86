"""Clips in the Library: imported beside photos with progress and cancel, a damaged clip said plainly while
the batch goes on, and each clip's card with a frame as its thumbnail, "Clip · 0:02" in words and its badge.

Builder clips (people walking, a cut, a patient label) through the real importer and analyser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit
from tests.data.clip_builder import ClipSpec, truncate, write_clip
from tests.ui.library.test_library_page import (  # noqa: F401 - _drain is autouse: workers end before teardown
    _drain,
    cancel_import,
)

from consentdesk.core.media import imaging
from consentdesk.core.photos import cache
from consentdesk.core.review import workflow
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.library.library_rows import preview_for
from consentdesk.ui.library.thumbnail_model import IMAGE_ID_ROLE


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory) -> Path:
    """A clip, a photo and a clip cut off half way, in one shoot folder."""
    folder = tmp_path_factory.mktemp("clips") / "Donor day clips"
    folder.mkdir()
    write_clip(folder / "reel.mp4", ClipSpec(seconds=2.0))
    write_clip(folder / ".whole.mp4", ClipSpec(seconds=4.0, seed=5))
    truncate(folder / ".whole.mp4", folder / "broken.mp4", keep=0.5)
    (folder / ".whole.mp4").unlink()
    Image.new("RGB", (640, 480), (120, 160, 200)).save(folder / "poster.jpg", "JPEG")
    return folder


def library_on(qtbot, catalogue) -> LibraryPage:
    library = LibraryPage(catalogue)
    qtbot.addWidget(library)
    library.import_workers = 1  # in this process: no worker processes to start in a test
    library.resize(1400, 900)
    library.show()
    qtbot.waitExposed(library)
    return library


def test_a_folder_with_clips_imports_beside_photos_and_a_damaged_clip_is_said(qtbot, catalogue, clip_folder):
    library = library_on(qtbot, catalogue)
    with qtbot.waitSignal(library.import_finished, timeout=120_000) as finished:
        assert library.import_paths([str(clip_folder)])
        qtbot.waitUntil(lambda: "of 3 checked" in library.import_panel.status.text(), timeout=60_000)
    report = finished.args[0]
    assert sorted(Path(p).name for p in [catalogue.get_image(i).path for i in report.added]) == [
        "poster.jpg",
        "reel.mp4",
    ]
    status = library.import_panel.status.text()
    assert status.startswith("2 added") and "1 could not be read" in status
    dialog = library.import_panel.show_details()
    details = dialog.findChild(QPlainTextEdit).toPlainText()
    assert "broken.mp4" in details and "cut short or damaged" in details  # what happened, what to do
    assert "copy the clip" in details
    dialog.close()

    qtbot.waitUntil(lambda: len(library.model.rows) == 2, timeout=20_000)
    clip_row = next(r for r in library.model.rows if r.name == "reel.mp4")
    photo_row = next(r for r in library.model.rows if r.name == "poster.jpg")
    assert clip_row.clip_words == "Clip · 0:02" and photo_row.clip_words == ""
    status = workflow.status(catalogue, clip_row.image_id)
    assert clip_row.faces == len(status.state.faces) >= 2
    assert clip_row.badge_text.startswith(f"{clip_row.faces} people · ")  # tracks are people
    assert clip_row.state == "attention"
    assert not clip_row.outdated and "older analyser" not in clip_row.summary  # checked by today's clip analyser
    assert photo_row.clip_words == "" and not photo_row.outdated
    index = next(
        library.model.index(i) for i in range(library.model.rowCount()) if library.model.index(i).data(IMAGE_ID_ROLE) == clip_row.image_id
    )
    assert "Clip · 0:02" in index.data(Qt.ItemDataRole.AccessibleTextRole)

    # the card's thumbnail is a frame of the clip, made in a worker and cached by content like a photo's
    qtbot.waitUntil(lambda: library.model.has_thumbnail(clip_row.image_id), timeout=30_000)
    made = imaging.thumbnail_path(cache.thumbnail_folder(), clip_row.image.sha256, 256)
    assert made.is_file()
    with Image.open(made) as thumb:
        assert max(thumb.size) == 256 and thumb.size[0] > thumb.size[1]  # the landscape clip's frame
    assert library.model.thumbnail_error(clip_row.image_id) is None
    assert library.select_image(clip_row.image_id)
    qtbot.waitUntil(lambda: library.review_button.text() == "Review this clip", timeout=10_000)
    library.roles_changed({"photographer"})  # who may only look is offered to look at the clip
    assert library.review_button.text() == "Look at this clip"
    library.roles_changed({"reviewer"})
    assert library.review_button.text() == "Review this clip"
    assert library.select_image(photo_row.image_id)
    qtbot.waitUntil(lambda: library.review_button.text() == "Review this photo", timeout=10_000)

    preview = preview_for(catalogue.locator, clip_row.image_id, 480)  # the pane beside the grid
    assert preview.load_error is None and preview.rgb.shape[:2] == (270, 480)
    assert preview.boxes == ()  # a track's box belongs to an instant: shown in review, not on one frame


def test_an_import_of_clips_can_be_cancelled(qtbot, catalogue, tmp_path):
    folder = tmp_path / "many clips"
    folder.mkdir()
    for i in range(4):
        write_clip(folder / f"clip-{i}.mp4", ClipSpec(seconds=1.5, seed=10 + i))
    library = library_on(qtbot, catalogue)
    report = cancel_import(qtbot, library, folder, 4, after=1, timeout=(120_000, 60_000))
    assert len(catalogue.list_images()) == len(report.added)


def test_back_from_the_review_the_focus_lands_in_the_librarys_grid(qtbot, catalogue):
    """Back from the review (Esc) the arrows must move in the grid at once, with its focus ring, not sit
    on the page where no key does anything."""
    library = library_on(qtbot, catalogue)
    library.focus_after_review()
    assert library.focusWidget() is library.grid  # the window's focus child (active or not)
    assert library.grid.accessibleName() == "Photos and clips"
