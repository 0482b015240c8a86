"""An erasure on one computer reaches every other computer's cache: a computer drops its cached copies and
thumbnails of photos the team register no longer holds (`cache.prune_cache`), and never serves a cached
copy of one again (`cache.local_photo`). On a desk catalogue nothing is pruned: the originals are the user's."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person, decide_face
from tests.data.photo_files import FACE, one_face, photograph
from tests.data.team_people import url_for

from consentdesk.core.photos import cache as photos
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.protection.erasure import erase
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ImageRecord


def import_two(cat: Catalogue, folder: Path) -> list[int]:
    photograph(folder, "linked.jpg", (200, 40, 40), (640, 480))
    photograph(folder, "other.jpg", (40, 70, 200), (640, 480))
    return import_paths(cat, [str(folder)], checker=one_face, workers=1).added


def cached_files(sha: str) -> list[Path]:
    cache = photos.thumbnail_folder().parent / "photos"
    return [*cache.glob(f"{sha}*"), *photos.thumbnail_folder().rglob(f"{sha}_*")]


def test_the_store_says_which_photos_it_still_holds(tmp_path: Path, catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        ids = import_two(cat, tmp_path / "card")
        shas = {cat.get_image(i).sha256 for i in ids}
        strangers = {hashlib.sha256(str(n).encode()).hexdigest() for n in range(1200)}  # several IN lists
        held = cat.stored_photo_shas([*strangers, *shas])
        assert held == (shas if cat.keeps_photo_copies else set())
        assert cat.stored_photo_shas([]) == set()


def test_a_desk_catalogue_prunes_nothing(tmp_path: Path):
    with Catalogue.open(tmp_path / "desk.sqlite") as cat:
        ids = import_two(cat, tmp_path / "card")
        image = cat.get_image(ids[0])
        thumb = photos.thumbnail(image, 128)
        assert photos.prune_cache(cat) == set() and thumb.is_file()


def test_an_erasure_on_another_computer_empties_this_computers_cache(
    tmp_path: Path, team_register, monkeypatch
):
    computer_a, computer_b = tmp_path / "reviewer-computer", tmp_path / "dpo-computer"
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        ids = import_two(pat, tmp_path / "card")
        person = add_person(pat, "Erased Elsewhere")
    shutil.rmtree(tmp_path / "card")  # the memory card went home: A reads the register's copies

    monkeypatch.setenv("CONSENTDESK_HOME", str(computer_a))
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        linked, other = (rita.get_image(i) for i in ids)
        decide_face(rita, linked.id, FACE, "linked", person.id)
        copies = photos.StoredCopies.of(rita)
        for image in (linked, other):
            assert photos.local_photo(rita, image).is_file()  # the full photo, cached on A
            assert photos.thumbnail(image, 256, copies).is_file()
        assert len(cached_files(linked.sha256)) == 2 and len(cached_files(other.sha256)) == 2
        assert photos.prune_cache(rita) == set()  # the register still holds both

    monkeypatch.setenv("CONSENTDESK_HOME", str(computer_b))
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        erase(dora, person.id)  # B's own cache is emptied by the erasure; A's is out of its reach

    monkeypatch.setenv("CONSENTDESK_HOME", str(computer_a))
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        assert len(cached_files(linked.sha256)) == 2  # still on A until A prunes
        assert photos.prune_cache(rita) == {linked.sha256}
        assert cached_files(linked.sha256) == []
        assert len(cached_files(other.sha256)) == 2  # someone else's photo stays cached
        with pytest.raises(photos.PhotoUnavailable, match="holds no copy"):
            photos.thumbnail(linked, 256, photos.StoredCopies.of(rita))
        assert photos.local_photo(rita, other).is_file()


def test_a_cached_copy_is_not_served_once_the_register_lost_it(tmp_path: Path, team_register, monkeypatch):
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        ids = import_two(pat, tmp_path / "card")
        person = add_person(pat, "Erased Before The Prune")
    shutil.rmtree(tmp_path / "card")
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "a"))
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        image: ImageRecord = rita.get_image(ids[0])
        decide_face(rita, image.id, FACE, "linked", person.id)
        cached = photos.local_photo(rita, image)
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "b"))
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        erase(dora, person.id)
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "a"))
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        assert cached.is_file()  # no prune has run on A yet
        with pytest.raises(photos.PhotoUnavailable, match="holds no copy"):
            photos.local_photo(rita, image)
        assert not cached.exists()
