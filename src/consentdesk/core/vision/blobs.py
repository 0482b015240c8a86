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

