"""Screens, fifth pass, on generated scenes: a monitor whose bezel a hand breaks, displays filling the frame
(no bezel in sight) told from pages by what a page never is, light print on a dark ground, and a laptop
across a room whose page is too small to read but laid out along its sides."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data
from tests.data import drawing

from consentdesk.core.vision import regions, screens

_font = drawing.font


def _wall(colour=(236, 236, 232), w: int = 1000, h: int = 700) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(np.clip(np.array(colour, np.float32) + rng.normal(0, 3, (h, w, 3)), 0, 255).astype(np.uint8))


def _kinds(img: Image.Image, rows) -> list[tuple[str, str]]:
    return [(r.kind, r.reason) for r in regions.find_regions(np.asarray(img), rows)]


# ----------------------------------------------------------------------------- a hand across the bezel


def _covered_monitor(bezel: int = 12) -> tuple[Image.Image, list[tuple[float, float, float, float]]]:
    """A monitor on a white wall, a hand over its right side reaching across the bezel onto the wall: the
    panel, the hand and the wall are one bright blob, the panel's outline and its dark ring are broken."""
    img = _wall()
    d = ImageDraw.Draw(img)
    d.rectangle((292 - bezel, 192 - bezel, 708 + bezel, 448 + bezel), fill=(20, 20, 22))
    d.rectangle((292, 192, 708, 448), fill=(240, 243, 250))
    d.rectangle((292, 192, 708, 214), fill=(40, 90, 170))  # title bar
    rows = []
    for i in range(6):
        d.text((330, 232 + 30 * i), f"09:{i}0  Patient {i}", font=_font(14), fill=(30, 30, 60))
        rows.append((330.0, 232.0 + 30 * i, 140.0, 14.0))
    skin = (224, 172, 140)
    d.ellipse((610, 260, 800, 430), fill=skin)
    for k in range(4):
        d.rounded_rectangle((600 + 40 * k, 215, 630 + 40 * k, 300), 10, fill=skin)
    return img, rows


def test_a_monitor_whose_bezel_a_hand_breaks_is_still_a_screen():
    img, rows = _covered_monitor()
    found = regions.find_regions(np.asarray(img), rows)
    assert [r.kind for r in found] == ["screen"], found
    x, y, w, h = found[0].bbox()
    assert abs(x - 292) < 15 and abs(y - 192) < 15 and 380 < w < 440, "the panel, not the hand or the wall"


def test_a_thin_bezel_monitor_with_a_hand_over_it_is_a_screen():
    # a bezel 3 px deep where 7 px (2 % of the panel's side) are measured: the band took in the white wall
    img, rows = _covered_monitor(bezel=3)
    found = regions.find_regions(np.asarray(img), rows)
    assert [r.kind for r in found] == ["screen"], found


@pytest.mark.parametrize("angle", [2.0, 3.0])
def test_a_turned_monitor_s_title_bar_counts_though_the_bezel_s_corners_reach_into_its_rows(angle):
    # no text read: its red title bar and grey side bar are the display's layout; turned a little, the bars'
    # first rows take in the bezel's corners and the blurred edge, and a finger reaches into them
    img = _wall()
    d = ImageDraw.Draw(img)
    d.rectangle((280, 180, 720, 460), fill=(20, 20, 22))
    d.rectangle((292, 192, 708, 448), fill=(240, 243, 250))
    d.rectangle((292, 192, 708, 214), fill=(200, 40, 40))
    d.rectangle((292, 214, 350, 448), fill=(200, 200, 205))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(236, 236, 232))
    d = ImageDraw.Draw(img)
    skin = (224, 172, 140)
    d.ellipse((600, 260, 800, 430), fill=skin)
    for k in range(4):
        d.rounded_rectangle((600 + 40 * k, 215, 630 + 40 * k, 300), 10, fill=skin)
    assert [k for k, _ in _kinds(img, []) if k == "screen"] == ["screen"]


@pytest.mark.parametrize("line", [3, 5])
def test_a_notice_in_a_thin_printed_border_is_not_a_screen(line):
    # as thin as that bezel and as dark, around rows of small print: without a display's bar, a notice
    img = _wall()
    d = ImageDraw.Draw(img)
    d.rectangle((292 - line, 192 - line, 708 + line, 448 + line), fill=(20, 20, 22))
    d.rectangle((292, 192, 708, 448), fill=(248, 248, 244))
    d.text((330, 205), "Visitor information", font=_font(26), fill=(20, 20, 20))
    rows = [(330.0, 205.0, 250.0, 26.0)]
    for i in range(6):
        d.text((330, 252 + 28 * i), f"Please sign in at the reception desk {i}", font=_font(14), fill=(30, 30, 30))
        rows.append((330.0, 252.0 + 28 * i, 260.0, 14.0))
    assert [k for k, _ in _kinds(img, rows) if k == "screen"] == []


def test_an_open_dark_frame_around_a_blank_wall_is_not_a_screen():
    """A dark door frame (three sides) around a light wall: its mouth is closed, but nothing is shown."""
    img = _wall()
    d = ImageDraw.Draw(img)
    d.rectangle((300, 150, 700, 650), fill=(25, 22, 20))
    d.rectangle((316, 166, 684, 700), fill=(236, 236, 232))
    d.ellipse((600, 400, 760, 560), fill=(224, 172, 140))
    assert [k for k, _ in _kinds(img, []) if k == "screen"] == []


# ----------------------------------------------------------------------------- a display filling the frame


def _lines_of_text(ground, ink, n: int = 14) -> tuple[Image.Image, list[tuple[float, float, float, float]]]:
    """Lines of text filling the picture (a close-up: no edge of the page or the display in sight)."""
    img = _wall(ground, 1000, 700)
    d = ImageDraw.Draw(img)
    rows = []
    for i in range(n):
        text = f"def check_{i}(photo): return analyse(photo, side={i})"
        d.text((40, 30 + 46 * i), text, font=_font(22), fill=ink)
        x0, y0, x1, y1 = d.textbbox((40, 30 + 46 * i), text, font=_font(22))
        rows.append((float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
    return img, rows


def _as_page(rows) -> list[list[int]]:
    return [list(range(len(rows)))]


def test_light_lines_on_a_dark_ground_filling_the_frame_are_a_screen():
    """A code editor's dark theme photographed close up: many lines, no bezel; its letters are lit."""
    img, rows = _lines_of_text((40, 42, 48), (200, 220, 190))
    found = regions.find_regions(np.asarray(img), rows, _as_page(rows), [40] * len(rows))
    assert [r.kind for r in found] == ["screen"], found


def test_dark_print_on_light_paper_filling_the_frame_stays_a_document():
    img, rows = _lines_of_text((235, 232, 225), (25, 25, 30))
    found = regions.find_regions(np.asarray(img), rows, _as_page(rows), [40] * len(rows))
    assert [r.kind for r in found] == ["document"], found


# ----------------------------------------------------------------------------- a layout too fine to read


def _room(w: int = 1280, h: int = 900) -> Image.Image:
    arr = np.asarray(Image.fromarray(data.coffee()).resize((w, h))).astype(np.float32)
    return Image.fromarray(np.clip(arr * 0.5 + 120, 0, 255).astype(np.uint8))


def _light_page(w: int = 460, h: int = 290) -> Image.Image:
    """A web page seen from across a room: a tab strip, a pale picture, rows of print 1 px high."""
    rng = np.random.default_rng(3)
    page = Image.new("RGB", (w, h), (246, 246, 248))
    d = ImageDraw.Draw(page)
    d.rectangle((0, 0, w, 18), fill=(232, 234, 238))
    d.rectangle((110, 30, 330, 140), fill=(200, 205, 215))
    for y in range(154, h - 8, 8):
        x = 60
        while x < w - 80:
            word = int(rng.integers(15, 45))
            d.rectangle((x, y, x + word, y + 1), fill=(70, 70, 80))
            x += word + 5
    return page


def _in_a_frame(content: Image.Image, pad: int) -> Image.Image:
    out = Image.new("RGB", (content.width + 2 * pad, content.height + 2 * pad), (16, 16, 18))
    out.paste(content, (pad, pad))
    return out


def _placed(img: Image.Image, thing: Image.Image, corners) -> Image.Image:
    src = np.float32([[0, 0], [thing.width, 0], [thing.width, thing.height], [0, thing.height]])
    warp = cv2.getPerspectiveTransform(src, np.float32(corners))
    arr = np.asarray(img).copy()
    size = (arr.shape[1], arr.shape[0])
    inside = cv2.warpPerspective(np.full((thing.height, thing.width), 255, np.uint8), warp, size) > 0
    arr[inside] = cv2.warpPerspective(np.asarray(thing), warp, size)[inside]
    return Image.fromarray(arr)


def test_a_laptop_across_the_room_with_a_page_too_small_to_read_is_a_screen():
    """No line read, no title bar: the bezel is whole and ends, and the page inside is laid out along it."""
    img = _placed(_room(), _in_a_frame(_light_page(), 14), [[400, 150], [900, 180], [890, 470], [412, 500]])
    found = regions.find_regions(np.asarray(img))
    assert [r.kind for r in found] == ["screen"], found
    assert "too fine to read" in found[0].reason


@pytest.mark.parametrize("picture", ["astronaut", "chelsea", "brick"])
def test_a_picture_in_a_black_frame_has_no_display_layout(picture):
    """A photo, a painting or a textured wall in a black frame: fine detail that runs every way, or no
    plain ground between its lines."""
    pic = Image.fromarray(getattr(data, picture)()).convert("RGB").resize((460, 300))
    img = _placed(_room(), _in_a_frame(pic, 16), [[400, 150], [900, 150], [900, 480], [400, 480]])
    hsv = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2HSV)
    panel = screens.judge_panel(hsv, np.float32([[416, 166], [884, 166], [884, 464], [416, 464]]))
    assert panel.dark_sides == 4 and panel.bezel_ends, panel
    assert panel.grid < 0.65 and panel.verdict == "none", panel


# ----------------------------------------------------------------------------- a dark outline skewed both ways


def test_a_dark_outline_skewed_both_ways_is_not_a_device():
    """A dark band around a lighthouse's lantern, a few glints in it: its rim is dark and ends, it leans
    less than a laptop may, but no pair of its sides is parallel, as a rectangle's stay in a photo."""
    img = _room()
    d = ImageDraw.Draw(img)
    outline = [(400, 150), (900, 200), (850, 430), (480, 480)]
    d.polygon(outline, fill=(18, 18, 20))
    rng = np.random.default_rng(4)
    for _ in range(60):  # glints on the glass
        x, y = int(rng.integers(480, 800)), int(rng.integers(220, 400))
        d.rectangle((x, y, x + int(rng.integers(8, 40)), y + 3), fill=(210, 215, 220))
    assert [r for r in regions.find_regions(np.asarray(img)) if r.kind == "screen"] == []
    hsv = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2HSV)
    device = screens.judge_device(hsv, np.float32(outline))
    assert device.skew_deg > 8 and device.reason.startswith("no pair of parallel sides"), device
