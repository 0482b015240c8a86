"""Cancelling an import stops a clip half-way through its check (it takes minutes on a long clip), in this
process and in the worker processes alike; nothing of the stopped clip is kept, and it is not an error."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tests.data.clip_builder import ClipSpec, write_clip

from consentdesk.core.photos.importer import import_paths
from consentdesk.core.store import Catalogue


class CancelAfterFirstLook(threading.Event):
    """Not set when the import looks before starting the clip; set from the clip's first frame on."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > 1


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("card")
    write_clip(folder / "long-take.mp4", ClipSpec(seconds=20.0, size=(640, 360)))
    return folder


def test_a_cancel_stops_the_clip_being_checked_here(long_clip: Path, tmp_path: Path):
    cancel = CancelAfterFirstLook()
    with Catalogue.open(tmp_path / "cat.sqlite") as catalogue:
        report = import_paths(catalogue, [str(long_clip)], workers=1, cancel=cancel)
        assert report.cancelled and report.added == [] and report.errors == []
        assert catalogue.list_images() == []
    assert cancel.looks >= 2  # once before the clip, then from inside its check


def test_a_cancel_stops_the_clip_being_checked_in_a_worker(long_clip: Path, tmp_path: Path):
    """A second file makes the import use worker processes; the cancel comes while they check."""
    (long_clip / "second-take.mp4").write_bytes((long_clip / "long-take.mp4").read_bytes()[:-1] + b"\0")
    cancel = threading.Event()
    with Catalogue.open(tmp_path / "cat.sqlite") as catalogue:
        timer = threading.Timer(3.0, cancel.set)  # the workers are starting or checking by then
        timer.start()
        try:
            report = import_paths(catalogue, [str(long_clip)], workers=2, cancel=cancel)
        finally:
            timer.cancel()
        assert report.cancelled and report.added == []
        assert not [e for e in report.errors if "cancel" in e.reason.lower()]
        assert catalogue.list_images() == []
