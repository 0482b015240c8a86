"""Faces boxed by eye on crowd photos (`--face-boxes FILE`): recall by size band and false faces.

FILE is JSON {file: [[x, y, w, h], ...]} in the upright full-size photo's pixels, every face boxed. Keys
starting with "_" are not photos; two are read: "_regions" {file: [x, y, w, h]} for photos boxed only
inside a region (a dense crowd: the faces whose centre lies there; detections are judged only inside it,
8 px in from its edge, so a face cut by the edge is not called false), and "_unsure" {file: boxes} that
could not be told either way by eye (neither faces to find nor false faces).

Why bands: a single share hides where the misses are, and the faces that matter most (a crowd at the back
of a donor centre) are the small ones. A face counts as found when its centre lies in a detected box (as
before); a detection is false when it matches no boxed or unsure face (centre in it either way, or IoU >=
0.3: a box shifted over a small face is the same face).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

#: Size bands (face width in pixels of the original photo): [lo, hi), hi None for no upper bound.
BANDS: tuple[tuple[int, int | None], ...] = ((12, 20), (20, 40), (40, None))
_EDGE = 8

Box = tuple[float, float, float, float]


@dataclass
class FaceBoxes:
    """Boxed faces per photo, with the optional regions and unsure boxes (see the module docstring)."""

    faces: dict[str, list[Box]]
    regions: dict[str, Box] = field(default_factory=dict)
    unsure: dict[str, list[Box]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> FaceBoxes:
        raw = json.loads(Path(path).read_text())
        faces = {k: [tuple(b) for b in v] for k, v in raw.items() if not k.startswith("_")}
        regions = {k: tuple(v) for k, v in raw.get("_regions", {}).items()}
        unsure = {k: [tuple(b) for b in v] for k, v in raw.get("_unsure", {}).items()}
        return cls(faces, regions, unsure)


@dataclass
class Recall:
    """Faces found / boxed per band (and in all bands from min_px), and false faces, over the photos."""

    min_px: int
    bands: dict[str, list[int]] = field(default_factory=dict)
    false: int = 0
    photos: int = 0

    def share(self) -> str:
        """Found / boxed over every band, as "h/n (x%)"."""
        hit, total = (sum(v[i] for v in self.bands.values()) for i in (0, 1))
        return f"{hit}/{total} ({hit / max(total, 1):.1%})"

    def lines(self) -> list[str]:
        out = [f"faces >= {self.min_px} px found on crowd photos: {self.share()}"]
        out += [f"   {name} px: {h}/{n} ({h / max(n, 1):.1%})" for name, (h, n) in self.bands.items()]
        out.append(f"   false faces: {self.false} on {self.photos} photos ({self.false / max(self.photos, 1):.2f} per photo)")
        return out


def _centre(b: Box) -> tuple[float, float]:
    return b[0] + b[2] / 2, b[1] + b[3] / 2


def _inside(p: tuple[float, float], b: Box) -> bool:
    return b[0] <= p[0] <= b[0] + b[2] and b[1] <= p[1] <= b[1] + b[3]


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def _bands(min_px: int) -> list[tuple[str, int, int | None]]:
    """The bands from min_px up, named by their limits."""
    out = []
    for lo, hi in BANDS:
        lo = max(lo, min_px)
        if hi is None or lo < hi:
            out.append((f"{lo}-{hi}" if hi else f">= {lo}", lo, hi))
    return out


def _band(width: float, bands: list[tuple[str, int, int | None]]) -> str | None:
    return next((name for name, lo, hi in bands if width >= lo and (hi is None or width < hi)), None)


def _false(dets: list[Box], known: list[Box], region: Box | None) -> int:
    if region is not None:
        e = _EDGE
        region = (region[0] + e, region[1] + e, region[2] - 2 * e, region[3] - 2 * e)
    judged = [d for d in dets if region is None or _inside(_centre(d), region)]
    return sum(
        not any(_inside(_centre(t), d) or _inside(_centre(d), t) or _iou(t, d) >= 0.3 for t in known) for d in judged
    )


def recall(truth: FaceBoxes, found: dict[str, list[Box]], min_px: int) -> Recall:
    """Score detections (`found`: {file: [[x, y, w, h], ...]}, original pixels) against the boxed faces."""
    bands = _bands(min_px)
    out = Recall(min_px, {name: [0, 0] for name, _, _ in bands})
    for name, boxes in truth.faces.items():
        if name not in found:
            continue
        dets = [tuple(d) for d in found[name]]
        for b in boxes:
            band = _band(b[2], bands)
            if band is not None:
                out.bands[band][0] += any(_inside(_centre(b), d) for d in dets)
                out.bands[band][1] += 1
        out.false += _false(dets, boxes + truth.unsure.get(name, []), truth.regions.get(name))
        out.photos += 1
    return out
