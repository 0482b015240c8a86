"""Choosing and opening the encoder that approved copies and proxies are written with (core/media/encoding)."""

from __future__ import annotations

import av
import pytest
from tests.data.clip_builder import ClipSpec, write_clip

from consentdesk.core.media import encoding, proxy
from consentdesk.core.media.video import ClipError, ClipReader


def test_the_first_encoder_this_ffmpeg_has_is_chosen():
    assert encoding.choose_encoder() == "libx264"  # PyAV's wheel carries it: approved copies are H.264
    assert encoding.choose_encoder(("no-such-encoder", "mpeg4")) == "mpeg4"
    with pytest.raises(encoding.NoEncoder, match="no-such-encoder"):
        encoding.choose_encoder(("no-such-encoder",))


@pytest.mark.parametrize("encoder", ["libx264", "mpeg4"])
def test_a_stream_keeps_each_frames_time_in_the_time_base_given(tmp_path, encoder):
    """29.7 frames a second (a variable-rate phone clip's average) counted in 1/1000 s: no two frames share a
    time and every frame reads back at the time it was written."""
    from fractions import Fraction

    import numpy as np

    path = tmp_path / "out.mp4"
    times = [round(i * 1000 / 29.7) for i in range(30)]
    with av.open(str(path), "w", format="mp4") as out:
        stream = encoding.open_video_stream(out, encoder, 29.7, (64, 48), Fraction(1, 1000))
        for i, ms in enumerate(times):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8, np.uint8), format="rgb24")
            frame.pts = ms
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    with ClipReader(path) as reader:
        read = [round(f.t * 1000) for f in reader.frames()]
    assert read == times


def test_a_proxy_needs_h264_and_says_so_when_this_installation_has_none(tmp_path, monkeypatch):
    clip = tmp_path / "c.mp4"
    write_clip(clip, ClipSpec(seconds=1.0))
    made = proxy.make_proxy(clip, tmp_path / "p.mp4")
    with av.open(str(made.path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    monkeypatch.setattr(encoding, "H264", ("no-such-encoder",))
    with pytest.raises(ClipError, match="no H.264 encoder"):
        proxy.make_proxy(clip, tmp_path / "q.mp4")
    assert not (tmp_path / "q.mp4").exists()
