"""A real clip in a real catalogue, for the data-protection tests (withdrawal, SAR, erasure, sharing).

The clip is made once per session (three people: one standing, one walking through, a third after a cut,
and a patient label) and checked once with the real clip analyser; each test adds it to its own catalogue.
Import the fixture into a test module (`from tests.data.clip_cases import checked_clip  # noqa: F401`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.data.clip_builder import ClipSpec, ClipTruth, write_clip

from consentdesk.core.media.imaging import sha256_file
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import Analysis


@dataclass(frozen=True)
class CheckedClip:
    path: Path
    truth: ClipTruth
    analysis: Analysis


@pytest.fixture(scope="session")
def checked_clip(tmp_path_factory) -> CheckedClip:
    from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig

    folder = tmp_path_factory.mktemp("dp-clips")
    path = folder / "donor-day.mp4"
    truth = write_clip(path, ClipSpec(seconds=6.0, size=(640, 360), audio=True, make="Acme"))
    return CheckedClip(path, truth, ClipAnalyser(ClipConfig()).analyse(path))


def add_clip(cat: Catalogue, clip: CheckedClip, path: Path | None = None) -> int:
    """Add the checked clip (or a copy of it at `path`) to the catalogue; returns its image id."""
    path = path or clip.path
    record, _added = cat.add_image(
        NewImage(
            sha256=sha256_file(path),
            path=str(path),
            file_size=path.stat().st_size,
            width=clip.analysis.width,
            height=clip.analysis.height,
        ),
        clip.analysis,
    )
    return record.id


def track_of(cat: Catalogue, image_id: int, truth: ClipTruth, person: int) -> int:
    """The number of the stored person track that follows `person` of the ground truth."""
    clip = cat.stored_clip(image_id)
    assert clip is not None
    for n, track in enumerate(clip.face_tracks, start=1):
        best = track.best
        frame = min(truth.frames, key=lambda f: abs(f.t - best.t))
        cx, cy = best.box.x + best.box.w / 2, best.box.y + best.box.h / 2
        box = frame.faces.get(person)
        if box and box[0] <= cx <= box[0] + box[2] and box[1] <= cy <= box[1] + box[3]:
            return n
    raise AssertionError(f"no track follows person {person}")
