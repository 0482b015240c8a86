"""Plates of any country told by their panel (`plate_panels`): generated plates pasted, on a car's colour,
into scikit-image's real photos and checked whole; and the signs, tags, clocks and labels that must stay
away. The text rules are tested with strings, the panel's measure on pixels with known text boxes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from tests.data import drawing

from consentdesk.core.values import FindingKind
from consentdesk.core.vision import plate_panels


def _font(size: int, name: str = "DejaVuSansCondensed-Bold.ttf") -> ImageFont.FreeTypeFont:
    return drawing.font(size, name)


_photo = drawing.photo


def _panel(lines: list[str], size: int = 40, bg=(245, 245, 245), ink=(15, 15, 15), pad=(0.35, 0.25)) -> Image.Image:
    """A panel holding `lines`, each `size` px, centred, with `pad` (of `size`) around them."""
    font = _font(size)
    w = int(max(font.getlength(t) for t in lines) + 2 * pad[0] * size)
    lh = int(size * 1.15)
    img = Image.new("RGB", (w, int(lh * len(lines) + 2 * pad[1] * size)), bg)
    d = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        d.text(((w - font.getlength(text)) / 2, pad[1] * size + i * lh), text, font=font, fill=ink)
    return img


def _two_sizes(top: str, bottom: str, size: int = 48, ink=(20, 90, 40)) -> Image.Image:
    """Japan's layout: a small upper line over the large number, on a white plate with a rim."""
    small, big = _font(size // 2), _font(size)
    w = int(max(small.getlength(top), big.getlength(bottom)) + 0.7 * size)
    img = Image.new("RGB", (w, int(size * 2.25)), (245, 245, 245))
    d = ImageDraw.Draw(img)
    d.text(((w - small.getlength(top)) / 2, 0.2 * size), top, font=small, fill=ink)
    d.text(((w - big.getlength(bottom)) / 2, 0.8 * size), bottom, font=big, fill=ink)
    d.rectangle((2, 2, w - 3, img.height - 3), outline=ink, width=2)
    return img


def _on_car(panel: Image.Image, angle: float = 0, car=(70, 70, 80), at=(600, 350)) -> np.ndarray:
    """The panel on a patch of car body (turned by `angle` degrees) in a real photo, through JPEG."""
    photo = _photo()
    body = Image.new("RGB", (panel.width + 160, panel.height + 120), car)
    body.paste(panel, (80, 60))
    if angle:
        body = body.rotate(angle, expand=True, fillcolor=car, resample=Image.Resampling.BICUBIC)
    photo.paste(body, at)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=85)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


@pytest.fixture(scope="module")
def analyser():
    from consentdesk.core.vision.analyse import Analyser

    return Analyser()


def _plates(analyser, rgb: np.ndarray) -> list:
    return [f for f in analyser.analyse_array(rgb).findings if f.kind is FindingKind.VEHICLE_PLATE]


# ----------------------------------------------------------------------------- the text


@pytest.mark.parametrize(
    ("lines", "small_top", "expected"),
    [
        (["京B·K0074"], False, "B K0074"),  # China, the province's character dropped
        (["MH12DE1433"], False, "MH12DE1433"),  # India
        (["M008KA777"], False, "M008KA777"),  # Russia
        (["26 TA661"], False, "26 TA661"),  # Turkey
        (["HR26", "DD7022"], False, "HR26 DD7022"),  # a motorbike's square plate
        (["88A", "118.86"], False, "88A 118 86"),  # Vietnam's two-line plate
        (["品川33", "t05-111"], True, "33 05-111"),  # Japan: digits alone under a smaller line, kana dropped
    ],
)
def test_the_characters_of_plates_of_other_countries_read_as_a_plate(lines, small_top, expected):
    assert plate_panels.panel_text(lines, small_top=small_top) == expected


@pytest.mark.parametrize(
    ("lines", "small_top"),
    [
        (["£3.99"], False),  # a price tag
        (["3.99 EUR"], False),
        (["12:36"], False),  # a clock
        (["1236"], False),  # digits alone on one line
        (["2024", "0512"], False),  # ... and on two lines of one size
        (["MAY 2024"], False),  # a banner
        (["2 FOR 5"], False),
        (["OPEN 24 HRS"], False),  # a word: four letters in a row
        (["UNIT 12B"], False),
        (["Room 12"], False),  # lower case: a sign
        (["A404"], False),  # too short
        (["12.5 KG"], False),
    ],
)
def test_prices_clocks_words_and_short_numbers_are_not_a_plates_characters(lines, small_top):
    assert plate_panels.panel_text(lines, small_top=small_top) is None


# ----------------------------------------------------------------------------- the panel, measured


def _quad(x: float, y: float, w: float, h: float) -> tuple:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def _measure(panel: Image.Image, field=(70, 70, 80), pad=(0.35, 0.25)):
    """A one-line `_panel` (40 px, `pad`) pasted at (200, 150) on a plain field, measured around its text."""
    img = Image.new("RGB", (800, 500), field)
    img.paste(panel, (200, 150))
    _, top, _, bottom = _font(40).getbbox("M")
    w = panel.width - 2 * pad[0] * 40
    quad = _quad(200 + pad[0] * 40, 150 + pad[1] * 40 + top, w, bottom - top)
    return plate_panels.panel_facts(np.asarray(img), [quad])


def test_a_plate_is_a_closed_panel_just_larger_than_its_characters():
    facts = _measure(_panel(["MH12DE1433"]))
    assert facts is not None and facts.plate(1), facts
    dark = _measure(_panel(["A·5F3K2"], bg=(18, 38, 120), ink=(235, 235, 235)), field=(200, 200, 200))
    assert dark is not None and dark.plate(1), dark  # light characters on a blue panel


def test_the_same_characters_on_a_board_much_larger_than_them_are_not_a_plate():
    facts = _measure(_panel(["MH12DE1433"], pad=(1.6, 1.4)), pad=(1.6, 1.4))
    assert facts is not None and not facts.plate(1), facts
    assert facts.text_height < 0.4


def test_the_same_characters_on_a_wall_of_their_panels_colour_are_not_a_plate():
    facts = _measure(_panel(["MH12DE1433"], bg=(200, 200, 200)), field=(202, 202, 202))
    assert facts is not None and not facts.closed and not facts.plate(1), facts


# ----------------------------------------------------------------------------- through the whole check


@pytest.mark.parametrize(
    ("panel", "angle"),
    [
        (_panel(["MH12DE1433"]), 0),  # India: no format of ours
        (_panel(["M008KA777"]), -7),  # Russia, tilted
        (_panel(["7K 4021"], bg=(25, 25, 25), ink=(235, 235, 235)), 0),  # light characters on a black plate
        (_panel(["A·5F3K2"], bg=(18, 38, 120), ink=(235, 235, 235)), 4),  # ... on a blue one
        (_panel(["88A", "118.86"], size=44), 0),  # Vietnam's square plate
        (_two_sizes("33", "05-111"), 5),  # Japan's motorbike plate: digits alone under a smaller line
    ],
)
def test_plates_of_other_countries_are_found_by_their_panel(analyser, panel, angle):
    car = (180, 180, 185) if panel.getpixel((2, 2))[0] < 100 else (70, 70, 80)
    assert len(_plates(analyser, _on_car(panel, angle, car))) == 1


@pytest.mark.parametrize(
    ("panel", "car"),
    [
        (_panel(["£3.99"], bg=(250, 220, 40)), (70, 70, 80)),  # a price tag
        (_panel(["12:36"], bg=(15, 15, 15), ink=(255, 60, 40)), (120, 120, 125)),  # an LED clock
        (_panel(["K9 A427"], pad=(2.5, 1.8)), (90, 60, 50)),  # a board much larger than its text
        (_panel(["XJ2041", "Batch 40 22", "Made in UK"], size=30), (120, 100, 80)),  # a label
        (_panel(["2024", "0512"], size=44), (70, 70, 80)),  # two lines of digits of one size
    ],
)
def test_tags_clocks_boards_and_labels_are_not_plates(analyser, panel, car):
    assert _plates(analyser, _on_car(panel, 0, car)) == []
