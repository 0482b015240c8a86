"""Reading video clips (MP4, MOV, M4V; H.264, HEVC…) into upright frames, one at a time.

Why PyAV: its wheels carry FFmpeg's decoders (H.264, HEVC, AV1 via dav1d, VP9…), so a clip from any phone
decodes on any computer with nothing else installed, and it hands frames over as they are decoded, so a
10-minute clip never sits in memory. (What its wheel carries for encoding, and under which licences, is in
the README's video section.)

Frames come out upright: phones record portrait clips as landscape frames plus a rotation in the file, and
every box ConsentDesk stores is in upright pixels, the way a viewer shows the clip. Times are each frame's
presentation time in seconds, so clips with a variable frame rate keep their real timing. A file that is
not a video, has no picture, or is cut short raises `ClipError` with words a person can act on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consentdesk.core.values import ClipInfo


class ClipError(Exception):
    """The clip cannot be read (or not to the end); the message says what happened and what to do."""


class Cancelled(Exception):
    """The person cancelled the job; nothing half-done was kept."""


def _damaged(path: Path, at: float | None = None) -> ClipError:
    where = f" at {at:.1f} s" if at is not None else ""
    return ClipError(
        f"{path.name} is cut short or damaged{where}: copy the clip from the phone or camera again "
        "and re-import it"
    )


def _open(path: Path):
    import av

    if not path.exists():
        raise ClipError(f"{path} does not exist")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FileNotFoundError:
        raise ClipError(f"{path} does not exist") from None
    except av.error.PermissionError:
        raise ClipError(f"{path.name} cannot be read (permission denied)") from None
    except (av.error.FFmpegError, OSError) as exc:
        if path.stat().st_size == 0:
            raise ClipError(f"{path.name} is empty (0 bytes): copy the clip again") from None
        raise ClipError(
            f"{path.name} is not a video ConsentDesk can read, or it is damaged ({_plain(exc)})"
        ) from None
    if not container.streams.video:
        container.close()
        raise ClipError(f"{path.name} has no picture (no video track): it cannot be checked")
    return container


def _plain(exc: Exception) -> str:
    text = str(exc)
    text = text.split(": '", 1)[0]
    if "] " in text:
        text = text.split("] ", 1)[1]
    return text.strip() or type(exc).__name__


def upright_turns(rotation: float | int | None) -> int:
    """Quarter turns (numpy's rot90, counter-clockwise) that make a decoded frame upright."""
    if not rotation:
        return 0
    return round(float(rotation) / 90) % 4


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """One decoded frame; `t` in seconds from the start of the clip."""

    index: int
    t: float
    frame: object  # av.VideoFrame (kept opaque so callers need not import av)
    turns: int

    def array(self, max_side: int | None = None, fmt: str = "rgb24") -> np.ndarray:
        """The upright frame as an array (RGB, or 'gray'), reduced so its long side is at most `max_side`."""
        f = self.frame
        w, h = f.width, f.height  # type: ignore[attr-defined]
        k = 1.0 if not max_side else min(1.0, max_side / max(w, h))
        if k < 1.0:
            arr = f.reformat(width=max(2, round(w * k)), height=max(2, round(h * k)), format=fmt).to_ndarray()  # type: ignore[attr-defined]
        else:
            arr = f.to_ndarray(format=fmt)  # type: ignore[attr-defined]
        return np.ascontiguousarray(np.rot90(arr, self.turns)) if self.turns else arr


class ClipReader:
    """An open clip: its facts (`info`) and its frames in order (`frames()`). Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._container = _open(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self.info = self._probe()

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._container.close()

    def seek(self, t: float) -> None:
        """Go to the key frame at or before `t` seconds, so `frames()` starts there (a clip that cannot seek
        is decoded from its start)."""
        import av

        s = self._stream
        if t > 0 and s.time_base:
            with contextlib.suppress(av.error.FFmpegError):
                self._container.seek(int(t / s.time_base), stream=s, backward=True, any_frame=False)

    def _probe(self) -> ClipInfo:
        import av

        c, s = self._container, self._stream
        duration = 0.0
        if s.duration and s.time_base:
            duration = float(s.duration * s.time_base)
        elif c.duration:
            duration = c.duration / 1_000_000
        rate = float(s.average_rate or s.guessed_rate or s.base_rate or 0)
        base = float(s.base_rate or 0)
        first = None
        try:
            for frame in c.decode(s):
                first = frame
                break
        except av.error.FFmpegError:
            raise _damaged(self.path, 0.0) from None
        if first is None:
            raise ClipError(f"{self.path.name} has no frames that can be decoded: it is empty or damaged")
        turns = upright_turns(getattr(first, "rotation", 0))
        w, h = first.width, first.height
        if turns % 2:
            w, h = h, w
        c.seek(0)
        audio = c.streams.audio[0] if c.streams.audio else None
        frames = int(s.frames or 0) or round(duration * rate)
        return ClipInfo(
            path=str(self.path),
            width=w,
            height=h,
            duration=duration,
            frame_rate=rate,
            frame_count=frames,
            video_codec=s.codec_context.name,
            rotation=(-turns * 90) % 360,  # clockwise degrees the viewer turns the stored frames
            has_audio=audio is not None,
            audio_codec=audio.codec_context.name if audio is not None else None,
            container=self.path.suffix.lower().lstrip("."),
            variable_rate=bool(base and rate and abs(base - rate) / rate > 0.01),
        )

    def frames(self, cancel: Callable[[], bool] | None = None) -> Iterator[DecodedFrame]:
        """Every frame in presentation order. A clip that stops decoding part way raises `ClipError`."""
        import av

        s = self._stream
        index = 0
        t = 0.0
        start = float(s.start_time * s.time_base) if s.start_time is not None and s.time_base else 0.0
        try:
            for frame in self._container.decode(s):
                if cancel is not None and cancel():
                    raise Cancelled()
                if frame.time is not None:
                    t = max(0.0, float(frame.time) - start)
                yield DecodedFrame(index, t, frame, upright_turns(frame.rotation))
                index += 1
        except av.error.FFmpegError:
            raise _damaged(self.path, t) from None
        if index == 0:
            raise ClipError(f"{self.path.name} has no frames that can be decoded: it is empty or damaged")
        expected = self.info.duration
        if expected and t < expected - max(0.5, 3 / max(self.info.frame_rate, 1.0)):
            raise _damaged(self.path, t)  # the index promises more than the file holds: cut short


def probe(path: str | Path) -> ClipInfo:
    with ClipReader(path) as reader:
        return reader.info


def frame_at(path: str | Path, t: float, max_side: int | None = 640) -> np.ndarray:
    """The upright frame shown at `t` seconds (the last frame at or before it), for thumbnails and the
    timeline. Seeks to the key frame before `t`, then decodes forward."""
    with ClipReader(path) as reader:
        return _frame_at(reader, t, max_side)


def _frame_at(reader: ClipReader, t: float, max_side: int | None) -> np.ndarray:
    reader.seek(t)
    best = None
    for frame in reader.frames():
        if best is not None and frame.t > t + 1e-3:
            break
        best = frame
    assert best is not None
    return best.array(max_side)


def frames_from(
    path: str | Path, start: float, max_side: int | None = 480, cancel: Callable[[], bool] | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """(t, upright RGB frame) from `start` seconds to the end, reduced to `max_side`: a preview that plays.
    Seeks to the key frame before `start` and decodes forward, dropping the frames before it."""
    with ClipReader(path) as reader:
        reader.seek(start)
        for frame in reader.frames(cancel):
            if frame.t + 1e-3 >= start:
                yield frame.t, frame.array(max_side)


def poster_frame(path: str | Path, max_side: int | None = 640) -> np.ndarray:
    """The frame that stands for a clip in lists (a quarter in, at most two seconds: past a fade-in)."""
    with ClipReader(path) as reader:  # opened once: its facts give the time, then it seeks there
        return _frame_at(reader, min(2.0, reader.info.duration / 4), max_side)
