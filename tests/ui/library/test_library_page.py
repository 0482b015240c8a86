"""The Library page: background import (menu, drop, cancel, close while importing), the grid's badges,
the filters, and the preview's overlays — on a real catalogue with generated photos and the real analyser."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPlainTextEdit
from tests.data.builders import build_test_set

from consentdesk.core.media import imaging
from consentdesk.core.photos.importer import CheckedFile, import_paths
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Analysis, FaceState, FindingState
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.shell.main_window import MainWindow


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory) -> Path:
    """Three generated 12 MP photos with faces and planted personal data, and a text file named .jpg."""
    folder = tmp_path_factory.mktemp("shoot") / "Donor day"
    build_test_set(folder, 3, seed=1, large_every=0)
    (folder / "truth.jsonl").unlink()
    (folder / "notes.jpg").write_text("not a photo at all", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory, photo_folder) -> Path:
    """A catalogue with the three photos imported by the core (in-process, real analyser), copied per test."""
    path = tmp_path_factory.mktemp("imported") / "library.sqlite"
    with Catalogue.open(path) as catalogue:
        report = import_paths(catalogue, [str(photo_folder)], workers=1)
        assert len(report.added) == 3
    return path


@pytest.fixture
def imported_catalogue(imported, tmp_path):
    path = tmp_path / "library.sqlite"
    shutil.copy(imported, path)
    catalogue = Catalogue.open(path)
    yield catalogue
    catalogue.close()


@pytest.fixture(autouse=True)
def _drain(qtbot):
    """Let background tasks finish and deliver their results before widgets are torn down."""
    yield
    wait_for_all(60_000)
    QApplication.processEvents()
    QThreadPool.globalInstance().waitForDone(10_000)
    QApplication.processEvents()


def small_photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"small_{i:02d}.jpg"
        Image.new("RGB", (64, 48), (i * 9 % 256, 80, 160)).save(p, "JPEG")
        out.append(p)
    return out


def slow_checker(path: str) -> CheckedFile:
    """A stand-in analyser: real file facts, no faces, a fixed delay (runs in the import thread)."""
    time.sleep(0.15)
    info = imaging.read_info(path)
    return CheckedFile(path, info, Analysis(path=path, width=info.width, height=info.height))


def fake_import(catalogue, paths, **kwargs):
    kwargs["workers"] = 1
    return import_paths(catalogue, paths, checker=slow_checker, **kwargs)


def wait_rows(qtbot, library: LibraryPage, n: int, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: len(library.model.rows) == n, timeout=timeout)


# --- import through the menu ---------------------------------------------------------------------------


def cancel_import(qtbot, library: LibraryPage, folder: Path, n: int, after: int, timeout: tuple[int, int]):
    """Import the `n` files of `folder`, press Cancel once `after` are checked, and return the report of an
    import that stopped early (cancelled, with at least `after` and fewer than `n` files added)."""
    with qtbot.waitSignal(library.import_finished, timeout=timeout[0]) as finished:
        assert library.import_paths([str(folder)])
        qtbot.waitUntil(lambda: library.import_panel.bar.value() >= after, timeout=timeout[1])
        assert f"of {n} checked" in library.import_panel.status.text()
        qtbot.mouseClick(library.import_panel.cancel_button, Qt.MouseButton.LeftButton)
        assert library.import_panel.cancel_button.text() == "Stopping…"
    report = finished.args[0]
    assert report.cancelled and after <= len(report.added) < n
    assert library.import_panel.title.text() == "Import cancelled"
    return report


def test_import_folder_through_the_menu(qtbot, catalogue, photo_folder, monkeypatch):
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    window.resize(1600, 1000)  # all three cards on screen: thumbnails are made only for visible cards
    window.show()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(photo_folder))
    library = window.page(LibraryPage)

    with qtbot.waitSignal(library.import_finished, timeout=90_000) as finished:
        library.import_folder_action.trigger()
        assert window.stack.currentWidget() is library
        assert library.import_panel.isVisible()
        assert not library.import_folder_button.isEnabled()  # one import at a time
    report = finished.args[0]
    assert len(report.added) == 3 and not report.cancelled

    wait_rows(qtbot, library, 3)
    for row in library.model.rows:
        analysis = catalogue.current_analysis(row.image_id)
        assert row.faces == len(analysis.faces) > 0
        assert row.badge_text.startswith(f"{len(analysis.faces)} faces · ")
        assert row.state == "attention"  # nobody has consented yet
        assert row.summary.startswith(workflow.status(catalogue, row.image_id).summary)

    status = library.import_panel.status.text()
    assert status.startswith("3 added") and "1 could not be read" in status
    dialog = library.import_panel.show_details()
    details = dialog.findChild(QPlainTextEdit).toPlainText()
    assert "notes.jpg" in details and "not a supported image" in details
    dialog.close()

    # thumbnails arrive from the worker pool and replace the placeholders
    qtbot.waitUntil(
        lambda: all(library.model.has_thumbnail(r.image_id) for r in library.model.rows), timeout=30_000
    )
    assert library.subtitle.text() == "3 photos · 3 need attention"
    assert library.shoot_combo.count() == 2 and library.shoot_combo.itemText(1).startswith("Donor day")


# --- cancel, close while importing, drop ---------------------------------------------------------------


def test_cancel_stops_the_import_and_keeps_what_was_saved(qtbot, catalogue, tmp_path):
    small_photos(tmp_path / "many", 30)
    library = LibraryPage(catalogue)
    qtbot.addWidget(library)
    library.show()
    library.import_function = fake_import

    report = cancel_import(qtbot, library, tmp_path / "many", 30, after=3, timeout=(30_000, 10_000))
    wait_rows(qtbot, library, len(report.added))
    assert len(catalogue.list_images()) == len(report.added)


def test_closing_during_an_import_asks_then_waits_for_it(qtbot, catalogue, tmp_path, monkeypatch):
    small_photos(tmp_path / "many", 30)
    window = MainWindow(catalogue)
    qtbot.addWidget(window)
    window.show()
    library = window.page(LibraryPage)
    library.import_function = fake_import
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[1])
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    library.import_paths([str(tmp_path / "many")])
    qtbot.waitUntil(lambda: library.import_panel.bar.value() >= 1, timeout=10_000)
    assert not window.close()  # "No": keep importing
    assert window.isVisible() and library.import_running
    assert not window.close()  # "Yes": cancel, close once the worker has stopped
    assert window.isVisible()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert not library.import_running and library.last_report.cancelled
    assert asked == ["Stop the import?", "Stop the import?"]


@pytest.mark.filterwarnings(
    "ignore::DeprecationWarning"
)  # PySide flags the only Qt 6 QDragEnterEvent constructor
def test_dropping_files_imports_them(qtbot, catalogue, tmp_path):
    files = small_photos(tmp_path / "dropped", 2)
    library = LibraryPage(catalogue)
    qtbot.addWidget(library)
    library.show()
    library.import_function = fake_import
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    where, action = QPoint(50, 50), Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where, action, mime, buttons, modifiers)
    QApplication.sendEvent(library, enter)
    assert enter.isAccepted()  # files are welcome
    drop = QDropEvent(QPointF(where), action, mime, buttons, modifiers)
    with qtbot.waitSignal(library.import_finished, timeout=20_000):
        QApplication.sendEvent(library, drop)
        assert drop.isAccepted() and library.import_panel.isVisible()
    wait_rows(qtbot, library, 2)
    assert library.import_panel.status.text() == "2 added"


# --- filters, preview, keyboard ------------------------------------------------------------------------


def test_needs_attention_filter(qtbot, imported_catalogue):
    cat = imported_catalogue
    cleared_id = cat.list_images()[0].id
    state = workflow.image_state(cat, cleared_id)
    for face in state.faces:
        workflow.set_face(cat, cleared_id, face.n, FaceState.BLUR)
    for finding in state.findings:
        workflow.set_finding(cat, cleared_id, finding.n, FindingState.REDACT)

    library = LibraryPage(cat)
    qtbot.addWidget(library)
    library.show()
    wait_rows(qtbot, library, 3)
    states = {r.image_id: r.state for r in library.model.rows}
    assert states[cleared_id] == "cleared"
    assert sorted(states.values()) == ["attention", "attention", "cleared"]

    library.attention_only.setChecked(True)
    qtbot.waitUntil(library.is_loaded, timeout=10_000)
    assert len(library.model.rows) == 2 and cleared_id not in {r.image_id for r in library.model.rows}
    assert library.shown_label.text() == "2 shown"
    library.attention_only.setChecked(False)
    library.shoot_combo.setCurrentIndex(1)
    qtbot.waitUntil(library.is_loaded, timeout=10_000)
    assert len(library.model.rows) == 3


def test_selecting_a_photo_shows_its_overlays_and_summary(qtbot, imported_catalogue):
    cat = imported_catalogue
    library = LibraryPage(cat)
    qtbot.addWidget(library)
    library.resize(1200, 800)
    library.show()
    wait_rows(qtbot, library, 3)
    image_id = library.model.rows[1].image_id
    analysis = cat.current_analysis(image_id)
    expected = len(analysis.faces) + len(analysis.findings)
    assert library.select_image(image_id)
    qtbot.waitUntil(lambda: len(library.canvas.overlays) == expected, timeout=20_000)

    overlays = library.canvas.overlays
    faces = [o for o in overlays if o.key[0] == "face"]
    findings = [o for o in overlays if o.key[0] == "finding"]
    assert [o.label for o in faces] == [str(n) for n in range(1, len(analysis.faces) + 1)]
    assert [(o.x, o.y, o.w, o.h) for o in faces] == [tuple(f.box.as_list()) for f in analysis.faces]
    assert [o.label for o in findings] == [f"F{f.n}" for f in analysis.findings]
    summary = library.preview_summary.text()
    if any(f.kind == "nhs_number" for f in analysis.findings):
        assert "NHS number" in summary
    assert summary.startswith(workflow.status(cat, image_id).summary)
    assert "confidential item" in summary
    assert not library.canvas._image.isNull()  # decoded in a worker at screen size
    assert max(library.canvas._image.width(), library.canvas._image.height()) <= 1600
    assert library.review_button.isEnabled()


def test_missing_original_shows_a_message_not_a_crash(qtbot, imported_catalogue):
    cat = imported_catalogue
    image_id = cat.list_images()[0].id
    cat.update_image_path(image_id, "/nowhere/moved-away.jpg")
    library = LibraryPage(cat)
    qtbot.addWidget(library)
    library.show()
    wait_rows(qtbot, library, 3)
    library.select_image(image_id)
    qtbot.waitUntil(lambda: "cannot be shown" in library.canvas._message, timeout=20_000)
    assert "moved or renamed" in library.canvas._message
    assert len(library.canvas.overlays) == len(cat.current_analysis(image_id).faces) + len(
        cat.current_analysis(image_id).findings
    )
    qtbot.waitUntil(lambda: library.model.thumbnail_error(image_id) is not None, timeout=20_000)


def test_keyboard_arrows_move_and_enter_asks_for_review(qtbot, imported_catalogue):
    library = LibraryPage(imported_catalogue)
    qtbot.addWidget(library)
    library.resize(1200, 800)
    library.show()
    wait_rows(qtbot, library, 3)
    first, second = library.model.rows[0].image_id, library.model.rows[1].image_id
    library.select_image(first)
    library.grid.setFocus()
    qtbot.keyClick(library.grid, Qt.Key.Key_Right)
    assert library.selected_image_id() == second
    with qtbot.waitSignal(library.review_requested, timeout=2000) as asked:
        qtbot.keyClick(library.grid, Qt.Key.Key_Return)
    assert asked.args == [second]
    rect = library.grid.visualRect(library.model.index(0))
    qtbot.mouseClick(library.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(library.review_requested, timeout=2000) as asked:
        qtbot.mouseDClick(library.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert asked.args == [first]
