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


@pytest.mark.parametrize(
    ("source", "size"), [((2000, 1500), (960, 720)), ((2016, 1512), (960, 720)), ((2000, 1500), (701, 526))]
)
def test_the_detectors_shrunk_copy_is_the_area_average_within_a_grey_level(source, size):
    """text.shrink (halvings, then a short last step) gives the size asked for and, on a real photo,
    the pixels one area resize gives, within a grey level on average."""
    import cv2
    from skimage import data

    from consentdesk.core.vision.text import shrink

    photo = cv2.resize(data.astronaut(), source, interpolation=cv2.INTER_CUBIC)
    ours = shrink(photo, size)
    area = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    assert ours.shape == area.shape == (size[1], size[0], 3) and ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - area).mean() < 1.0


def test_an_odd_sided_photo_is_shrunk_in_one_area_resize():
    import cv2
    from skimage import data

    from consentdesk.core.vision.text import shrink

    photo = cv2.resize(data.astronaut(), (2001, 1501), interpolation=cv2.INTER_CUBIC)
    assert np.array_equal(shrink(photo, (960, 720)), cv2.resize(photo, (960, 720), interpolation=cv2.INTER_AREA))
