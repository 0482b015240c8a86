"""A laptop photographed close from its user's seat (generated: a package-shipped photo on the display, a
keyboard of drawn key caps below it), read by the whole check: its display is a screen when lit, not when
off; and a few glyphs, or one row of letters, are no keyboard."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.data import drawing

from consentdesk.core.values import FindingKind
from consentdesk.core.vision import keyboards

ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


def _laptop_close_up(lit: bool, w: int = 1200, h: int = 1600) -> np.ndarray:
    """The display fills the top 5/8 of the frame (the astronaut photo, or switched off: near black); below
    the hinge, four rows of dark keys with light legends run off the frame's bottom."""
    img = Image.new("RGB", (w, h), (60, 60, 64))
    shown = drawing.photo("astronaut", w).resize((w, 1000)) if lit else Image.new("RGB", (w, 1000), (8, 8, 10))
    img.paste(shown, (0, 0))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 1000, w, 1060), fill=(150, 150, 155))  # the hinge and the deck's edge
    for r, keys in enumerate(ROWS):
        for i, ch in enumerate(keys):
            x, y = 40 + r * 30 + i * 110, 1090 + r * 125
            d.rounded_rectangle((x, y, x + 96, y + 108), 10, fill=(28, 28, 30))
            d.text((x + 34, y + 30), ch, font=drawing.font(40), fill=(235, 235, 235))
    return np.asarray(img)


@pytest.fixture(scope="module")
def analyser():
    from consentdesk.core.vision.analyse import Analyser

    return Analyser()


def test_a_lit_laptop_display_above_its_keyboard_is_a_screen(analyser):
    screens = [f for f in analyser.analyse_array(_laptop_close_up(lit=True)).findings if f.kind == FindingKind.SCREEN]
    assert [f.text for f in screens] == [keyboards.WHY]
    box = screens[0].box
    assert box.y == 0 and 900 <= box.y + box.h <= 1130  # the whole display, which redaction must hide, to the keys
    assert box.x <= 10 and box.x + box.w >= 1190


def test_a_switched_off_laptop_display_above_its_keyboard_is_not(analyser):
    findings = analyser.analyse_array(_laptop_close_up(lit=False)).findings
    assert not [f for f in findings if f.kind == FindingKind.SCREEN]


def _wall_calendar() -> np.ndarray:
    """A wall calendar: its picture (a package-shipped photo) over a month's grid of dates, the digits one
    size in rows like key legends."""
    img = Image.new("RGB", (1200, 1600), (250, 250, 248))
    img.paste(drawing.photo("astronaut", 1100).resize((1100, 700)), (50, 50))
    d = ImageDraw.Draw(img)
    d.text((450, 790), "JUNE 2027", font=drawing.font(60), fill=(30, 30, 30))
    for k in range(30):
        r, c = divmod(k + 2, 7)
        d.text((90 + c * 150, 920 + r * 130), str(k + 1), font=drawing.font(48), fill=(30, 30, 30))
    return np.asarray(img)


def test_a_wall_calendar_s_dates_under_its_picture_are_no_keyboard(analyser):
    findings = analyser.analyse_array(_wall_calendar()).findings
    assert not [f for f in findings if f.kind == FindingKind.SCREEN]


def _caps(rows: int, per_row: int, size: float = 30.0) -> list[tuple[float, float, float, float]]:
    return [(40 + i * 3 * size, 900 + r * 3 * size, size * 0.8, size) for r in range(rows) for i in range(per_row)]


def test_a_keyboard_needs_enough_key_caps_in_rows():
    assert keyboards.keyboard(_caps(4, 10), [1] * 40) is not None
    assert keyboards.keyboard(_caps(1, 3), [1] * 3) is None  # a few stray glyphs
    assert keyboards.keyboard(_caps(1, 12), [1] * 12) is None  # one row of letters: a word spaced out
    assert keyboards.keyboard(_caps(4, 10), [9] * 40) is None  # long words, not key legends
    assert keyboards.keyboard(_caps(4, 10), [1] * 40, [0] * 40) is None  # digits only: dates, a keypad
    assert keyboards.keyboard(_caps(4, 10), [1] * 40, [1] * 30 + [0] * 10) is not None  # letters and digits


def test_nothing_above_a_keyboard_at_the_top_of_the_picture():
    value = np.full((1600, 1200), 200, np.uint8)
    keys = (40.0, 10.0, 1000.0, 400.0)  # the keys start at the top: no room for a display
    assert keyboards.display_above(value, 1.0, keys) is None
