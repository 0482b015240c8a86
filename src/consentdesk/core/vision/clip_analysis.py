"""Checking a clip: people followed as tracks, background findings followed the same way.

How a clip is checked (the same questions as a photo, asked of moving pictures):
- Every frame is decoded (the decoder must anyway, frames depend on each other), but only a small grey
  copy of each is kept, for two cheap jobs: spotting scene cuts and carrying each live box along with the
  motion (`tracks.MotionTracker`).
- Faces are detected on a few sampled frames per second (`ClipConfig.sample_rate`), on the first frame
  after every cut and sooner when the picture changes a lot, with the same detector as photos. Each
  sighting joins the track it overlaps if it can be the same face (size, place, time), or starts a new
  one: one person walking through the frame is one track, two people are never one.
- The background check (text with personal data, codes, screens, documents, plates: the photo pipeline)
  runs on key frames: the first of each shot, then whenever the view has changed enough, at most every
  `key_every` seconds. Its findings are followed between key frames by motion too, so a redacted label
  stays redacted while the camera pans.
- Decoding runs in a thread of its own, a few frames ahead, while detection runs here; both release the
  GIL, so the two cores are used. Frames are dropped as soon as they are used: memory stays flat however
  long the clip is.

What is kept: per track, its boxes over time and the masked text of a finding (exactly what a photo's
analysis keeps). No pixels, no face features.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consentdesk.core.media.video import Cancelled, ClipError, ClipReader
from consentdesk.core.values import Analysis, Box, ClipTrack, Face, Finding, FindingKind, Severity
from consentdesk.core.vision.tracks import MotionTracker, RawTrack

#: Bump when sampling, tracking or the detectors change (stored with each analysis).
CLIP_ANALYSER_VERSION = (
    "consentdesk-clips 1.7 (faces at 1280 px 3/s, int8 face model, tracks split when in doubt, key-frame background "
    "with the photos' check 3.9)"
)

_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


@dataclass(frozen=True, slots=True)
class ClipConfig:
    """Measured on a 2-core machine with bench/video.py (README, video section): every person with a face
    >= 40 px found, one track each. Three samples a second: since the export sweeps a track's first and last
    sighting along the motion between its sightings, two leave no face-frame outside every export region
    either (bench/trackers.py), but with the int8 face model the exported test clip's 4-block mosaic was
    then taken for a face on one frame (score 0.49): three costs little more with that model. (The export
    now covers a blurred person with one flat block, which no frame took for a face.)"""

    sample_rate: float = 3.0  # face detection samples per second (and the first frame after a cut)
    motion_change: float = 8.0  # mean grey difference (0-255) from the last sample that brings the next one forward
    motion_min_gap: float = 0.15  # ... but samples stay at least this far apart
    # long side of the frame given to the face detector: a 40 px face at 1080p is 27 px there (at 960 px,
    # 20 px: a third less CPU, but a false face on a test clip; 1920: twice the CPU)
    face_side: int = 1280
    flow_side: int = 640  # long side of the grey copy used for motion and cuts (480: walkers split)
    key_every: float = 4.0  # background check at most this many seconds apart while the view changes
    key_min_gap: float = 1.0  # ... and at least this far apart
    key_change: float = 12.0  # mean grey difference (0-255) from the last key frame that makes a new one
    cut_change: float = 30.0  # mean grey difference between two frames that counts as a cut
    background: bool = True  # run the background check (off: faces only, e.g. in the benchmark)


ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]


@dataclass
class _Item:
    index: int
    t: float
    gray: np.ndarray
    rgb: np.ndarray | None
    cut: bool
    key: bool


class _Schedule:
    """Which frames are looked at: a cut ends every track; faces are detected `sample_rate` times a second,
    on the first frame after a cut, and sooner when the picture has changed a lot since the last sample
    (a fast pan or someone rushing past: the motion between samples would be too much to carry a box
    through); the background check runs on key frames (first of a shot, a changed view, or `key_every`)."""

    def __init__(self, cfg: ClipConfig) -> None:
        self.cfg = cfg
        self.prev_tiny: np.ndarray | None = None
        self.key_tiny: np.ndarray | None = None
        self.sample_tiny: np.ndarray | None = None
        self.last_sample, self.last_key = -1e9, -1e9

    def next(self, index: int, t: float, gray: np.ndarray) -> tuple[bool, bool, bool]:
        """(cut, sample, key) for this frame."""
        cfg = self.cfg
        tiny = _tiny(gray)
        cut = self.prev_tiny is not None and _change(tiny, self.prev_tiny) > cfg.cut_change
        self.prev_tiny = tiny
        start = index == 0 or cut
        sample = start or t + 1e-6 >= self.last_sample + 1.0 / cfg.sample_rate
        if not sample and t - self.last_sample >= cfg.motion_min_gap and self.sample_tiny is not None:
            sample = _change(tiny, self.sample_tiny) > cfg.motion_change
        key = start
        if not key and t - self.last_key >= cfg.key_min_gap:
            changed = self.key_tiny is not None and _change(tiny, self.key_tiny) > cfg.key_change
            key = changed or t - self.last_key >= cfg.key_every
        key = key and cfg.background
        if sample:
            self.last_sample, self.sample_tiny = t, tiny
        if key:
            self.last_key, self.key_tiny = t, tiny
        return cut, sample, key


class ClipAnalyser:
    """Runs the check over one clip; the detectors come from the photo analyser (loaded once)."""

    def __init__(self, config: ClipConfig | None = None, analyser=None) -> None:
        from consentdesk.core.vision.analyse import default_analyser

        self.config = config or ClipConfig()
        self.analyser = analyser or default_analyser()

    def analyse(
        self, path: str | Path, progress: ProgressFn | None = None, cancel: CancelFn | None = None
    ) -> Analysis:
        """Never raises for a bad clip (the Analysis carries the error); raises `Cancelled`."""
        t0 = time.perf_counter()
        try:
            reader = ClipReader(path)
        except ClipError as exc:
            return Analysis(path=str(path), error=str(exc), analyser_version=CLIP_ANALYSER_VERSION)
        with reader:
            info = reader.info
            try:
                faces, findings, timings = self._run(reader, progress, cancel)
            except ClipError as exc:
                return Analysis(
                    path=str(path), width=info.width, height=info.height, error=str(exc),
                    analyser_version=CLIP_ANALYSER_VERSION, clip=info,
                )
        timings["total"] = time.perf_counter() - t0
        face_tracks = sorted(faces, key=lambda tr: tr.first)
        finding_tracks = sorted(findings, key=lambda tf: tf[0].first)
        return Analysis(
            path=str(path),
            width=info.width,
            height=info.height,
            faces=tuple(Face(tr.best.box, tr.best.score) for tr in face_tracks),
            findings=tuple(f for _tr, f in finding_tracks),
            analyser_version=CLIP_ANALYSER_VERSION,
            timings=timings,
            clip=info,
            face_tracks=tuple(face_tracks),
            finding_tracks=tuple(tr for tr, _f in finding_tracks),
        )

    # ------------------------------------------------------------------ the pass over the frames

    def _run(self, reader: ClipReader, progress, cancel):
        info = reader.info
        flow_k = min(1.0, self.config.flow_side / max(info.width, info.height))
        faces = MotionTracker(info.width, info.height, flow_k)
        marks = MotionTracker(info.width, info.height, flow_k, max_unseen=float("inf"), faces=False)
        found: list[tuple[float, Finding]] = []  # every finding seen, with its time (to pick a track's text)
        items: queue.Queue = queue.Queue(maxsize=8)
        stop = threading.Event()
        failure: list[BaseException] = []
        timings = {"decode": 0.0, "faces": 0.0, "background": 0.0, "motion": 0.0}
        worker = threading.Thread(
            target=self._decode, args=(reader, items, stop, failure, timings), name="clip-decode", daemon=True
        )
        worker.start()
        total = max(info.duration, 1e-6)
        try:
            while (item := items.get()) is not None:
                if cancel is not None and cancel():
                    raise Cancelled()
                self._step(item, faces, marks, found, timings, info.width, info.height)
                if progress is not None:
                    progress(min(1.0, item.t / total))
        finally:
            stop.set()
            while worker.is_alive():  # let the decoder see the stop and finish
                with contextlib.suppress(queue.Empty):
                    items.get(timeout=0.1)
            worker.join()
        if failure and not isinstance(failure[0], Cancelled):
            raise failure[0]  # a ClipError from the decoder: the clip is cut short or damaged
        person_tracks = [ClipTrack(r.points, r.shot) for r in faces.finish()]
        finding_tracks = [self._finding_track(r, found) for r in marks.finish()]
        return person_tracks, finding_tracks, timings

    def _decode(self, reader: ClipReader, items: queue.Queue, stop, failure: list, timings: dict) -> None:
        """The decoding thread: every frame's grey copy, and colour copies of samples and key frames (each
        converted straight from the decoder's frame at the size it is needed, nothing else)."""
        cfg = self.config
        plan = _Schedule(cfg)
        t_dec = time.perf_counter()
        try:
            for frame in reader.frames(cancel=stop.is_set):
                gray = frame.array(cfg.flow_side, "gray")
                cut, sample, key = plan.next(frame.index, frame.t, gray)
                rgb = frame.array(max(cfg.face_side, 2000) if key else cfg.face_side) if (sample or key) else None
                timings["decode"] += time.perf_counter() - t_dec
                items.put(_Item(frame.index, frame.t, gray, rgb, cut, key))
                t_dec = time.perf_counter()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            failure.append(exc)
        finally:
            items.put(None)

    def _step(self, item: _Item, faces, marks, found: list, timings: dict, width: int, height: int) -> None:
        """One frame: boxes follow the motion; a sample's faces and a key frame's findings join tracks."""
        t = time.perf_counter()
        if item.cut:
            faces.cut()
            marks.cut()
        faces.follow(item.gray, item.t)
        marks.follow(item.gray, item.t)
        timings["motion"] += time.perf_counter() - t
        if item.rgb is None:
            return
        t = time.perf_counter()
        # a key frame comes at full size for the background check: the face detector gets its own size
        dets = self._faces(_fit(item.rgb, self.config.face_side), width, height)
        timings["faces"] += time.perf_counter() - t
        faces.observe(item.gray, item.t, [(b, s, "face") for b, s in dets])
        if item.key:
            t = time.perf_counter()
            bg = self._background(item.rgb, width, height)
            timings["background"] += time.perf_counter() - t
            found.extend((item.t, f) for f in bg)
            marks.observe(item.gray, item.t, [(f.box, _SEVERITY_RANK[f.severity], str(f.kind)) for f in bg])

    def _faces(self, rgb: np.ndarray, width: int, height: int) -> list[tuple[Box, float]]:
        k = rgb.shape[1] / width
        out = []
        for f in self.analyser.faces.detect(rgb):
            b = f.box
            out.append((_scaled(b, 1 / k, width, height), f.score))
        return out

    def _background(self, rgb: np.ndarray, width: int, height: int) -> list[Finding]:
        return self.analyser.background_findings(rgb, width, height)

    @staticmethod
    def _finding_track(raw: RawTrack, found: list[tuple[float, Finding]]) -> tuple[ClipTrack, Finding]:
        """The finding a track stands for: its kind, the most severe sighting's severity, and the masked
        text and box of its best sighting."""
        track = ClipTrack(raw.points, raw.shot)
        kind = FindingKind(raw.tag)
        best = track.best
        candidates = [
            f for t, f in found if abs(t - best.t) < 1e-6 and f.kind is kind and f.box == best.box
        ]
        chosen = candidates[0] if candidates else None
        severity = max(
            (Severity(s) for s in _severities(raw, found, kind)), key=lambda s: _SEVERITY_RANK[s],
            default=chosen.severity if chosen else Severity.MEDIUM,
        )
        text = chosen.text if chosen else ""
        return track, Finding(kind, best.box, text, severity)


def _severities(raw: RawTrack, found: list[tuple[float, Finding]], kind: FindingKind) -> list[str]:
    seen = {(p.t, p.box) for p in raw.points if p.seen}
    return [str(f.severity) for t, f in found if f.kind is kind and (t, f.box) in seen]


def _fit(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    k = side / max(h, w)
    if k >= 1.0:
        return rgb
    return cv2.resize(rgb, (max(2, round(w * k)), max(2, round(h * k))), interpolation=cv2.INTER_AREA)


def _tiny(gray: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(gray, (64, 36), interpolation=cv2.INTER_AREA).astype(np.int16)


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


def _scaled(b: Box, f: float, width: int, height: int) -> Box:
    x0, y0 = max(0, round(b.x * f)), max(0, round(b.y * f))
    x1, y1 = min(width, round((b.x + b.w) * f)), min(height, round((b.y + b.h) * f))
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


_default: ClipAnalyser | None = None


def analyse_clip(
    path: str | Path, progress: ProgressFn | None = None, cancel: CancelFn | None = None
) -> Analysis:
    """Worker-friendly entry point: one ClipAnalyser (and one set of models) per process."""
    global _default
    if _default is None:
        _default = ClipAnalyser()
    return _default.analyse(path, progress, cancel)

