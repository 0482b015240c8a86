"""Screens, sixth pass, on generated pictures: a display filling the frame is known by its pixel grid's
moiré; a printed page, a halftone print and a woven fabric are not displays."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from tests.data import drawing

from consentdesk.core.vision import moire, regions

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _page(w: int = 420, h: int = 320) -> np.ndarray:
    """A light page of small print (grey, 0-255), at the display's own resolution."""
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype(_FONT, 9)
    except OSError:
        font = ImageFont.load_default()
    for i in range(6):
        d.text((20, 20 + 14 * i), "Name, date of birth and address of the student", font=font, fill=30)
    return np.asarray(img)


def _photograph(img: np.ndarray, angle: float = 2.5, size: int = 1400) -> np.ndarray:
    """A camera's view of `img` (RGB) filling the frame: turned a little, blurred by the lens, sampled."""
    h, w = img.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.12)
    turned = cv2.warpAffine(img, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    soft = cv2.GaussianBlur(turned, (0, 0), 1.0)
    k = size / max(h, w)
    return cv2.resize(soft, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)


def _on_display(page: np.ndarray, pitch: int = 6) -> np.ndarray:
    """`page` shown on an RGB-stripe display: each pixel three coloured stripes and a dark gap between."""
    big = np.repeat(np.repeat(page, pitch, axis=0), pitch, axis=1).astype(np.float32)
    h, w = big.shape
    out = np.repeat(big[:, :, None] * 0.7, 3, axis=2)  # the lens mixes the stripes' light...
    sub = pitch // 3
    for c in range(3):
        cols = (np.arange(w) % pitch) // sub == c
        out[:, cols, c] = big[:, cols]  # ... but each stripe is brightest in its own colour
    out[np.arange(h) % pitch == pitch - 1] *= 0.5  # the black matrix between rows of pixels
    return np.clip(out + 8, 0, 255).astype(np.uint8)


def _halftone(page: np.ndarray, cell: int = 6) -> np.ndarray:
    """`page` printed in a 45-degree halftone (a dot per cell, sized by the ink), at 6 x its resolution,
    with a grey picture block so the dots show on the page."""
    page = page.copy()
    page[150:300, 40:380] = np.linspace(60, 200, 340)[None, :].astype(np.uint8)
    big = cv2.resize(page, (page.shape[1] * 6, page.shape[0] * 6), interpolation=cv2.INTER_LINEAR)
    h, w = big.shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    u, v = (xx + yy) / np.sqrt(2), (xx - yy) / np.sqrt(2)
    dist = np.hypot((u % cell) - cell / 2, (v % cell) - cell / 2) / (cell / 2 * np.sqrt(2))
    ink = 1 - big.astype(np.float32) / 255
    printed = np.where(dist < np.sqrt(ink) * 0.9, 20, 245).astype(np.uint8)
    return cv2.cvtColor(printed, cv2.COLOR_GRAY2RGB)


def _grid_count(rgb: np.ndarray) -> int:
    return moire.pixel_grid(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def test_a_page_shown_on_a_display_filling_the_frame_is_a_screen():
    photo = _photograph(_on_display(_page()))
    assert _grid_count(photo) >= regions.GRID_TILES_SHOWING
    found = regions.find_regions(photo)
    assert "screen" in [r.kind for r in found], found


def test_a_printed_page_a_halftone_and_a_fabric_are_not_displays():
    page = cv2.cvtColor(_page(), cv2.COLOR_GRAY2RGB)
    plain = _photograph(cv2.resize(page, None, fx=6, fy=6, interpolation=cv2.INTER_CUBIC))
    halftone = _photograph(_halftone(_page()))
    yy, xx = np.mgrid[:1000, :1300]
    weave = (150 + 60 * np.sin(xx / 1.3) * np.sin(yy / 1.3)).astype(np.uint8)  # a fine fabric, not even
    fabric = _photograph(cv2.cvtColor(weave, cv2.COLOR_GRAY2RGB))
    for name, photo in (("page", plain), ("halftone", halftone), ("fabric", fabric)):
        assert _grid_count(photo) < regions.GRID_TILES_SHOWING, name
        assert "screen" not in [r.kind for r in regions.find_regions(photo)], name


# ----------------------------------------------------------------- a display photographed square on


def _fine_print(w: int = 1600, h: int = 1200, size: int = 7, pitch: int = 9) -> np.ndarray:
    """A printed page packed with small print (RGB), rows `pitch` px apart: periodic down the page."""
    img = Image.new("L", (w, h), 250)
    d = ImageDraw.Draw(img)
    font = drawing.font(size)
    for y in range(20, h - 20, pitch):
        d.text((30, y), "Name, date of birth and address of the student, " * 3, font=font, fill=40)
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_GRAY2RGB)


@pytest.mark.parametrize("size", [512, 700])
def test_a_display_photographed_square_on_is_a_screen_by_its_stripes(size):
    # held square to the display, the grid's moiré runs along the picture's axes, where the off-axis
    # search does not look (JPEG blocks and rows of print lie there)
    photo = _photograph(_on_display(_page()), angle=0.0, size=size)
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    assert moire.axis_grid(grey) >= moire.STRIPE_TILES_SHOWING
    found = regions.find_regions(photo)
    assert "screen" in [r.kind for r in found], found


@pytest.mark.parametrize("size", [512, 1000])
def test_a_printed_page_photographed_square_on_shows_no_stripes(size):
    page = cv2.cvtColor(_page(), cv2.COLOR_GRAY2RGB)
    plain = _photograph(
        cv2.resize(page, None, fx=6, fy=6, interpolation=cv2.INTER_CUBIC), angle=0.0, size=size
    )
    halftone = _photograph(_halftone(_page()), angle=0.0, size=size)
    packed = _photograph(_fine_print(), angle=0.0, size=size)  # rows of print: periodic one way only
    for name, photo in (("page", plain), ("halftone", halftone), ("small print", packed)):
        assert moire.axis_grid(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)) < moire.STRIPE_TILES_SHOWING, name
        assert "screen" not in [r.kind for r in regions.find_regions(photo)], name


def test_jpeg_blocks_of_a_plain_page_are_not_a_grid():
    # a plain light page saved as a JPEG: its 8-pixel blocks repeat along both axes
    yy, xx = np.mgrid[:600, :800]
    page = (200 + 20 * np.sin(xx / 97.0) + 15 * np.cos(yy / 61.0)).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 40])
    assert ok
    blocky = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    assert moire.axis_grid(blocky) < moire.STRIPE_TILES_SHOWING


def test_a_fine_pattern_in_part_of_each_tile_is_not_a_grid_running_across_a_display():
    # a display's grid runs across all of it; a patch of fine pattern (a label's print, a few strokes over
    # plain white) rings through the spectrum of the rows it crosses only
    yy, xx = np.mgrid[:640, :640]
    grid = 200 + 25 * np.cos(2 * np.pi * 0.3 * xx) + 25 * np.cos(2 * np.pi * 0.3 * yy)
    whole = grid.astype(np.uint8)
    patches = np.where(yy % moire.STRIPE_TILE < 28, grid, 200.0).astype(np.uint8)
    assert moire.axis_grid(whole) >= moire.STRIPE_TILES_SHOWING
    assert moire.axis_grid(patches) < moire.STRIPE_TILES_SHOWING


def test_a_fly_screen_the_camera_resolves_is_not_a_display():
    # a wire mesh ~8 px apart over a bright sky: even and sharply periodic both ways, but coarser than a
    # display's aliased grid; only its harmonics fall in the band searched
    yy, xx = np.mgrid[:1500, :2000].astype(np.float32)
    sky = 225 - 0.02 * yy
    wire = (np.abs(xx % 12 - 6) < 0.6) | (np.abs(yy % 12 - 6) < 0.6)
    mesh = cv2.GaussianBlur(np.where(wire, sky * 0.45, sky), (0, 0), 0.8).astype(np.uint8)
    photo = cv2.resize(mesh, (1280, 960), interpolation=cv2.INTER_AREA)
    assert moire.axis_grid(photo) < moire.STRIPE_TILES_SHOWING


def _mesh(period: float, angle: float, holes: bool, size: int = 480) -> np.ndarray:
    """A grey close-up of metal filling the frame (RGB, no colour): a wire mesh (light wires over the dark
    behind it) or a perforated sheet (dark round holes in light metal), `period` px apart, turned by `angle`."""
    yy, xx = np.mgrid[: size * 4, : size * 4].astype(np.float32) / 4
    a = np.radians(angle)
    u = ((xx * np.cos(a) + yy * np.sin(a)) % period) / period - 0.5
    v = ((yy * np.cos(a) - xx * np.sin(a)) % period) / period - 0.5
    if holes:
        metal = np.where(np.hypot(u, v) < 0.3, 40.0, 200.0)
    else:
        metal = np.where((np.abs(u) < 0.15) | (np.abs(v) < 0.15), 200.0, 40.0)
    small = cv2.GaussianBlur(cv2.resize(metal, (size, size), interpolation=cv2.INTER_AREA), (0, 0), 0.6)
    return cv2.cvtColor(np.clip(small, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)


@pytest.mark.parametrize(("period", "angle", "holes"), [(4.0, 45, False), (3.5, 30, True), (3.0, 45, True)])
def test_a_grey_mesh_or_grille_filling_the_frame_is_not_a_display(period, angle, holes):
    # sharp, even and periodic both ways, finer than the band: the grid rules alone take it for a display's
    # pixel grid; but it is one material's grey, with none of the colour fringes of a display's sub-pixels
    photo = _mesh(period, angle, holes)
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    assert moire.pixel_grid(grey) >= regions.GRID_TILES_SHOWING  # what made it a screen before
    assert moire.pixel_grid(grey, rgb=photo) < regions.GRID_TILES_SHOWING
    assert moire.axis_grid(grey, rgb=photo) < moire.STRIPE_TILES_SHOWING
    assert "screen" not in [r.kind for r in regions.find_regions(photo)]


def test_a_display_s_moire_carries_colour_fringes():
    # the same check on a display: its sub-pixels' colours survive into the moiré, tile by tile
    for angle in (2.5, 0.0):
        photo = _photograph(_on_display(_page()), angle=angle, size=700)
        grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
        assert moire.pixel_grid(grey, rgb=photo) == moire.pixel_grid(grey)
        assert moire.axis_grid(grey, rgb=photo) == moire.axis_grid(grey)


# ----------------------------------------------------------------- a lit object in a dark room


def _in_the_dark(photo: np.ndarray, share: float) -> np.ndarray:
    """`photo` seen only through a lit ellipse covering about `share` of the frame, black around it."""
    h, w = photo.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    axes = (round(w * np.sqrt(share / np.pi)), round(h * np.sqrt(share / np.pi)))
    cv2.ellipse(mask, (w // 2, h // 2), axes, 0, 0, 360, 255, -1)
    return np.where(mask[:, :, None] > 0, photo, 4).astype(np.uint8)


def test_a_lit_patterned_shade_in_a_dark_room_is_not_a_display_filling_the_frame():
    # a fabric lamp shade lit by its bulb: its weave gives the grid's coloured moiré on its brightest tiles,
    # but most of the frame around it is black; a display filling the frame lights most of it
    photo = _photograph(_on_display(_page()))
    shade = _in_the_dark(photo, 0.15)
    assert _grid_count(shade) >= regions.GRID_TILES_SHOWING  # the grid is there ...
    assert regions._display_filling_frame(shade, None, 1.0) == []  # ... on too little light to be a display


def test_a_display_filling_most_of_the_frame_with_a_dark_surround_is_still_a_screen():
    photo = _in_the_dark(_photograph(_on_display(_page())), 0.6)
    assert regions._display_filling_frame(photo, None, 1.0), "a display's light content over most of the frame"
