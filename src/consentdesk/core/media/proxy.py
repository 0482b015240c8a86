"""A clip's low-resolution proxy: what a team register keeps so a reviewer elsewhere can review the clip.

Why a proxy and not the original: a phone clip is tens or hundreds of megabytes, and the photographer's
laptop at a mobile session may be on a poor connection; a reviewer needs to see who is in each frame, not
every pixel. So the register keeps, per clip, a copy 480 px on its long side, H.264 (what every decoder
plays), upright (rotation applied, so the stored track boxes scale onto it with one factor), without sound
(nothing to review there) and without any metadata of the original (no location, no device). The original
stays where it was imported: export and SAR need it, and say where it is when it is not on this computer.

Frames are decoded and encoded one at a time, so memory is flat in the clip's length.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consentdesk.core.media import encoding
from consentdesk.core.media.video import ClipError, ClipReader

#: The proxy's long side in pixels: enough to tell people and labels apart on a review screen.
LONG_SIDE = 480


@dataclass(frozen=True, slots=True)
class Proxy:
    """A proxy file written on this computer: where, its size in pixels and its content hash."""

    path: Path
    width: int
    height: int
    sha256: str


def proxy_size(width: int, height: int, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """The proxy's (width, height) for an upright clip of this size: never larger, even numbers."""
    k = min(1.0, long_side / max(width, height))
    return max(2, round(width * k / 2) * 2), max(2, round(height * k / 2) * 2)


def _open_encoder(out, rate: float, size: tuple[int, int]):  # noqa: ANN001, ANN202 - av objects
    from fractions import Fraction

    try:
        name = encoding.choose_encoder(encoding.H264)
    except encoding.NoEncoder as exc:
        raise ClipError("this installation of ConsentDesk has no H.264 encoder to make a clip's proxy; reinstall it") from exc
    # a small working copy: libx264 at a lower quality than an approved copy (the proxy is for looking at)
    return encoding.open_video_stream(out, name, rate, size, Fraction(1, 1000), crf=28)


def make_proxy(
    original: str | Path,
    target: str | Path,
    long_side: int = LONG_SIDE,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Proxy:
    """Write the proxy of `original` to `target` (replaced if there); raises ClipError for a clip that
    cannot be read to its end (nothing is left behind) and `Cancelled` when cancelled."""
    import av
    import cv2

    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.mp4")
    try:
        with ClipReader(original) as reader, av.open(str(tmp), "w", format="mp4") as out:
            info = reader.info
            size = proxy_size(info.width, info.height, long_side)
            stream = _open_encoder(out, info.frame_rate, size)
            last = -1
            for frame in reader.frames(cancel):
                rgb = frame.array(max_side=long_side)
                if (rgb.shape[1], rgb.shape[0]) != size:
                    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
                picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
                last = picture.pts = max(last + 1, round(frame.t * 1000))  # times only move forward
                for packet in stream.encode(picture):
                    out.mux(packet)
                if progress is not None and info.duration:
                    progress(min(1.0, frame.t / info.duration))
            for packet in stream.encode():
                out.mux(packet)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        os.replace(tmp, target)
    except OSError as exc:
        raise ClipError(f"cannot write the proxy of {Path(original).name}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return Proxy(target, size[0], size[1], digest)
