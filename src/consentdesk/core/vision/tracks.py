"""Following people (and findings) through a clip: boxes carried by motion between sampled detections.

Why this and not a tracking library on its own: faces are detected on a few frames per second (detection
is the expensive step), and at that rate a person walking through the frame moves two to five face widths
between two samples. Trackers that associate by box overlap (`trackers`' ByteTrack, SORT, OC-SORT,
C-BIoU; supervision's ByteTrack moved there) never see the second sighting overlap the first, so a walker
never becomes a track; `norfair` with a distance gate finds everyone but cuts a walker into several tracks
(measured by bench/trackers.py; figures in the video section of the README). What they lack is motion between samples, and
the decoder hands us every frame anyway: sparse optical flow (OpenCV's pyramidal Lucas-Kanade, on a small
grey copy of each frame) carries every live box from frame to frame, so at the next sample the box is
where the face is and plain overlap matching is reliable. The flowed boxes are also what the export
blurs between samples, so a blurred face follows the person rather than a straight line.

Tracks follow boxes and motion only. Nothing about how a face looks is kept or compared: two tracks of
one person (who left and came back) stay two tracks until a reviewer says "same person as 3".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from consentdesk.core.values import Box

#: Seconds a track is followed by motion alone before it ends (a face turned away, a detector miss).
MAX_UNSEEN = 1.5
#: A detection joins a live track when their boxes overlap this much (after the track moved with the flow).
MIN_IOU = 0.2
#: A point is recorded at most this often (seconds) between samples; the export interpolates between.
RECORD_EVERY = 0.1

# When in doubt, split: two tracks of one person cost a reviewer one "same person as", one track of two
# people hides the second person behind the first one's release. A detection joins a live track only if
# it could be the face last seen on that track:
#: ... seen no longer ago than this (seconds; a box carried longer than that by motion alone has drifted);
MAX_JOIN_AFTER = 1.1
#: ... of a similar size (long side of the box, ratio allowed at dt = 0 and its growth per second);
SIZE_RATIO, SIZE_RATIO_PER_S = 1.25, 0.25
#: ... and not further from the last sighting than this many face sizes (plus this many per second).
NEAR, FACES_PER_S = 1.5, 24.0
#: Found again where it was last seen (features dragged away by someone passing in front) only if it was
#: standing: moving less than this many face sizes per second between its last two sightings.
STANDING = 1.0


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """Where a track is at one instant, in upright clip pixels; `seen` when a detector saw it there
    (otherwise the box was carried by motion from the last sighting)."""

    t: float
    box: Box
    seen: bool
    score: float = 0.0


@dataclass
class _Live:
    points: list[TrackPoint]
    box: np.ndarray  # x0, y0, x1, y1 in flow pixels (float)
    features: np.ndarray | None  # N x 1 x 2 float32 in flow pixels
    last_seen: float
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))
    tag: str = ""  # what was detected: "face", or a finding kind
    seen_box: np.ndarray | None = None  # the box at the last sighting (flow pixels)
    seen_velocity: float = 0.0  # speed between its last two sightings (flow pixels per second)

    def __post_init__(self) -> None:
        if self.seen_box is None:
            self.seen_box = self.box.copy()


@dataclass(frozen=True, slots=True)
class RawTrack:
    """A finished track: its points in time order, the shot it belongs to, and what it follows."""

    tag: str
    shot: int
    points: tuple[TrackPoint, ...]

    @property
    def seen(self) -> list[TrackPoint]:
        return [p for p in self.points if p.seen]


class MotionTracker:
    """Feed it every frame (`follow`) and the detections of sampled frames (`observe`); collect `finish()`.

    Coordinates: detections and recorded boxes are in upright clip pixels; the grey frames given to
    `follow`/`observe` may be smaller (`scale` = grey width / clip width).
    """

    def __init__(
        self, width: int, height: int, scale: float, max_unseen: float = MAX_UNSEEN, faces: bool = True
    ) -> None:
        self.width, self.height, self.scale = width, height, scale
        self.max_unseen = max_unseen
        # faces: a detection must also be the same face by size, place and time (see MAX_JOIN_AFTER);
        # findings (seen on key frames seconds apart, text boxes that grow and shrink) by overlap only
        self.faces = faces
        self._live: list[_Live] = []
        self._done: list[RawTrack] = []
        self._shot = 0
        self._prev: np.ndarray | None = None
        self._prev_t = 0.0

    # ------------------------------------------------------------------ public

    def cut(self) -> None:
        """A scene cut: nobody is followed across it."""
        for live in self._live:
            self._end(live, alive=True)
        self._live = []
        self._shot += 1
        self._prev = None

    def follow(self, gray: np.ndarray, t: float) -> None:
        """Carry every live box from the previous frame to this one."""
        if self._prev is not None and self._live:
            self._flow(self._prev, gray, t)
        self._prev, self._prev_t = gray, t

    def observe(self, gray: np.ndarray, t: float, detections: Sequence[tuple[Box, float, str]]) -> None:
        """Detections on this (already followed) frame: each joins at most one live track (the one it overlaps
        most, of its tag, and only if it could be the same face) or starts a new one; live tracks unseen
        for too long end."""
        s = self.scale
        dets = [(np.array([b.x * s, b.y * s, (b.x + b.w) * s, (b.y + b.h) * s], np.float32), b, sc, tag)
                for b, sc, tag in detections]
        pairs = sorted(
            ((o, i, j) for i, (db, _b, _sc, tag) in enumerate(dets) for j, live in enumerate(self._live)
             if live.tag == tag and (o := self._match(live, db, t)) >= MIN_IOU),
            reverse=True,
        )
        used_d: set[int] = set()
        used_t: set[int] = set()
        for _o, i, j in pairs:  # one to one: two detections of one sample never go to one track
            if i in used_d or j in used_t:
                continue
            used_d.add(i)
            used_t.add(j)
            self._sighting(self._live[j], gray, t, dets[i])
        for i in sorted(set(range(len(dets))) - used_d, key=lambda i: -dets[i][2]):
            db, box, score, tag = dets[i]
            if any(dets[k][3] == tag and _overlap(db, dets[k][0]) >= 0.5 for k in used_d):
                continue  # a second box on a face seen in this very sample is that face, not a new person
            if not self.faces and any(lv.tag == tag and _overlap(db, lv.box) >= 0.5 for lv in self._live):
                continue  # a finding's text read in pieces on another key frame: the same finding
            used_d.add(i)
            live = _Live([], db, _features(gray, db), t, tag=tag)
            self._record(live, TrackPoint(t, box, True, score), force=True)
            self._live.append(live)
        keep = []
        for live in self._live:
            if t - live.last_seen > self.max_unseen or not self._inside(live.box):
                self._end(live)
            else:
                if live.last_seen < t:
                    self._record(live, TrackPoint(t, self._carried(live), False), force=True)
                keep.append(live)
        self._live = keep

    def _match(self, live: _Live, db: np.ndarray, t: float) -> float:
        """How well a detection fits a live track (box overlap), 0 when it cannot be the face last seen there:
        another size, too far for the time elapsed, or only near a box carried too long by motion alone."""
        dt = t - live.last_seen
        last = live.seen_box
        if not self.faces:
            return max(_iou(db, live.box), _iou(db, last))
        size, det_size = _size(last), _size(db)
        if size <= 0 or det_size <= 0:
            return 0.0
        ratio = SIZE_RATIO + SIZE_RATIO_PER_S * dt
        if not self._at_edge(db) and not 1 / ratio <= det_size / size <= ratio:
            return 0.0  # (a face cut by the frame's edge is smaller than it is: its size says nothing)
        if np.linalg.norm(_centre(db) - _centre(last)) > size * (NEAR + FACES_PER_S * dt):
            return 0.0
        # the flowed box's visible part (detections stop at the frame's edge too)
        carried = _iou(db, self._visible(live.box)) if dt <= MAX_JOIN_AFTER else 0.0
        # or where it was last seen, for someone standing still whose features were dragged away by a person
        # walking in front of them (never for someone who was walking: they moved on)
        standing = live.seen_velocity <= STANDING * size
        return max(carried, _iou(db, last) if standing else 0.0)

    def _sighting(self, live: _Live, gray: np.ndarray, t: float, det) -> None:  # noqa: ANN001
        db, box, score, _tag = det
        if live.points and t > live.last_seen:
            dt = t - live.last_seen
            live.velocity = ((_centre(db) - _centre(live.seen_box)) / dt).astype(np.float32)
            live.seen_velocity = float(np.linalg.norm(live.velocity))
        live.box = db
        live.seen_box = db.copy()
        live.features = _features(gray, db)
        live.last_seen = t
        self._record(live, TrackPoint(t, box, True, score), force=True)

    def finish(self) -> list[RawTrack]:
        for live in self._live:
            self._end(live, alive=True)
        self._live = []
        return self._done

    # ------------------------------------------------------------------ internals

    def _flow(self, prev: np.ndarray, gray: np.ndarray, t: float) -> None:
        """Every live track's features followed in one optical-flow call (the image pyramids are built once
        a frame, not once a track), then each box moved by the median motion of its own features."""
        dt = t - self._prev_t
        moved = _follow_features(prev, gray, [live.features for live in self._live])
        for live, motion in zip(self._live, moved, strict=True):
            if motion is not None:
                d, new = motion
                live.box = live.box + np.array([d[0], d[1], d[0], d[1]], np.float32)
                live.features = new
                if dt > 0:
                    live.velocity = (0.7 * live.velocity + 0.3 * d / dt).astype(np.float32)
            else:
                live.features = None
                if dt > 0:  # nothing to follow (a plain face): keep going the way it went
                    v = live.velocity * dt
                    live.box = live.box + np.array([v[0], v[1], v[0], v[1]], np.float32)
            self._record(live, TrackPoint(t, self._carried(live), False))

    def _carried(self, live: _Live) -> Box:
        """Where an unseen track is covered: the box motion carried it to; for someone who was standing, also
        where they were last seen (the motion may be a person walking in front, dragging the box away)."""
        box = live.box
        if self.faces and live.seen_velocity <= STANDING * _size(live.seen_box):
            box = np.concatenate([np.minimum(box[:2], live.seen_box[:2]), np.maximum(box[2:], live.seen_box[2:])])
        return self._to_box(box)

    def _record(self, live: _Live, point: TrackPoint, force: bool = False) -> None:
        if live.points and live.points[-1].t >= point.t:
            if point.seen:
                live.points[-1] = point
            return
        if force or not live.points or point.t - live.points[-1].t >= RECORD_EVERY - 1e-6:
            live.points.append(point)

    def _end(self, live: _Live, alive: bool = False) -> None:
        # motion-only points after the last sighting are kept for a short while (the export covers a face
        # that is still there but no longer detected), the rest dropped; a track still followed when the
        # shot or the clip ends keeps them all (nothing says the face has gone: between the last sample
        # and the end it is still on screen)
        tail = float("inf") if alive else live.last_seen + min(self.max_unseen, 0.5)
        points = [p for p in live.points if p.t <= tail]
        if any(p.seen for p in points):
            self._done.append(RawTrack(live.tag, self._shot, tuple(points)))

    def _visible(self, box: np.ndarray) -> np.ndarray:
        w, h = self.width * self.scale, self.height * self.scale
        return np.clip(box, 0, [w, h, w, h]).astype(np.float32)

    def _at_edge(self, box: np.ndarray, margin: float = 2.0) -> bool:
        w, h = self.width * self.scale, self.height * self.scale
        return box[0] <= margin or box[1] <= margin or box[2] >= w - margin or box[3] >= h - margin

    def _inside(self, box: np.ndarray) -> bool:
        w, h = self.width * self.scale, self.height * self.scale
        return box[2] > 0 and box[3] > 0 and box[0] < w and box[1] < h

    def _to_box(self, b: np.ndarray) -> Box:
        s = self.scale
        x0 = max(0, min(self.width, round(float(b[0]) / s)))
        y0 = max(0, min(self.height, round(float(b[1]) / s)))
        x1 = max(0, min(self.width, round(float(b[2]) / s)))
        y1 = max(0, min(self.height, round(float(b[3]) / s)))
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def _follow_features(
    prev: np.ndarray, gray: np.ndarray, groups: list[np.ndarray | None]
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Pyramidal Lucas-Kanade over every group of features at once; per group, its median motion and its
    features that were found again (None when fewer than 3 were: the box has nothing left to follow)."""
    import cv2

    sizes = [0 if g is None else len(g) for g in groups]
    out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(groups)
    if not sum(sizes):
        return out
    points = np.concatenate([g for g in groups if g is not None and len(g)]).astype(np.float32)
    nxt, status, _err = cv2.calcOpticalFlowPyrLK(
        prev, gray, points, None, winSize=(15, 15), maxLevel=3,
        criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03),
    )
    ok_all = status.reshape(-1) == 1
    start = 0
    for k, n in enumerate(sizes):
        ok = ok_all[start : start + n]
        if n and ok.sum() >= 3:
            old = points[start : start + n][ok].reshape(-1, 2)
            new = nxt[start : start + n][ok].reshape(-1, 2)
            out[k] = (np.median(new - old, axis=0), new.reshape(-1, 1, 2).astype(np.float32))
        start += n
    return out


def _features(gray: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """Corners to follow inside the box (the inner part, so the background behind the edge is left out)."""
    import cv2

    h, w = gray.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    x0, y0 = int(max(0, box[0] + 0.15 * bw)), int(max(0, box[1] + 0.1 * bh))
    x1, y1 = int(min(w, box[2] - 0.15 * bw)), int(min(h, box[3] - 0.1 * bh))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    mask = np.zeros_like(gray)
    mask[y0:y1, x0:x1] = 255
    pts = cv2.goodFeaturesToTrack(gray, maxCorners=30, qualityLevel=0.01, minDistance=2, mask=mask)
    if pts is None or len(pts) < 3:
        return None
    return pts.astype(np.float32)


def _size(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def _centre(box: np.ndarray) -> np.ndarray:
    return (box[:2] + box[2:]) / 2


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """How much of the smaller box lies inside the other."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(ix * iy / small) if small > 0 else 0.0


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
