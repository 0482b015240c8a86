"""Is a framed bright panel a screen? Evidence of a display, not only a bright rectangle in a dark frame.

Why: on real photos a bright panel inside a dark frame was also a backlit advert, a poster behind glass,
a town sign with a black border, platform screen doors and a white page lying on a dark table, and each
of those became a blocking "screen" a reviewer had to dismiss by hand. A monitor, laptop or phone differs
in ways that can be measured on the panel and its surroundings:
- a *bezel*: a dark band of even thickness around the panel that ends (the wall or desk beyond it looks
  different), on at least three sides (a hand or a mug may cover the fourth);
- a *display's content*: a UI's layout (a uniform title or menu bar, a side bar, rows of small text), not a
  poster's few large words or an advert's saturated gradient;
- *upright*: screens stand, so their side edges are close to vertical in the photo, while a page lying on a
  table is turned any way; and screens are landscape (monitors, laptops, TVs) or phone-shaped.
A white page on a dark table has the "bezel" (the table) running far beyond it, is often turned, and holds
many small lines of print: it is reported as a document.

A display showing dark or mixed content (a code editor, a game, a photo) has no bright panel to start from:
its content runs into the bezel. There the whole device is one dark outline with straight sides on a
lighter surround, and `judge_device` asks for a display inside it (see there). A monitor in a silver or
light-grey bezel has no dark band at all: `judge_light_device` asks for an even light rim and a UI inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Why `judge_panel` calls a lit panel in a dark surround paper: the check's device detector takes the same
#: dark surface with its white rectangle for a laptop or a TV, and must not call that page a screen (analyse.py)
PAGE_ON_DARK = "white page on a dark surface"
SHEET_ON_DARK = "white sheet of paper on a dark surface"

#: Height (work pixels) under which a panel's "bar" is not looked for. Why: `_ui_bar`'s band is a twelfth of the
#: panel's height; under 96 px that is under 8 px, as deep as the panel's own blurred edge and the margin of
#: what a small lit square holds: a slot machine's lamp panels, a printed tile or a code's quiet zone read as a
#: title bar. A display that small still shows by its rows of text; the smallest screen known by its bar alone
#: on our dev photos (a phone) was 149 px tall, the lamp panels and code tiles that passed 39 to 70.
BAR_PANEL_MIN = 96


@dataclass(frozen=True, slots=True)
class PanelFacts:
    """What was measured on one panel (for tests and tuning); `verdict` is screen, document or none."""

    verdict: str
    reason: str
    dark_sides: int
    bezel_ends: bool
    tilt_deg: float
    ui_bar: bool
    small_text_rows: int
    big_text_rows: int
    saturation: float
    grid: float = 0.0
    thin_bezel: bool = False


def judge_panel(
    hsv: np.ndarray, quad: np.ndarray, text_boxes: list[tuple[float, float, float, float]] = ()
) -> PanelFacts:
    """Judge the convex quad (4 x 2, in `hsv` pixels) of an HSV image; `text_boxes` are text lines (x, y, w, h)
    in the same pixels, those whose centre lies in the quad are the panel's text."""
    import cv2

    sat, val = hsv[:, :, 1], hsv[:, :, 2]
    quad = _order(quad.astype(np.float32))
    _, _, bw, bh = cv2.boundingRect(quad.astype(np.int32))
    (x0, y0, x1, y1), core = _panel_core(quad, val.shape)
    v_roi, s_roi = val[y0:y1, x0:x1], sat[y0:y1, x0:x1]
    v_in = float(v_roi[core > 0].mean()) if np.any(core) else 0.0
    s_in = float(s_roi[core > 0].mean()) if np.any(core) else 0.0
    dark_sides, bezel_ends, thin_bezel = _bezel(val, quad, v_in)
    # a panel with no bezel is nothing whatever its content (see _verdict): its layout is not measured, nor a
    # bar on a panel too small to draw one (see BAR_PANEL_MIN)
    ui_bar = dark_sides >= 3 and bh >= BAR_PANEL_MIN and _ui_bar(v_roi, s_roi, core, upright=_aspect(quad) < 0.9)
    rows = [(tx, ty, tw, th) for tx, ty, tw, th in text_boxes if _inside(quad, tx + tw / 2, ty + th / 2)]
    facts = dict(
        dark_sides=dark_sides,
        bezel_ends=bezel_ends,
        # how far the side edges lean from vertical (a standing screen's do not, much)
        tilt_deg=max(_lean(quad[3] - quad[0]), _lean(quad[2] - quad[1])),
        ui_bar=ui_bar,
        small_text_rows=sum(th < 0.07 * max(1.0, bh) for _, _, _, th in rows),
        big_text_rows=sum(th >= 0.07 * max(1.0, bh) for _, _, _, th in rows),
        saturation=s_in,
        # a display's layout too fine to read, measured only inside a whole bezel that ends
        grid=_grid(val, quad) if dark_sides == 4 and bezel_ends else 0.0,
        thin_bezel=thin_bezel,
    )
    verdict, reason = _verdict(v_in, _aspect(quad), **facts)
    return PanelFacts(verdict, reason, **facts)


def _grid(val: np.ndarray, quad: np.ndarray) -> float:
    """Share of the panel's strong edges that run along its sides; 0 without fine detail on plain ground.

    Why: a web page or an app seen whole on a laptop across a room has lines of text too small to read, but
    its layout is still there: rows of text, boxes and bars are drawn along the display's axes, so nearly
    all of its edges run with the panel's sides once the panel is squared up, while a photo or a painting
    (and a window's view) runs every way. Panels under 100 pixels a side are left to their read text."""
    import cv2

    if cv2.contourArea(quad) < 100 * 100:
        return 0.0
    w, h = 192, 120
    to_rect = cv2.getPerspectiveTransform(quad, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    flat = cv2.warpPerspective(val, to_rect, (w, h)).astype(np.float32)[4:-4, 4:-4]
    gx, gy = cv2.Sobel(flat, cv2.CV_32F, 1, 0), cv2.Sobel(flat, cv2.CV_32F, 0, 1)
    mag = np.hypot(gx, gy)
    strong = mag > 40
    # little fine detail (a plain panel, a sky), or texture everywhere (a wall, foliage): a display's
    # layout draws its lines on plain ground, a page's margins and the gaps between rows
    if strong.mean() < 0.2 or (mag < 12).mean() < 0.45:
        return 0.0
    angle = np.degrees(np.arctan2(np.abs(gy), np.abs(gx)))
    along = strong & ((angle < 12) | (angle > 78))
    return float(mag[along].sum() / mag[strong].sum())


def _roi(quad: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The quad's bounding box with a pixel of margin (so an erosion bites at its edges), in the image."""
    import cv2

    x, y, w, h = cv2.boundingRect(quad.astype(np.int32))
    return max(0, x - 1), max(0, y - 1), max(1, min(shape[1], x + w + 1)), max(1, min(shape[0], y + h + 1))


def _panel_core(quad: np.ndarray, shape: tuple[int, ...]) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The ordered quad's bounding box (x0, y0, x1, y1) in an image of `shape`, and the mask over that box of
    the quad's inside less a 2-pixel rim (its edge blurs into the bezel). Masks cover the box only: the cost
    follows the panel, not the picture."""
    import cv2

    x0, y0, x1, y1 = _roi(quad, shape)
    inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(inside, (quad - (x0, y0)).astype(np.int32), 255)
    core = cv2.erode(inside, np.ones((5, 5), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return (x0, y0, x1, y1), core


def _bezel(val: np.ndarray, quad: np.ndarray, v_in: float) -> tuple[int, bool, bool]:
    """(sides with a dark band just outside, whether that band ends further out on at least two, whether
    a side was dark only as a thin band: see `_thin_ring`)."""
    import cv2

    side = float(np.sqrt(max(1.0, cv2.contourArea(quad))))
    near = max(2, round(side * 0.02))
    far = max(6, round(side * 0.12))
    dark_sides = ended = 0
    thin = False
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        normal = outward(a, b, quad)
        ring, thin_side = _thin_ring(val, a, b, normal, near, v_in)
        beyond = edge_band(val, a, b, normal, far, far + near + 2)
        if ring.size and np.median(ring) < 0.55 * v_in and np.median(ring) < 110 and ring.std() < 40:
            dark_sides += 1
            thin |= thin_side
            if beyond.size and (abs(float(np.median(beyond)) - float(np.median(ring))) > 25 or beyond.std() > 35):
                ended += 1
    return dark_sides, ended >= 2, thin


def _thin_ring(val: np.ndarray, a, b, normal, near: int, v_in: float) -> tuple[np.ndarray, bool]:
    """The band 1 to `near` px outside edge a-b, or, when that is not dark and even, a dark band at least 2 px
    deep starting within `near` px of the edge (on it or just outside), only as deep as it runs.

    Why: a thin-bezel monitor or a phone at a few metres has a bezel of 2-3 px here, less than the 2 % of
    the panel's side measured, and the edge found may lie a pixel off it; the band then took in the wall or
    the desk beyond, uneven, and that side did not count as dark. A printed notice's border line is as
    thin, so `_verdict` asks more of a panel in a thin band (True as the second value) than of one in a
    bezel."""
    ring = edge_band(val, a, b, normal, 1, near + 1)
    if near <= 2 or (ring.size and np.median(ring) < 0.55 * v_in and ring.std() < 40):
        return ring, False
    limit = min(110.0, 0.55 * v_in)
    strips = [edge_band(val, a, b, normal, d, d + 1) for d in range(0, near + 2)]
    dark = [s.size > 0 and float(np.percentile(s, 90)) < limit for s in strips]
    for d0 in range(len(dark) - 1):
        if dark[d0] and dark[d0 + 1]:
            d1 = d0 + 2
            while d1 < len(dark) and dark[d1]:
                d1 += 1
            return np.concatenate(strips[d0:d1]), True
    return ring, False


def _verdict(
    v_in: float,
    aspect: float,
    *,
    dark_sides: int,
    bezel_ends: bool,
    tilt_deg: float,
    ui_bar: bool,
    small_text_rows: int,
    big_text_rows: int,
    saturation: float,
    grid: float,
    thin_bezel: bool,
) -> tuple[str, str]:
    """screen, document or none, and why, from what was measured on the panel."""
    page_like = v_in > 150 and saturation < 45 and small_text_rows >= 3 and not ui_bar
    if dark_sides >= 3 and page_like and (tilt_deg > 6 or not bezel_ends):
        return "document", PAGE_ON_DARK
    # a sheet of paper's proportions (A4, letter: 0.7-0.77 upright), white, on a dark surface running on:
    # a page whose print is too small to read line by line is still a page (screens stand landscape)
    paper = 0.62 <= aspect <= 0.8 and v_in > 150 and saturation < 45 and not ui_bar
    if dark_sides >= 3 and paper and not bezel_ends and small_text_rows + big_text_rows >= 1:
        return "document", SHEET_ON_DARK
    if dark_sides < 3:
        return "none", "no bezel"
    # a laptop seen from above leans back: its side edges lean as much as a page turned on a table, so a
    # lean up to 22 degrees passes with a display's layout in a bezel that ends
    display = ui_bar or small_text_rows >= 3
    if tilt_deg > (22 if display and bezel_ends else 12):
        return "none", "lying flat or tilted: not a standing screen"
    if saturation > 110 and small_text_rows < 3:  # a start screen's tiles are saturated too, with rows of text
        return "none", "saturated light box: an advert"
    if not (0.9 <= aspect <= 2.1 or 0.4 <= aspect <= 0.62):  # landscape (or 5:4) screens, or phones
        return "none", "not a screen's shape"
    rows = small_text_rows + big_text_rows
    laid_out = grid >= 0.65  # fine detail along the panel's axes, in a whole bezel that ends
    if not (ui_bar or small_text_rows >= 2 or rows >= 4 or (v_in < 90 and small_text_rows >= 1) or laid_out):
        return "none", "no display content (bar, rows of text)"
    if big_text_rows > small_text_rows and not ui_bar and rows < 4 and not laid_out:
        return "none", "a few large words: a poster or sign"
    # a notice's printed border line is as thin as that band: its rows of text are not enough
    if thin_bezel and not ui_bar:
        return "none", "a thin dark line around a page without a display's bar: a printed border"
    if not bezel_ends and not ui_bar:
        return "none", "dark surround runs on: a page on a table"
    why = "title or menu bar" if ui_bar else f"{small_text_rows} rows of small text"
    why = "a layout too fine to read" if laid_out and not (ui_bar or small_text_rows >= 2) else why
    return "screen", f"lit panel in a bezel with a display's layout ({why})"


def _aspect(quad: np.ndarray) -> float:
    """Width over height from the ordered quad's sides, not its bounding box: a lid leaning back is a
    trapezoid whose bounds are wider than the screen."""
    tl, tr, br, bl = quad
    width = (np.hypot(*(tr - tl)) + np.hypot(*(br - bl))) / 2
    height = (np.hypot(*(bl - tl)) + np.hypot(*(br - tr))) / 2
    return float(width / max(1.0, height))


def _order(q: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    s = q.sum(axis=1)
    d = np.diff(q, axis=1).reshape(-1)
    return np.array([q[np.argmin(s)], q[np.argmin(d)], q[np.argmax(s)], q[np.argmax(d)]], np.float32)


def _lean(v: np.ndarray) -> float:
    return float(np.degrees(np.arctan2(abs(v[0]), max(1e-6, abs(v[1])))))


def outward(a: np.ndarray, b: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The unit normal of edge a-b of `quad` that points out of it."""
    d = b - a
    n = np.array([d[1], -d[0]], np.float32)
    n /= max(1e-6, float(np.hypot(*n)))
    mid = (a + b) / 2
    return n if np.dot(mid - quad.mean(axis=0), n) > 0 else -n


#: Where along an edge its bands are sampled (its ends trimmed: corners are rounded or hidden).
_ALONG = np.linspace(0.15, 0.85, 24)


def edge_band(val: np.ndarray, a, b, normal, d0: int, d1: int, along: np.ndarray = _ALONG) -> np.ndarray:
    """Pixels in a strip parallel to edge a-b, between d0 and d1 px outside it (sampled at `along`, the edge's
    ends trimmed), those outside the picture left out. All the strip's points in one numpy expression: it is
    sampled ~75 times per photo."""
    h, w = val.shape
    d = np.arange(d0, d1, dtype=np.float32)[:, None, None]  # normal * d in float32, as it always was
    p = (a[None, None, :] + (b - a)[None, None, :] * along[None, :, None] + normal[None, None, :] * d).reshape(-1, 2)
    p = p.round().astype(int)
    ok = (p[:, 0] >= 0) & (p[:, 0] < w) & (p[:, 1] >= 0) & (p[:, 1] < h)
    p = p[ok]
    return val[p[:, 1], p[:, 0]].astype(np.float32) if len(p) else np.empty(0, np.float32)


def _inside(quad: np.ndarray, x: float, y: float) -> bool:
    import cv2

    return cv2.pointPolygonTest(quad.reshape(-1, 1, 2), (float(x), float(y)), False) >= 0


#: a band this bright (median V) and this grey (median S) is blown-out white: on an upright panel, the sky
#: seen through a window pane above its view (254-255 and 1-3 on two window panes taken for phones)
SKY_V, SKY_S = 250, 12


def _ui_bar(val: np.ndarray, sat: np.ndarray, mask: np.ndarray, upright: bool = False) -> bool:
    """A uniform band across the top (title/menu bar) or down the left (side bar) that differs from the
    rest of the panel: what windows and apps draw, and posters and pages rarely do. On an `upright` panel
    (a phone's shape, and a window pane's) a blown-out white band is not one: a phone's status and app bars
    are coloured or dark over its content, a pane's top is the sky above the view."""
    box = _core_box(val, sat, mask)
    if box is None:
        return False
    v, s = box
    hh, ww = v.shape
    body_v, body_s = _body(v, s)
    for band_v, band_s in (
        (v[: max(2, hh // 12)], s[: max(2, hh // 12)]),
        (v[:, : max(2, ww // 7)], s[:, : max(2, ww // 7)]),
    ):
        if upright and float(np.median(band_v)) >= SKY_V and float(np.median(band_s)) <= SKY_S:
            continue
        if _distinct_band(band_v, band_s, body_v, body_s):
            return not _mat(v, s, body_v, body_s)
    return False


def _mat(v: np.ndarray, s: np.ndarray, body_v: float, body_s: float) -> bool:
    """Whether one even band of one tone runs along all four sides of a panel, apart from its body.

    Why: an app draws its bar along one side (a title bar across the top, a side bar down the left); a band
    of the same tone all round is a picture's mat or mount, or a printed border, and read as a title bar
    it made a framed print a screen."""
    k = max(2, min(v.shape) // 12)
    bands = [(v[:k], s[:k]), (v[-k:], s[-k:]), (v[:, :k], s[:, :k]), (v[:, -k:], s[:, -k:])]
    if not all(_distinct_band(bv, bs, body_v, body_s) for bv, bs in bands):
        return False
    tones = [float(np.median(bv)) for bv, _ in bands]
    return max(tones) - min(tones) < 25


def _core_box(val: np.ndarray, sat: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Brightness and saturation (float) over the rows and columns that `mask` fills over 60 % of, None when
    under 10 of either (or the crop under 12 px)."""
    h, w = val.shape
    if h < 12 or w < 12:
        return None
    inner = mask > 0
    rows = np.flatnonzero(inner.sum(axis=1) > 0.6 * w)
    cols = np.flatnonzero(inner.sum(axis=0) > 0.6 * h)
    if len(rows) < 10 or len(cols) < 10:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    return val[r0 : r1 + 1, c0 : c1 + 1].astype(np.float32), sat[r0 : r1 + 1, c0 : c1 + 1].astype(np.float32)


def _body(v: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """Median brightness and saturation of a panel's body: all but its top and left quarters, where an
    app's bars are."""
    hh, ww = v.shape
    return float(np.median(v[hh // 4 :, ww // 4 :])), float(np.median(s[hh // 4 :, ww // 4 :]))


def _distinct_band(band_v: np.ndarray, band_s: np.ndarray, body_v: float, body_s: float) -> bool:
    """Whether a band is even (but for a tenth of its pixels: the blurred edge, a finger over it) and
    differs from the body (brightness by over 25, or saturation by over 40): an app's bar, not its content."""
    even = float(np.subtract(*np.percentile(band_v, (90, 10)))) < 56
    return even and (abs(float(np.median(band_v)) - body_v) > 25 or abs(float(np.median(band_s)) - body_s) > 40)


def judge_dark_app(hsv: np.ndarray, quad: np.ndarray) -> tuple[str, str]:
    """screen or none, and why, for a dark panel that only a black ring holds (see `regions._dark_displays`).

    Why: a dark app (a dark theme) in a black bezel against a black bench shows no lit content and often
    no text that is read; what it does show is its title bar, a coloured band along its top as thin as a
    twenty-fourth of its height (thinner than `_ui_bar`'s band). A slate sign, a blackboard or a dark
    notice in a black frame has no such band, and a printed border line as thin runs along the bottom too.
    Light panels are left to `judge_panel`: a poster's thin coloured header would pass this test."""

    facts = judge_panel(hsv, quad)
    if facts.dark_sides < 3 or facts.tilt_deg > 12 or facts.saturation > 110:
        return "none", "no bezel, tilted, or a saturated light box"
    if not (0.9 <= _aspect(_order(quad.astype(np.float32))) <= 2.1):
        return "none", "not a screen's shape"
    (x0, y0, x1, y1), core = _panel_core(_order(quad.astype(np.float32)), hsv.shape)
    box = _core_box(hsv[y0:y1, x0:x1, 2], hsv[y0:y1, x0:x1, 1], core)
    if box is None:
        return "none", "too small"
    v, s = box
    hh = v.shape[0]
    body_v, body_s = _body(v, s)
    thin = max(2, hh // 24)
    top, bottom = (v[:thin], s[:thin]), (v[-thin:], s[-thin:])
    if body_v >= 90 or not _distinct_band(*top, body_v, body_s):
        return "none", "not a dark panel under a title bar"
    top_v, top_s = float(np.median(top[0])), float(np.median(top[1]))
    if _distinct_band(*bottom, body_v, body_s) and not _distinct_band(*bottom, top_v, top_s):
        return "none", "a thin line along top and bottom: a printed border"
    return "screen", "dark display in a black bezel under a thin title bar"


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What was measured on a dark device outline (for tests and tuning); `verdict` is screen or none."""

    verdict: str
    reason: str
    dark_rims: int
    rims_ending: int
    tilt_deg: float
    lit_share: float
    detail: float
    saturation: float
    skew_deg: float = 0.0
    lit_inset_sides: int = 0


def judge_device(hsv: np.ndarray, quad: np.ndarray, must_end: int = 2) -> DeviceFacts:
    """Judge a dark outline (4 x 2 quad, in `hsv` pixels) as a monitor, laptop or phone seen whole.

    Why: a display showing a code editor, a game or a photo runs dark into its bezel, so no bright panel is
    found; the device is then a dark quad with straight sides. It is a screen when its rim is dark on at
    least three sides and the surround beyond the rim differs on two (the device ends: a dark coat or a
    shadow runs on; `must_end` sides for an outline cut from a larger blob), it stands (side edges within 25 degrees of vertical: laptops lean back), and it shows
    something inside: fine detail (text, a UI, a picture) without being one saturated light box (an RGB
    keyboard, an advert) or one bright panel (that is the bright-panel check's case: posters and signs in a
    black frame are judged there, with their few large words)."""
    import cv2

    val = hsv[:, :, 2]
    quad = _order(quad.astype(np.float32))
    _, _, bw, bh = cv2.boundingRect(quad.astype(np.int32))
    dark_rims, ending = _rims(val, quad, max(2, round(min(bw, bh) * 0.03)))
    x0, y0, x1, y1 = _roi(quad, val.shape)
    centre = quad.mean(axis=0)
    inner = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(inner, (centre + (quad - centre) * 0.8 - (x0, y0)).astype(np.int32), 255)
    v_roi = val[y0:y1, x0:x1]
    edges = cv2.Canny(v_roi, 60, 150)
    inside = inner > 0
    facts = dict(
        dark_rims=dark_rims,
        rims_ending=ending,
        tilt_deg=max(_lean(quad[3] - quad[0]), _lean(quad[2] - quad[1])),
        lit_share=float((v_roi[inside] > 110).mean()) if inside.any() else 0.0,
        detail=float((edges[inside] > 0).mean()) if inside.any() else 0.0,
        saturation=float(hsv[y0:y1, x0:x1, 1][inside].mean()) if inside.any() else 0.0,
        skew_deg=_skew(quad),
        lit_inset_sides=0,
    )
    verdict, reason = _device_verdict(_aspect(quad), must_end, **facts)
    if verdict == "screen":  # measured only on an outline that passed the rest: most dark outlines do not
        facts["lit_inset_sides"] = _lit_inset_sides(val, quad)
        verdict, reason = _device_verdict(_aspect(quad), must_end, **facts)
    return DeviceFacts(verdict, reason, **facts)


def _skew(quad: np.ndarray) -> float:
    """Degrees between the more nearly parallel pair of opposite sides of an ordered quad.

    Why: a device standing in a room keeps one pair of sides nearly parallel in a photo (a laptop leaning
    back, its top and bottom; a monitor seen from the side, its uprights), while a dark band around a
    lighthouse's lantern or a shadow's outline is skewed both ways."""

    def angle(v: np.ndarray) -> float:
        return float(np.degrees(np.arctan2(v[1], v[0])))

    tl, tr, br, bl = quad
    across = abs((angle(tr - tl) - angle(br - bl) + 90) % 180 - 90)
    upright = abs((angle(bl - tl) - angle(br - tr) + 90) % 180 - 90)
    return min(across, upright)


def _rims(val: np.ndarray, quad: np.ndarray, thick: int) -> tuple[int, int]:
    """(sides whose rim just inside is dark, and of those, sides where the surround just outside is of another
    brightness).

    Why brightness and not the surround's spread: a device ends where its dark body meets a lighter (or
    darker) surround. Water, grass or gravel spreads widely everywhere, also right up to what is no device's
    edge (a dark patch of water, an off TV's reflection in a river), and "ended" there: such an outline
    passed with its rim ending on two sides by texture alone."""
    dark = ending = 0
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        normal = outward(a, b, quad)
        rim = edge_band(val, a, b, -normal, 1, thick + 1)
        out = edge_band(val, a, b, normal, 2, thick + 3)
        if rim.size and np.median(rim) < 75:
            dark += 1
            if out.size and abs(float(np.median(out)) - float(np.median(rim))) > 25:
                ending += 1
    return dark, ending


def _device_verdict(
    aspect: float,
    must_end: int,
    *,
    dark_rims: int,
    rims_ending: int,
    tilt_deg: float,
    lit_share: float,
    detail: float,
    saturation: float,
    skew_deg: float,
    lit_inset_sides: int,
) -> tuple[str, str]:
    if dark_rims < 3 or rims_ending < must_end:
        return "none", "no dark rim that ends"
    if tilt_deg > 25:
        return "none", "lying flat or tilted: not a standing screen"
    if skew_deg > 8:
        return "none", "no pair of parallel sides: not a rectangle seen whole"
    if not (0.9 <= aspect <= 2.4 or 0.4 <= aspect <= 0.65):
        return "none", "not a screen's shape"
    if saturation > 110:
        return "none", "saturated light: an advert or a lit keyboard"
    if lit_share > 0.75:
        return "none", "one bright panel: judged as a panel"
    if lit_inset_sides == 4:
        return "none", "a lit picture inset on every side of a dark frame: judged as a panel"
    if (detail < 0.03 and lit_share < 0.2) or lit_share < 0.01:  # a display lights some of its pixels
        return "none", "nothing shown: a dark object"
    return "screen", "a device's dark outline showing a display"


def _lit_inset_sides(val: np.ndarray, quad: np.ndarray) -> int:
    """Sides of an ordered device quad on which its dark rim gives way to a lit band within a third of the way
    in (in the middle three fifths of the side, squared up).

    Why: this check is for a display whose dark content runs into its bezel. A picture frame's dark moulding
    or dark mat gives way on every side to what it holds: a light mount, or the picture itself, set in by an
    even margin; its glass and print have the fine detail of a display's content, and the two passed as a
    device showing a display. A lit picture inside a dark ring on every side is the bright panel that
    `judge_panel` judges by its layout (a display's bar and rows, which a painting has not), so here it is
    left to that check; a dark app's content stays dark up to the bezel on at least one side (a side bar, a
    gutter, a dark title bar)."""
    import cv2

    w = 120
    h = max(24, round(w / max(0.2, _aspect(quad))))
    to_rect = cv2.getPerspectiveTransform(quad, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    flat = cv2.warpPerspective(val, to_rect, (w, h), flags=cv2.INTER_AREA).astype(np.float32)
    across, down = flat[:, w // 5 : -(w // 5)], flat[h // 5 : -(h // 5), :]
    inward = (
        np.median(across[: h // 3], axis=1),
        np.median(across[::-1][: h // 3], axis=1),
        np.median(down[:, : w // 3], axis=0),
        np.median(down[:, ::-1][:, : w // 3], axis=0),
    )
    sides = 0
    for profile in inward:
        rim = float(profile[: max(3, len(profile) // 10)].min())
        lit = profile >= max(100.0, rim + 40.0)
        sides += bool(np.any(lit[1:-1] & lit[2:]))
    return sides


def judge_light_device(hsv: np.ndarray, quad: np.ndarray) -> tuple[str, str]:
    """Judge a light, unsaturated outline (4 x 2 quad, in `hsv` pixels) as a monitor with a silver bezel.

    Why: a monitor or laptop in silver or light grey has no dark band around its panel, and its panel's edge
    is faint (a light side bar runs into the bezel), so neither panel check sees it. It is a screen when its
    rim is a band of one even light-grey tone, of even thickness, on at least three sides (a hand may cover
    the fourth), ending inward on two (the panel starts) and outward on two (the wall beyond differs), it
    stands upright in landscape, and the panel inside shows a UI: a uniform bar across its top or down its
    left *and* rows of small text on plain ground. A whiteboard or a window in an aluminium frame shows no
    such bar with text rows, a framed poster its few large words."""
    import cv2

    quad = _order(quad.astype(np.float32))
    aspect = _aspect(quad)
    if max(_lean(quad[3] - quad[0]), _lean(quad[2] - quad[1])) > 10 or _skew(quad) > 6:
        return "none", "not standing upright"
    if not 1.15 <= aspect <= 2.1:
        return "none", "not a landscape screen's shape"
    w = max(40, round((np.hypot(*(quad[1] - quad[0])) + np.hypot(*(quad[2] - quad[3]))) / 2))
    h = max(24, round(w / aspect))
    to_rect = cv2.getPerspectiveTransform(quad, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    flat = cv2.warpPerspective(hsv, to_rect, (w, h), flags=cv2.INTER_AREA)
    depth = _light_bezel(flat[:, :, 2], flat[:, :, 1])
    if depth is None:
        return "none", "no even light-grey bezel"
    if _ends_outside(hsv, quad) < 2:
        return "none", "light surround runs on: no device's edge"
    d = depth + 1
    v, s = flat[d:-d, d:-d, 2], flat[d:-d, d:-d, 1]
    if not _ui_bar(v, s, np.full(v.shape, 255, np.uint8)) or _text_rows(v) < 3:
        return "none", "no display content (bar and rows of text)"
    return "screen", "lit panel in a light-grey bezel with a display's layout (bar and rows of text)"


def _light_bezel(v: np.ndarray, s: np.ndarray) -> int | None:
    """The bezel's depth in a squared-up device (pixels), when a band of one even light-grey tone runs just
    inside at least three of its sides, ends inward on two of them at about the same depth, else None."""
    h, w = v.shape
    deepest = max(3, round(0.08 * min(h, w)))
    tones, depths = [], []
    for side_v, side_s in (
        (v[:deepest, w // 5 : -w // 5], s[:deepest, w // 5 : -w // 5]),
        (v[-deepest:, w // 5 : -w // 5][::-1], s[-deepest:, w // 5 : -w // 5][::-1]),
        (v[h // 5 : -h // 5, :deepest].T, s[h // 5 : -h // 5, :deepest].T),
        (v[h // 5 : -h // 5, -deepest:].T[::-1], s[h // 5 : -h // 5, -deepest:].T[::-1]),
    ):
        pv = np.median(side_v, axis=1)
        tone = float(pv[1])
        even = float(side_v[1:3].std()) < 14 and float(np.median(side_s[1:3])) < 35
        if not (even and 120 <= tone <= 235):
            continue
        k = int(np.argmax(np.abs(pv[1:] - tone) > 18)) + 1 if np.any(np.abs(pv[1:] - tone) > 18) else deepest
        tones.append(tone)
        depths.append(k)
    inward = [k for k in depths if k < deepest]
    if len(tones) < 3 or max(tones) - min(tones) > 25 or len(inward) < 2 or min(inward) < 2:
        return None
    return int(max(inward)) if max(inward) <= 2.5 * min(inward) else None


def _ends_outside(hsv: np.ndarray, quad: np.ndarray) -> int:
    """Sides whose surround just outside differs from the rim just inside in brightness or in colour (a
    silver bezel on a beige wall of the same brightness still ends there)."""
    import cv2

    t = max(2, round(float(np.sqrt(max(1.0, cv2.contourArea(quad)))) * 0.02))
    ended = 0
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        normal = outward(a, b, quad)
        for plane in (hsv[:, :, 2], hsv[:, :, 1]):
            rim, out = edge_band(plane, a, b, -normal, 1, t + 1), edge_band(plane, a, b, normal, 2, t + 3)
            if rim.size and out.size and (abs(float(np.median(out)) - float(np.median(rim))) > 25 or out.std() > 35):
                ended += 1
                break
    return ended


def _text_rows(v: np.ndarray) -> int:
    """Runs of rows holding small marks on plain ground below the top bar and right of the side bar: lines
    of text, each under a tenth of the panel's height, with clean rows between them."""
    h, w = v.shape
    body = v[h // 10 :, w // 5 :].astype(np.float32)
    if body.size == 0 or body.shape[1] < 9:
        return 0
    most = 0
    # counted in thirds of the body's width: a hand over one side crosses every row there
    for part in np.array_split(body, 3, axis=1):
        ink = (np.abs(part - float(np.median(body))) > 40).mean(axis=1)
        marked = ink > 0.02
        starts = np.flatnonzero(marked & ~np.r_[False, marked[:-1]])
        ends = np.flatnonzero(marked & ~np.r_[marked[1:], False])
        if float((ink < 0.005).mean()) > 0.3:
            most = max(most, sum(e - s0 + 1 <= 0.1 * h for s0, e in zip(starts, ends, strict=True)))
    return most
