"""A reviewer's window on the team register stops showing a photo of a person the data-protection officer
erased on another computer: the change watcher sees the audit trail move, the window prunes this computer's
cached copy and thumbnail, and the Library's card says the photo is not available; others' photos stay."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSize
from tests.data.lifecycle_fixtures import add_person, decide_face
from tests.data.photo_files import FACE, one_face, photograph
from tests.data.team_people import url_for

from consentdesk.core.photos import cache
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.protection.erasure import erase
from consentdesk.core.store import Catalogue
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.shell.main_window import MainWindow


def cached(sha: str) -> list[Path]:
    return [
        *(cache.thumbnail_folder().parent / "photos").glob(f"{sha}*"),
        *cache.thumbnail_folder().rglob(f"{sha}_*"),
    ]


def test_a_photo_erased_on_another_computer_leaves_this_window_and_cache(
    qtbot, tmp_path: Path, team_register, monkeypatch
):
    card = tmp_path / "card"
    photograph(card, "linked.jpg", (200, 40, 40), (640, 480))
    photograph(card, "other.jpg", (40, 70, 200), (640, 480))
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        ids = import_paths(pat, [str(card)], checker=one_face, workers=1).added
        person = add_person(pat, "Erased Elsewhere")
    shutil.rmtree(card)  # the originals are not on the reviewer's computer

    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-computer"))
    win = MainWindow(Catalogue.open(url_for(team_register, "rita"), create=False))
    qtbot.addWidget(win)
    win.resize(QSize(1600, 1100))
    win.show()
    try:
        linked, other = (win.catalogue.get_image(i) for i in ids)
        decide_face(win.catalogue, linked.id, FACE, "linked", person.id)
        assert cache.local_photo(win.catalogue, linked).is_file()  # opened in the review: cached full size
        library = win.page(LibraryPage)
        win.show_page(library)
        model = library.model
        qtbot.waitUntil(lambda: len(model.rows) == 2, timeout=20_000)
        qtbot.waitUntil(lambda: all(model.has_thumbnail(i) for i in ids), timeout=30_000)
        assert len(cached(linked.sha256)) == 2 and cached(other.sha256)

        monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "dpo-computer"))
        with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
            erase(dora, person.id)
        monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-computer"))

        with qtbot.waitSignal(win.photos_pruned, timeout=20_000, check_params_cb=lambda n: n == 1):
            win.change_watcher.poll()  # the watcher's next look (every few seconds) sees the erasure
        assert cached(linked.sha256) == []
        assert cached(other.sha256)  # someone else's photo stays cached
        qtbot.waitUntil(lambda: model.thumbnail_error(linked.id) is not None, timeout=20_000)
        assert not model.has_thumbnail(linked.id) and "no copy" in model.thumbnail_error(linked.id)
        assert model.has_thumbnail(other.id)
    finally:
        win.close()
        wait_for_all(10_000)
        win.change_watcher.stop()
        win.catalogue.close()


def test_a_window_opened_after_the_erasure_prunes_at_once(qtbot, tmp_path: Path, team_register, monkeypatch):
    """A photographer's computer that was off during the erasure: its cached thumbnail goes when the window
    opens the register, before the Library paints anything from it."""
    card = tmp_path / "card"
    photograph(card, "linked.jpg", (200, 40, 40), (640, 480))
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "photographer-computer"))
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        (image_id,) = import_paths(pat, [str(card)], checker=one_face, workers=1).added
        person = add_person(pat, "Erased While Away")
        image = pat.get_image(image_id)
        assert cache.thumbnail(image, 256).is_file()  # the Library's card, made from the original
    shutil.rmtree(card)  # the memory card is away
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        decide_face(rita, image_id, FACE, "linked", person.id)
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "dpo-computer"))
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        erase(dora, person.id)

    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "photographer-computer"))
    assert cached(image.sha256)
    win = MainWindow(Catalogue.open(url_for(team_register, "pat"), create=False))
    qtbot.addWidget(win)
    try:
        # The prune started with the window; its answer arrives through the event loop, so this catches it.
        with qtbot.waitSignal(win.photos_pruned, timeout=20_000) as pruned:
            pass
        assert pruned.args == [1]
        assert cached(image.sha256) == []
    finally:
        win.close()
        wait_for_all(10_000)
        win.change_watcher.stop()
        win.catalogue.close()
