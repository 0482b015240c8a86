"""The approving computer's own look at an approved clip: no face where a blurred person is, none unaccounted.

Why: as for photos (`export.faces_unaccounted`), the tracks an export destroys were made on another
computer, perhaps by an older analyser, and the mosaic is only as good as the boxes. So the copy about to go
public is sampled at the clip check's rate, with the same face detector, on this computer: a face found
inside the region of a person marked blur (the mosaic was not enough, or the box slipped), or a face that no
person track accounts for at that instant (the check missed someone), refuses the export like a photo's.

Cost: the copy is decoded once more (every frame: H.264 frames depend on each other) and the detector runs
on `sample_rate` frames a second at the check's face size; bench/video.py prints it beside the export.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from consentdesk.core.media.video import ClipReader
from consentdesk.core.review.clip_export import box_at, cover_at
from consentdesk.core.values import Box, ClipTrack


@dataclass(frozen=True, slots=True)
class FaceLeft:
    """A face the detector found in the copy where it must not be: at `t` seconds, `box` in clip pixels,
    inside blurred person track `blurred`, or accounted for by no track (None)."""

    t: float
    box: Box
    blurred: int | None

    def words(self) -> str:
        where = f"{self.box.w}x{self.box.h} at ({self.box.x}, {self.box.y}) at {self.t:.1f} s"
        return f"{where}, where person {self.blurred} is blurred" if self.blurred else f"{where}, in no person track"


def faces_left(
    path: str | Path,
    blurred: Sequence[tuple[int, ClipTrack]],
    shown: Sequence[ClipTrack],
    detect: Callable | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[FaceLeft]:
    """Faces in the clip copy at `path` inside a blurred track (number, track) or in no track at all;
    a face inside a track left visible (`shown`: linked, not a person) is that person's and fine."""
    from consentdesk.core.vision.clip_analysis import ClipConfig

    cfg = ClipConfig()
    if detect is None:
        from consentdesk.core.vision.analyse import default_analyser

        detect = default_analyser().faces.detect
    found: list[FaceLeft] = []
    next_t = 0.0
    with ClipReader(path) as reader:
        width, total = reader.info.width, max(reader.info.duration, 1e-6)
        for frame in reader.frames(cancel):
            if frame.t + 1e-6 < next_t:
                continue
            next_t = frame.t + 1.0 / cfg.sample_rate
            rgb = frame.array(cfg.face_side)
            k = width / rgb.shape[1]
            for face in detect(rgb):
                b = face.box
                box = Box(round(b.x * k), round(b.y * k), max(1, round(b.w * k)), max(1, round(b.h * k)))
                verdict = _judge(box, frame.t, blurred, shown)
                if verdict is not None:
                    found.append(FaceLeft(frame.t, box, verdict or None))
            if progress is not None:
                progress(min(1.0, frame.t / total))
    if progress is not None:
        progress(1.0)
    return found


def _judge(box: Box, t: float, blurred: Sequence[tuple[int, ClipTrack]], shown: Sequence[ClipTrack]) -> int | None:
    """None when the face is a visible person's; the blurred track's number when it lies in one; 0 when
    no track accounts for it."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2

    def inside(region) -> bool:  # noqa: ANN001
        return region is not None and region[0] <= cx <= region[2] and region[1] <= cy <= region[3]

    if any(inside(box_at(track.points, t)) for track in shown):
        return None  # someone walking in front of a blurred person is still themselves
    for n, track in blurred:
        if inside(cover_at(track.points, [p for p in track.points if p.seen], t)):
            return n
    return 0
