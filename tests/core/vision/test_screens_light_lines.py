"""Screens known by their text alone (generated scenes): a dark theme filling the frame, its light lines split
into blocks of a few (a code editor's indents and blank lines, a player's subtitles), is a display; print on
paper in the same layout, and a few light words on a dark sign, are not."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from tests.data import drawing

from consentdesk.core.vision import regions

_font = drawing.font


def _frame(ground, w: int = 1000, h: int = 700) -> Image.Image:
    """A plain ground filling the frame (no bezel in sight), a little noise as a camera's."""
    rng = np.random.default_rng(1)
    arr = np.empty((h, w, 3), np.float32)
    arr[:] = ground
    return Image.fromarray(np.clip(arr + rng.normal(0, 3, arr.shape), 0, 255).astype(np.uint8))


def _blocks(img: Image.Image, ink, blocks: int = 3, per_block: int = 4):
    """`blocks` groups of `per_block` short lines (8 letters and digits each), indented differently and
    apart; returns (boxes, blocks, chars) as the text reader gives them."""
    d = ImageDraw.Draw(img)
    boxes, groups = [], []
    for b in range(blocks):
        group = []
        for i in range(per_block):
            x, y = 120 + 60 * (i % 2) + 40 * b, 80 + 190 * b + 30 * i
            d.text((x, y), f"def f{b}{i}(x):", font=_font(16), fill=ink)
            group.append(len(boxes))
            boxes.append((float(x), float(y), 130.0, 18.0))
        groups.append(group)
    return boxes, groups, [8] * len(boxes)


def _screens(img: Image.Image, boxes, groups, chars) -> list[str]:
    found = regions.find_regions(np.asarray(img), boxes, groups, chars)
    return [r.reason for r in found if r.kind == "screen"]


def test_a_dark_editor_filling_the_frame_with_its_lines_in_small_blocks_is_a_screen():
    # 12 light lines in 3 blocks of 4 (96 letters and digits): no block is a page, no bezel is in sight
    img = _frame((40, 42, 48))
    boxes, groups, chars = _blocks(img, (225, 225, 225))
    assert _screens(img, boxes, groups, chars), "a dark theme's lines, taken together"


def test_the_same_lines_printed_dark_on_paper_are_not_a_screen():
    img = _frame((236, 234, 228))
    boxes, groups, chars = _blocks(img, (30, 30, 30))
    assert not _screens(img, boxes, groups, chars)


def test_a_few_light_words_on_a_dark_sign_are_not_a_screen():
    # a sign at night, a dark shirt's print: light on dark, but under `PAGE_LINES` lines in the photo
    img = _frame((40, 42, 48))
    boxes, groups, chars = _blocks(img, (225, 225, 225), blocks=2, per_block=3)
    assert not _screens(img, boxes, groups, chars)
