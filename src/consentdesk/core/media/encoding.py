"""Opening an H.264 video stream to write: the one place that chooses the encoder and sets it up, for the
approved copy of a clip and for a register's proxy alike.

Why here: both write MP4s with H.264 from the same PyAV wheel, so which encoders are tried, in which order,
and how libx264 is tuned must not drift apart between them (a fix to one would be missed in the other).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

#: Preferred encoders, best first: libx264 (in PyAV's wheels), then Cisco's BSD-licensed OpenH264 (when
#: PyAV is built against an FFmpeg that has it), then FFmpeg's own MPEG-4 Part 2 as a last resort.
ENCODERS = ("libx264", "libopenh264", "mpeg4")
#: The H.264 encoders alone (a proxy must be H.264: every register client decodes it).
H264 = ENCODERS[:2]


class NoEncoder(RuntimeError):
    """This installation's FFmpeg has none of the encoders asked for."""


def choose_encoder(names: Sequence[str] = ENCODERS) -> str:
    """The first of `names` that this FFmpeg build can encode with."""
    from av.codec.codec import Codec

    for name in names:
        try:
            Codec(name, "w")
        except Exception:  # noqa: BLE001 - not in this FFmpeg build
            continue
        return name
    raise NoEncoder(f"this installation of ConsentDesk has none of the video encoders {', '.join(names)}")


def open_video_stream(  # noqa: PLR0913 - each is one of the stream's settings
    out,  # noqa: ANN001 - an av output container
    encoder: str,
    rate: float | Fraction | None,
    size: tuple[int, int],
    time_base: Fraction,
    *,
    crf: int = 20,
    preset: str = "veryfast",
):  # noqa: ANN201 - an av video stream
    """Add a 4:2:0 video stream of `size` (even numbers) to `out`, counting in `time_base`.

    The encoder counts in `time_base`, not in 1/rate: with a rate that is not a whole number (variable-rate
    phone clips average 29.7) 1/rate ticks would give two frames one time."""
    rate = Fraction(rate or 30).limit_denominator(1001)
    stream = out.add_stream(encoder, rate=rate)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.time_base = time_base
    stream.codec_context.time_base = time_base
    if encoder == "libx264":
        stream.options = {"crf": str(crf), "preset": preset}
    return stream
