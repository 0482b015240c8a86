import numpy as np
from PIL import Image

from consentdesk.core.review.redaction import FILL, Method, destroy_regions
from consentdesk.core.values import Box


def noisy(size=(400, 300)) -> Image.Image:
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def test_fill_replaces_every_pixel_of_the_padded_box():
    out = destroy_regions(noisy(), [Box(100, 100, 50, 40)], Method.FILL, pad=0.1)
    region = np.asarray(out)[96:144, 95:155]
    assert (region == FILL).all()


def test_pixelate_leaves_at_most_eight_blocks_across_and_the_rest_untouched():
    original = noisy()
    out = destroy_regions(original, [Box(100, 100, 160, 120)], Method.PIXELATE, pad=0)
    region = np.asarray(out)[100:220, 100:260]
    assert len({tuple(px) for px in region.reshape(-1, 3)}) <= 8 * 6
    assert np.array_equal(np.asarray(out)[:90], np.asarray(original)[:90])
    assert original is not out


def test_boxes_outside_the_image_are_clipped():
    out = destroy_regions(noisy((50, 50)), [Box(40, 40, 100, 100), Box(-10, -10, 5, 5)], Method.FILL)
    assert out.size == (50, 50)
