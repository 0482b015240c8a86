"""Barcodes and 2-D codes (QR, DataMatrix, ...) with zxing-cpp.

Why zxing-cpp: one well-kept C++ reader for every symbology seen on blood-bag and wristband labels
(Code 128 / ISBT 128, DataMatrix, QR, PDF417), fast enough to run on the whole working image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: zxing format names we report as `qr_code` (2-D matrix codes); everything else is a `barcode`.
MATRIX_FORMATS = frozenset({"QRCode", "MicroQRCode", "RMQRCode", "DataMatrix", "Aztec", "MaxiCode"})


@dataclass(frozen=True, slots=True)
class Code:
    """A decoded code: symbology, content, and its corner points in the given array's pixels; or, with
    `unread`, a code seen but not decoded (no content: see `code_finders`)."""

    format: str
    text: str
    quad: tuple[tuple[float, float], ...]
    unread: bool = False

    @property
    def is_matrix(self) -> bool:
        return self.format in MATRIX_FORMATS

    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _format_name(fmt: object) -> str:
    name = getattr(fmt, "name", None) or str(fmt)
    return name.split(".")[-1]


def read_codes(rgb: np.ndarray) -> list[Code]:
    """Every code zxing can decode in the image (grey), de-duplicated by content and place."""
    import cv2
    import zxingcpp

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    out: list[Code] = []
    for bc in zxingcpp.read_barcodes(np.ascontiguousarray(grey)):
        pos = bc.position
        quad = tuple(
            (float(p.x), float(p.y)) for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
        )
        code = Code(_format_name(bc.format), str(bc.text), quad)
        if not any(c.text == code.text and _close(c, code) for c in out):
            out.append(code)
    return out


def _close(a: Code, b: Code) -> bool:
    ax, ay, _, _ = a.bbox()
    bx, by, _, _ = b.bbox()
    return abs(ax - bx) < 20 and abs(ay - by) < 20
