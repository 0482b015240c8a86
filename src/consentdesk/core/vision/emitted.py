"""A lit display in a dark room: a panel that emits its own light, seen by how it outshines a black surround.

Why: a phone held up in a dark room, or a monitor or tablet photographed in the dark, shows no bezel that
ends (the room is as black as the bezel), often no title bar, and text too foreign or too small to read, so
the panel rules (screens.judge_panel) find nothing, and the device detector scores a phone held in a hand
too low to trust. What such a photo does show is physics: a display is the light in the room, so a large,
sharp-edged, nearly rectangular panel (rounded corners, a hand over part of it) is far brighter than a
near-black, even surround on every side the photo shows (the frame's edge may cut the others).

Its look-alikes differ in what they show inside, and each is kept out by one measurement:
- a white page on a dark table reflects the room's light: its content is grey print on white (nearly
  all of it unsaturated), where a display shows colour, pictures and a UI's coloured marks;
- a white sign or a light box at night is grey or blown out; a lamp and a window at night are one smooth
  glow with no detail;
- a backlit advert is one saturated light box (the panel rules' own test);
- a spotlit picture or a window seen from a lit room is not surrounded by black: the light spills onto
  the wall around it;
- black bars around a picture (a pillarboxed video still, a scan's border) are flat digital black, where
  a camera renders a dark room with noise and some light.
A colourful print lit on itself alone in a black room is still taken for a display: nothing measured here
tells them apart. A display exposed for the room is blown out over much of it (a TV across a dark room),
so only a panel blown out nearly all over, or showing no detail, is a lamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consentdesk.core.vision.blobs import trimmed_rect
from consentdesk.core.vision.screens import edge_band, outward

#: Brightness levels (HSV V, 0-255) at which a lit panel is cut out of the dark: a dark room's black is
#: under 45, a lit display's content mostly over 110; the lower level keeps a display's darker parts
#: (a photo's shadows) in one blob with its light ones
LIT_LEVELS = (60, 110)
AREA = (0.03, 0.95)  # shares of the picture: a phone held at arm's length ... a tablet filling the frame
RECT_FILL = 0.8  # of its rotated bounding rectangle the blob fills: rounded corners, a thumb over an edge
MAX_ELONGATION = 2.4  # long over short side: a 20:9 phone is 2.2
#: the surround's median brightness on each side the photo shows, and its 80th percentile (even black)
NEAR_BLACK, EVEN_BLACK = 45, 70
#: ... and at most this (80th percentile) on every side: bars or a border added to a picture, not a room
DIGITAL_BLACK = 2
OUTSHINE = 4.0  # the panel's median brightness over each side's surround median
PANEL_V = 90  # the panel's median brightness: lit
BLOWN_OUT = 0.6  # share of the panel at full brightness over which it is a lamp or a light box
DETAIL = 0.04  # share of the panel's pixels on an edge (Canny) under which it shows nothing
ADVERT_SAT = 110  # mean saturation of a saturated light box (as in screens._verdict)
GREY_PAGE = 0.85  # share of unsaturated pixels (S < 40) from which the panel is print on paper
#: what the finding says (the catalogue keeps at most minimise.MAX_STORED characters of it)
LIT_PANEL_WHY = "a lit panel outshining a dark room all round, with colour and detail: a display"
#: where along each side of a panel its surround is sampled (corners left out: a hand, a rounded corner)
SURROUND_ALONG = np.linspace(0.1, 0.9, 32, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Content:
    """What a candidate panel shows: median brightness, mean saturation, shares of blown-out, edge and
    unsaturated pixels."""

    value: float
    saturation: float
    blown_out: float
    detail: float
    grey: float


def lit_panels(hsv: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(quad, why) of each lit display in a dark surround found in `hsv` (an HSV picture, the shared
    mid-size copy); quads are 4 x 2 in its pixels."""
    import cv2

    val = np.ascontiguousarray(hsv[:, :, 2])
    found: list[tuple[np.ndarray, str]] = []
    for rect in _panels(val):
        quad = cv2.boxPoints(rect).astype(np.float32)
        centre = (float(rect[0][0]), float(rect[0][1]))
        if any(cv2.pointPolygonTest(q.reshape(-1, 1, 2), centre, False) >= 0 for q, _ in found):
            continue  # the same panel cut out at the other level
        sides = [s for s in _sides(val, rect) if s is not None]
        if not _dark_all_round(sides):
            continue  # most candidates end here, before their content is measured
        why = _verdict(sides, _content(hsv, quad))
        if why:
            found.append((quad, why))
    return found


def _panels(val: np.ndarray) -> list[tuple]:
    """Rotated rectangles (as cv2.minAreaRect's) of the large bright blobs at each of `LIT_LEVELS` that nearly
    fill them and are not too elongated; a display's dark text and marks are closed into it first. A blob
    joined to a lit hand over one corner fills its rectangle too little: then the upright rectangle its
    rows and columns fill (blobs.trimmed_rect) is the panel."""
    import cv2

    h, w = val.shape
    k = max(5, round(0.015 * max(h, w))) | 1
    kernel = np.ones((k, k), np.uint8)
    out = []
    for level in LIT_LEVELS:
        mask = cv2.morphologyEx(cv2.threshold(val, level, 255, cv2.THRESH_BINARY)[1], cv2.MORPH_CLOSE, kernel)
        for c in cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
            area = cv2.contourArea(c)
            if not AREA[0] * h * w <= area <= AREA[1] * h * w:
                continue
            rect = cv2.minAreaRect(c)
            if area < RECT_FILL * rect[1][0] * rect[1][1]:
                trimmed = trimmed_rect(c, area)
                if trimmed is None:
                    continue
                (x0, y0), (x1, y1) = trimmed[0], trimmed[2]
                rect = (((x0 + x1) / 2, (y0 + y1) / 2), (x1 - x0, y1 - y0), 0.0)
                if rect[1][0] * rect[1][1] < AREA[0] * h * w:
                    continue
            short, long = sorted(rect[1])
            if long <= MAX_ELONGATION * short:
                out.append(rect)
    return out


def _sides(val: np.ndarray, rect: tuple) -> list[tuple[float, float] | None]:
    """Per side of the rectangle, (median, 80th percentile) brightness of a band 2-7 % of its short side
    outside it (past a thin bezel, short of the room's far lit things), None where under a quarter of the
    band lies in the picture (a tablet's border a few per cent of it wide is still measured)."""
    import cv2

    box = cv2.boxPoints(rect).astype(np.float32)
    short = min(rect[1])
    d0, d1 = max(2, round(0.02 * short)), max(5, round(0.07 * short))
    out: list[tuple[float, float] | None] = []
    for a, b in zip(box, np.roll(box, -1, axis=0), strict=True):
        band = edge_band(val, a, b, outward(a, b, box), d0, d1, SURROUND_ALONG)
        if band.size < 0.25 * len(SURROUND_ALONG) * (d1 - d0):
            out.append(None)
            continue
        out.append((float(np.median(band)), float(np.percentile(band, 80))))
    return out


def _content(hsv: np.ndarray, quad: np.ndarray) -> Content:
    """What the panel's middle (its quad shrunk to 90 %, clear of the edge's blur and the bezel) shows."""
    import cv2

    h, w = hsv.shape[:2]
    centre = quad.mean(axis=0)
    inner = (centre + (quad - centre) * 0.9).astype(np.int32)
    x, y, bw, bh = cv2.boundingRect(inner)
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + bw), min(h, y + bh)
    mask = np.zeros((max(1, y1 - y0), max(1, x1 - x0)), np.uint8)
    cv2.fillConvexPoly(mask, inner - (x0, y0), 255)
    roi = hsv[y0:y1, x0:x1]
    inside = mask[: roi.shape[0], : roi.shape[1]] > 0
    if not inside.any():
        return Content(0.0, 0.0, 0.0, 0.0, 1.0)
    edges = cv2.Canny(np.ascontiguousarray(roi[:, :, 2]), 60, 150)
    # every other pixel each way: shares and medians as well measured, at a quarter of the cost
    inside, roi, edges = inside[::2, ::2], roi[::2, ::2], edges[::2, ::2]
    sat, val = roi[:, :, 1][inside], roi[:, :, 2][inside]
    return Content(
        value=float(np.median(val)),
        saturation=float(sat.mean()),
        blown_out=float((val >= 250).mean()),
        detail=float((edges[inside] > 0).mean()),
        grey=float((sat < 40).mean()),
    )


def _dark_all_round(seen: list[tuple[float, float]]) -> bool:
    """Whether the surround on every side the photo shows (at least two) is near-black and even, and not
    all flat digital black."""
    if len(seen) < 2 or all(high <= DIGITAL_BLACK for _, high in seen):
        return False
    return all(m <= NEAR_BLACK and high <= EVEN_BLACK for m, high in seen)


def _verdict(seen: list[tuple[float, float]], content: Content) -> str:
    """Why the panel, in a dark surround (`seen`: its sides' median and 80th percentile brightness), is a
    lit display, or "" when it is not (see the module's docstring)."""
    if content.value < PANEL_V or any(OUTSHINE * m > content.value for m, _ in seen):
        return ""
    if content.blown_out > BLOWN_OUT or content.detail < DETAIL:
        return ""  # a lamp, a light box, a window's curtain: a glow showing nothing
    if content.saturation > ADVERT_SAT or content.grey >= GREY_PAGE:
        return ""  # a saturated advert; grey print on white: a page, a white sign
    return LIT_PANEL_WHY
