"""The Library on a team register: a photo whose original is on another computer (or whose folder is gone)
shows its thumbnail from the register's working copy, on a desk catalogue the card says the file is missing;
the register is asked only for those photos, through the window's own catalogue (no connection of its own)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.data.photo_files import one_face, photograph

from consentdesk.core.photos import cache
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.store import Catalogue
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.library.library_page import LibraryPage

COLOURS = [(200, 40, 40), (40, 160, 60), (40, 70, 200), (220, 180, 30), (120, 40, 150), (20, 150, 160)]


def shoot(folder: Path, colours: list[tuple[int, int, int]], first: int = 0) -> Path:
    for n, colour in enumerate(colours, start=first):
        photograph(folder, f"photo_{n}.jpg", colour, (640, 480))
    return folder


def centre_colour(pixmap) -> tuple[int, int, int]:
    c = pixmap.toImage().pixelColor(pixmap.width() // 2, pixmap.height() // 2)
    return c.red(), c.green(), c.blue()


def near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 12 for x, y in zip(a, b, strict=True))


def show_library(qtbot, catalogue: Catalogue) -> LibraryPage:
    library = LibraryPage(catalogue)
    qtbot.addWidget(library)
    library.resize(1600, 1100)  # every card on screen: thumbnails are made for painted cards only
    library.show()
    qtbot.waitUntil(lambda: len(library.model.rows) == len(COLOURS), timeout=20_000)
    return library


def settled(library: LibraryPage) -> bool:
    rows = library.model.rows
    return all(
        library.model.has_thumbnail(r.image_id) or library.model.thumbnail_error(r.image_id) for r in rows
    )


def test_photos_whose_folder_is_gone_show_the_registers_copy(qtbot, catalogue_locator, tmp_path, monkeypatch):
    here = shoot(tmp_path / "card" / "Donor day", COLOURS[:3])
    gone = shoot(tmp_path / "card" / "Open day", COLOURS[3:], first=3)
    with Catalogue.open(catalogue_locator) as photographer:
        report = import_paths(photographer, [str(here), str(gone)], checker=one_face, workers=1)
        assert len(report.added) == len(COLOURS)
    shutil.rmtree(gone)  # the memory card went home with the photographer
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-computer"))  # no cache from the import

    catalogue = Catalogue.open(catalogue_locator, create=False)
    try:
        library = show_library(qtbot, catalogue)
        qtbot.waitUntil(lambda: settled(library), timeout=30_000)
        library.model.wait_for_thumbnails()
        by_name = {r.name: r for r in library.model.rows}
        copies = library.model.stored_copies
        assert copies is not None
        for n, colour in enumerate(COLOURS):
            row = by_name[f"photo_{n}.jpg"]
            missing = n >= 3
            if missing and not catalogue.keeps_photo_copies:
                # A desk catalogue keeps no copies: the card says the file is not there.
                assert library.model.thumbnail_error(row.image_id) and not library.model.has_thumbnail(
                    row.image_id
                )
                continue
            assert library.model.thumbnail_error(row.image_id) is None, row.name
            assert near(centre_colour(library.model.thumbnail(row)), colour), row.name
        assert copies.catalogue is catalogue  # read through the window's catalogue: nothing opened
        if catalogue.keeps_photo_copies:
            # The register is asked once for each of the three missing photos, and the copies were not
            # written full size to this computer, only as thumbnails.
            assert copies.asked == 3
            assert not any((cache.thumbnail_folder().parent / "photos").glob("*.jpg"))
        else:
            assert copies.asked == 0  # nothing to ask a desk catalogue for
    finally:
        wait_for_all()
        catalogue.close()


def test_the_register_is_not_asked_while_the_originals_are_here(qtbot, tmp_path, pg_server):
    locator = pg_server.url(pg_server.new_database())
    folder = shoot(tmp_path / "Donor day", COLOURS)
    with Catalogue.open(locator) as photographer:
        import_paths(photographer, [str(folder)], checker=one_face, workers=1)
    catalogue = Catalogue.open(locator, create=False)
    try:
        library = show_library(qtbot, catalogue)
        qtbot.waitUntil(
            lambda: all(library.model.has_thumbnail(r.image_id) for r in library.model.rows), timeout=30_000
        )
        library.model.wait_for_thumbnails()
        assert library.model.stored_copies is not None and library.model.stored_copies.asked == 0
    finally:
        wait_for_all()
        catalogue.close()
