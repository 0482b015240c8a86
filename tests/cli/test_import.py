"""Importing a shoot into a real catalogue with the real analyser: duplicates, bad files, cancel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.data.builders import build_test_set

from consentdesk.core.photos.importer import check_file, import_paths
from consentdesk.core.store import Catalogue


@pytest.fixture(scope="module")
def shoot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shoot")
    build_test_set(folder, n=4, seed=7, large_every=0)
    first = sorted(folder.glob("*.jpg"))[0]
    sub = folder / "day2"
    sub.mkdir()
    shutil.copy(first, sub / "copy-of-first.jpg")  # same bytes: must not be added twice
    (folder / "notes.jpg").write_text("not a photo", encoding="utf-8")
    (folder / "truncated.jpg").write_bytes(first.read_bytes()[:2000])
    (folder / "empty.png").write_bytes(b"")
    return folder


def test_import_twice_adds_each_photo_once(shoot: Path, catalogue_locator: str):
    cat = catalogue_locator
    cmd = [sys.executable, "-m", "consentdesk", "--catalog", str(cat), "import", str(shoot), "--json"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    report = json.loads(first.stdout)
    assert first.returncode == 1  # the unreadable photos are errors, the batch still finished
    assert len(report["added"]) == 4
    assert len(report["duplicates"]) == 1
    errors = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert set(errors) == {"truncated.jpg", "notes.jpg", "empty.png"}  # named as photos: errors, not skips
    assert "truncated" in errors["truncated.jpg"] and "empty" in errors["empty.png"]
    assert [Path(s["path"]).name for s in report["skipped"]] == ["truth.jsonl"]  # not named as a photo
    second = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout)
    assert second["added"] == [] and len(second["duplicates"]) == 5
    with Catalogue.open(cat) as catalogue:
        images = catalogue.list_images()
        assert len(images) == 4
        for image in images:
            analysis = catalogue.current_analysis(image.id)
            assert analysis.error is None and analysis.analyser_version
        assert catalogue.verify_audit().ok


def test_two_worker_processes_give_the_same_result_as_one(shoot: Path, tmp_path: Path):
    results = {}
    for workers in (1, 2):
        with Catalogue.open(tmp_path / f"w{workers}.sqlite") as catalogue:
            report = import_paths(catalogue, [shoot], workers=workers)
            results[workers] = {
                Path(catalogue.get_image(i).path).name: len(catalogue.current_analysis(i).faces)
                for i in report.added
            }
    assert results[1] == results[2] and len(results[1]) == 4


def test_two_workers_check_the_one_new_photo_among_known_ones(shoot: Path, tmp_path: Path):
    first, second = sorted(shoot.glob("img_*.jpg"))[:2]
    card = tmp_path / "card"
    card.mkdir()
    for photo in (first, second):
        shutil.copy(photo, card / photo.name)
    with Catalogue.open(tmp_path / "c.sqlite") as catalogue:
        assert len(import_paths(catalogue, [card / first.name], workers=1).added) == 1
        report = import_paths(catalogue, [card], workers=2)  # the workers start at the first new file
        assert [Path(catalogue.get_image(i).path).name for i in report.added] == [second.name]
        assert [Path(p).name for p in report.duplicates] == [first.name]
        again = import_paths(catalogue, [card], workers=2)  # no new file: no worker started at all
        assert again.added == [] and len(again.duplicates) == 2 and again.stopped is None
        assert len(catalogue.list_images()) == 2


def test_cancel_stops_and_keeps_what_was_stored(shoot: Path, catalogue_locator: str):
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p.done)
        cancel.set()  # cancel after the first stored image

    with Catalogue.open(catalogue_locator) as catalogue:
        report = import_paths(catalogue, [shoot], workers=1, progress=progress, cancel=cancel)
        assert report.cancelled
        assert len(report.added) == 1 == len(catalogue.list_images())
        again = import_paths(catalogue, [shoot], workers=1)
        assert len(again.added) == 3  # the rest, none twice


def test_a_worker_that_crashes_on_one_file_does_not_stop_the_batch(shoot: Path, tmp_path: Path):
    def flaky(path: str):
        if path.endswith("img_001.jpg"):
            raise RuntimeError("model crashed")
        return check_file(path)

    with Catalogue.open(tmp_path / "c.sqlite") as catalogue:
        report = import_paths(catalogue, [shoot], workers=1, checker=flaky)
        assert [Path(e.path).name for e in report.errors if "model crashed" in e.reason] == ["img_001.jpg"]
        assert len(report.added) == 3 == len(catalogue.list_images())
