"""`catalogue copy` carries photos' working copies into a destination that keeps them (a team register):
from the source's own copies or from the originals on the computer the copy runs on; only for photos it
adds, once (content-addressed), never for a photo of an erased person, and never into a desk catalogue."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person, decide_face
from tests.data.photo_files import FACE, one_face
from tests.data.photo_files import photograph as _photograph
from tests.data.raw_sql import raw_connection

from consentdesk.core.media import imaging
from consentdesk.core.photos import cache
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.store import Catalogue
from consentdesk.core.store.copy import copy_between


def photograph(folder: Path, name: str, shade: int) -> Path:
    return _photograph(folder, name, (shade, 255 - shade, 90))


def import_files(cat: Catalogue, *files: Path) -> list[int]:
    return import_paths(cat, [str(f) for f in files], checker=one_face, workers=1).added


def stored_shas(cat: Catalogue) -> set[str]:
    conn = raw_connection(cat)
    try:
        return {row[0] for row in conn.execute("SELECT sha256 FROM photo_files").fetchall()}
    finally:
        conn.close()


@pytest.fixture
def pg_url(pg_server):
    return pg_server.url(pg_server.new_database())


def test_a_laptop_hands_in_its_photos_with_their_working_copies(tmp_path: Path, catalogue_locator: str):
    office = photograph(tmp_path / "office", "office.jpg", 10)
    with Catalogue.open(catalogue_locator) as register:
        import_files(register, office)
        register_copies = stored_shas(register)
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(catalogue_locator, laptop_path)  # taken before the day out

    field = tmp_path / "field"
    kept = [photograph(field, f"Jane_Smith_{n}.jpg", 60 + n * 40) for n in range(2)]
    lost = photograph(field, "lost.jpg", 230)
    also_here = photograph(field, "office-again.jpg", 10)  # the same file the office imported
    shutil.copy(office, also_here)
    with Catalogue.open(laptop_path, create=False) as laptop:
        import_files(laptop, *kept, lost, also_here)
        assert stored_shas(laptop) == register_copies  # its own imports keep none (a desk catalogue)
        shas = {p.name: laptop.find_image_by_sha(imaging.sha256_file(p)).sha256 for p in (*kept, lost)}
    lost.unlink()  # deleted from the card before the laptop was handed in

    report = copy_between(laptop_path, catalogue_locator)
    assert report.ok, report.conflicts
    assert report.tables["images"].added == 3
    count = report.tables["photo_files"]
    with Catalogue.open(catalogue_locator, create=False) as register:
        if not register.keeps_photo_copies:  # a desk catalogue is given no copies
            assert (count.added, count.skipped) == (0, 0) and not report.notes
            assert stored_shas(register) == set()
            return
        assert (count.added, count.present, count.skipped) == (2, 0, 1)
        assert stored_shas(register) == register_copies | {shas[p.name] for p in kept}
        for path in kept:
            assert register.photo_file(shas[path.name]) == path.read_bytes()
        lost_here = register.find_image_by_sha(shas["lost.jpg"]).id
        (note,) = report.notes
        assert f"photo {lost_here} " in note and "lost" not in note and "Jane" not in note  # ids only
        assert register.verify_audit().ok
        copied = next(e for e in reversed(register.audit_entries()) if e.action == "catalogue.copied")
        assert copied.details["added"]["photo_files"] == 2

        # Another computer, with the laptop's card gone: the register shows the photos it was handed.
        shutil.rmtree(field)
        image = register.find_image_by_sha(shas["Jane_Smith_0.jpg"])
        assert cache.local_photo(register, image).read_bytes() == register.photo_file(image.sha256)

    again = copy_between(laptop_path, catalogue_locator)  # nothing is read or written twice
    assert again.ok and not any(c.added or c.skipped for c in again.tables.values()) and not again.notes
    with Catalogue.open(catalogue_locator, create=False) as register:
        assert len(stored_shas(register)) == len(register_copies) + 2


def test_register_to_register_carries_the_sources_copies_and_a_desk_gets_none(tmp_path: Path, pg_server):
    first, second = (pg_server.url(pg_server.new_database()) for _ in range(2))
    card = tmp_path / "card"
    with Catalogue.open(first) as register:
        import_files(register, photograph(card, "a.jpg", 30), photograph(card, "b.jpg", 200))
        copies = stored_shas(register)
    with Catalogue.open(second) as other:
        import_files(other, photograph(tmp_path / "other", "c.jpg", 120))
    shutil.rmtree(card)  # the originals are nowhere: the first register's copies are all there is

    into_register = copy_between(first, second)
    assert into_register.ok and into_register.tables["photo_files"].added == 2
    with Catalogue.open(second, create=False) as other:
        assert copies <= stored_shas(other)
        for sha in copies:
            assert other.photo_file(sha) is not None
    back = copy_between(second, first)  # the other way: only the photo the first one lacks
    assert back.ok and back.tables["photo_files"].added == 1 and back.tables["images"].added == 1

    desk = tmp_path / "desk.sqlite"
    with Catalogue.open(desk) as cat:
        add_person(cat, "Desk Person")
    into_desk = copy_between(first, desk)  # merge into a desk catalogue: it keeps no copies
    assert into_desk.mode == "merge" and into_desk.ok and into_desk.tables["images"].added == 3
    assert into_desk.tables["photo_files"].added == 0
    with Catalogue.open(desk, create=False) as cat:
        assert stored_shas(cat) == set()


def test_a_desk_joining_the_register_brings_its_photos(tmp_path: Path, pg_url: str):
    desk = tmp_path / "desk.sqlite"
    card = tmp_path / "card"
    with Catalogue.open(desk) as cat:
        (image_id,) = import_files(cat, photograph(card, "a.jpg", 70))
        sha = cat.get_image(image_id).sha256
    report = copy_between(desk, pg_url)
    assert report.mode == "new" and report.ok and report.tables["photo_files"].added == 1
    with Catalogue.open(pg_url, create=False) as register:
        assert register.photo_file(sha) == (card / "a.jpg").read_bytes()
        assert register.verify_audit().ok


def test_no_working_copy_for_a_photo_of_an_erased_person(tmp_path: Path, pg_url: str):
    with Catalogue.open(pg_url) as register:
        erased_there = add_person(register, "Erased In The Register")
    laptop_path = tmp_path / "laptop.sqlite"
    copy_between(pg_url, laptop_path)
    card = tmp_path / "card"
    with Catalogue.open(laptop_path, create=False) as laptop:
        erased_here = add_person(laptop, "Erased On The Laptop")
        shown_there, shown_here, nobody = import_files(
            laptop,
            photograph(card, "a.jpg", 20),
            photograph(card, "b.jpg", 140),
            photograph(card, "c.jpg", 250),
        )
        decide_face(laptop, shown_there, FACE, "linked", erased_there.id)
        decide_face(laptop, shown_here, FACE, "linked", erased_here.id)
        laptop.erase_consent(erased_here.id, date(2026, 11, 25))
        nobody_sha = laptop.get_image(nobody).sha256
    with Catalogue.open(pg_url, create=False) as register:
        register.erase_consent(erased_there.id, date(2026, 11, 25))

    report = copy_between(laptop_path, pg_url)
    assert report.tables["images"].added == 3
    count = report.tables["photo_files"]
    assert (count.added, count.skipped) == (1, 2)
    assert len(report.notes) == 2 and all("erased" in n for n in report.notes)
    with Catalogue.open(pg_url, create=False) as register:
        assert stored_shas(register) == {nobody_sha}
