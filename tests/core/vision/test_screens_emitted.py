"""Screens that light a dark room (generated scenes): a phone held up in the dark showing an app, a monitor
showing a photo between black bands, a tablet filling the frame; and what must stay no screen though it is
as bright in as dark a surround: a white page on a black table, a lamp, a window at night, a backlit
advert, a white sign at night, a spotlit poster."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.data import drawing

from consentdesk.core.vision import emitted, regions


def _dark_room(w: int = 900, h: int = 1200, level: float = 12.0) -> Image.Image:
    """A near-black room with a camera's noise."""
    rng = np.random.default_rng(1)
    arr = np.clip(rng.normal(level, 4, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def _app(w: int, h: int) -> Image.Image:
    """A phone app's light page: a status bar with coloured icons, a picture, rows of dark text, a button."""
    page = Image.new("RGB", (w, h), (238, 232, 226))
    d = ImageDraw.Draw(page)
    d.text((14, 8), "12:00", font=drawing.font(18), fill=(20, 20, 20))
    for i, colour in enumerate([(40, 180, 60), (230, 120, 30), (40, 110, 220)]):
        d.ellipse((90 + 28 * i, 10, 108 + 28 * i, 28), fill=colour)
    page.paste(drawing.photo("astronaut", w - 40).crop((0, 0, w - 40, h // 3)), (20, 50))
    for i in range(9):
        d.text(
            (24, 60 + h // 3 + 34 * i),
            f"Donor session {i} at the centre",
            font=drawing.font(20),
            fill=(25, 25, 25),
        )
    d.rounded_rectangle((20, h - 70, w - 20, h - 20), 20, fill=(60, 130, 230))
    return page


def _phone(img: Image.Image, content: Image.Image, x: int = 200, y: int = 150, hand: bool = True) -> None:
    """A phone (black body, rounded) held up at (x, y) showing `content`, a hand over its lower corner."""
    d = ImageDraw.Draw(img)
    w, h = content.size
    d.rounded_rectangle((x - 14, y - 14, x + w + 14, y + h + 14), 40, fill=(6, 6, 8))
    mask = Image.new("L", content.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), 30, fill=255)
    img.paste(content, (x, y), mask)
    if hand:
        d.ellipse((x - 120, y + h - 120, x + 110, y + h + 200), fill=(150, 105, 85))


def _screens(img: Image.Image) -> list[str]:
    return [r.reason for r in regions.find_regions(np.asarray(img)) if r.kind == "screen"]


def test_a_phone_held_up_in_a_dark_room_is_a_screen():
    img = _dark_room()
    _phone(img, _app(500, 900))
    assert _screens(img), "a lit phone in a dark room"


def test_a_monitor_showing_a_photo_between_black_bands_is_a_screen():
    # the panel runs off the frame's left and right: the room shows only above and below it
    img = _dark_room(900, 1200)
    img.paste(drawing.photo("astronaut", 900).resize((900, 560)), (0, 320))
    assert _screens(img), "a monitor's photo in the dark"


def test_a_tv_exposed_for_the_dark_room_is_a_screen_though_half_its_picture_is_blown_out():
    img = _dark_room(1200, 900)
    picture = np.asarray(drawing.photo("astronaut", 560).resize((560, 360))).astype(np.float32)
    img.paste(Image.fromarray(np.clip(picture * 1.5, 0, 255).astype(np.uint8)), (320, 200))
    assert _screens(img), "an overexposed TV in the dark"


def test_a_picture_between_flat_digital_black_bars_is_no_lit_display():
    # a pillarboxed video still or a scan's border: exact black, no camera's noise, is no room
    img = Image.new("RGB", (900, 1200), (0, 0, 0))
    img.paste(drawing.photo("astronaut", 900).resize((900, 560)), (0, 320))
    assert emitted.lit_panels(regions_hsv(img)) == []


def test_a_tablet_filling_the_frame_in_a_thin_black_border_is_a_screen():
    img = _dark_room(900, 1200)
    img.paste(drawing.photo("immunohistochemistry", 840).resize((840, 1100)), (30, 30))
    assert _screens(img), "a tablet's photo filling the frame"


def _on_dark(panel: Image.Image, level: float = 12.0, spill: bool = False) -> Image.Image:
    """`panel` in the middle of a near-black surround; `spill`: lit around it as a spotlight lights a wall
    (dimmer than the panel: at the higher of `emitted.LIT_LEVELS` the panel is cut out of it alone)."""
    img = _dark_room(900, 1200, level)
    if spill:
        ImageDraw.Draw(img).ellipse((20, 100, 880, 1100), fill=(86, 80, 72))
    img.paste(panel, ((900 - panel.width) // 2, (1200 - panel.height) // 2))
    return img


def _page(w: int = 520, h: int = 740, ground=(236, 236, 232)) -> Image.Image:
    """A printed page: dark grey lines of text on white, a little paper texture."""
    rng = np.random.default_rng(2)
    page = Image.fromarray(np.clip(rng.normal(0, 3, (h, w, 3)) + ground, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(page)
    for i in range(22):
        d.text(
            (40, 40 + 30 * i),
            "the board shared the results of the survey",
            font=drawing.font(18),
            fill=(40, 40, 40),
        )
    return page


def _window() -> Image.Image:
    """A lit window at night: a warm glow behind a curtain, darkening to its edges, a cross-bar."""
    w, h = 480, 640
    yy, xx = np.mgrid[0:h, 0:w]
    glow = 1 - 0.35 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 4
    arr = np.stack([230 * glow, 170 * glow, 90 * glow], axis=-1)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.rectangle((w // 2 - 6, 0, w // 2 + 6, h), fill=(40, 30, 20))
    d.rectangle((0, h // 2 - 6, w, h // 2 + 6), fill=(40, 30, 20))
    return img


def _blinds() -> Image.Image:
    """A lit window at night behind white blinds: even slats with dark gaps, no colour."""
    img = Image.new("RGB", (480, 640), (225, 222, 215))
    d = ImageDraw.Draw(img)
    for y in range(0, 640, 24):
        d.rectangle((0, y, 480, y + 3), fill=(120, 118, 112))
    return img


def _advert() -> Image.Image:
    """A backlit advert: one saturated colour, a few large words."""
    img = Image.new("RGB", (560, 760), (220, 20, 40))
    d = ImageDraw.Draw(img)
    d.text((40, 300), "SALE 50%", font=drawing.font(110), fill=(255, 230, 0))
    return img


def _sign() -> Image.Image:
    """A white sign at night: a few large dark words on white."""
    img = Image.new("RGB", (700, 400), (240, 240, 236))
    ImageDraw.Draw(img).text((40, 120), "CAR PARK", font=drawing.font(120), fill=(20, 20, 20))
    return img


@pytest.mark.parametrize(
    "scene",
    [
        pytest.param(lambda: _on_dark(_page()), id="white page on a black table"),
        pytest.param(lambda: _on_dark(_page(), level=30), id="page on a dark grey table"),
        pytest.param(lambda: _on_dark(Image.new("RGB", (500, 700), (255, 255, 255))), id="lamp or light box"),
        pytest.param(lambda: _on_dark(_window()), id="window at night"),
        pytest.param(lambda: _on_dark(_blinds()), id="window with blinds at night"),
        pytest.param(lambda: _on_dark(_advert()), id="backlit advert"),
        pytest.param(lambda: _on_dark(_sign()), id="white sign at night"),
        pytest.param(lambda: _on_dark(drawing.photo("astronaut", 520), spill=True), id="spotlit poster"),
    ],
)
def test_what_outshines_a_dark_surround_without_a_display_s_content_is_no_lit_display(scene):
    img = scene()
    assert emitted.lit_panels(regions_hsv(img)) == []
    assert not _screens(img)


def test_the_same_photo_on_a_lit_wall_is_no_lit_display():
    # the surround measured just past the panel must be black: a framed print on a grey wall is not
    img = _on_dark(drawing.photo("astronaut", 520), level=90)
    assert emitted.lit_panels(regions_hsv(img)) == []


def regions_hsv(img: Image.Image) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2HSV)
