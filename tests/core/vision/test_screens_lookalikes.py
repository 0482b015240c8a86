"""Screens' look-alikes on generated scenes: a picture framed behind a dark moulding or a dark mat, a backlit
keyboard's key caps, a slot machine's small lamp panels; and the displays of each kind that must stay screens
(a dark app in a monitor's bezel, a dark theme's short labels, a phone showing its bar)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance
from skimage import data
from tests.data import drawing

from consentdesk.core.vision import regions, screens

_font = drawing.font


def _wall(colour=(236, 236, 232), w: int = 1280, h: int = 900) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(np.clip(np.array(colour, np.float32) + rng.normal(0, 3, (h, w, 3)), 0, 255).astype(np.uint8))


def _screens(img: Image.Image, rows=()) -> list[str]:
    return [r.reason for r in regions.find_regions(np.asarray(img), rows) if r.kind == "screen"]


def _painting(w: int, h: int) -> Image.Image:
    """A dark, busy painting in muted colours (half of it below a display's lit level)."""
    arr = np.asarray(Image.fromarray(data.coffee()).resize((w, h))).astype(np.float32) * 0.55
    arr = 0.4 * arr + 0.6 * arr.mean(axis=2, keepdims=True)
    return Image.fromarray(arr.astype(np.uint8))


# ----------------------------------------------------------------------------- a picture in a dark frame


def _framed(wall, moulding: int, mat: int, mat_colour, moulding_colour=(18, 18, 20)) -> Image.Image:
    """A painting behind a moulding and a mat of `mat` px on a wall, 620 x 460 outside."""
    img = _wall(wall)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = 330, 220, 950, 680
    d.rectangle((x0, y0, x1, y1), fill=moulding_colour)
    d.rectangle((x0 + moulding, y0 + moulding, x1 - moulding, y1 - moulding), fill=mat_colour)
    inner = moulding + mat
    img.paste(_painting(x1 - x0 - 2 * inner, y1 - y0 - 2 * inner), (x0 + inner, y0 + inner))
    return img


def _device(img: Image.Image, outline) -> screens.DeviceFacts:
    return screens.judge_device(cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2HSV), np.float32(outline))


def test_a_painting_in_a_black_frame_with_a_light_mount_is_not_a_screen():
    """The moulding is a dark rim that ends on the white wall, and the painting is detailed and half dark:
    the mount lights every side just inside the rim, which a dark app's content never does."""
    img = _framed((236, 236, 232), moulding=18, mat=40, mat_colour=(225, 222, 215))
    device = _device(img, [(330, 220), (950, 220), (950, 680), (330, 680)])
    assert device.dark_rims == 4 and device.lit_share <= 0.75, device
    assert device.lit_inset_sides == 4 and device.verdict == "none", device
    assert _screens(img) == []


def test_a_print_in_a_deep_dark_mat_is_not_a_screen():
    """A woodblock print set in a wide dark-grey mat in a wooden frame: dark all round, then the lit print
    on every side."""
    img = _framed((222, 200, 140), moulding=14, mat=80, mat_colour=(48, 46, 44), moulding_colour=(150, 100, 60))
    print_ = np.asarray(Image.fromarray(data.astronaut()).resize((432, 272))).astype(np.float32) * 0.6 + 90
    img.paste(Image.fromarray(print_.astype(np.uint8)), (424, 314))
    device = _device(img, [(344, 234), (936, 234), (936, 666), (344, 666)])
    assert device.dark_rims == 4 and device.lit_inset_sides == 4 and device.verdict == "none", device
    assert _screens(img) == []


def test_a_dark_app_in_a_monitor_s_bezel_is_still_a_screen():
    """A code editor in a dark theme, its content running into the bezel on every side (a dark side bar,
    a dark title bar): the device is known by its dark outline, not by a lit panel."""
    img = _wall()
    img.paste(_dark_app(620, 380), (330, 220))
    device = _device(img, [(330, 220), (950, 220), (950, 600), (330, 600)])
    assert device.lit_inset_sides < 4 and device.verdict == "screen", device
    assert "a device's dark outline showing a display" in _screens(img)


# ----------------------------------------------------------------------------- a backlit keyboard


def _keyboard() -> tuple[Image.Image, list[tuple[float, float, float, float]]]:
    """Five rows of twelve dark key caps, each lit by one white letter; each letter a "line" of its own."""
    img = Image.new("RGB", (1280, 640), (8, 8, 10))
    d = ImageDraw.Draw(img)
    rows = []
    for r in range(5):
        for k in range(12):
            x, y = 60 + 98 * k + 20 * r, 60 + 110 * r
            d.rounded_rectangle((x, y, x + 86, y + 96), 8, fill=(28, 28, 32))
            letter = "QWERTYUIOPASDFGHJKLZXCVBNM"[(12 * r + k) % 26]
            x0, y0, x1, y1 = d.textbbox((x + 28, y + 26), letter, font=_font(32))
            d.text((x + 28, y + 26), letter, font=_font(32), fill=(235, 240, 250))
            rows.append((float(x0 - 3), float(y0 - 3), float(x1 - x0 + 6), float(y1 - y0 + 6)))
    return img, rows


def test_a_backlit_keyboard_s_key_caps_are_not_a_dark_theme():
    img, rows = _keyboard()
    assert regions._light_on_dark(np.asarray(img.convert("L")), rows, 1.0), "lit letters on dark caps"
    assert _screens(img, rows) == []


def test_a_dark_theme_s_short_labels_are_still_a_screen():
    """A game's or a player's short labels (three letters and digits each) light on a dark ground."""
    img = Image.new("RGB", (1280, 640), (36, 38, 44))
    d = ImageDraw.Draw(img)
    rows = []
    for i in range(14):
        x, y = 80 + 160 * (i % 7), 120 + 200 * (i // 7)
        x0, y0, x1, y1 = d.textbbox((x, y), f"A{i:02d}", font=_font(28))
        d.text((x, y), f"A{i:02d}", font=_font(28), fill=(225, 225, 225))
        rows.append((float(x0 - 3), float(y0 - 3), float(x1 - x0 + 6), float(y1 - y0 + 6)))
    assert not regions._key_caps(rows)
    assert any("dark theme" in why for why in _screens(img, rows))


# ----------------------------------------------------------------------------- small lamp panels


def _lit_square(size: int, bar: bool = False) -> Image.Image:
    """A lamp panel: a white lens with a pink fruit filling most of it; or, `bar`, a phone's panel with a blue
    status bar over white."""
    tile = Image.new("RGB", (size, size * (2 if bar else 1)), (246, 246, 244))
    d = ImageDraw.Draw(tile)
    if bar:
        d.rectangle((0, 0, size, size // 6), fill=(40, 90, 170))
    else:
        d.ellipse((size // 8, size // 6, size - 2, size - 2), fill=(232, 120, 124))
    return tile


def test_a_slot_machine_s_small_lamp_panels_are_not_screens():
    """A row of 44 px lamp panels in dark bezels: the lens's white rim above its fruit reads as a title bar
    on a panel too small to draw one."""
    img = _wall((70, 40, 90), 480, 400)
    for k in range(4):
        x = 60 + 90 * k
        ImageDraw.Draw(img).rectangle((x - 8, 160 - 8, x + 44 + 8, 160 + 44 + 8), fill=(14, 14, 16))
        img.paste(_lit_square(44), (x, 160))
    assert _screens(img) == []
    hsv = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2HSV)
    panel = screens.judge_panel(hsv, np.float32([[60, 160], [104, 160], [104, 204], [60, 204]]))
    assert panel.dark_sides >= 3 and not panel.ui_bar and panel.verdict == "none", panel


def test_a_phone_showing_its_status_bar_is_still_a_screen():
    """A phone 75 x 150 px in its black bezel on a wall, its bar the only sign of a display."""
    img = _wall((200, 196, 188), 480, 400)
    ImageDraw.Draw(img).rounded_rectangle((190, 110, 290, 290), 10, fill=(14, 14, 16))
    img.paste(_lit_square(75, bar=True), (203, 125))
    assert any("title or menu bar" in why for why in _screens(img)), _screens(img)


def test_a_window_pane_with_the_sky_above_its_view_is_not_a_phone():
    """A pane of a phone's shape in a dark window frame on a classroom wall: blown-out sky across its top,
    a dull view (a package-shipped photo, greyed) below: the sky is an even band unlike the view, as a
    phone's bar is, but white. A phone's coloured bar still counts (the test above)."""
    img = _wall((128, 124, 118), 480, 400)
    ImageDraw.Draw(img).rectangle((170, 60, 310, 330), fill=(22, 22, 24))
    pane = Image.new("RGB", (116, 240), (255, 255, 255))
    view = ImageEnhance.Color(drawing.photo("chelsea", 400).crop((100, 60, 216, 260)).convert("RGB")).enhance(0.3)
    pane.paste(view, (0, 40))
    img.paste(pane, (182, 75))
    assert _screens(img) == []


# ----------------------------------------------------------------------------- an off TV in rippled water


def _off_tv_in_water(shadow: bool = True) -> Image.Image:
    """An off TV standing in a river: its dark glass with a few glints and streaks of its reflection, in
    rippling water that is as dark as the set close to it (its reflection, its shadow) and spreads widely."""
    rng = np.random.default_rng(5)
    h, w = 900, 1280
    ripples = np.sin(np.arange(h)[:, None] / 3.0 + rng.normal(0, 0.4, (h, w))) * 70
    water = np.clip(150 + ripples + rng.normal(0, 10, (h, w)), 0, 255)
    near = np.zeros((h, w), bool)
    near[250:590, 380:900] = shadow
    water[near] = np.clip(48 + ripples[near] * 0.9, 0, 255)  # the set's shadow and reflection around it
    img = Image.fromarray(np.repeat(water[:, :, None], 3, axis=2).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.rectangle((420, 290, 860, 550), fill=(34, 34, 36))
    for _ in range(160):  # glints and streaks on the glass
        x, y = int(rng.integers(450, 820)), int(rng.integers(310, 520))
        d.line((x, y, x + int(rng.integers(-20, 20)), y + int(rng.integers(10, 40))), fill=(120, 120, 120), width=1)
    return img


def test_an_off_tv_in_rippled_water_is_not_a_device_showing_a_display():
    """Its dark rim is found all round and the glass has glints and detail, but the water just outside is
    as dark as the set: the outline "ended" there only by the ripples' spread, which is no edge."""
    device = _device(_off_tv_in_water(), [(420, 290), (860, 290), (860, 550), (420, 550)])
    assert device.dark_rims >= 3 and device.lit_share >= 0.01 and device.detail >= 0.03, device
    assert device.rims_ending < 2 and device.verdict == "none", device


def test_a_dark_display_before_a_busy_lighter_surround_still_ends():
    """The same set switched on before lighter rippling water (or foliage, a bookshelf): its bezel meets a
    surround of another brightness, which is an edge however much that surround spreads."""
    img = _off_tv_in_water(shadow=False)
    d = ImageDraw.Draw(img)
    for i in range(7):
        line = f"def check_{i}(photo): return x{i}"
        d.text((450 + 20 * (i % 2), 310 + 30 * i), line, font=_font(16), fill=(210, 215, 200))
    device = _device(img, [(420, 290), (860, 290), (860, 550), (420, 550)])
    assert device.rims_ending >= 3 and device.verdict == "screen", device


# ----------------------------------------------------------------------------- a small dark outline


def _dark_app(w: int, h: int) -> Image.Image:
    """A monitor in a black bezel showing a code editor in a dark theme, `w` x `h` outside."""
    img = Image.new("RGB", (620, 380), (18, 18, 20))
    d = ImageDraw.Draw(img)
    d.rectangle((16, 16, 604, 364), fill=(38, 40, 46))
    d.rectangle((16, 16, 110, 364), fill=(30, 31, 36))  # side bar
    for i in range(10):
        line = f"def check_{i}(photo): return x{i}"
        d.text((130 + 20 * (i % 3), 42 + 30 * i), line, font=_font(16), fill=(200, 210, 190))
        d.text((30, 42 + 30 * i), f"file_{i}.py", font=_font(13), fill=(150, 150, 160))
    return img.resize((w, h), Image.LANCZOS)


def test_a_small_dark_signboard_with_light_lettering_is_not_a_device():
    """A campus signboard, dark with white lettering, on a post: a dark rim that ends and lettering inside,
    all a dark outline can show, but a fourteenth of the photo wide (under DEVICE_MIN_AREA)."""
    img = _wall((170, 172, 168))
    d = ImageDraw.Draw(img)
    d.rectangle((590, 300, 700, 620), fill=(205, 205, 200))  # the post
    d.rectangle((600, 380, 690, 520), fill=(24, 30, 28))  # the board, 0.011 of the photo
    for i in range(6):
        d.text((608, 390 + 20 * i), "OFFICE" if i % 2 else "BLOCK A", font=_font(11), fill=(235, 235, 235))
    assert _screens(img) == []


def test_a_dark_app_in_a_monitor_a_fifth_of_the_photo_wide_is_still_a_screen():
    img = _wall()
    img.paste(_dark_app(300, 184), (500, 360))  # 0.048 of the photo: the smallest on the dev photos was 0.055
    assert "a device's dark outline showing a display" in _screens(img)
