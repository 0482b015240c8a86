"""Plates of any country, told by their panel: one or two lines of letters and digits that fill a small
rectangle of one colour, of a plate's proportions, standing apart from what is around it.

Why beside the format rules (`plates`, `plate_layouts`): the world's plates do not fit a short list of
formats (China's "京B·K0074" white on blue, India's "MH12DE1433", Russia's "M008KA777", Japan's and
Vietnam's two-line plates, a motorbike's square plate), but they share their pixels: a flat panel, light
or dark, just larger than its characters, whose characters contrast with it, with a clear edge all round.
A sign, a shop front or a page holds its text in a much larger field (or in none); a price tag or a clock
says so in its text ("£3.99", "12:36"). So a line (or two stacked lines) of plate-like text counts only
when `panel_facts` measures such a panel around it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Largest difference (0-255, any channel) from the panel's colour of a pixel of the panel.
COLOUR_TOLERANCE = 40

#: Characters of other scripts on a plate (the Chinese province, the Japanese office and kana), dropped.
_OTHER_SCRIPT = re.compile(r"[\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]")
#: Prices, times, units, fractions, questions and lower-case words: not a plate's characters.
_NOT_PLATE_TEXT = re.compile(r"[£$€¥%:/&?!,+=]|\d\s?(?:°C|°F|KG|CM|MM|ML|KM)\b", re.IGNORECASE)
_LOWER_WORD = re.compile(r"[a-z]{2}")
#: Short words a sign, a banner or a price tag puts beside a number ("MAY 2024", "2 FOR 5", "NO 12").
_WORDS = frozenset(
    {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "MON", "TUE", "WED"}
    | {"THU", "FRI", "SAT", "SUN", "AM", "PM", "ST", "ND", "RD", "TH", "NO", "TEL", "FOR", "AND", "THE", "TO"}
    | {"OF", "ON", "AT", "BY", "PER", "OFF", "NEW", "MIN", "MAX"}
)


def panel_text(lines: list[str], small_top: bool = False) -> str | None:
    """The plate's characters, normalised, if one line or two stacked lines read like them: 5 to 11 letters
    and digits, at least two digits, no run of more than three letters (a word) and no short word of a
    sign; digits alone only on two lines whose upper one is the smaller (`small_top`: Japan's "品川 33" over
    "05-11"; the other script is dropped). No prices, times, units or lower-case words."""
    if not 1 <= len(lines) <= 2 or any(_LOWER_WORD.search(ln) or _NOT_PLATE_TEXT.search(ln) for ln in lines):
        return None
    words = [_OTHER_SCRIPT.sub(" ", ln) for ln in lines]
    if len(lines) == 1 and re.search(r"\d[.,]\d", words[0]):  # a price or a measure on one line
        return None
    # a lone lower-case letter beside digits is a kana or a seal misread ("t05-111"): dropped
    words = [re.sub(r"(?<![A-Za-z])[a-z](?![A-Za-z])", " ", w) for w in words]
    words = [re.sub(r"\s+", " ", re.sub(r"[^A-Z0-9\- ]", " ", w)).strip(" -") for w in words]
    tokens = " ".join(words).split()
    compact = "".join(tokens).replace("-", "")
    if not 5 <= len(compact) <= 11 or any(t in _WORDS for t in tokens):
        return None
    if any(re.search(r"[A-Z]{4}", t.replace("-", "")) for t in tokens):
        return None
    digits = sum(c.isdigit() for c in compact)
    if digits < 2 or (digits == len(compact) and not (len(lines) == 2 and small_top)):
        return None
    return " ".join(w for w in words if w)


@dataclass(frozen=True, slots=True)
class PanelFacts:
    """What `panel_facts` measured around a text box (sizes in pixels of the image given)."""

    closed: bool  # the panel's colour ends before the window around the text does, on every side
    aspect: float  # the panel's long side over its short side (its rotated rectangle)
    rect_fill: float  # the panel (characters included) over its rotated rectangle
    text_height: float  # the text's height over the panel's short side
    text_width: float  # the text's width over the panel's long side
    contrast: float  # grey levels between the characters and the panel
    ink: float  # share of the text box in the characters' class

    def plate(self, n_lines: int) -> bool:
        lo, hi = (1.7, 6.5) if n_lines == 1 else (1.0, 3.0)
        # the text fills the panel (a sign's field is much larger), and the panel is not a gap in the text
        fills = (0.4 if n_lines == 1 else 0.6) <= self.text_height <= 1.4 and 0.5 <= self.text_width <= 1.7
        return (
            self.closed
            and lo <= self.aspect <= hi
            and self.rect_fill >= 0.8
            and fills
            and self.contrast >= 60
            and 0.08 <= self.ink <= 0.65
        )


#: Longest side of the upright window the panel is measured in (a larger one is scaled down).
WINDOW_SIDE = 400


def small_top(upper: Sequence, lower: Sequence) -> bool:
    """Whether the upper of two stacked text quads is clearly the smaller (its height, corner to corner)."""
    def height(q: Sequence) -> float:
        return float(np.hypot(q[3][0] - q[0][0], q[3][1] - q[0][1]))

    return height(upper) <= 0.8 * height(lower)


def upright(
    rgb: np.ndarray, quads: list, grow: tuple[float, float] = (0.6, 1.2)
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]]:
    """The pixels around text quads (OCR's corners: top-left, top-right, bottom-right, bottom-left) turned
    upright along the widest line, in a window grown by `grow` (of the text's width, of its height) on each
    side and at most `WINDOW_SIDE` long; with the window's mask of pixels inside the image and the text's
    box (x, y, w, h) in the window."""
    import cv2

    widest = max(quads, key=lambda q: abs(q[1][0] - q[0][0]) + abs(q[1][1] - q[0][1]))
    theta = float(np.arctan2(widest[1][1] - widest[0][1], widest[1][0] - widest[0][0]))
    c, s = np.cos(theta), np.sin(theta)
    pts = np.array([p for q in quads for p in q], np.float64)
    u = pts[:, 0] * c + pts[:, 1] * s  # coordinates along the line and across it
    v = -pts[:, 0] * s + pts[:, 1] * c
    tw, th = u.max() - u.min(), v.max() - v.min()
    u0, v0 = u.min() - grow[0] * tw, v.min() - grow[1] * th
    k = min(1.0, WINDOW_SIDE / max(1.0, tw * (1 + 2 * grow[0]), th * (1 + 2 * grow[1])))
    size = (max(1, round(k * tw * (1 + 2 * grow[0]))), max(1, round(k * th * (1 + 2 * grow[1]))))
    # window pixel (i, j) -> image point (u0 + i / k, v0 + j / k) in the line's frame, turned back
    m = np.array([[c / k, -s / k, u0 * c - v0 * s], [s / k, c / k, u0 * s + v0 * c]], np.float64)
    inverse = cv2.WARP_INVERSE_MAP
    win = cv2.warpAffine(rgb, m, size, flags=cv2.INTER_LINEAR | inverse, borderMode=cv2.BORDER_CONSTANT)
    inside = cv2.warpAffine(np.full(rgb.shape[:2], 255, np.uint8), m, size, flags=cv2.INTER_NEAREST | inverse)
    return win, inside > 0, (grow[0] * tw * k, grow[1] * th * k, tw * k, th * k)


def panel_facts(rgb: np.ndarray, quads: list) -> PanelFacts | None:
    """Measure the panel under text lines (their OCR quads): the window around them turned upright
    (`upright`), the characters' and the panel's colours from the text's box (Otsu on grey; the panel is the
    larger class), then the panel grown over the window's pixels of its colour."""
    import cv2

    win, inside, (tx, ty, tw, th) = upright(rgb, quads)
    if tw < 12 or th < 8:
        return None
    x0, y0, x1, y1 = int(tx), int(ty), int(round(tx + tw)), int(round(ty + th))
    grey = cv2.cvtColor(win, cv2.COLOR_RGB2GRAY)
    text = grey[y0:y1, x0:x1]
    _, cls = cv2.threshold(text, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    panel_cls = cls == (1 if float(cls.mean()) >= 0.5 else 0)
    ink = 1.0 - float(panel_cls.mean())
    if not 0 < ink < 1:
        return None
    colour = np.median(win[y0:y1, x0:x1][panel_cls], axis=0)
    contrast = abs(float(np.median(text[panel_cls])) - float(np.median(text[~panel_cls])))
    diff = np.abs(win.astype(np.int16) - colour.astype(np.int16)).max(axis=2)
    mask = ((diff < COLOUR_TOLERANCE) & inside).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    seed = labels[y0:y1, x0:x1][panel_cls]
    seed = seed[seed > 0]
    if not seed.size:
        return None
    lab = int(np.bincount(seed).argmax())
    px, py, pw, ph, _ = (int(v) for v in stats[lab])
    panel = (labels == lab).astype(np.uint8)
    edge = cv2.dilate((~inside).astype(np.uint8), np.ones((3, 3), np.uint8))
    closed = px > 0 and py > 0 and px + pw < win.shape[1] and py + ph < win.shape[0] and not (panel & edge).any()
    contours, _ = cv2.findContours(panel, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    (_, _), (rw, rh), _ = cv2.minAreaRect(outline)
    long_side, short_side = max(rw, rh, 1.0), max(min(rw, rh), 1.0)
    return PanelFacts(
        closed=closed,
        aspect=long_side / short_side,
        rect_fill=float(cv2.contourArea(cv2.convexHull(outline))) / (long_side * short_side),
        text_height=float(th / short_side),
        text_width=float(tw / long_side),
        contrast=contrast,
        ink=ink,
    )
