"""Thumbnails through `core.photos`: from the original when it is here, from the register's working copy
when it is not (one connection per thread for a batch, closed at its end), named by content, and removed
from this computer when the person in the photo is erased."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from tests.data.lifecycle_fixtures import add_person, decide_face
from tests.data.photo_files import FACE, one_face, photograph

from consentdesk.core.media import imaging
from consentdesk.core.photos import cache
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.protection.erasure import erase
from consentdesk.core.store import Catalogue


def import_shoot(cat: Catalogue, folder: Path, colours: list[tuple[int, int, int]]) -> list[int]:
    for n, colour in enumerate(colours):
        photograph(folder, f"Jane_Smith_{n}.jpg", colour, (640, 480))
    return import_paths(cat, [str(folder)], checker=one_face, workers=1).added


def colour_of(path: Path) -> tuple[int, int, int]:
    with Image.open(path) as im:
        return im.convert("RGB").getpixel((im.width // 2, im.height // 2))


def test_a_missing_original_is_drawn_from_the_registers_copy(tmp_path: Path, catalogue_locator: str):
    colours = [(200, 40, 40), (40, 70, 200), (40, 160, 60)]
    with Catalogue.open(catalogue_locator) as cat:
        ids = import_shoot(cat, tmp_path / "card", colours)
        images = [cat.get_image(i) for i in ids]
        shutil.rmtree(tmp_path / "card")
        copies = cache.StoredCopies.of(cat)
        if not cat.keeps_photo_copies:
            with pytest.raises(cache.PhotoUnavailable, match="reconnect the drive"):
                cache.thumbnail(images[0], 128, copies)
            assert copies.asked == 0
            return
        with ThreadPoolExecutor(max_workers=3) as pool:  # as the library's pool runs them, on one catalogue
            made = list(pool.map(lambda image: cache.thumbnail(image, 128, copies), images))
    for n, image in enumerate(images):
        path = made[n]
        assert path == imaging.thumbnail_path(cache.thumbnail_folder(), image.sha256, 128)
        assert "Jane" not in str(path)  # named by content, not by the file's name
        with Image.open(path) as thumb:
            assert max(thumb.size) == 128
        assert all(abs(a - b) <= 12 for a, b in zip(colour_of(path), colours[n], strict=True))
    assert copies.asked == len(images)
    # Made once: asked again, the cached thumbnail is used without asking the register.
    with Catalogue.open(catalogue_locator, create=False) as cat:
        again = cache.StoredCopies.of(cat)
        assert cache.thumbnail(images[0], 128, again) == made[0] and again.asked == 0


def test_erasure_removes_this_computers_thumbnails_of_the_persons_photos(
    tmp_path: Path, catalogue_locator: str
):
    with Catalogue.open(catalogue_locator) as cat:
        person = add_person(cat, "Photographed Person")
        linked, other = import_shoot(cat, tmp_path / "card", [(200, 40, 40), (40, 70, 200)])
        decide_face(cat, linked, FACE, "linked", person.id)
        mine, theirs = cat.get_image(linked), cat.get_image(other)
        from_original = cache.thumbnail(mine, 256)
        kept = cache.thumbnail(theirs, 256)
        if cat.keeps_photo_copies:  # and one made from the register's copy, at another size
            shutil.rmtree(tmp_path / "card")
            from_copy = cache.thumbnail(mine, 128, cache.StoredCopies.of(cat))
        else:
            from_copy = cache.thumbnail(mine, 128)
        assert from_original.is_file() and from_copy.is_file()

        erase(cat, person.id)
        assert not from_original.exists() and not from_copy.exists()
        assert kept.is_file()  # only the erased person's photos
        if cat.keeps_photo_copies:
            with pytest.raises(cache.PhotoUnavailable, match="holds no copy"):
                cache.thumbnail(mine, 256, cache.StoredCopies.of(cat))
