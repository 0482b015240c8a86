"""A SAR bundle includes each clip the person appears in, with everyone else blurred on every frame."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from pypdf import PdfReader
from tests.core.review.test_clip_export import _face_hits
from tests.data.clip_cases import add_clip, checked_clip, track_of  # noqa: F401 - a fixture
from tests.data.clip_fixtures import SecondDetector
from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.media.video import Cancelled
from consentdesk.core.protection.sar import build_sar_bundle
from consentdesk.core.review import workflow
from consentdesk.core.review.clip_export import cover_at
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState
from consentdesk.core.vision.faces import FaceDetector


def _catalogue_with_clips(cat: Catalogue, clip, tmp_path: Path) -> tuple[str, int, int, int]:
    """Me linked to person 1 of the clip and of a second copy of it; person 3 linked to someone else,
    person 2 blurred. Returns my record id, the clip, the copy and my track number."""
    me = add_person(cat, "Zofia Requester", email="zofia@example.org")
    other = add_person(cat, "Quentin Bystander", email="quentin@example.org")
    image = add_clip(cat, clip)
    copy = tmp_path / "copy" / "second-take.mp4"
    copy.parent.mkdir()
    copy.write_bytes(clip.path.read_bytes() + b"\0" * 16)  # another file (another hash), same pictures
    second = add_clip(cat, clip, copy)
    mine = track_of(cat, image, clip.truth, person=1)
    for clip_id in (image, second):
        workflow.link_face(cat, clip_id, mine, me.id)
        workflow.link_face(cat, clip_id, track_of(cat, clip_id, clip.truth, person=3), other.id)
        workflow.set_face(cat, clip_id, track_of(cat, clip_id, clip.truth, person=2), FaceState.BLUR)
    return me.id, image, second, mine


def _covers(tracks: dict, people: tuple[int, ...]) -> list:
    """For each of these people's tracks, the region the export destroys at a time (or None)."""

    def cover(track):
        seen = [p for p in track.points if p.seen]
        return lambda t: cover_at(track.points, seen, t)

    return [cover(tracks[p]) for p in people]


def _overlaps(box, region) -> bool:
    if region is None:
        return False
    x, y, w, h = box
    x0, y0, x1, y1 = region
    return x < x1 and x0 < x + w and y < y1 and y0 < y + h


def test_the_bundle_holds_the_clip_with_only_the_person_visible(checked_clip, tmp_path: Path):  # noqa: F811
    calls: list[float] = []
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        me, image, second, mine = _catalogue_with_clips(cat, checked_clip, tmp_path)
        (tmp_path / "copy" / "second-take.mp4").write_bytes(checked_clip.path.read_bytes()[:50_000])  # cut short
        contents = build_sar_bundle(cat, me, tmp_path / "bundle.zip", progress=calls.append)
        stored = cat.stored_clip(image)
        cat_tracks = {p: stored.face_tracks[track_of(cat, image, checked_clip.truth, person=p) - 1] for p in (2, 3)}
        track = cat.stored_clip(image).face_tracks[mine - 1]

    # the good clip is in; the damaged one is listed with a clear reason and the bundle went on
    by_id = {i.image_id: i for i in contents.images}
    assert by_id[image].bundle_name == f"clips/clip-{image}.mp4" and by_id[image].seen == (track.first, track.last)
    assert by_id[second].bundle_name is None and "changed since it was checked" in by_id[second].problem
    assert calls == sorted(calls) and calls[-1] == 1.0 and len(calls) > 10  # moved with the clip's frames
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no working files left

    out = tmp_path / "unzipped"
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        assert zf.getinfo(f"clips/clip-{image}.mp4").compress_type == zipfile.ZIP_STORED
        assert "summary.pdf" in zf.namelist() and f"consent/{me}.json" in zf.namelist()
        zf.extractall(out)
    bundled = out / f"clips/clip-{image}.mp4"

    # the summary lists the clip and when the person is seen (and the one that could not be included)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out / "summary.pdf").pages).split())
    assert f"clip {image}" in text and "you are seen from 0:0" in text
    assert f"to 0:0{track.last:.1f}" in text
    assert f"clip {second}" in text and "not included" in text
    assert "Quentin" not in text

    # frame by frame: nobody else's face is found by either detector; the person's own face is
    truth = checked_clip.truth
    ours, theirs = FaceDetector(), SecondDetector()
    assert _face_hits(bundled, truth, {2, 3}, ours) == []
    assert _face_hits(bundled, truth, {2, 3}, theirs) == []
    assert len(_face_hits(checked_clip.path, truth, {2, 3}, ours, every=5)) >= 10  # (found in the original)
    # the person's own face is found wherever nobody else's blur covers it (a bystander walking in front
    # of them is blurred with the margin their motion needs, and that wins)
    others = _covers(cat_tracks, (2, 3))
    visible = {
        round(f.t, 2)
        for f in truth.people().get(1, [])
        if not any(_overlaps(f.faces[1], cover(f.t)) for cover in others)
    }
    assert len(visible) >= 0.5 * len(truth.people()[1])  # the check below still covers most of the clip
    mine_found = set(_face_hits(bundled, truth, {1}, ours))
    assert len(mine_found & visible) >= 0.8 * len(visible)
    # and the patient label of the second shot is filled solid
    with av.open(str(bundled)) as container:
        frames = {round(float(f.time), 3): f.to_ndarray(format="rgb24") for f in container.decode(video=0)}
    later = [f for f in truth.frames if f.labels and f.t > 3.5][::15]
    assert later
    for frame in later:
        x, y, w, h = frame.labels[0]["box"]
        pixels = frames[min(frames, key=lambda t: abs(t - frame.t))][y + 4 : y + h - 4, x + 4 : x + w - 4]
        assert pixels.size and float(np.std(pixels)) < 12, frame.t


def test_a_cancelled_bundle_leaves_nothing_and_records_nothing(checked_clip, tmp_path: Path):  # noqa: F811
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        me, _image, _second, _mine = _catalogue_with_clips(cat, checked_clip, tmp_path)
        calls: list[float] = []
        with pytest.raises(Cancelled):
            build_sar_bundle(cat, me, tmp_path / "bundle.zip", progress=calls.append, cancel=lambda: len(calls) > 5)
        assert not (tmp_path / "bundle.zip").exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        assert not [e for e in cat.audit_entries(me) if e.action == "sar.exported"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler reads the summary back")
def test_the_cli_writes_the_bundle_and_names_a_clip_left_out(checked_clip, tmp_path: Path, capsys):  # noqa: F811
    from tests.cli.test_verify_workflow import cli

    db = tmp_path / "cat.sqlite"
    with Catalogue.open(db) as cat:
        me, image, second, _mine = _catalogue_with_clips(cat, checked_clip, tmp_path)
    (tmp_path / "copy" / "second-take.mp4").unlink()
    code, out, err = cli(capsys, "--catalog", str(db), "sar", me, "--out", str(tmp_path / "sar.zip"))
    assert code == 0, err
    assert f"clip {second} not included" in out and "not on this computer" in out
    with zipfile.ZipFile(tmp_path / "sar.zip") as zf:
        assert f"clips/clip-{image}.mp4" in zf.namelist()
        summary = zf.read("summary.pdf")
    text = subprocess.run(["pdftotext", "-", "-"], input=summary, capture_output=True, check=True).stdout.decode()
    assert "you are seen from" in " ".join(text.split())
