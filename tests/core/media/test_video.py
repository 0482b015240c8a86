"""Reading clips: facts, upright frames, real timing, and clear errors for files that are not clips."""

from __future__ import annotations

import numpy as np
import pytest
from tests.data.clip_fixtures import clips  # noqa: F401 - a fixture

from consentdesk.core.media import video
from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.vision.faces import FaceDetector


def test_probe_reports_the_clips_facts(clips):  # noqa: F811
    info = video.probe(clips.landscape)
    assert (info.width, info.height) == (640, 360)
    assert info.duration == pytest.approx(6.0, abs=0.1)
    assert info.frame_rate == pytest.approx(30.0, abs=0.01)
    assert info.video_codec == "h264" and info.rotation == 0
    assert info.has_audio and info.audio_codec == "aac"
    assert is_clip_path(clips.landscape) and not is_clip_path("photo.jpg")


def test_a_portrait_phone_clip_comes_out_upright(clips):  # noqa: F811
    info = video.probe(clips.rotated)
    assert (info.width, info.height, info.rotation) == (360, 640, 90)
    truth = clips.truths[clips.rotated]
    with video.ClipReader(clips.rotated) as reader:
        frame = next(f for f in reader.frames() if f.index == 30)
        rgb = frame.array()
    assert rgb.shape == (640, 360, 3)
    # the face detector finds the standing person where the upright ground truth says
    x, y, w, h = truth.frames[30].faces[1]
    faces = FaceDetector().detect(rgb)
    assert any(abs(f.box.x + f.box.w / 2 - (x + w / 2)) < w / 2 for f in faces)


def test_hevc_in_a_mov_decodes(clips):  # noqa: F811
    info = video.probe(clips.hevc)
    assert info.video_codec == "hevc" and info.container == "mov"
    with video.ClipReader(clips.hevc) as reader:
        assert sum(1 for _ in reader.frames()) == len(clips.truths[clips.hevc].frames)


def test_variable_frame_rate_keeps_each_frames_real_time(clips):  # noqa: F811
    truth = [f.t for f in clips.truths[clips.vfr].frames]
    with video.ClipReader(clips.vfr) as reader:
        times = [f.t for f in reader.frames()]
    assert len(times) == len(truth)
    # times count from the clip's first frame
    assert np.allclose(times, np.asarray(truth) - truth[0], atol=0.002)
    assert max(np.diff(times)) > 1.5 / 30  # frames really are irregular


def test_frame_at_seeks_to_the_frame_shown_at_a_time(clips):  # noqa: F811
    rgb = video.frame_at(clips.landscape, 4.5, max_side=320)
    assert rgb.shape == (180, 320, 3)
    with video.ClipReader(clips.landscape) as reader:
        expected = next(f for f in reader.frames() if f.t >= 4.5 - 1e-6).array(320)
    assert np.abs(rgb.astype(int) - expected.astype(int)).mean() < 1


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.mp4", b"", "is empty"),
        ("noise.mp4", bytes(range(256)) * 200, "not a video"),
        ("notes.mov", b"Minutes of the meeting\n" * 100, "not a video"),
    ],
)
def test_files_that_are_not_clips_say_so(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(video.ClipError, match=words):
        video.probe(path)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(video.ClipError, match="does not exist"):
        video.probe(tmp_path / "gone.mp4")


def test_a_truncated_clip_fails_with_where_it_stops(clips):  # noqa: F811
    with video.ClipReader(clips.truncated) as reader, pytest.raises(video.ClipError) as caught:
        for _ in reader.frames():
            pass
    assert "cut short or damaged at" in str(caught.value)
    assert "copy the clip" in str(caught.value)


def test_reading_can_be_cancelled(clips):  # noqa: F811
    seen = []
    with video.ClipReader(clips.landscape) as reader, pytest.raises(video.Cancelled):
        for frame in reader.frames(cancel=lambda: len(seen) >= 10):
            seen.append(frame.index)
    assert len(seen) == 10
