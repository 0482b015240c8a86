"""Tracker choice, measured: our motion tracker against tracking libraries, on the same sampled faces.

    python -m bench.trackers [--seconds 30] [--only ours,bytetrack,...]

Builds clips with tests/data/clip_builder.py (a short clip: someone standing, a walker entering and leaving,
a cut, a zoom; a landscape and a portrait "phone" clip: pans, zooms, a cut, people walking through at faces
44-160 px). One pass over each clip decodes every frame, detects faces on the analyser's samples (three a
second, the first frame after a cut, sooner on a large change) and runs our tracker (`tracks.MotionTracker`, boxes carried by
optical flow between samples). Every library tracker then gets exactly those detections, sample by sample,
with the sample's time, and is started afresh at each cut (as ours is). Libraries that are not installed are
skipped and said so: `norfair`, `trackers` (ByteTrack, SORT, OC-SORT; supervision's ByteTrack moved there).
Neither is a dependency of ConsentDesk: install them into a development environment to compare.

Per clip and tracker it prints: people (on screen >= 1 s with a face >= 40 px) found; tracks per person found
(1.00 = one track each, more = a person cut into pieces); ID switches (a person's sightings passing from one
track to another); tracks on two people (one track following first one person then another: a decision
would follow the wrong face; each sighting counts for the one face it overlaps most, so a walker's box
passing in front of someone standing is the walker's); face-frames not covered (frames where such a person's face is not inside
what the export would destroy, `clip_export.cover_at`, for any track); and the tracker's own time (ours: the
optical flow on every frame and the matching; the libraries: the matching on samples only).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_RATE = 3.0  # the analyser's default (ClipConfig.sample_rate)
MATCH_IOU = 0.3  # a track's sighting is a person's face when they overlap this much


@dataclass
class Sampled:
    """One clip's samples (time, shot, face boxes x0 y0 x1 y1 with scores) and our tracker's result."""

    width: int
    height: int
    samples: list[tuple[float, int, list[tuple[tuple[float, float, float, float], float]]]]
    ours: list[list]  # tracks as TrackPoint lists
    ours_seconds: float


def sample(path: Path) -> Sampled:
    """Decode the clip once: the analyser's own samples and detections, and our tracker's tracks and time."""
    from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig

    class Recording(ClipAnalyser):
        def __init__(self) -> None:
            super().__init__(ClipConfig(background=False))
            self.samples, self.shot, self.now, self.step_seconds = [], 0, 0.0, 0.0

        def _step(self, item, faces, marks, found, timings, width, height):  # noqa: ANN001, ANN202
            self.shot += bool(item.cut)
            self.now = item.t
            start = time.perf_counter()
            super()._step(item, faces, marks, found, timings, width, height)
            self.step_seconds += time.perf_counter() - start

        def _faces(self, rgb, width, height):  # noqa: ANN001, ANN202
            dets = super()._faces(rgb, width, height)
            boxes = [((b.x, b.y, b.x + b.w, b.y + b.h), float(s)) for b, s in dets]
            self.samples.append((self.now, self.shot, boxes))
            return dets

    analyser = Recording()
    result = analyser.analyse(path)
    assert result.error is None, result.error
    seconds = analyser.step_seconds - result.timings["faces"]  # flow and matching, without the detector
    tracks = [list(tr.points) for tr in result.face_tracks]
    return Sampled(result.width, result.height, analyser.samples, tracks, seconds)


# --- the libraries, each behind one small adapter: (make a tracker, feed it one sample) -------------------


def _trackers_lib(kind: str) -> tuple[Callable, Callable] | None:
    if importlib.util.find_spec("trackers") is None:
        return None
    import supervision as sv
    import trackers

    def make():  # noqa: ANN202
        common = {"frame_rate": SAMPLE_RATE, "lost_track_buffer": 45, "minimum_consecutive_frames": 1}  # 1.5 s, as ours
        if kind == "bytetrack":
            return trackers.ByteTrackTracker(track_activation_threshold=0.1, high_conf_det_threshold=0.1, **common)
        if kind == "ocsort":
            return trackers.OCSORTTracker(high_conf_det_threshold=0.1, **common)
        return trackers.SORTTracker(track_activation_threshold=0.1, **common)

    def feed(tracker, t: float, dets: list) -> list[tuple[int, tuple, bool]]:  # noqa: ANN001
        if not dets:
            found = tracker.update(sv.Detections.empty(), timestamp=t)
        else:
            xyxy = np.array([b for b, _s in dets], dtype=float)
            found = tracker.update(sv.Detections(xyxy=xyxy, confidence=np.array([s for _b, s in dets])), timestamp=t)
        return [(int(i), tuple(box), True) for box, i in zip(found.xyxy, found.tracker_id, strict=True) if i >= 0]

    return make, feed


def _norfair(gate: str) -> tuple[Callable, Callable] | None:
    if importlib.util.find_spec("norfair") is None:
        return None
    import norfair

    def centre_distance(det, obj) -> float:  # noqa: ANN001 - how many face heights apart the centres are
        a, b = det.points, obj.estimate
        height = max(1.0, a[1, 1] - a[0, 1])
        return float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)) / height)

    def make():  # noqa: ANN202
        hits = round(1.5 * SAMPLE_RATE)  # survives 1.5 s without a sighting, as ours
        if gate == "iou":
            return norfair.Tracker("iou", distance_threshold=1 - 0.2, hit_counter_max=hits, initialization_delay=0)
        logging.disable(logging.WARNING)  # norfair suggests a vectorised distance; a few boxes a sample need none
        try:
            return norfair.Tracker(centre_distance, distance_threshold=3.0, hit_counter_max=hits, initialization_delay=0)
        finally:
            logging.disable(logging.NOTSET)

    def feed(tracker, t: float, dets: list) -> list[tuple[int, tuple, bool]]:  # noqa: ANN001, ARG001
        detections = [
            norfair.Detection(np.array([[b[0], b[1]], [b[2], b[3]]]), scores=np.array([s, s])) for b, s in dets
        ]
        out = []
        for obj in tracker.update(detections):
            (x0, y0), (x1, y1) = obj.estimate
            out.append((obj.id, (x0, y0, x1, y1), any(obj.last_detection is d for d in detections)))
        return out

    return make, feed


LIBRARIES: dict[str, Callable[[], tuple[Callable, Callable] | None]] = {
    "trackers ByteTrack": lambda: _trackers_lib("bytetrack"),
    "trackers SORT": lambda: _trackers_lib("sort"),
    "trackers OC-SORT": lambda: _trackers_lib("ocsort"),
    "norfair (IoU)": lambda: _norfair("iou"),
    "norfair (centre distance)": lambda: _norfair("centre"),
}


def run_library(adapter: tuple[Callable, Callable], sampled: Sampled) -> tuple[list[list], float]:
    """Feed the samples to a fresh tracker per shot; its tracks as TrackPoint lists, and the time it took."""
    from consentdesk.core.values import Box, TrackPoint

    make, feed = adapter
    tracks: dict[tuple[int, int], list] = {}
    shot, tracker, seconds = None, None, 0.0
    for t, s, dets in sampled.samples:
        start = time.perf_counter()
        if s != shot:
            shot, tracker = s, make()
        found = feed(tracker, t, dets)
        seconds += time.perf_counter() - start
        for track_id, (x0, y0, x1, y1), seen in found:
            x0, y0 = max(0, round(x0)), max(0, round(y0))
            box = Box(x0, y0, max(1, min(sampled.width, round(x1)) - x0), max(1, min(sampled.height, round(y1)) - y0))
            tracks.setdefault((s, track_id), []).append(TrackPoint(t, box, seen))
    return [points for points in tracks.values() if any(p.seen for p in points)], seconds


# --- scoring against the clip's ground truth --------------------------------------------------------------


def _iou(a: tuple, b: list[int]) -> float:
    x, y, w, h = b
    ix = max(0.0, min(a[2], x + w) - max(a[0], x))
    iy = max(0.0, min(a[3], y + h) - max(a[1], y))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + w * h - inter)


def score(tracks: list[list], truth, people: dict) -> dict:
    """Found, tracks per person, ID switches, tracks on two people, face-frames not covered."""
    by_t = {round(f.t, 3): f for f in truth.frames}
    sightings: dict[int, list[tuple[float, int]]] = {p: [] for p in people}
    owners: dict[int, set[int]] = {}
    for k, points in enumerate(tracks):
        for p in points:
            frame = by_t.get(round(p.t, 3))
            if not p.seen or frame is None:
                continue
            box = (p.box.x, p.box.y, p.box.x + p.box.w, p.box.y + p.box.h)
            # the face it overlaps most: when a walker passes in front of someone, one box overlaps both
            # faces, and it is the face in front (the one the detector saw) that it stands for
            overlap, person = max(((_iou(box, face), q) for q, face in frame.faces.items()), default=(0.0, None))
            if overlap >= MATCH_IOU:
                owners.setdefault(k, set()).add(person)
                if person in sightings:
                    sightings[person].append((p.t, k))
    found = {p: s for p, s in sightings.items() if s}
    switches = sum(sum(a[1] != b[1] for a, b in zip(sorted(s), sorted(s)[1:], strict=False)) for s in found.values())
    per_person = sum(len({k for _t, k in s}) for s in found.values()) / max(1, len(found))
    missed, total = _uncovered(tracks, people)
    return {
        "found": len(found) / max(1, len(people)),
        "per_person": per_person,
        "switches": switches,
        "mixed": sum(len(o) > 1 for o in owners.values()),
        "missed": missed,
        "face_frames": total,
    }


def _uncovered(tracks: list[list], people: dict) -> tuple[int, int]:
    """Face-frames of the people to find whose face is not (90 % of it) inside any track's cover."""
    from consentdesk.core.review.clip_export import cover_at

    spans = [(points[0].t - 0.5, points[-1].t + 0.5, points, [p for p in points if p.seen]) for points in tracks]
    missed = total = 0
    for person, frames in people.items():
        for frame in frames:
            x, y, w, h = frame.faces[person]
            total += 1
            for start, end, points, seen in spans:
                if not start <= frame.t <= end:
                    continue
                region = cover_at(points, seen, frame.t)
                if region is None:
                    continue
                ix = max(0.0, min(region[2], x + w) - max(region[0], x))
                iy = max(0.0, min(region[3], y + h) - max(region[1], y))
                if ix * iy >= 0.9 * w * h:
                    break
            else:
                missed += 1
    return missed, total


# --- the run ---------------------------------------------------------------------------------------------


def clips(folder: Path, seconds: float) -> dict[str, tuple[Path, object]]:
    from tests.data.clip_builder import ClipSpec

    specs = {
        "short 6 s 640x360 (walker in and out, cut, zoom)": ClipSpec(seconds=6.0, seed=1),
        f"phone {seconds:.0f} s 1280x720 (pans, zooms, cut, walkers)": ClipSpec(
            seconds=seconds, size=(1280, 720), scene="phone", seed=7
        ),
        f"portrait {seconds:.0f} s 720x1280": ClipSpec(seconds=seconds, size=(720, 1280), scene="phone", seed=3),
    }
    return {name: (folder / f"{i}.mp4", spec) for i, (name, spec) in enumerate(specs.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the phone clips")
    parser.add_argument("--only", help="comma-separated tracker names (substring match) besides ours")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    adapters = {}
    for name, get in LIBRARIES.items():
        if args.only and not any(w.strip().lower() in name.lower() for w in args.only.split(",")):
            continue
        adapter = get()
        if adapter is None:
            print(f"{name}: not installed, skipped (pip install {name.split()[0]})")
        else:
            adapters[name] = adapter
    from tests.data.clip_builder import write_clip

    with tempfile.TemporaryDirectory() as tmp:
        for clip_name, (path, spec) in clips(Path(tmp), args.seconds).items():
            truth = write_clip(path, spec)
            sampled = sample(path)
            _table(clip_name, truth, sampled, adapters)
    return 0


def _table(clip_name: str, truth, sampled: Sampled, adapters: dict) -> None:
    people = truth.people(min_seconds=1.0, min_face=40)
    print(f"\n{clip_name}: {len(people)} people on screen >= 1 s with a face >= 40 px, "
          f"{len(sampled.samples)} samples")
    print(f"  {'tracker':<26} {'found':>6} {'tracks/person':>13} {'ID switches':>11} {'on 2 people':>11} "
          f"{'face-frames not covered':>24} {'time ms':>8}")
    rows = [("ours (optical flow)", sampled.ours, sampled.ours_seconds)]
    rows += [(name, *run_library(adapter, sampled)) for name, adapter in adapters.items()]
    for name, tracks, seconds in rows:
        s = score(tracks, truth, people)
        missed = f"{s['missed']} / {s['face_frames']} ({s['missed'] / max(1, s['face_frames']):.1%})"
        print(f"  {name:<26} {s['found']:>6.0%} {s['per_person']:>13.2f} {s['switches']:>11} {s['mixed']:>11} "
              f"{missed:>24} {seconds * 1000:>8.0f}")


if __name__ == "__main__":
    raise SystemExit(main())
