"""Screens and documents: rectangular regions that may show personal data even when no text is legible.

Why a geometric heuristic and no model: no screen/document detector ships in our wheels, and the
signals are simple and measurable. Candidate panels are convex quadrilaterals (Canny outlines, and bright
nearly rectangular blobs for panels whose outline is broken) covering 0.1-70 % of the picture; a monitor in
a silver bezel is a light, unsaturated blob judged by `screens.judge_light_device`. A *screen*
needs a display's evidence, judged by `screens.judge_panel` (a bezel that ends, upright edges, a UI's
layout): a bright panel in a dark frame is also a poster, an advert or a page on a table, and a flood of
false boxes trains people to ignore the warnings. A *document* is a bright, low-saturation quad holding
several detected text lines (or a page on a dark table, as judged there); besides, a block of many text
lines is a document whatever its outline (a page filling the frame, a scan, a sheet on a pale desk). A
display in a dark room, its bezel as black as the room, is told by the light it emits (emitted.py); a page
high on a wall that a projector lights far brighter than the wall is a projected slide, a screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from consentdesk.core.vision.blobs import trimmed_rect
from consentdesk.core.vision.emitted import lit_panels
from consentdesk.core.vision.frame import MID_SIDE, overlap, pixels, surround, union
from consentdesk.core.vision.keyboards import WHY as KEYBOARD_WHY
from consentdesk.core.vision.keyboards import keyboard_display
from consentdesk.core.vision.moire import STRIPE_TILES_SHOWING, axis_grid, pixel_grid
from consentdesk.core.vision.screens import (
    judge_dark_app,
    judge_device,
    judge_light_device,
    judge_panel,
)

#: a screen 1/20 of the photo wide is ~64 px here: enough for its bezel to show (the frame's shared copy)
WORK_SIDE = MID_SIDE
_MIN_AREA = 0.0012  # of the picture: a 16:10 monitor 1/20 of the photo wide, seen at an angle
#: a whole device judged from its dark outline is larger: a laptop 1/8 of the photo wide (16:10 on a 4:3 photo:
#: 0.013). A dark outline is the weakest sign of a device (a signboard, a microwave's glass door, an asset tag are
#: dark rectangles too) and a small one holds too few pixels to tell a display's content from lettering or a
#: reflection; small devices are the detector's (devices.py), which sees their shape. Devices found by their
#: outline measured 0.055-0.093 of the dev photos, such look-alikes 0.004-0.007 (0.004 let them in).
DEVICE_MIN_AREA = 0.012
#: a page of text whose centre is in this upper share of the picture and whose median brightness is this many
#: times its surround's is a projected slide (see `_projected`)
PROJECTED_HIGH = 0.5
PROJECTED_OUTSHINE = 1.6
PROJECTED_WHY = "a page high on a wall, far brighter than the wall around it: a projected slide"
#: what a display filling the frame is reported as, by its pixel grid seen at an angle or square on (each
#: within minimise.MAX_STORED characters: the catalogue keeps no more of a finding's words)
GRID_WHY = "a display's pixel grid (moiré) over light content: a display filling the frame"
STRIPES_WHY = "a display's pixel grid as moiré stripes, square on: a display filling the frame"
PAGE_LINES = 10  # text lines in one block that make a page (see _pages_of_text)
PAGE_CHARS = 120  # ... holding at least this many letters and digits
KEY_CAP_ASPECT = 1.2  # median width over height of lines under which they are key caps' glyphs (_key_caps)
#: A light blob's upright box (width / height) and how much of it the blob fills, for it to hold a monitor in
#: a light bezel at all (judge_light_device wants 1.15-2.1 upright; a hand or a speck stuck to the outline
#: moves the box a little): most light blobs (walls, skies, shirts; 115 of 159 on our photos) are not looked at.
LIGHT_BLOB_ASPECT = (0.8, 3.0)
LIGHT_BLOB_FILL = 0.35
GRID_TILES_SHOWING = 3  # of the 4 brightest, most even tiles whose moiré makes a display (moire.pixel_grid)
#: The share of the picture at least this light (grey, 0-255) ... and the share it must reach for a pixel grid
#: over light content to be a display filling the frame (`_display_filling_frame`): such displays measured
#: 0.35-0.90 on the dev photos (either grid), a lit fabric lamp shade in a dark restaurant (its weave's moiré) 0.14.
FILL_LIGHT = 100
FILL_LIGHT_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class Region:
    kind: str  # "screen" or "document"
    quad: tuple[tuple[float, float], ...]
    reason: str

    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _quads(grey: np.ndarray) -> list[np.ndarray]:
    import cv2

    h, w = grey.shape
    area_img = float(h * w)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 40, 120)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out: list[np.ndarray] = []
    for c in contours:
        area = cv2.contourArea(c)
        if not _MIN_AREA * area_img <= area <= 0.7 * area_img:
            continue
        approx = cv2.approxPolyDP(c, 0.03 * cv2.arcLength(c, True), True)
        if len(approx) != 4 or not cv2.isContourConvex(approx):
            continue
        x, y, bw, bh = cv2.boundingRect(approx)
        if not 0.25 <= bw / max(1, bh) <= 4.0 or cv2.contourArea(approx) < 0.75 * bw * bh * 0.8:
            continue
        quad = approx.reshape(4, 2).astype(np.float32)
        if not any(_same(quad, q) for q in out):
            out.append(quad)
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.abs(np.sort(a, axis=0) - np.sort(b, axis=0)).max()) < 12


def _bands(inside: np.ndarray, area: float) -> tuple[np.ndarray, np.ndarray]:
    """(inner core, thin outer ring) of a filled quad; thicknesses follow its size, so a small screen's
    bezel of a few pixels is measured, not the wall beyond it."""
    import cv2

    side = float(np.sqrt(max(area, 1.0)))
    if side < 120:  # a small screen's bezel is a line a few pixels thick, on the quad's edge itself
        inner = cv2.erode(inside, np.ones((7, 7), np.uint8))
        return inner, cv2.subtract(
            cv2.dilate(inside, np.ones((11, 11), np.uint8)), cv2.erode(inside, np.ones((3, 3), np.uint8))
        )
    skip = max(1, round(side * 0.012))
    width = max(2, min(6, round(side * 0.03)))
    inner = cv2.erode(inside, np.ones((2 * skip + 3, 2 * skip + 3), np.uint8))
    near = cv2.dilate(inside, np.ones((2 * skip + 1, 2 * skip + 1), np.uint8))
    far = cv2.dilate(inside, np.ones((2 * (skip + width) + 1, 2 * (skip + width) + 1), np.uint8))
    return inner, cv2.subtract(far, near)


def _stats(img: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    vals = img[mask > 0]
    return (float(vals.mean()), float(vals.std())) if vals.size else (0.0, 0.0)


def find_regions(
    rgb: np.ndarray,
    text_boxes: Sequence[tuple[float, float, float, float]] = (),
    text_blocks: Sequence[Sequence[int]] = (),
    text_chars: Sequence[int] = (),
    small_hsv: np.ndarray | None = None,
    text_letters: Sequence[int] | None = None,
    grey: np.ndarray | None = None,
    scale: float = 1.0,
) -> list[Region]:
    """Screens and documents in `rgb`; `text_boxes` (x, y, w, h in rgb pixels) are detected text lines,
    `text_blocks` groups of their indices that belong together (see analyse.text_blocks) and
    `text_chars` the number of letters and digits read on each line, `text_letters` the number of letters
    (nothing else of the text).
    `small_hsv`, if given, is `rgb` reduced to a long side of at most `WORK_SIDE`, in HSV, and `grey` is
    `rgb` in grey (each made here otherwise); `scale` is `rgb`'s pixels per original pixel."""
    import cv2

    h, w = rgb.shape[:2]
    f = min(1.0, WORK_SIDE / max(h, w))
    if small_hsv is None:
        small = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA) if f < 1 else rgb
        small_hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    regions = _framed_regions(small_hsv, f, text_boxes) + _display_filling_frame(rgb, grey, scale)
    for quad, why in lit_panels(small_hsv):  # a lit display outshining a dark room (emitted.py)
        regions.append(Region("screen", tuple((x / f, y / f) for x, y in quad.tolist()), why))
    above_keys = keyboard_display(text_boxes, text_chars, small_hsv[:, :, 2], f, text_letters)  # keyboards.py
    if above_keys is not None:
        found = Region("screen", above_keys, KEYBOARD_WHY)
        if not any(r.kind == "screen" and overlap(r.bbox(), found.bbox()) >= 1 / 3 for r in regions):
            regions.append(found)
    pages = _pages_of_text(regions, text_boxes, text_blocks, text_chars)
    lit = _lit_pages(pages, text_boxes, small_hsv[:, :, 2], f)
    return _nest(_screens_first(lit + _light_lines(lit, text_boxes, small_hsv[:, :, 2], f)))


def _screens_first(regions: list[Region]) -> list[Region]:
    """A "page" that is the panel of a screen found around it (a list of lines on a monitor, its lit area
    judged as a page on a dark surface) is the screen's content, not a document of its own."""
    screens = [r for r in regions if r.kind == "screen"]
    return [
        r
        for r in regions
        if r.kind != "document" or not any(_inside(s, _centre(r)) and _area(r) <= 1.3 * _area(s) for s in screens)
    ]


def _framed_regions(
    hsv: np.ndarray, f: float, text_boxes: Sequence[tuple[float, float, float, float]]
) -> list[Region]:
    """Bright quadrilaterals: a screen with a display's evidence (`screens.judge_panel`), or a page holding
    text lines. `hsv` is the picture reduced by `f`.

    Why `val` and `sat` are copied out of `hsv` once: OpenCV copies a plane given as a view of every third
    byte at each call (~1.3 ms for this picture, ten times the threshold it feeds), and the masks below
    threshold the brightness eight times."""
    sat, val = np.ascontiguousarray(hsv[:, :, 1]), np.ascontiguousarray(hsv[:, :, 2])
    dark = _DarkOutlines(val)
    small_boxes = [(x * f, y * f, bw * f, bh * f) for x, y, bw, bh in text_boxes]
    centres = np.array([(x + bw / 2, y + bh / 2) for x, y, bw, bh in small_boxes], np.float32)
    regions: list[Region] = []
    quads = _quads(val) + _bright_quads(val) + _dark_holes(dark)
    for quad in quads:
        orig = tuple((float(x) / f, float(y) / f) for x, y in quad)
        panel = judge_panel(hsv, quad, small_boxes)
        if panel.verdict != "none":
            regions.append(Region(panel.verdict, orig, panel.reason))
        elif _page(val, sat, quad, centres):
            if _projected(val, quad):
                regions.append(Region("screen", orig, PROJECTED_WHY))
            else:
                regions.append(Region("document", orig, "bright page with text lines"))
    for shown in _dark_displays(hsv, dark, quads):
        regions.append(Region("screen", tuple((float(x) / f, float(y) / f) for x, y in shown.quad), shown.reason))
    for quad, ends in _dark_outlines(dark):
        device = judge_device(hsv, quad, ends)
        if device.verdict == "screen":
            regions.append(Region("screen", tuple((float(x) / f, float(y) / f) for x, y in quad), device.reason))
    for quad in _light_outlines(hsv):
        verdict, reason = judge_light_device(hsv, quad)
        if verdict == "screen":
            regions.append(Region("screen", tuple((float(x) / f, float(y) / f) for x, y in quad), reason))
    return regions


def _display_filling_frame(rgb: np.ndarray, grey: np.ndarray | None, scale: float) -> list[Region]:
    """The whole picture as a screen when its light, even middle shows a display's pixel grid as moiré.

    Why: a display photographed close up (a web page, a document, a thesis's title page) fills the frame
    with light content and no bezel in sight, so no panel is found and its lines of text made it a page;
    the pixel grid it lays over its white is what a printed page never shows (see `moire.pixel_grid`,
    and `moire.axis_grid` for a display photographed square on)."""
    import cv2

    if grey is None:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if pixel_grid(grey, scale, rgb) >= GRID_TILES_SHOWING:
        why = GRID_WHY
    elif axis_grid(grey, scale, rgb) >= STRIPE_TILES_SHOWING:  # the same grid, photographed square on
        why = STRIPES_WHY
    else:
        return []
    if not _lights_frame(grey):
        return []
    h, w = grey.shape
    whole = ((0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h)))
    return [Region("screen", whole, why)]


def _lights_frame(grey: np.ndarray) -> bool:
    """Whether a good share of the picture is light, as a display filling the frame with light content is.

    Why: the pixel grid is looked for on the brightest, most even tiles, wherever they are; a lit object in a
    dark room (a fabric lamp shade, whose weave under its bulb folds into coloured moiré like a grid) gives
    those tiles while most of the frame around it is black. A display filling the frame lights most of it:
    its light content is what the grid was found on. Counted on every 4th pixel (cheap, and only once the
    grid is found)."""
    return float((grey[::4, ::4] >= FILL_LIGHT).mean()) >= FILL_LIGHT_SHARE


class _DarkOutlines:
    """The outer outlines of the picture's dark parts (brightness `val` up to a threshold, specks opened
    away), each threshold's made once: `_close_mouths` and `_dark_outlines` both look at those at 50 and
    80, and finding them is most of either's cost (~1.3 ms a threshold)."""

    def __init__(self, val: np.ndarray) -> None:
        self.val = val
        self._found: dict[int, Sequence[np.ndarray]] = {}

    def mask(self, thr: int) -> np.ndarray:
        """The dark mask itself (255 where `val` <= thr), a new array each time (callers draw on it)."""
        import cv2

        return cv2.threshold(self.val, thr, 255, cv2.THRESH_BINARY_INV)[1]

    def at(self, thr: int) -> Sequence[np.ndarray]:
        import cv2

        if thr not in self._found:
            opened = cv2.morphologyEx(self.mask(thr), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
            self._found[thr] = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
        return self._found[thr]


def _dark_holes(dark: _DarkOutlines, thresholds: Sequence[int] = (50, 80)) -> list[np.ndarray]:
    """Quads of what a dark ring holds: a display's content inside its bezel when neither its outline (cut by
    what the display shows) nor its brightness (dark or coloured content) makes it a panel, and a page on
    a dark table."""
    import cv2

    area_img = float(dark.val.shape[0] * dark.val.shape[1])
    out: list[np.ndarray] = []
    for thr in thresholds:
        mask = dark.mask(thr)
        _close_mouths(mask, dark.at(thr), 2 * _MIN_AREA * area_img)
        contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        for i in np.flatnonzero(hierarchy[0][:, 3] >= 0) if hierarchy is not None else ():
            c = contours[i]
            area = cv2.contourArea(c)
            if not 2 * _MIN_AREA * area_img <= area <= 0.7 * area_img:
                continue
            _add_new(out, _straight_quad(c, area))
    return out


def _dark_displays(hsv: np.ndarray, dark: _DarkOutlines, known: list[np.ndarray]) -> list[Region]:
    """Dark displays whose black bezel alone rings them: a screen only with a display's bar.

    Why: a dark app (a dark theme, dark grey ~35) in a black bezel standing against a black bench or wall
    is, at the other thresholds, one dark mass with them; at 25 only the bezel's black rings its content.
    A slate sign, a blackboard or a dark notice in a black frame is rung as well and carries rows of light
    text too, so rows of text are not enough here: the panel needs a title bar (`screens.judge_dark_app`)."""
    out = []
    for quad in _dark_holes(dark, (25,)):
        if any(_same(quad, q) for q in known):
            continue
        verdict, why = judge_dark_app(hsv, quad)
        if verdict == "screen":
            out.append(Region("screen", tuple((float(x), float(y)) for x, y in quad), why))
    return out


def _close_mouths(mask: np.ndarray, outlines: Sequence[np.ndarray], min_area: float) -> None:
    """Close (in place) the open side of each dark ring broken by something lighter across it.

    Why: a hand or a lit object over one side of a monitor breaks its bezel, so the ring around the panel
    is a "C" whose inside is no hole. A thin dark outline (it fills under half its box) whose deepest
    convexity defect reaches a fifth of the way in has its mouth, the segment between that defect's ends,
    drawn shut: the panel becomes a hole again, and `screens.judge_panel` still wants a bezel on three
    sides, a display's layout and the rest. `outlines` are the mask's without its specks (a dark, noisy
    photo has tens of thousands of them): `_DarkOutlines.at`."""
    import cv2

    for c in outlines:
        if len(c) < 4:
            continue
        x, y, w, h = cv2.boundingRect(c)
        if w * h < min_area or w * h > 0.7 * mask.size or cv2.contourArea(c) > 0.5 * w * h:
            continue
        try:
            defects = cv2.convexityDefects(c, cv2.convexHull(c, returnPoints=False))
        except cv2.error:  # a self-touching outline: its hull indices are not monotonic
            continue
        if defects is None:
            continue
        defects = defects.reshape(-1, 4)
        s, e, _, depth = defects[int(np.argmax(defects[:, 3]))]
        if depth / 256 >= 0.2 * min(w, h):
            cv2.line(mask, tuple(int(v) for v in c[s, 0]), tuple(int(v) for v in c[e, 0]), 255, 2)


def _add_new(quads: list[np.ndarray], quad: np.ndarray | None) -> None:
    """Add a quad unless it is None or already there (found at the other threshold)."""
    if quad is not None and not any(_same(quad, q) for q in quads):
        quads.append(quad)


def _light_outlines(hsv: np.ndarray) -> list[np.ndarray]:
    """Quads around light, unsaturated blobs clear of the picture's edge: a monitor in a silver or light-grey
    bezel with a light display, one blob apart from a saturated or darker surround (see
    `screens.judge_light_device`)."""
    import cv2

    h, w = hsv.shape[:2]
    # brightness >= 130 and saturation <= 45 (any hue), in one pass over the picture rather than four
    mask = cv2.inRange(hsv, np.array((0, 0, 130), np.uint8), np.array((255, 45, 255), np.uint8))
    area_img = float(h * w)
    out: list[np.ndarray] = []
    for c in cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
        area = cv2.contourArea(c)
        x, y, bw, bh = cv2.boundingRect(c)
        if not _MIN_AREA * area_img <= area <= 0.3 * area_img or min(x, y) < 2 or x + bw > w - 2 or y + bh > h - 2:
            continue
        if not LIGHT_BLOB_ASPECT[0] <= bw / bh <= LIGHT_BLOB_ASPECT[1] or area < LIGHT_BLOB_FILL * bw * bh:
            continue  # no landscape device in it, even with a hand or specks on its outline: no quads to make
        _add_new(out, _blob_quad(c, area))
        _add_new(out, _robust_box(c))
    return out


def _robust_box(contour: np.ndarray) -> np.ndarray | None:
    """The upright box a blob's rows and columns mostly reach: a hand over one side (of another colour)
    cuts most rows short of the far bezel, but those above and below it still reach it, while specks of a
    light surround stuck to the outline stretch only a few rows or columns."""
    import cv2

    x, y, w, h = cv2.boundingRect(contour)
    blob = np.zeros((h, w), np.uint8)
    cv2.drawContours(blob, [contour - (x, y)], -1, 1, thickness=cv2.FILLED)
    rows, cols = blob.any(axis=1), blob.any(axis=0)
    if rows.sum() < 8 or cols.sum() < 8:
        return None
    first_x = np.argmax(blob[rows], axis=1)
    last_x = w - 1 - np.argmax(blob[rows][:, ::-1], axis=1)
    first_y = np.argmax(blob[:, cols], axis=0)
    last_y = h - 1 - np.argmax(blob[::-1, cols], axis=0)
    x0, x1, y0, y1 = _edge(first_x, w, False), _edge(last_x, w, True), _edge(first_y, h, False), _edge(last_y, h, True)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return np.array([(x + x0, y + y0), (x + x1, y + y0), (x + x1, y + y1), (x + x0, y + y1)], np.float32)


def _edge(ends: np.ndarray, size: int, far: bool) -> int:
    """The outermost place (largest if `far`) where a seventh of the rows (or columns) end within
    a pixel of one another: a straight side; a speck or a curved hand's edge is shared by few."""
    hist = np.bincount(ends, minlength=size)
    straight = np.flatnonzero(np.convolve(hist, np.ones(3), mode="same") >= 0.14 * len(ends))
    if not len(straight):
        return int(np.median(ends))
    outer = int(straight[-1] if far else straight[0])
    near = straight[np.abs(straight - outer) <= 2]  # the side itself: where most of them end
    return int(near[np.argmax(hist[near])])


def _dark_outlines(dark: _DarkOutlines) -> list[tuple[np.ndarray, int]]:
    """Quads around dark blobs with straight sides (the blob fills 90 % of its quad), clear of the picture's
    edge: a monitor or laptop whose dark content runs into its bezel (see `screens.judge_device`); each with
    the number of sides on which it must be seen to end."""
    import cv2

    h, w = dark.val.shape
    area_img = float(h * w)
    blobs = [(c, cv2.contourArea(c)) for thr in (50, 80) for c in dark.at(thr)]
    out: list[tuple[np.ndarray, int]] = []
    for c, area in blobs:
        if not DEVICE_MIN_AREA * area_img <= area <= 0.7 * area_img:
            continue
        x, y, bw, bh = cv2.boundingRect(c)
        if min(x, y) < 2 or x + bw > w - 2 or y + bh > h - 2:
            continue
        # a dark mug or phone against its edge joins the outline: then the rectangle its rows and columns
        # fill is the device, joined on one side to something dark, so it must end on the other three
        for quad, ends in ((_straight_quad(c, area), 2), (trimmed_rect(c, area), 3)):
            if quad is not None and not any(_same(quad, q) for q, _ in out):
                out.append((quad, ends))
    return out


def _bright_blobs(
    val: np.ndarray, thresholds: tuple[int, ...], limits: tuple[float, float]
) -> list[tuple[np.ndarray, float]]:
    """(outer contour, area) of the bright blobs at each threshold, gaps closed, their area within `limits`
    (shares of the picture)."""
    import cv2

    area_img = float(val.shape[0] * val.shape[1])
    out = []
    for thr in thresholds:
        _, mask = cv2.threshold(val, thr, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
        for c in cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
            area = cv2.contourArea(c)
            if limits[0] * area_img <= area <= limits[1] * area_img:
                out.append((c, area))
    return out


def _straight_quad(contour: np.ndarray, area: float) -> np.ndarray | None:
    import cv2

    approx = cv2.approxPolyDP(contour, 0.03 * cv2.arcLength(contour, True), True)
    if len(approx) == 4 and cv2.isContourConvex(approx) and area >= 0.9 * cv2.contourArea(approx):
        return approx.reshape(4, 2).astype(np.float32)
    rect = cv2.minAreaRect(contour)
    if area >= 0.9 * rect[1][0] * rect[1][1]:
        return cv2.boxPoints(rect).astype(np.float32)
    return None


def _page(val: np.ndarray, sat: np.ndarray, quad: np.ndarray, centres: np.ndarray) -> bool:
    """A bright, unsaturated quad, brighter than its surroundings, holding three or more text lines."""
    import cv2

    hh, ww = val.shape
    n_text = sum(cv2.pointPolygonTest(quad, (float(cx), float(cy)), False) >= 0 for cx, cy in centres)
    if n_text < 3:
        return False
    # masks only over the quad's neighbourhood: the cost follows the quad, not the picture
    bx, by, bw, bh = cv2.boundingRect(quad.astype(np.int32))
    m = 16
    x0, y0, x1, y1 = max(0, bx - m), max(0, by - m), min(ww, bx + bw + m), min(hh, by + bh + m)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(inside, (quad - (x0, y0)).astype(np.int32), 255)
    # a thin band just outside the edge (skipping the blurred edge itself)
    inner, ring = _bands(inside, cv2.contourArea(quad))
    v_roi, s_roi = val[y0:y1, x0:x1], sat[y0:y1, x0:x1]
    v_in, _ = _stats(v_roi, inner)
    s_in, _ = _stats(s_roi, inner)
    ring_vals = v_roi[ring > 0]
    v_ring = float(np.median(ring_vals)) if ring_vals.size else 255.0
    return v_in > 165 and s_in < 45 and v_in - v_ring > 20


def _projected(val: np.ndarray, quad: np.ndarray) -> bool:
    """Whether a page of text (see `_page`) is a slide a projector lights: high on a wall, its median
    brightness `PROJECTED_OUTSHINE` times that of the wall and room around it.

    Why: a slide in a lecture hall or a meeting room is light print on white like a page, and was reported
    as a paper document. Paper, a poster or a notice on a wall is lit by the room as the wall is (a banner
    under a hall's spotlights outshone its surround by 1.5); the projector lights its slide 1.7-5.5 times
    brighter than the wall around it (three slides on the dev sets). A page lying on a dark table (lower
    in the picture, photographed from above) stays a document, however it outshines the table."""
    import cv2

    h, w = val.shape
    box = cv2.boundingRect(quad.astype(np.int32))
    if box[1] + box[3] / 2 > PROJECTED_HIGH * h:
        return False
    x0, y0, x1, y1 = pixels(box, w, h)
    around = surround(val, box)
    if around.size == 0 or x1 <= x0 or y1 <= y0:
        return False
    return float(np.median(val[y0:y1, x0:x1])) >= PROJECTED_OUTSHINE * max(1.0, float(np.median(around)))


def _bright_quads(val: np.ndarray) -> list[np.ndarray]:
    """Quads around bright blobs: a lit panel whose outline Canny breaks (a hand over the bezel, a silver
    frame close in brightness to the panel) still shows as one bright, nearly rectangular blob."""
    out: list[np.ndarray] = []
    for c, area in _bright_blobs(val, (150, 190), limits=(_MIN_AREA, 0.5)):
        _add_new(out, _blob_quad(c, area))
    return out


def _blob_quad(contour: np.ndarray, area: float) -> np.ndarray | None:
    """The rectangle a bright blob fills: its rotated bounding rectangle when the blob fills that, else
    the upright rectangle left after trimming the rows and columns it only partly fills (a hand or a lamp
    of the same brightness joined to the panel's edge)."""
    import cv2

    rect = cv2.minAreaRect(contour)
    rw, rh = rect[1]
    fill = area / (rw * rh) if rw * rh > 0 else 0.0
    if fill >= 0.93:
        return cv2.boxPoints(rect).astype(np.float32)
    trimmed = trimmed_rect(contour, area)
    if trimmed is not None:
        return trimmed
    return cv2.boxPoints(rect).astype(np.float32) if fill >= 0.7 else None


def _pages_of_text(
    regions: list[Region],
    text_boxes: Sequence[tuple[float, float, float, float]],
    text_blocks: Sequence[Sequence[int]],
    text_chars: Sequence[int],
) -> list[Region]:
    """A block of many text lines is a document, whatever its outline.

    Why: on real photos the page outline is often not found (a page filling the frame, a scan, a sheet
    at an angle on a pale desk).
    Shop signs, posters and shirts showed at most 8 lines in one block, pages 12 and more
    (bench/real_photos.py), so a block of `PAGE_LINES` lines and `PAGE_CHARS` letters and digits is
    reported as a document (a press backdrop repeats short logos: many lines, few characters), unless
    a screen holds it, and "screens" inside a page full of text (the cells of a printed table) are
    dropped. A white page on a dark table still passes for a screen in its bezel: both are flagged,
    and no measurement here separated them safely from a monitor on a dark desk.
    """
    out = list(regions)
    for block in text_blocks:
        chars = sum(text_chars[i] for i in block) if len(text_chars) == len(text_boxes) else PAGE_CHARS
        if len(block) < PAGE_LINES or chars < PAGE_CHARS:
            continue
        centres = [
            (text_boxes[i][0] + text_boxes[i][2] / 2, text_boxes[i][1] + text_boxes[i][3] / 2) for i in block
        ]
        holders = [r for r in out if sum(_inside(r, c) for c in centres) >= 0.6 * len(centres)]
        if any(r.kind == "document" for r in holders):
            continue
        if holders:  # a screen showing many lines stays a screen (an appointment list, a spreadsheet)
            continue
        reason = f"{len(block)} lines of text together: a page"
        x0 = min(text_boxes[i][0] for i in block)
        y0 = min(text_boxes[i][1] for i in block)
        x1 = max(text_boxes[i][0] + text_boxes[i][2] for i in block)
        y1 = max(text_boxes[i][1] + text_boxes[i][3] for i in block)
        out.append(Region("document", ((x0, y0), (x1, y0), (x1, y1), (x0, y1)), reason))
    # only a page full of text swallows the "screens" inside it: a letter propped against a monitor, or a
    # bright monitor frame itself taken for a page of a few lines, must not hide the screen
    centres = [(x + w / 2, y + h / 2) for x, y, w, h in text_boxes]
    pages = [r for r in out if r.kind == "document" and sum(_inside(r, c) for c in centres) >= PAGE_LINES]
    return [
        r
        for r in out
        if r.kind != "screen" or not any(_inside(p, _centre(r)) and _area(p) > _area(r) for p in pages)
    ]


def _lit_pages(
    regions: list[Region], text_boxes: Sequence[tuple[float, float, float, float]], val: np.ndarray, f: float
) -> list[Region]:
    """A "page of text" whose lines are light on a dark ground is a display filling the frame.

    Why: a code editor, a terminal or a game's list photographed close up shows no bezel, and its many
    lines made it a page; print is dark on light paper, while a display's dark themes light the letters.
    Only pages of many lines are looked at (a dark shirt or a sign with a few light words is no page), and
    either way the finding blocks: it is only called what it is."""
    out = []
    for r in regions:
        lines = [b for b in text_boxes if _inside(r, (b[0] + b[2] / 2, b[1] + b[3] / 2))]
        if r.kind == "document" and len(lines) >= PAGE_LINES and _light_on_dark(val, lines, f):
            r = Region("screen", r.quad, f"{len(lines)} lines of light text on a dark ground: a display")
        out.append(r)
    return out


def _light_lines(
    regions: list[Region], text_boxes: Sequence[tuple[float, float, float, float]], val: np.ndarray, f: float
) -> list[Region]:
    """The photo's text lines together as a display when no screen was found and most of them are light on a
    dark ground (see `_light_on_dark`), however they group.

    Why: a dark theme's lines rarely make one block of `PAGE_LINES` (a code editor's indents and blank
    lines, a video player's subtitles under its title, a game's scattered labels split them into blocks of
    a few), so `_lit_pages` had no page to look at and the display went unreported. Taken together, only
    displays showed `PAGE_LINES` or more lines mostly light on dark on our dev photos: 3 displays missed
    before (a code editor, a video player, a browser game), and none of the 119 photos labelled without a
    screen (signs at night, shirts, printed pages and charts; the most was 7 light lines of 68)."""
    if len(text_boxes) < PAGE_LINES or any(r.kind == "screen" for r in regions) or _key_caps(text_boxes):
        return []
    # a sample of 40 lines judges a page of hundreds as well, at a fifth of the cost (~2 ms)
    if not _light_on_dark(val, text_boxes[:: max(1, len(text_boxes) // 40)], f):
        return []
    x, y, w, h = union(text_boxes)
    why = f"{len(text_boxes)} lines, most light on a dark ground: a display in a dark theme"
    return [Region("screen", ((x, y), (x + w, y), (x + w, y + h), (x, y + h)), why)]


def _key_caps(lines: Sequence[tuple[float, float, float, float]]) -> bool:
    """Most "lines" are single glyphs, boxes hardly wider than tall: a keyboard's key caps, not a display's text.

    Why: a backlit keyboard glows light letters on dark key caps, one short label per key in its own box,
    dozens of them; a dark theme's lines hold words, wider than tall (the narrowest display on our dev
    photos, a game's scattered labels, had a median width of 1.36 heights, a keyboard's 1.0)."""
    return float(np.median([w / max(1.0, h) for _, _, w, h in lines])) < KEY_CAP_ASPECT


def _light_on_dark(val: np.ndarray, lines: Sequence[tuple[float, float, float, float]], f: float) -> bool:
    """Most lines' letters are brighter than their ground, and the ground is dark (`val`: brightness of the
    picture reduced by `f`; boxes in the full picture's pixels): what a light theme's print never is."""
    light, grounds = 0, []
    for x, y, w, h in lines:
        box = val[int(y * f) : int((y + h) * f) + 1, int(x * f) : int((x + w) * f) + 1]
        if box.size < 12:
            continue
        lo, ground, hi = np.percentile(box, (5, 50, 95))
        light += hi - ground > ground - lo
        grounds.append(ground)
    # a dark theme photographed is grey (~100-140) with its letters in it; paper is lighter
    return light >= 0.7 * len(lines) and bool(grounds) and float(np.median(grounds)) < 150


def _centre(region: Region) -> tuple[float, float]:
    x, y, w, h = region.bbox()
    return x + w / 2, y + h / 2


def _area(region: Region) -> float:
    return region.bbox()[2] * region.bbox()[3]


def _inside(region: Region, point: tuple[float, float]) -> bool:
    import cv2

    quad = np.array(region.quad, np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(quad, (float(point[0]), float(point[1])), False) >= 0


def _nest(regions: list[Region]) -> list[Region]:
    """Keep the outermost of nested regions of the same kind (a window inside a screen is one screen)."""
    keep = []
    for r in sorted(regions, key=lambda r: -r.bbox()[2] * r.bbox()[3]):
        x, y, bw, bh = r.bbox()
        if not any(
            k.kind == r.kind
            and k.bbox()[0] <= x + 4
            and k.bbox()[1] <= y + 4
            and k.bbox()[0] + k.bbox()[2] >= x + bw - 4
            and k.bbox()[1] + k.bbox()[3] >= y + bh - 4
            for k in keep
        ):
            keep.append(r)
    return keep
