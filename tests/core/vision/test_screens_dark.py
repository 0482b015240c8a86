"""Screens, a dark display on a dark surround (generated scenes): a dark-theme app in a black bezel standing
on a black bench, its outline merged with the bench's, known by its black ring and its thin title bar;
and what must stay no screen: a slate sign or a notice in a thin printed border."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.data import drawing

from consentdesk.core.vision import regions

_font = drawing.font


def _wood_over_bench(w: int = 1000, h: int = 700) -> Image.Image:
    """A light wooden wall above a black bench (the lower half), a little noise as a camera's."""
    rng = np.random.default_rng(0)
    arr = np.empty((h, w, 3), np.float32)
    arr[:] = (214, 170, 128)
    arr[h // 2 :] = (26, 26, 28)
    return Image.fromarray(np.clip(arr + rng.normal(0, 3, arr.shape), 0, 255).astype(np.uint8))


def _dark_panel(img: Image.Image, ground, top_band=None, bottom_band=None, lines: int = 6) -> list:
    """A panel (x 300-700, y 200-440) in a black ring (8 px) whose lower edge lies on the black bench,
    light rows of small text; `top_band` / `bottom_band`: a band 10 px deep along that edge, in that
    colour. Returns the text rows (x, y, w, h)."""
    d = ImageDraw.Draw(img)
    d.rectangle((292, 192, 708, 448), fill=(10, 10, 12))
    d.rectangle((300, 200, 700, 440), fill=ground)
    if top_band:
        d.rectangle((300, 200, 700, 210), fill=top_band)
    if bottom_band:
        d.rectangle((300, 430, 700, 440), fill=bottom_band)
    rows = []
    for i in range(lines):
        d.text((400, 230 + 28 * i), f"1{i}:30  Donor {i}", font=_font(14), fill=(225, 225, 225))
        rows.append((400.0, 230.0 + 28 * i, 110.0, 14.0))
    return rows


def _screens(img: Image.Image, rows) -> list[str]:
    return [r.reason for r in regions.find_regions(np.asarray(img), rows) if r.kind == "screen"]


@pytest.mark.parametrize("read", [True, False])
def test_a_dark_app_on_a_black_bench_is_a_screen_by_its_thin_title_bar(read):
    # dark grey (38) in a black bezel whose bottom merges with the bench: at 50 all one dark mass; its
    # red title bar is a twenty-fourth of the panel deep; whether or not its text is read
    img = _wood_over_bench()
    rows = _dark_panel(img, (38, 40, 46), top_band=(200, 50, 45))
    assert _screens(img, rows if read else []), "a dark app in a black bezel"


def test_a_slate_sign_in_a_black_frame_on_a_black_bench_is_not_a_screen():
    # the same panel and ring, chalk rows on slate, no bar: rows of text alone make no screen of it
    img = _wood_over_bench()
    rows = _dark_panel(img, (44, 46, 48))
    assert _screens(img, rows) == []


def test_a_dark_notice_in_a_thin_printed_border_is_not_a_screen():
    # a coloured line along its top edge and the same along its bottom: a printed border, not a title bar
    img = _wood_over_bench()
    rows = _dark_panel(img, (38, 40, 46), top_band=(200, 50, 45), bottom_band=(200, 50, 45), lines=2)
    assert _screens(img, rows[:1]) == []


@pytest.mark.parametrize("all_round", [True, False])
def test_a_light_poster_with_a_thin_coloured_header_or_border_is_not_a_screen(all_round):
    # a poster in a black frame on the wall, a few large words under a thin blue band along its top (or a
    # rule printed all round): as thin as an app's title bar, but the panel is light, left to judge_panel
    img = _wood_over_bench()
    d = ImageDraw.Draw(img)
    d.rectangle((292, 92, 708, 348), fill=(10, 10, 12))
    d.rectangle((300, 100, 700, 340), fill=(0, 94, 184))
    d.rectangle((310, 110, 690, 330) if all_round else (300, 110, 700, 340), fill=(246, 246, 242))
    d.text((340, 150), "Give blood", font=_font(40), fill=(0, 94, 184))
    d.text((340, 240), "blood.co.uk", font=_font(40), fill=(200, 30, 40))
    rows = [(340.0, 150.0, 220.0, 40.0), (340.0, 240.0, 230.0, 40.0)]
    assert _screens(img, rows) == []
