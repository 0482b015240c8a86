"""8-connected blobs of a mask with their boxes and areas: one call for every stage that counts blobs.

Why its own function: OpenCV's default labelling for 8-connectivity (Spaghetti) takes ~6.5 ms on the
1280 px masks of the plate and code candidates with one thread, Grana's block-based labelling ~1.9 ms,
with the same labels, boxes and areas (checked on every mask of the dev sets, 598 of them): four masks a
photo made that 14 ms of CPU per photo (bench/stage_cpu.py).
"""

from __future__ import annotations

import numpy as np


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(count, labels, stats, centroids) of `mask`'s 8-connected blobs, as cv2.connectedComponentsWithStats."""
    import cv2

    return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_GRANA)


def trimmed_rect(contour: np.ndarray, area: float) -> np.ndarray | None:
    """The upright rectangle (4 x 2) a blob fills once the rows and columns it fills under 80 % as much as its
    fullest are trimmed away (a hand or a lamp joined to a panel's edge), None when too small or not filled."""
    import cv2

    x, y, w, h = cv2.boundingRect(contour)
    blob = np.zeros((h, w), np.uint8)
    cv2.drawContours(blob, [contour - (x, y)], -1, 1, thickness=cv2.FILLED)
    cols = np.flatnonzero(blob.sum(axis=0) >= 0.8 * blob.sum(axis=0).max())
    rows = np.flatnonzero(blob.sum(axis=1) >= 0.8 * blob.sum(axis=1).max())
    if len(cols) < 8 or len(rows) < 8:
        return None
    c0, c1, r0, r1 = int(cols[0]), int(cols[-1]), int(rows[0]), int(rows[-1])
    if blob[r0 : r1 + 1, c0 : c1 + 1].mean() < 0.85 or (c1 - c0) * (r1 - r0) < 0.5 * area:
        return None
    return np.array([(x + c0, y + r0), (x + c1, y + r0), (x + c1, y + r1), (x + c0, y + r1)], np.float32)
