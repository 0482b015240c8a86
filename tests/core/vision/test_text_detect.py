"""Text detection's input is made in one OpenCV pass (text._detect) and finds what RapidOCR's own does."""

from __future__ import annotations

import numpy as np
import pytest
from tests.data.builders import build_image

from consentdesk.core.vision.text import TextReader, _detect


@pytest.mark.parametrize(("index", "size"), [(0, (960, 720)), (2, (720, 960)), (1, (950, 530))])
def test_detection_finds_the_same_boxes_as_rapidocr_itself(index, size):
    scene, _truth = build_image(index, size, seed=7)
    rgb = np.asarray(scene.convert("RGB"))
    det = TextReader(threads=1)._load().text_det
    theirs, _ = det(np.ascontiguousarray(rgb[:, :, ::-1]))
    ours = _detect(det, rgb)
    assert len(ours) == len(theirs) > 0
    assert np.abs(np.asarray(ours, float) - np.asarray(theirs, float)).max() <= 1.0


def test_a_blank_image_has_no_text():
    det = TextReader(threads=1)._load().text_det
    assert not len(_detect(det, np.full((480, 640, 3), 200, np.uint8)))
