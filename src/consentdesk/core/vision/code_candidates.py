"""Where a code may be that the whole-image read missed: places worth a second, enlarged look.

Why: zxing reads a Code 128 label only when each bar is about 2 px or wider. On real photos a donation
label 240 px wide in a 1200 px photo has bars of 1.2-1.6 px and is missed, while an enlarged crop of the
same label decodes. Enlarging the whole photo would cost far more than the rest of the check, so the
second look is limited to a few places that look like codes:
- bar-like texture: strong gradients across one direction and almost none along it, in a compact block;
- square finder patterns (QR), dense square blocks of modules (DataMatrix), and a whole small code on its
  white sticker, whose finder patterns blur into blobs when a module is under 2 px;
- the area above a donation-number-like line of text (the human-readable line printed under the bars).
Each place comes with an estimate of its bar width, so the caller knows whether the working image is
sharp enough or the original pixels are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from consentdesk.core.vision.blobs import components
from consentdesk.core.vision.code_finders import turned_square
from consentdesk.core.vision.codes import Code
from consentdesk.core.vision.frame import intersection, overlap

#: Most places looked at again per photo: the second look must stay a small part of the check.
MAX_CANDIDATES = 6


@dataclass(frozen=True, slots=True)
class Candidate:
    """A box (x, y, w, h in the given image's pixels), why it was chosen, and its finest stripe in px."""

    box: tuple[float, float, float, float]
    reason: str  # "bars", "matrix", "number" or "dense" (see `_dense_square`)
    module_px: float


def candidates(grey: np.ndarray, number_boxes: list[tuple[float, float, float, float]] = ()) -> list[Candidate]:
    """Places in `grey` (uint8) that may hold a code; `number_boxes` are text lines that read like a
    donation number (the bars are printed just above them)."""
    matrix, dense = _matrix_blocks(grey)
    found = _bar_blocks(grey)[:4] + matrix
    h, w = grey.shape[:2]
    for x, y, bw, bh in number_boxes:
        # the bars above the human-readable line: about as wide, a few line heights tall
        box = (max(0.0, x - 0.15 * bw), max(0.0, y - 5.0 * bh), min(w - x, bw * 1.3), bh * 6.0)
        found.append(Candidate(box, "number", _module_width(grey, box)))
    out: list[Candidate] = []
    for c in found:
        # a place mostly inside one already kept adds nothing; a larger one around it (a QR code's place
        # around a few stripes of its own modules taken for bars) is kept, or the code is never looked at
        if not any(_within(c.box, o.box) > 0.5 for o in out):
            out.append(c)
    return out[:MAX_CANDIDATES] + [c for c in dense if not any(_within(c.box, o.box) > 0.5 for o in out)]


def _bar_blocks(grey: np.ndarray) -> list[Candidate]:
    """Blocks of parallel stripes (1-D barcodes), upright or lying on their side."""
    import cv2

    h, w = grey.shape[:2]
    f = min(1.0, 1400 / max(h, w))
    small = cv2.resize(grey, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA) if f < 1 else grey
    gx = cv2.convertScaleAbs(cv2.Scharr(small, cv2.CV_16S, 1, 0))
    gy = cv2.convertScaleAbs(cv2.Scharr(small, cv2.CV_16S, 0, 1))
    area_img = float(small.shape[0] * small.shape[1])
    out: list[Candidate] = []
    for across, along in ((gx, gy), (gy, gx)):
        diff = cv2.blur(cv2.subtract(across, along), (9, 9))
        _, mask = cv2.threshold(diff, 90, 255, cv2.THRESH_BINARY)
        k = (21, 7) if across is gx else (7, 21)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, k))
        mask = cv2.dilate(cv2.erode(mask, None, iterations=2), None, iterations=3)
        _, _, stats, _ = components(mask)
        for x, y, bw, bh, _ in _bar_shaped(stats[1:], area_img, across is gx).tolist():
            pad = 0.12
            box = (
                max(0.0, (x - pad * bw) / f),
                max(0.0, (y - pad * bh) / f),
                min(w, (bw * (1 + 2 * pad)) / f),
                min(h, (bh * (1 + 2 * pad)) / f),
            )
            out.append(Candidate(box, "bars", _module_width(grey, box, vertical=across is gy)))
    out.sort(key=lambda c: -c.box[2] * c.box[3])
    return out


def _bar_shaped(stats: np.ndarray, area_img: float, upright: bool) -> np.ndarray:
    """The rows of `stats` (x, y, w, h, area per blob) of a barcode's size and shape: 0.005-8 % of the
    picture (at least 150 px), 0.8-8 times as long across the bars as along them, filling 45 % of its box.
    Why in numpy: the masks hold hundreds of blobs per photo, nearly all of them rejected."""
    bw, bh, area = stats[:, 2], stats[:, 3], stats[:, 4]
    long_side, short_side = (bw, bh) if upright else (bh, bw)
    ratio = long_side / np.maximum(1, short_side)
    keep = (area >= max(150.0, 0.00005 * area_img)) & (area <= 0.08 * area_img)
    keep &= (ratio >= 0.8) & (ratio <= 8) & (area >= 0.45 * bw * bh)
    return stats[keep]


#: Most squares full of holes kept per photo (each costs a finder-pattern look, ~1 ms, in `code_finders`).
MAX_DENSE = 4


def _dense_square(hierarchy: np.ndarray, i: int, bw: int, bh: int) -> bool:
    """A code whose modules join into one dark outline full of holes (a QR code at one or two pixels a
    module, its finders blurred into the rest): square, 20-80 px, six or more holes."""
    if not 20 <= bw <= 80 or not 0.75 <= bw / max(1, bh) <= 1.33:
        return False
    holes, child = 0, hierarchy[0][i][2]
    while child >= 0 and holes < 6:
        holes, child = holes + 1, hierarchy[0][child][0]
    return holes >= 6


def _matrix_blocks(grey: np.ndarray) -> tuple[list[Candidate], list[Candidate]]:
    """Small squares of dense dark/light modules (QR finder patterns and DataMatrix blocks), and squares
    full of holes that may be a code too fine to read (reason "dense", judged in `code_finders`)."""
    import cv2

    h, w = grey.shape[:2]
    f = min(1.0, 1400 / max(h, w))
    small = cv2.resize(grey, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA) if f < 1 else grey
    binary = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10)
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return [], []
    squares: list[tuple[int, int, int, int]] = []
    turned: list[tuple[int, int, int, int]] = []
    blocks: list[tuple[int, int, int, int]] = []  # any filled square: maybe a whole small code
    dense: list[Candidate] = []
    for i, c in enumerate(contours):
        x, y, bw, bh = cv2.boundingRect(c)
        if len(dense) < MAX_DENSE and _dense_square(hierarchy, i, bw, bh):
            p = bw / 4  # the quiet zone around the code
            dense.append(Candidate(((x - p) / f, (y - p) / f, (bw + 2 * p) / f, (bh + 2 * p) / f), "dense", 1.0 / f))
        if not 4 <= bw <= 80 or not 0.75 <= bw / max(1, bh) <= 1.33:
            continue
        if bw >= 20 and cv2.contourArea(c) > 0.6 * bw * bh:
            blocks.append((x, y, bw, bh))
        # a finder pattern: a square holding a square holding a square
        child = hierarchy[0][i][2]
        depth = 0
        while child >= 0 and depth < 3:
            depth += 1
            child = hierarchy[0][child][2]
        if depth < (2 if bw >= 9 else 1):
            continue
        if cv2.contourArea(c) > 0.6 * bw * bh:
            squares.append((x, y, bw, bh))
        elif bw >= 9 and _turned_finder(contours, hierarchy, i):
            turned.append((x, y, bw, bh))  # a code at an angle: looked at after the upright ones
    # whole small codes first: a few of them per photo at most, while finder-like squares are many
    out = [Candidate((x / f, y / f, bw / f, bh / f), "matrix", m / f) for x, y, bw, bh, m in _whole_codes(small, blocks)]
    for x, y, bw, bh in squares + turned:
        # the code spans up to about 8 finder widths from here, in any direction (the finder may be any corner)
        s = bw * 8.5
        x0, y0 = max(0.0, x + bw / 2 - s), max(0.0, y + bh / 2 - s)
        box = (x0 / f, y0 / f, min(w / f - x0 / f, 2 * s / f), min(h / f - y0 / f, 2 * s / f))
        if not any(overlap(box, o.box) > 0.3 for o in out):
            out.append(Candidate(box, "matrix", bw / 7.0 / f))
    return out[:3], dense


def _turned_finder(contours: Sequence[np.ndarray], hierarchy: np.ndarray, i: int) -> bool:
    """A finder pattern turned off the upright (its square fills too little of its upright box): a square
    whose innermost square is about 3/7 of it, which a pill in a blister pocket or a framed window is not."""
    inner = hierarchy[0][hierarchy[0][i][2]][2]  # the ring's hole, then the square inside it
    side = turned_square(contours[i])
    core = turned_square(contours[inner]) if side and inner >= 0 else None
    return bool(core) and 0.25 <= core / side <= 0.6


def _whole_codes(grey: np.ndarray, blocks: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int, float]]:
    """Squares that are a whole small code (x, y, w, h and module width, padded by a quiet zone): dark and
    light modules packed edge to edge inside a square, about half dark. A QR code of 21-33 modules at
    1-2 px a module blurs its finder patterns into blobs, but the square it fills still shows."""
    h, w = grey.shape[:2]
    out: list[tuple[int, int, int, int, float]] = []
    for x, y, bw, bh in blocks:
        inner = grey[y + bh // 8 : y + bh - bh // 8, x + bw // 8 : x + bw - bw // 8]
        dark = inner < (int(inner.min()) + int(inner.max())) / 2
        flips = (np.count_nonzero(dark[:, 1:] != dark[:, :-1]) + np.count_nonzero(dark[1:] != dark[:-1])) / 2
        per_px = flips / max(1, dark.size)
        if int(inner.max()) - int(inner.min()) < 60 or not 0.3 <= dark.mean() <= 0.7 or per_px < 0.2:
            continue
        pad = bw // 4
        box = (max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad))
        if not any(overlap((box[0], box[1], box[2] - box[0], box[3] - box[1]), o[:4]) > 0.5 for o in out):
            out.append((box[0], box[1], box[2] - box[0], box[3] - box[1], 1.0 / per_px / 2))
    return out[:2]


def _module_width(grey: np.ndarray, box: tuple[float, float, float, float], vertical: bool = False) -> float:
    """The narrowest stripe across the middle of the box, in pixels (from the mean run length)."""
    x, y, bw, bh = (int(round(v)) for v in box)
    crop = grey[max(0, y) : y + max(1, bh), max(0, x) : x + max(1, bw)]
    if crop.size == 0:
        return 0.0
    row = crop[:, crop.shape[1] // 2] if vertical else crop[crop.shape[0] // 2, :]
    if row.size < 4:
        return 0.0
    bits = row > (int(row.min()) + int(row.max())) / 2
    changes = int(np.count_nonzero(bits[1:] != bits[:-1]))
    # Code 128: a module is about 1/1.6 of the mean run; matrix codes are close to one module per run
    return row.size / max(1, changes + 1) / 1.6


def _within(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """The share of box a that lies inside box b."""
    return intersection(a, b) / max(1e-6, a[2] * a[3])


def second_look(grey: np.ndarray, places: list[Candidate]) -> list[Code]:
    """Read each place again, enlarged 1.5x then 2x (2x, 3x, then 5x sharpened for a small matrix place)
    until zxing decodes it; the codes come back in `grey`'s pixels."""
    out: list[Code] = []
    h, w = grey.shape[:2]
    for c in places:
        x, y, bw, bh = (int(round(v)) for v in c.box)
        crop = np.ascontiguousarray(grey[max(0, y) : min(h, y + bh), max(0, x) : min(w, x + bw)])
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            continue
        for f in _enlargements(c, crop):
            found = _read_enlarged(crop, f, fine=f > 3.0)
            if found:
                for bc in found:
                    pos = bc.position
                    quad = tuple(
                        (max(0, x) + p.x / f, max(0, y) + p.y / f)
                        for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
                    )
                    code = Code(format_name(bc.format), str(bc.text), quad)
                    if not any(o.text == code.text for o in out):
                        out.append(code)
                break
    return out


#: A matrix place no larger than this (px) is also read enlarged 5x and sharpened (see _read_enlarged):
#: a small code's modules are 1-2 px, and the enlarged crop stays under 1200 px, a few ms to read.
FINE_PLACE_PX = 240


def _enlargements(c: Candidate, crop: np.ndarray) -> tuple[float, ...]:
    if c.reason not in ("matrix", "dense"):
        return (1.5, 2.0)
    return (2.0, 3.0, 5.0) if max(crop.shape[:2]) <= FINE_PLACE_PX else (2.0, 3.0)


def _read_enlarged(crop: np.ndarray, f: float, fine: bool) -> list:
    """zxing on the crop enlarged f times. A fine matrix code (modules of 1-2 px, blurred by the lens and
    JPEG) is enlarged with Lanczos, sharpened hard and cut at a fixed threshold: on photographed QR codes
    of 1.2-1.5 px a module only that combination kept the modules apart (cubic enlargement, or zxing's
    local binariser, merged them)."""
    import cv2
    import zxingcpp

    if not fine:
        return zxingcpp.read_barcodes(cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC))
    big = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_LANCZOS4)
    sharp = cv2.addWeighted(big, 3.0, cv2.GaussianBlur(big, (0, 0), f * 0.6), -2.0, 0)
    return zxingcpp.read_barcodes(np.ascontiguousarray(sharp), binarizer=zxingcpp.Binarizer.FixedThreshold)


def format_name(fmt: object) -> str:
    name = getattr(fmt, "name", None) or str(fmt)
    return name.split(".")[-1]
