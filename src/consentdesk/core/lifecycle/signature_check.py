"""Does a scanned page of a printed form hold a signature? Ink in its signature box(es), located by the QR.

ConsentDesk prints every paper form itself, so it knows where each signature box sits relative to the QR
code in the header (`blank_forms.signature_boxes`, `layout.header_qr_corners`). The barcode reader gives
the QR's corners in the scan; a least-squares affine map from those four pairs places the boxes in the
scan whatever its scale, offset or (small) rotation. The map is extrapolated far from a small code, so
each box's printed frame is then searched for a few millimetres around where it should be: a box whose
frame is not found is not on this page (the other page of the form, or a scan cut short). Inside a found
frame, inset from it and away from the printed baseline and cross, dark pixels are counted against the
paper's own brightness: an unsigned box has next to none, a signature several per cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter, ImageOps
from reportlab.lib.units import mm

from consentdesk.core import ids
from consentdesk.core.forms import FormDefinition
from consentdesk.core.lifecycle.records import PaperScan
from consentdesk.core.model import Consent
from consentdesk.core.pdf import layout
from consentdesk.core.pdf.blank_forms import SignatureBox, signature_boxes
from consentdesk.core.picture_check import SCAN, check_picture
from consentdesk.core.store import Catalogue

#: Share of the box's inner area that must be dark to count as signed. A blank box scans at ~0 (the
#: printed cross and baseline are masked); a scribbled initial is ~1 %, a signature several per cent.
INK_MIN = 0.004
#: Share of each frame edge that must be found dark for the box to count as present on the page.
FRAME_MIN = 0.7
SEARCH = 4 * mm  # how far (either side) a frame edge is looked for around where the QR puts it
INSET = 2 * mm  # the ink window starts this far inside the frame (registration, the frame's own blur)


@dataclass(frozen=True, slots=True)
class QrCode:
    text: str
    corners: tuple[tuple[float, float], ...]  # pixels: top left, top right, bottom right, bottom left


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """Which signature boxes a page shows (`found`) and which of those hold ink (`signed`)."""

    found: frozenset[str] = frozenset()
    signed: frozenset[str] = frozenset()
    ink: tuple[tuple[str, float], ...] = ()  # dark share of each found box, for the audit trail

    @property
    def empty(self) -> frozenset[str]:
        return self.found - self.signed


def qr_codes(picture: Image.Image) -> list[QrCode]:
    """QR codes on a page with their corners in the picture's pixels; tries a reduced copy and a
    thresholded one for phone photos."""
    import zxingcpp

    grey = ImageOps.exif_transpose(picture).convert("L")
    attempts = [(grey, 1.0)]
    if max(grey.size) > 1600:
        small = grey.copy()
        small.thumbnail((1600, 1600))
        attempts.append((small, grey.size[0] / small.size[0]))
    attempts.append((ImageOps.autocontrast(grey).point(lambda v: 255 if v > 128 else 0), 1.0))
    for attempt, scale in attempts:
        found = zxingcpp.read_barcodes(np.ascontiguousarray(np.asarray(attempt)))
        codes = []
        for b in found:
            if "QR" not in str(b.format):
                continue
            p = b.position
            corners = tuple(
                (c.x * scale, c.y * scale) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
            )
            codes.append(QrCode(str(b.text), corners))
        if codes:
            return codes
    return []


def _affine(src: list[tuple[float, float]], dst: tuple[tuple[float, float], ...]) -> np.ndarray:
    """3x2 matrix M with [x, y, 1] @ M ≈ pixel, least squares over the corner pairs."""
    a = np.array([[x, y, 1.0] for x, y in src])
    b = np.array(dst, dtype=float)
    m, *_ = np.linalg.lstsq(a, b, rcond=None)
    return m


class _Page:
    """A greyscale scan with a form-points → pixels map, sampled at form coordinates."""

    def __init__(self, grey: np.ndarray, spread: np.ndarray, m: np.ndarray) -> None:
        self.grey, self.spread, self.m = grey, spread, m
        self.h, self.w = grey.shape
        paper = np.percentile(grey[:: max(1, self.h // 200), :: max(1, self.w // 200)], 90)
        self.dark = 0.6 * float(paper)  # below this is ink or print, whatever the paper's shade

    def sample(self, image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ self.m
        px = np.clip(np.rint(pts[..., 0]).astype(int), 0, self.w - 1)
        py = np.clip(np.rint(pts[..., 1]).astype(int), 0, self.h - 1)
        inside = (pts[..., 0] >= 0) & (pts[..., 0] < self.w) & (pts[..., 1] >= 0) & (pts[..., 1] < self.h)
        return np.where(inside, image[py, px], 255)

    def edge(
        self, a: tuple[float, float], b: tuple[float, float], normal: tuple[float, float]
    ) -> tuple[float, float]:
        """Best offset (form points, along `normal`) of the printed line a→b, and its dark share."""
        t = np.linspace(0.05, 0.95, 40)
        offsets = np.arange(-SEARCH, SEARCH + 0.01, 0.3)
        xs = a[0] + (b[0] - a[0]) * t[None, :] + normal[0] * offsets[:, None]
        ys = a[1] + (b[1] - a[1]) * t[None, :] + normal[1] * offsets[:, None]
        share = (self.sample(self.spread, xs, ys) < self.dark).mean(axis=1)
        best = int(np.argmax(share))
        return float(offsets[best]), float(share[best])


def _lines_meet(p1, d1, p2, d2) -> tuple[float, float]:
    """Where the line p1 + s·d1 meets p2 + u·d2."""
    a = np.array([[d1[0], -d2[0]], [d1[1], -d2[1]]])
    s, _ = np.linalg.solve(a, np.array([p2[0] - p1[0], p2[1] - p1[1]]))
    return p1[0] + s * d1[0], p1[1] + s * d1[1]


def _frame(page: _Page, box: SignatureBox) -> list[tuple[float, float]] | None:
    """The box's corners (bottom left, bottom right, top right, top left, in form points as the map
    places them) refined to the frame found in the scan, or None when the frame is not there.

    Each edge is found in two halves, so a small error in the map's rotation is corrected too."""
    x0, y0, x1, y1 = box.x, box.y, box.x + box.width, box.y + box.height
    lines = []
    for a, b, normal in (
        ((x0, y0), (x1, y0), (0.0, 1.0)),  # bottom
        ((x1, y0), (x1, y1), (1.0, 0.0)),  # right
        ((x1, y1), (x0, y1), (0.0, 1.0)),  # top
        ((x0, y1), (x0, y0), (1.0, 0.0)),  # left
    ):
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        points = []
        for start, end in ((a, mid), (mid, b)):
            offset, share = page.edge(start, end, normal)
            if share < FRAME_MIN:
                return None
            centre = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            points.append((centre[0] + normal[0] * offset, centre[1] + normal[1] * offset))
        (px, py), (qx, qy) = points
        lines.append(((px, py), (qx - px, qy - py)))
    corners = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        corners.append(_lines_meet(p1, d1, p2, d2))
    return corners  # left∩bottom, bottom∩right, right∩top, top∩left


def _ink(page: _Page, box: SignatureBox, corners: list[tuple[float, float]]) -> float:
    """Dark share inside the frame, inset, without the printed cross (bottom left) and baseline."""
    u = np.linspace(INSET, box.width - INSET, 420)
    v = np.linspace(INSET, box.height - INSET, 70)
    uu, vv = np.meshgrid(u, v)
    keep = ~((vv > 3.2 * mm) & (vv < 6.8 * mm))  # the printed signing line, 5 mm up
    keep &= ~((uu < 9 * mm) & (vv < 12 * mm))  # the printed cross
    s, t = uu / box.width, vv / box.height
    (blx, bly), (brx, bry), (trx, try_), (tlx, tly) = corners
    xs = (1 - s) * (1 - t) * blx + s * (1 - t) * brx + s * t * trx + (1 - s) * t * tlx
    ys = (1 - s) * (1 - t) * bly + s * (1 - t) * bry + s * t * try_ + (1 - s) * t * tly
    values = page.sample(page.grey, xs, ys)[keep]
    return float((values < page.dark).mean())


def required_signatures(form: FormDefinition, consent: Consent | None) -> frozenset[str]:
    """The signature boxes a paper record needs signed: the person's, and a guardian's for a minor
    (before the record is entered its age is unknown, so only the person's)."""
    minor = consent is not None and form.is_minor(consent.answers, consent.signed_at.date())
    return frozenset(f.id for f in form.fields if f.type == "signature" and (minor or not f.minor_only))


def signed_boxes(catalogue: Catalogue, scans: list[PaperScan], form: FormDefinition) -> frozenset[str]:
    """Signature boxes holding ink on any of these stored scans of one form. Each scan is checked from
    its stored bytes (the evidence itself), once per process: its bytes never change (sha256)."""
    signed: set[str] = set()
    for scan in scans:
        key = (scan.sha256, form.name, form.version)
        if key not in _CHECKED:
            picture = check_picture(catalogue.paper_scan_data(scan.id), SCAN)
            _CHECKED[key] = check_signatures(picture, form).signed
        signed |= _CHECKED[key]
    return frozenset(signed)


_CHECKED: dict[tuple[str, str, int], frozenset[str]] = {}


@lru_cache(maxsize=8)
def _boxes(form: FormDefinition) -> tuple[SignatureBox, ...]:
    return tuple(signature_boxes(form))


def check_signatures(
    picture: Image.Image, form: FormDefinition, codes: list[QrCode] | None = None
) -> SignatureCheck:
    """Find the signature boxes of `form` on a scanned page and say which hold ink (see module doc)."""
    codes = qr_codes(picture) if codes is None else codes
    valid = [c for c in codes if ids.normalise(c.text)]
    if len(valid) != 1:
        return SignatureCheck()
    code = valid[0]
    grey_image = ImageOps.exif_transpose(picture).convert("L")
    grey = np.asarray(grey_image, dtype=np.int16)
    spread = np.asarray(grey_image.filter(ImageFilter.MinFilter(3)), dtype=np.int16)  # thin lines hit
    m = _affine(layout.header_qr_corners(ids.normalise(code.text) or code.text), code.corners)
    page = _Page(grey, spread, m)
    found, signed, ink = set(), set(), []
    for box in _boxes(form):
        corners = _frame(page, box)
        if corners is None:
            continue
        share = _ink(page, box, corners)
        found.add(box.field_id)
        ink.append((box.field_id, round(share, 4)))
        if share >= INK_MIN:
            signed.add(box.field_id)
    return SignatureCheck(frozenset(found), frozenset(signed), tuple(ink))
