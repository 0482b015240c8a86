"""`consentdesk check` on a team register: a photo imported on another computer is not a problem when the
register holds its working copy, and the check says whether erased data was rewritten out of its files."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.data.lifecycle_fixtures import add_photo
from tests.data.photo_files import one_face, photograph

from consentdesk.cli import main
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.safekeeping.health import check
from consentdesk.core.store import Catalogue


def test_originals_held_by_the_register_are_not_problems(pg_server, tmp_path: Path, capsys):
    url = pg_server.url(pg_server.new_database())
    card = tmp_path / "card"
    photograph(card, "held.jpg", (200, 40, 40), (320, 240))
    with Catalogue.open(url) as register:
        (held,) = import_paths(register, [str(card)], checker=one_face, workers=1).added
        lost = add_photo(register, tmp_path / "never-copied.jpg", [], sha="f" * 64)  # no working copy
    shutil.rmtree(card)  # the photographer's card went home

    with Catalogue.open(url, create=False) as register:
        report = check(register)
    assert report.from_register == [held]
    assert [f.image_id for f in report.files] == [lost]
    assert report.compacted is True  # the superuser owns the tables: erased data is rewritten now

    assert main(["--catalog", url, "check"]) == 3  # the photo with no copy anywhere is still a problem
    out = capsys.readouterr().out
    assert "1 photo is not on this computer; the team register holds its working copy" in out
    assert "Erased data: rewritten out of the register's files." in out


def test_a_desk_catalogue_reports_missing_originals_as_before(tmp_path: Path):
    with Catalogue.open(tmp_path / "desk.sqlite") as desk:
        image = add_photo(desk, tmp_path / "gone.jpg", [], sha="d" * 64)
        report = check(desk)
    assert [f.image_id for f in report.files] == [image] and report.from_register == []
    assert report.compacted is None
