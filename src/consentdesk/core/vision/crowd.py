"""A second, enlarged face pass over a crowd: only where small faces were already found.

Why: the face stage runs on a reduced copy of the photo (CenterFace's cost grows with the pixels), where a
face 7-12 px wide is near the detector's limit, and a crowd at the back of a donor centre is exactly where
people without consent stand. Enlarging the whole photo costs several times the whole check, so the
enlarged look is spent only where the first pass shows a crowd: several faces, most of them small. The
band those faces span (plus a margin of a few face heights) is cut into tiles of at most `tile` pixels,
each enlarged and searched again; what the tiles find is merged with the first pass (overlaps dropped).

How much to enlarge is set by the original photo, not the first pass: on a crowd set boxed by eye (14
photos, 483 faces of 12 px or more), CenterFace found most 12-40 px faces at about 1.3 original pixels per
pixel (92 % at its usual threshold, 89 % at 1.0x, 89 % at 2.0x), while the first-pass-relative zoom left
a large photo's band below its original size (0.6-0.8x). The band is searched at a slightly lower
threshold than the first pass: there, several small faces are already known to be present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A face of at most this many pixels (in the array given to the detector) counts as small.
SMALL_FACE_PX = 24
#: The crowd band is searched at about this many pixels per original pixel (see the module docstring)...
ORIGINAL_SCALE = 1.3
#: ...enlarging the working image at most this much (beyond it the pixels are only interpolated)...
MAX_WORK_ZOOM = 2.0
#: ...and giving the detector at most this many pixels (a 12 MP crowd's band costs ~0.2 s CPU more).
MAX_PIXELS = 3_000_000
#: Score a face needs in the crowd band: 0.30 found 95.9 % of the crowd set's faces >= 12 px where 0.35
#: (the first pass's) found 94.6 %, for 0.7 more false faces per crowd photo (hands, backs of heads).
CROWD_THRESHOLD = 0.30


@dataclass(frozen=True, slots=True)
class CrowdPlan:
    """Where to look again (x, y, w, h in the first pass's pixels) and how much to enlarge."""

    box: tuple[int, int, int, int]
    zoom: float


def plan(boxes: list[tuple[int, int, int, int]], shape: tuple[int, int], min_faces: int = 4) -> CrowdPlan | None:
    """Whether the first pass shows a crowd of small faces, and the band to search again if so."""
    small = [b for b in boxes if b[2] <= SMALL_FACE_PX]
    if len(small) < min_faces or len(small) < 0.5 * len(boxes):
        return None
    h, w = shape
    fh = float(np.median([b[3] for b in small]))
    x0 = max(0, int(min(b[0] for b in small) - 3 * fh))
    y0 = max(0, int(min(b[1] for b in small) - 3 * fh))
    x1 = min(w, int(max(b[0] + b[2] for b in small) + 3 * fh))
    y1 = min(h, int(max(b[1] + b[3] for b in small) + 3 * fh))
    # enlarge so the median small face is ~24 px, at most 2x (beyond that CenterFace gains little)
    zoom = float(np.clip(SMALL_FACE_PX / max(fh, 1.0), 1.3, 2.0))
    return CrowdPlan((x0, y0, x1 - x0, y1 - y0), zoom)


def work_zoom(plan_zoom: float, band: tuple[int, int], original_per_work: float) -> float:
    """Enlargement of the working image for the crowd pass: about ORIGINAL_SCALE original pixels per pixel,
    within MAX_WORK_ZOOM and MAX_PIXELS for the band (w, h in working pixels), never less than planned."""
    w, h = band
    budget = (MAX_PIXELS / max(w * h, 1)) ** 0.5
    return max(plan_zoom, min(ORIGINAL_SCALE * original_per_work, MAX_WORK_ZOOM, budget))


def search(
    detector, rgb: np.ndarray, where: CrowdPlan, tile: int = 1280, threshold: float | None = CROWD_THRESHOLD
) -> list[tuple[tuple[int, int, int, int], float]]:
    """Run `detector` (a FaceDetector) over the planned band, enlarged, in tiles; boxes in `rgb` pixels.
    `threshold` is the score a face needs there (None: the detector's own)."""
    import cv2

    x, y, w, h = where.box
    band = rgb[y : y + h, x : x + w]
    if band.size == 0:
        return []
    z = where.zoom
    big = cv2.resize(band, (max(1, round(w * z)), max(1, round(h * z))), interpolation=cv2.INTER_LINEAR)
    bh, bw = big.shape[:2]
    margin = 64  # tiles overlap by more than a small face, so none is cut in two
    out: list[tuple[tuple[int, int, int, int], float]] = []
    for ty in range(0, max(1, bh - margin), tile - margin):
        for tx in range(0, max(1, bw - margin), tile - margin):
            part = big[ty : ty + tile, tx : tx + tile]
            for f in detector.detect(part, threshold):
                b = f.box
                out.append(
                    (
                        (
                            round(x + (tx + b.x) / z),
                            round(y + (ty + b.y) / z),
                            max(1, round(b.w / z)),
                            max(1, round(b.h / z)),
                        ),
                        f.score,
                    )
                )
    return out


def merge(
    first: list[tuple[tuple[int, int, int, int], float]],
    more: list[tuple[tuple[int, int, int, int], float]],
    iou: float = 0.3,
) -> list[tuple[tuple[int, int, int, int], float]]:
    """First-pass faces plus the new ones that overlap none of them (or each other)."""
    import cv2

    every = first + more
    if not every:
        return []
    keep = cv2.dnn.NMSBoxes([list(b) for b, _ in every], [s for _, s in every], 0.0, iou)
    return [every[i] for i in sorted(np.asarray(keep).reshape(-1).tolist())]
