"""One decoded photo and the reduced copies the stages share, each made once and only when asked for.

Why: before, each stage resized and converted the working image itself (faces to 1440 px, plate candidates
to 1100 px, screens to 1280 px, code candidates twice to 1400 px, codes to grey...), so the same pixels
were shrunk five times per photo. A `Frame` holds the working image, a grey copy and one mid-size copy
(with its HSV) that the face pass, the plate candidates, the screen search and the code candidates all
use; every box a stage finds goes back to original pixels through `to_original`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from consentdesk.core.values import Box

#: Long side of the shared mid-size copy (faces, plate candidates, screens, code candidates).
MID_SIDE = 1280


@dataclass
class Frame:
    """`work` is RGB at `scale` x the original (`width` x `height`, upright); `source` is the file, if any,
    so a stage that needs full-size pixels (a code too fine for the working image) can read them."""

    work: np.ndarray
    scale: float
    width: int
    height: int
    source: str = ""
    mid_side: int = MID_SIDE
    _cache: dict = field(default_factory=dict, repr=False)

    @cached_property
    def grey(self) -> np.ndarray:
        import cv2

        return cv2.cvtColor(self.work, cv2.COLOR_RGB2GRAY)

    @cached_property
    def mid_factor(self) -> float:
        """mid pixels per working pixel (<= 1)."""
        return min(1.0, self.mid_side / max(self.work.shape[:2]))

    @cached_property
    def mid(self) -> np.ndarray:
        return resize(self.work, self.mid_factor)

    @cached_property
    def mid_hsv(self) -> np.ndarray:
        import cv2

        return cv2.cvtColor(self.mid, cv2.COLOR_RGB2HSV)

    @cached_property
    def mid_grey(self) -> np.ndarray:
        import cv2

        return cv2.cvtColor(self.mid, cv2.COLOR_RGB2GRAY)

    def to_original(self, x: float, y: float, w: float, h: float, factor: float = 1.0) -> Box:
        """A box in working pixels (or, with `factor`, in an array `factor` x the working image) -> original
        pixels (after EXIF orientation), clipped to the image."""
        return to_original(x, y, w, h, self.scale * factor, self.width, self.height)

    def full_size_crop(self, box: tuple[float, float, float, float]) -> tuple[np.ndarray, float] | None:
        """The original pixels under a working-pixel box, as grey, with original-per-working factor; None
        when the working image already is full size or the file cannot be read again."""
        if self.scale >= 0.99 or not self.source:
            return None
        full = self._full_grey()
        if full is None:
            return None
        k = 1.0 / self.scale
        x, y, w, h = box
        x0, y0 = max(0, int(x * k)), max(0, int(y * k))
        x1, y1 = min(full.shape[1], int((x + w) * k) + 1), min(full.shape[0], int((y + h) * k) + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        return np.ascontiguousarray(full[y0:y1, x0:x1]), k

    def _full_grey(self) -> np.ndarray | None:
        if "full" not in self._cache:
            from consentdesk.core.media import imaging

            try:
                loaded = imaging.load(self.source)
            except imaging.ImageError:
                loaded = None
            import cv2

            ok = loaded is not None and loaded.rgb.shape[1] == self.width
            self._cache["full"] = cv2.cvtColor(loaded.rgb, cv2.COLOR_RGB2GRAY) if ok else None
        return self._cache["full"]


def resize(rgb: np.ndarray, f: float) -> np.ndarray:
    """`rgb` scaled by `f` (area averaging when shrinking); the same array when `f` is 1."""
    if f == 1.0:
        return rgb
    import cv2

    h, w = rgb.shape[:2]
    how = cv2.INTER_AREA if f < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=how)


def to_original(x: float, y: float, w: float, h: float, scale: float, width: int, height: int) -> Box:
    """Working pixels -> original pixels (after EXIF orientation), clipped to the image."""
    x0 = max(0, min(width, round(x / scale)))
    y0 = max(0, min(height, round(y / scale)))
    x1 = max(0, min(width, round((x + w) / scale)))
    y1 = max(0, min(height, round((y + h) / scale)))
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def intersection(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """The area two boxes (x, y, w, h) share."""
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0.0, iw) * max(0.0, ih)


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box: 1 when one box lies inside the other, whatever their sizes."""
    return intersection(a, b) / max(1e-6, min(a[2] * a[3], b[2] * b[3]))


def union(boxes: Iterable[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """The smallest box (x, y, w, h) holding all the given boxes."""
    bs = list(boxes)
    x0 = min(b[0] for b in bs)
    y0 = min(b[1] for b in bs)
    x1 = max(b[0] + b[2] for b in bs)
    y1 = max(b[1] + b[3] for b in bs)
    return x0, y0, x1 - x0, y1 - y0


def pixels(box: tuple[float, float, float, float], w: int, h: int) -> tuple[int, int, int, int]:
    """A box (x, y, w, h) as whole-pixel bounds (x0, y0, x1, y1) clipped to a w x h picture."""
    x, y, bw, bh = box
    return max(0, round(x)), max(0, round(y)), min(w, round(x + bw)), min(h, round(y + bh))


def surround(value: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The pixels of a band around `box` (outside it, 15 % of its longer side wide, clipped to the picture):
    what a panel is seen against, to tell whether it lights itself."""
    h, w = value.shape[:2]
    m = max(8.0, 0.15 * max(box[2], box[3]))
    ox0, oy0, ox1, oy1 = pixels((box[0] - m, box[1] - m, box[2] + 2 * m, box[3] + 2 * m), w, h)
    ix0, iy0, ix1, iy1 = pixels(box, w, h)
    mask = np.ones((oy1 - oy0, ox1 - ox0), bool)
    mask[max(0, iy0 - oy0) : max(0, iy1 - oy0), max(0, ix0 - ox0) : max(0, ix1 - ox0)] = False
    return value[oy0:oy1, ox0:ox1][mask]
