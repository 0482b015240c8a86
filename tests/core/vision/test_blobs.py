"""The faster blob labelling gives exactly OpenCV's default labelling: the plate and code candidates
read boxes and areas by label, so a label in another order would change which places are looked at."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from consentdesk.core.vision.blobs import components


@pytest.mark.parametrize("density", [0.01, 0.03, 0.06, 0.1])
def test_same_labels_boxes_and_areas_as_opencv_default(density):
    rng = np.random.default_rng(7)
    noise = (rng.random((480, 640)) < density).astype(np.uint8) * 255
    mask = cv2.morphologyEx(noise, cv2.MORPH_CLOSE, np.ones((3, 7), np.uint8))  # blobs of many shapes
    n, labels, stats, centroids = components(mask)
    n0, labels0, stats0, centroids0 = cv2.connectedComponentsWithStats(mask, connectivity=8)
    assert n == n0 > 10
    assert np.array_equal(labels, labels0)
    assert np.array_equal(stats, stats0)
    assert np.allclose(centroids, centroids0)


def test_an_empty_mask_has_only_the_background():
    n, _, stats, _ = components(np.zeros((50, 80), np.uint8))
    assert n == 1 and stats[0].tolist() == [0, 0, 80, 50, 4000]
