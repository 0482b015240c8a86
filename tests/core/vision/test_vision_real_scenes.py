"""Behaviour the real-photo bench (bench/real_photos.py) asked for, on generated scenes built from
scikit-image's photos: small web-sized photos (faces and text enlarged before detection) and pages of
text found as documents whatever their outline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data
from tests.data.builders import _font

from consentdesk.core.values import FindingKind
from consentdesk.core.vision.analyse import Analyser

PROSE = [
    "The volunteers met at the community hall on Tuesday",
    "to plan the summer session and the new opening hours.",
    "Refreshments will be served after every session and",
    "the car park behind the hall is free in the evening.",
    "Please bring a water bottle and wear comfortable shoes.",
    "Leaflets about the session are at the front desk, and",
    "posters may be put up in shop windows along the street.",
    "The hall has step-free access from the side entrance.",
    "Thank you to everyone who helped at the spring event;",
    "more than two hundred people came through the doors.",
    "Next meeting: the first Monday of the month at seven.",
    "Minutes will be shared on the noticeboard as usual.",
    "Tea, coffee and biscuits are provided at every meeting.",
    "The committee welcomes new members from the village.",
]


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


def _inside(box, x: float, y: float) -> bool:
    return box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h


def test_small_background_face_in_a_small_web_photo_is_found(analyser: Analyser):
    """A face 13 px wide in an 800 px photo: the detector sees it only once the photo is enlarged."""
    scene = Image.fromarray(data.coffee()).resize((800, 600))
    head = Image.fromarray(data.astronaut()).crop((120, 10, 330, 250))
    k = 13 / 88  # the astronaut's face is about 88 px wide in the crop
    head = head.resize((int(head.width * k), int(head.height * k)), Image.Resampling.LANCZOS)
    scene.paste(head, (620, 120))
    result = analyser.analyse_array(np.asarray(scene))
    assert len(result.faces) == 1
    (face,) = result.faces
    assert _inside(face.box, 620 + head.width / 2, 120 + head.height / 2)


def test_no_faces_appear_when_a_small_photo_without_people_is_enlarged(analyser: Analyser):
    for name in ("coffee", "chelsea", "rocket"):
        small = np.asarray(Image.fromarray(getattr(data, name)()).resize((480, 360)))
        assert analyser.analyse_array(small).faces == (), name


def test_small_lettering_on_a_small_photo_is_read(analyser: Analyser):
    """White lettering 8 px high straight on a 480 px photo (a logo on a jacket, a name on a van)."""
    scene = Image.fromarray(data.chelsea()).resize((480, 320))
    ImageDraw.Draw(scene).text((256, 44), "WHARFEDALE BAKERY", fill=(250, 250, 250), font=_font(8))
    result = analyser.analyse_array(np.asarray(scene))
    text = [f for f in result.findings if f.kind is FindingKind.TEXT]
    assert any(_inside(f.box, 300, 49) for f in text), result.findings
    assert all(f.text == "" for f in text)  # harmless text is located, never kept


def _page(width: int, height: int, size: int) -> Image.Image:
    page = Image.new("RGB", (width, height), (246, 246, 240))
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(PROSE):
        draw.text(
            (int(0.05 * width), int(0.04 * height) + i * int(size * 1.6)),
            line,
            fill=(25, 25, 25),
            font=_font(size),
        )
    return page


def test_a_page_filling_the_frame_is_a_document(analyser: Analyser):
    """No outline to find (a scan, a sheet filling the frame): its many lines of text make it a page."""
    result = analyser.analyse_array(np.asarray(_page(1400, 1000, 36)))
    docs = [f for f in result.findings if f.kind is FindingKind.DOCUMENT]
    assert len(docs) == 1
    assert docs[0].box.w > 900 and docs[0].box.h > 600


def test_a_page_at_an_angle_on_a_pale_desk_is_a_document(analyser: Analyser):
    """Its outline barely differs from the desk, so no bright quadrilateral is found: its text is."""
    rng = np.random.default_rng(3)
    desk = np.clip(rng.normal((214, 190, 160), 6, (1500, 2000, 3)), 0, 255).astype(np.uint8)
    page = _page(1100, 1000, 28).rotate(12, expand=True, fillcolor=(214, 190, 160))
    scene = Image.fromarray(desk)
    scene.paste(page, (380, 150))
    result = analyser.analyse_array(np.asarray(scene))
    docs = [f for f in result.findings if f.kind is FindingKind.DOCUMENT]
    assert len(docs) == 1
    assert _inside(docs[0].box, 380 + page.width / 2, 150 + page.height / 2)


def test_a_monitor_showing_a_long_list_stays_a_screen(analyser: Analyser):
    """Many lines on a lit panel in a dark bezel: a screen (an appointment list), not a page."""
    panel = Image.new("RGB", (1000, 760), (235, 242, 255))
    draw = ImageDraw.Draw(panel)
    for i, line in enumerate(PROSE[:12]):
        draw.text((30, 20 + i * 60), line[:40], fill=(10, 30, 90), font=_font(32))
    monitor = Image.new("RGB", (1060, 820), (18, 18, 20))
    monitor.paste(panel, (30, 30))
    scene = Image.fromarray(data.coffee()).resize((2400, 1800))
    scene.paste(monitor, (700, 400))
    result = analyser.analyse_array(np.asarray(scene))
    kinds = [f.kind for f in result.findings]
    assert FindingKind.SCREEN in kinds
    assert FindingKind.DOCUMENT not in kinds


def test_a_backdrop_of_repeated_short_logos_is_not_a_page(analyser: Analyser):
    """A press backdrop repeats a short logo in many rows: many lines, few letters, not a document."""
    wall = Image.new("RGB", (1400, 1000), (40, 40, 48))
    draw = ImageDraw.Draw(wall)
    for row in range(12):
        for col in range(4):
            draw.text(
                (60 + col * 340 + (row % 2) * 150, 40 + row * 78),
                "GIVE",
                fill=(235, 235, 235),
                font=_font(40),
            )
    result = analyser.analyse_array(np.asarray(wall))
    assert FindingKind.DOCUMENT not in [f.kind for f in result.findings]
