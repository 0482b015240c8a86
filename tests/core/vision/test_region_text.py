"""Text on a screen too small for the whole-photo text detection is read from the screen alone
(region_text.py): a monitor's appointment list across a room, in a generated 8 MP scene."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.data import drawing

from consentdesk.core.values import FindingKind
from consentdesk.core.vision import region_text
from consentdesk.core.vision.analyse import Analyser
from consentdesk.core.vision.pii import PERSONAL_KINDS
from consentdesk.core.vision.text import TextLine

_PEOPLE = ["Bethany Lowe", "Imran Qureshi", "Declan Walsh", "Chloe Pearson", "Tomasz Nowicki", "Ruth Adeyemi"]


def _monitor(letters: int, rows: list[str] | None = None) -> Image.Image:
    """A dark-bezelled monitor showing a list (appointments unless `rows` given), letters `letters` px high."""
    w, h = 30 * letters, 19 * letters
    ui = Image.new("RGB", (w, h), (236, 240, 248))
    d = ImageDraw.Draw(ui)
    d.rectangle((0, 0, w, h // 12), fill=(40, 90, 170))
    d.rectangle((0, h // 12, w // 5, h), fill=(200, 205, 215))
    rows = [f"{9 + i}:30  {name}" for i, name in enumerate(_PEOPLE)] if rows is None else rows
    for i, row in enumerate(rows):
        d.text(
            (w // 5 + letters, h // 12 + letters + int(i * letters * 2.2)),
            row,
            font=drawing.font(letters),
            fill=(30, 30, 60),
        )
    out = Image.new("RGB", (w + 2 * letters * 2, h + 2 * letters * 2), (22, 22, 26))
    out.paste(ui, (letters * 2, letters * 2))
    return out


@pytest.mark.parametrize("letters", [13, 15])
def test_names_on_a_screen_too_small_for_the_whole_photo_are_read_from_the_screen(letters):
    """Letters 13-15 px high in an 8 MP photo: 4-5 px where the whole photo's text is detected."""
    room = drawing.photo("coffee", 3264)
    room.paste(_monitor(letters), (600, 700))
    findings = Analyser().analyse_array(np.asarray(room)).findings
    assert any(f.kind is FindingKind.SCREEN for f in findings)
    names = [f for f in findings if f.kind is FindingKind.PERSON_NAME]
    assert len(names) >= len(_PEOPLE) - 1, findings
    assert all(560 <= f.box.x <= 1300 and 660 <= f.box.y <= 1200 for f in names)


@pytest.mark.parametrize("rows", [[], ["Give blood today", "Book now", "Donor Centre", "Opening hours 9-5"]])
def test_a_blank_screen_or_one_with_harmless_words_gives_no_personal_data(rows):
    room = drawing.photo("coffee", 3264)
    room.paste(_monitor(15, rows), (600, 700))
    findings = Analyser().analyse_array(np.asarray(room)).findings
    assert any(f.kind is FindingKind.SCREEN for f in findings)
    assert not [f for f in findings if f.kind in PERSONAL_KINDS], findings


def _line(x: float, y: float) -> TextLine:
    return TextLine("x", 1.0, ((x, y), (x + 10, y), (x + 10, y + 5), (x, y + 5)))


def test_only_large_regions_with_nothing_read_are_read_again_largest_first():
    regions = [(0, 0, 200, 150), (300, 0, 400, 300), (800, 0, 60, 60), (900, 0, 300, 200), (0, 400, 500, 300)]
    lines = [_line(50, 50)]  # read inside the first region
    assert region_text.unread(regions, lines) == [(0, 400, 500, 300), (300, 0, 400, 300)]
