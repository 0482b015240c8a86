"""Checking a clip: each person is one track from first to last sighting, findings are followed too."""

from __future__ import annotations

import pytest
from tests.data.clip_builder import ClipSpec, write_clip
from tests.data.clip_fixtures import clips  # noqa: F401 - a fixture

from consentdesk.core.media.video import Cancelled
from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig


def _iou(a, b) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _people_of_tracks(analysis, truth) -> list[set[int]]:
    """For each person track, the ground-truth people its sightings land on (each on the one it overlaps
    most)."""
    by_t = {round(f.t - truth.frames[0].t, 3): f for f in truth.frames}
    out = []
    for track in analysis.face_tracks:
        people = set()
        for p in track.points:
            frame = by_t.get(round(p.t, 3))
            if p.seen and frame:  # the person it overlaps most (a walker passes in front of another)
                overlaps = {q: _iou(p.box.as_list(), box) for q, box in frame.faces.items()}
                best = max(overlaps, key=overlaps.get, default=None)
                people |= {best} if best is not None and overlaps[best] >= 0.3 else set()
        out.append(people)
    return out


@pytest.fixture(scope="module")
def analysed(clips):  # noqa: F811
    return ClipAnalyser(ClipConfig(background=False)).analyse(clips.landscape)


def test_every_person_is_one_track_from_first_to_last_sight(analysed, clips):  # noqa: F811
    truth = clips.truths[clips.landscape]
    assert analysed.error is None
    tracks = _people_of_tracks(analysed, truth)
    assert tracks == [{1}, {2}, {3}]  # the standing person, the walker (one track), the person after the cut
    walker = analysed.face_tracks[1]
    on_screen = [f.t for f in truth.frames if 2 in truth.people(min_seconds=0)]
    assert walker.first <= 1.0 and walker.last >= 2.0
    assert on_screen  # the walker enters and leaves the frame
    assert len(analysed.faces) == 3
    # numbered by first appearance; the face box is the track's best sighting
    assert [round(t.first, 1) for t in analysed.face_tracks] == sorted(round(t.first, 1) for t in analysed.face_tracks)
    assert analysed.faces[0].box == analysed.face_tracks[0].best.box


def test_tracks_stop_at_the_cut(analysed):
    first_shot, second_shot = analysed.face_tracks[0], analysed.face_tracks[2]
    assert first_shot.points[-1].t < 3.0 <= second_shot.first
    assert first_shot.shot != second_shot.shot


def test_the_json_gives_each_track_its_first_and_last_second(analysed):
    data = analysed.to_json()
    assert data["clip"]["duration"] == pytest.approx(6.0, abs=0.1)
    assert [set(f) >= {"box", "score", "first_s", "last_s"} for f in data["faces"]] == [True] * 3


def test_a_rotated_clip_is_checked_upright(clips):  # noqa: F811
    result = ClipAnalyser(ClipConfig(background=False)).analyse(clips.rotated)
    truth = clips.truths[clips.rotated]
    assert (result.width, result.height) == (360, 640)
    assert [len(people) for people in _people_of_tracks(result, truth)] == [1] * len(result.face_tracks)
    assert {p for people in _people_of_tracks(result, truth) for p in people} == {1, 2, 3}


def test_a_truncated_clip_is_an_error_not_a_crash(clips):  # noqa: F811
    result = ClipAnalyser(ClipConfig(background=False)).analyse(clips.truncated)
    assert result.error and "cut short or damaged" in result.error


def test_analysis_reports_progress_and_can_be_cancelled(clips):  # noqa: F811
    seen: list[float] = []
    with pytest.raises(Cancelled):
        ClipAnalyser(ClipConfig(background=False)).analyse(
            clips.landscape, progress=seen.append, cancel=lambda: len(seen) >= 20
        )
    assert 20 <= len(seen) < 60 and seen == sorted(seen)


def test_personal_data_on_a_label_becomes_a_masked_finding_track(tmp_path):
    path = tmp_path / "label.mp4"
    write_clip(path, ClipSpec(seconds=4.0, size=(1280, 720), seed=5))
    result = ClipAnalyser().analyse(path)
    kinds = {str(f.kind) for f in result.findings}
    assert kinds & {"nhs_number", "person_name", "date_of_birth", "postcode", "address"}, kinds
    for finding, track in zip(result.findings, result.finding_tracks, strict=True):
        assert track.first >= 2.0  # the label is in the second shot
        # nothing read is kept whole: at most the last few characters of a value survive the masking
        assert sum(ch.isdigit() for ch in finding.text) <= 4, finding.text


def test_a_track_never_follows_a_second_person_who_appears_where_the_first_one_vanished(tmp_path):
    """Someone walks in and vanishes mid-frame (through a door, behind a pillar); a third of a second later
    someone else, with a bigger face, appears where the first was last seen. The first person's track is
    still alive (a face missed for a moment is followed for a while): joining the newcomer to it would make
    one track of two people, and a release linked to it would leave the second person unblurred. They must
    be two tracks, each found."""
    from tests.data.clip_builder import Shot, Walker

    shots = [
        Shot(
            3.0,
            "brick",
            walkers=[
                Walker(1, "astronaut", 60, [(0.0, 0.15, 0.5), (1.2, 0.5, 0.5)]),
                Walker(2, "camera", 92, [(1.5, 0.44, 0.5), (3.0, 0.47, 0.5)], mirror=True),
            ],
        )
    ]
    path = tmp_path / "handover.mp4"
    truth = write_clip(path, ClipSpec(shots=shots, seed=8))
    analysis = ClipAnalyser(ClipConfig(background=False)).analyse(path)
    assert analysis.error is None
    tracks = _people_of_tracks(analysis, truth)
    assert all(len(people) <= 1 for people in tracks), tracks
    assert {1} in tracks and {2} in tracks
