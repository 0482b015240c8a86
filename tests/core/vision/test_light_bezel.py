"""A monitor in a silver or light-grey bezel, in the background of a photo: found by its even light rim and
its UI (`screens.judge_light_device`), while a whiteboard, a window and a poster in a light frame are not."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw
from tests.data import drawing

from consentdesk.core.vision.regions import find_regions

_font = drawing.font


def _wall(w: int = 1600, h: int = 1200) -> Image.Image:
    """A wooden wall over a dark carpet, with some grain: the room behind a reception desk."""
    rng = np.random.default_rng(7)
    img = np.zeros((h, w, 3), np.float32)
    img[:] = (176, 128, 84)
    img[int(h * 0.7) :] = (45, 48, 55)
    img += rng.normal(0, 6, (h, w, 1))
    img[:, :, 0] += 8 * np.sin(np.arange(h) / 9.0)[:, None]
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _framed(inner: Image.Image, frame=(200, 200, 205), width: int = 10) -> Image.Image:
    out = Image.new("RGB", (inner.width + 2 * width, inner.height + 2 * width), frame)
    out.paste(inner, (width, width))
    return out


def _ui(w: int, h: int) -> Image.Image:
    img = Image.new("RGB", (w, h), (235, 240, 250))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h // 14), fill=(40, 90, 170))
    d.rectangle((0, h // 14, w // 5, h), fill=(200, 205, 215))
    size = max(6, h // 22)
    for i in range(8):
        d.text((w // 5 + size, h // 14 + size + int(i * size * 1.8)), f"{9 + i // 2}:30  Olivia Okafor", font=_font(size), fill=(30, 30, 60))
    return img


def _whiteboard(w: int, h: int) -> Image.Image:
    img = Image.new("RGB", (w, h), (246, 246, 242))
    d = ImageDraw.Draw(img)
    for i, word in enumerate(("Rota", "week 12", "coffee!")):
        d.text((30 + 40 * i, 30 + i * h // 4), word, font=_font(h // 9), fill=(20, 40, 160))
    d.line((w // 2, h // 3, w - 40, h - 60), fill=(200, 30, 30), width=4)
    return img


def _window(w: int, h: int) -> Image.Image:
    img = np.zeros((h, w, 3), np.float32)
    img[:] = (150, 190, 235)  # sky
    rng = np.random.default_rng(3)
    trees = np.clip(rng.normal(0, 40, (h // 2, w, 1)) + (60, 110, 50), 0, 255)
    img[h // 2 :] = trees
    return Image.fromarray(img.astype(np.uint8))


def _poster(w: int, h: int) -> Image.Image:
    img = Image.new("RGB", (w, h), (245, 245, 240))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h // 6), fill=(200, 40, 40))
    d.text((20, h // 4), "GIVE BLOOD", font=_font(h // 6), fill=(30, 30, 30))
    d.text((20, h // 2), "save lives", font=_font(h // 8), fill=(30, 30, 30))
    return img


def _screens(obj: Image.Image) -> list:
    scene = _wall()
    scene.paste(obj, (420, 260))
    return [r for r in find_regions(np.asarray(scene)) if r.kind == "screen"]


def test_a_monitor_in_a_silver_bezel_on_a_wall_is_a_screen():
    found = _screens(_framed(_ui(480, 290)))
    assert found, "a silver bezel around a lit UI is a screen"
    x, y, w, h = found[0].bbox()
    assert abs(x - 420) < 30 and abs(y - 260) < 30 and abs(w - 500) < 40


def test_a_monitor_in_a_light_grey_bezel_showing_the_same_ui_is_a_screen():
    assert _screens(_framed(_ui(420, 260), frame=(175, 176, 180), width=7))


def test_a_whiteboard_in_an_aluminium_frame_is_not_a_screen():
    assert not _screens(_framed(_whiteboard(480, 290), frame=(190, 192, 195), width=9))


def test_a_window_in_a_white_frame_is_not_a_screen():
    assert not _screens(_framed(_window(480, 290), frame=(225, 225, 222), width=12))


def test_a_poster_in_a_silver_frame_is_not_a_screen():
    assert not _screens(_framed(_poster(480, 290)))


def test_a_light_grey_door_with_a_sign_is_not_a_screen():
    door = Image.new("RGB", (260, 460), (205, 205, 208))
    ImageDraw.Draw(door).rectangle((60, 60, 200, 110), fill=(240, 240, 240))
    assert not _screens(_framed(door, frame=(185, 185, 190), width=12))


def test_the_light_bezel_check_costs_little():
    import time

    scene = cv2.cvtColor(np.asarray(_wall(2000, 1500)), cv2.COLOR_RGB2HSV)
    from consentdesk.core.vision.regions import _light_outlines

    started = time.process_time()
    for _ in range(5):
        _light_outlines(scene)
    assert (time.process_time() - started) / 5 < 0.02


def test_a_silver_monitor_with_a_hand_over_its_side_is_a_screen():
    monitor = _framed(_ui(480, 290))
    d = ImageDraw.Draw(monitor)
    r = monitor.height * 0.28
    cx, cy = monitor.width * 0.88, monitor.height * 0.45
    d.ellipse((cx - r, cy - r, cx + r, cy + r * 1.4), fill=(110, 75, 55))  # a palm over the right bezel
    for k in range(4):
        d.rounded_rectangle((cx - r + k * r * 0.6, monitor.height * 0.1, cx - r * 0.58 + k * r * 0.6, cy), 6, fill=(110, 75, 55))
    assert _screens(monitor), "three sides of an even light bezel around a UI, the fourth under a hand"
