"""Text on a screen or page that the whole-photo text detection missed: the region read again on its own.

Why: text is detected on the photo reduced to 960 px, where a monitor's list of appointments across an
office (letters ~14 px high in the 2000 px working image) is 6-7 px high and not found at all, while the
screen itself is (regions.py). Read alone, the region's text is detected in the working pixels (not
enlarged: on our screens 2x found the same names for twice the CPU) and recognised from them, so the names
on it are found like any others. Only screens and pages where nothing was read are read again, the
largest first and at most MAX_REGIONS a photo: a photo without a screen or a page costs nothing, one with a
screen ~0.15 s CPU (detection) plus ~10 ms per line read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from consentdesk.core.vision.text import TextLine

Box = tuple[float, float, float, float]

#: Most regions read again per photo.
MAX_REGIONS = 2
#: A region shorter than this (working pixels) holds nothing legible at any enlargement the reader makes.
MIN_SIDE = 96


def unread(regions: Sequence[Box], lines: Sequence[TextLine]) -> list[Box]:
    """Regions (x, y, w, h) with no line read inside (by the line's centre), large enough, largest first."""
    centres = [(x + w / 2, y + h / 2) for x, y, w, h in (ln.bbox() for ln in lines)]
    out = [
        r
        for r in regions
        if min(r[2], r[3]) >= MIN_SIDE
        and not any(r[0] <= cx <= r[0] + r[2] and r[1] <= cy <= r[1] + r[3] for cx, cy in centres)
    ]
    return sorted(out, key=lambda r: -r[2] * r[3])[:MAX_REGIONS]


def read_regions(
    rgb: np.ndarray, regions: Sequence[Box], read: Callable[[np.ndarray], list[TextLine]]
) -> list[TextLine]:
    """The lines `read` finds in each region's crop of `rgb`, their quads in `rgb`'s pixels."""
    h, w = rgb.shape[:2]
    out: list[TextLine] = []
    for x, y, bw, bh in regions:
        x0, y0 = max(0, int(x)), max(0, int(y))
        crop = np.ascontiguousarray(rgb[y0 : min(h, int(y + bh) + 1), x0 : min(w, int(x + bw) + 1)])
        for ln in read(crop):
            out.append(TextLine(ln.text, ln.score, tuple((px + x0, py + y0) for px, py in ln.quad)))
    return out
