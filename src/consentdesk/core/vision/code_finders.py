"""A QR code seen but not read: three finder patterns in an L around a dense square of modules.

Why: a QR code at about one pixel per module (35 px across in the background of a photo) is too fine for
zxing, even enlarged and sharpened, yet a reviewer can see it and a phone held closer may read it. The
check must not pass it silently, so a code it can see but not read becomes a finding of its own.

What counts as seen, so that tiles, windows, checkerboards and text do not: the place is a square of
dark modules joined into one outline full of holes (found on the mid-size copy in `code_candidates`),
and, in the working pixels enlarged 4x, it holds exactly three QR finder patterns (a square in a square
in a square, all about the same size) whose centres make an L: two equal sides at a right angle, at
least two finder widths long, and no fourth pattern (a grid of framed windows or tiles has more). DataMatrix and 1-D codes have no finder patterns, so this says nothing about them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Enlargement of the working pixels before the finder patterns are looked for: at one pixel per module a
#: finder's rings are one pixel wide, and only an enlarged, sharpened copy keeps them apart ...
ZOOM = 4
#: ... but a large place (a matrix place spans 17 finder widths) is enlarged less, to at most this many px
#: (its modules are larger), so each look costs about a millisecond.
MAX_ZOOMED_PX = 320


@dataclass(frozen=True, slots=True)
class Finder:
    """A finder pattern's centre and width, in the given crop's pixels."""

    x: float
    y: float
    size: float


def finders(crop: np.ndarray) -> list[Finder]:
    """Square-in-square-in-square patterns in a grey crop (enlarged up to ZOOM times, sharpened, Otsu's cut)."""
    import cv2

    zoom = max(2.0, min(ZOOM, MAX_ZOOMED_PX / max(crop.shape[:2])))
    big = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LANCZOS4)
    sharp = cv2.addWeighted(big, 3.0, cv2.GaussianBlur(big, (0, 0), zoom * 0.6), -2.0, 0)
    _, binary = cv2.threshold(sharp, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Finder] = []
    if hierarchy is None:
        return out
    for i, c in enumerate(contours):
        x, y, w, h = cv2.boundingRect(c)
        if w < 3 * zoom or not 0.7 <= w / max(1, h) <= 1.4:
            continue
        side = turned_square(c)
        if side is None:
            continue
        depth, child = 0, hierarchy[0][i][2]
        while child >= 0 and depth < 2:
            depth, child = depth + 1, hierarchy[0][child][2]
        if depth >= 2:
            out.append(Finder((x + w / 2) / zoom, (y + h / 2) / zoom, side / zoom))
    return out


def turned_square(contour: np.ndarray) -> float | None:
    """The side of a filled, square outline at any angle, or None. Its upright bounding box is not enough:
    a square turned 30 degrees fills only half of it, and reads one and a third times too wide."""
    import cv2

    _, (rw, rh), _ = cv2.minAreaRect(contour)
    if not 0.7 <= rw / max(1.0, rh) <= 1.4 or cv2.contourArea(contour) < 0.6 * rw * rh:
        return None
    return (rw + rh) / 2


def l_shaped(found: list[Finder]) -> bool:
    """Exactly three finders of one size at the corners of an L (see the module's docstring)."""
    if len(found) != 3:
        return False
    sizes = [f.size for f in found]
    if max(sizes) > 1.4 * min(sizes):
        return False
    size = sum(sizes) / 3
    for corner in range(3):  # the finder at the L's right angle
        a = found[corner]
        b, c = (found[i] for i in range(3) if i != corner)
        ab, ac = math.dist((a.x, a.y), (b.x, b.y)), math.dist((a.x, a.y), (c.x, c.y))
        bc = math.dist((b.x, b.y), (c.x, c.y))
        if min(ab, ac) < 2.0 * size or min(ab, ac) < 0.85 * max(ab, ac):
            continue
        if 0.88 <= bc / math.hypot(ab, ac) <= 1.12 and abs(ab * ab + ac * ac - bc * bc) < 0.25 * bc * bc:
            return True
    return False


def _holds(a: Finder, b: Finder) -> bool:
    return abs(b.x - a.x) < a.size / 2 and abs(b.y - a.y) < a.size / 2 and b.size < a.size


def seen_code(
    grey: np.ndarray, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """The box (x, y, w, h in `grey`'s pixels) of a QR code whose three finder patterns make an L inside
    `box`, or None. The code spans its finders' outer edges; a turned code, the square around it."""
    h, w = grey.shape[:2]
    x, y, bw, bh = (int(round(v)) for v in box)
    x0, y0 = max(0, x), max(0, y)
    crop = np.ascontiguousarray(grey[y0 : min(h, y + bh), x0 : min(w, x + bw)])
    if min(crop.shape[:2]) < 16:
        return None
    # a finder is at most 7/21 of its code's side: larger nested squares are the code's own outline
    found = [f for f in finders(crop) if f.size <= 0.4 * min(crop.shape[:2])]
    # ... and so is a square around other finders (a turned code's sticker, say)
    found = [f for f in found if not any(g is not f and _holds(f, g) for g in found)]
    if not l_shaped(found):
        return None
    # the right angle is at the finder opposite the longest side; the fourth corner completes the square
    sides = [
        math.dist((found[(i + 1) % 3].x, found[(i + 1) % 3].y), (found[(i + 2) % 3].x, found[(i + 2) % 3].y))
        for i in range(3)
    ]
    a = found[sides.index(max(sides))]
    b, c = (f for f in found if f is not a)
    xs, ys = [a.x, b.x, c.x, b.x + c.x - a.x], [a.y, b.y, c.y, b.y + c.y - a.y]
    r = 0.7 * max(f.size for f in found)  # a finder's centre is half its width in from the edge (more, turned)
    return (x0 + min(xs) - r, y0 + min(ys) - r, max(xs) - min(xs) + 2 * r, max(ys) - min(ys) + 2 * r)
