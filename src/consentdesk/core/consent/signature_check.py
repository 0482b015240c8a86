"""Does a scanned page of a printed form hold a signature? Ink in its signature box(es), located by the QR.

ConsentDesk prints every paper form itself, so it knows where each signature box sits relative to the QR
code in the header (`blank_forms.signature_boxes`, `layout.header_qr_corners`). The barcode reader gives
the QR's corners in the scan; a least-squares affine map from those four pairs places the boxes in the
scan whatever its scale, offset or (small) rotation. The map is extrapolated far from a small code, so
each box's printed frame is then traced within 8 mm of where it should be, in short pieces (a thin line
with paper either side, not a heading bar or text): a box whose frame is not found is not on this page
(the other page of the form, a scan cut short, or a photo too skewed to check, which then signs nothing). Inside a found
frame, inset from it and away from the printed baseline and cross, dark pixels are counted against the
paper's own brightness: an unsigned box has next to none, a signature several per cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps
from reportlab.lib.units import mm

from consentdesk.core import ids
from consentdesk.core.forms import FormDefinition
from consentdesk.core.media.picture_check import SCAN, check_picture
from consentdesk.core.pdf import layout
from consentdesk.core.pdf.blank_forms import SignatureBox, pages_per_form, signature_boxes
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent, PaperScan

#: Share of the box's inner area that must be dark to count as signed. A blank box scans at ~0 (the
#: printed cross and baseline are masked); a scribbled initial is ~1 %, a signature several per cent.
INK_MIN = 0.004
#: How clearly the pieces of each frame edge must be found (dark share on the line, less beside it) for
#: the box to count as present on the page.
FRAME_MIN = 0.6
PIECE = 15 * mm  # frame edges are looked for in pieces about this long
SEARCH = 8 * mm  # how far (either side) a frame edge is looked for around where the QR puts it
SIDE = 0.8 * mm  # a frame line is thin: paper this far either side of it
INSET = 2 * mm  # the ink window starts this far inside the frame (registration, the frame's own blur)


Point = tuple[float, float]
Line = tuple[Point, Point]  # a point on it and its unit direction


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


def _affine(src: list[Point], dst: tuple[Point, ...]) -> np.ndarray:
    """3x3 matrix M with [x, y, 1] @ M ≈ [px, py, 1]: the least-squares affine map over the pairs."""
    a = np.array([[x, y, 1.0] for x, y in src])
    m, *_ = np.linalg.lstsq(a, np.array(dst, dtype=float), rcond=None)
    return np.column_stack([m, [0.0, 0.0, 1.0]])


class _Page:
    """A greyscale scan with a form-points → pixels map, sampled at form coordinates."""

    def __init__(self, grey: np.ndarray, m: np.ndarray) -> None:
        self.grey, self.m = grey, m
        self.h, self.w = grey.shape
        paper = np.percentile(grey[:: max(1, self.h // 200), :: max(1, self.w // 200)], 90)
        self.dark = 0.6 * float(paper)  # below this is ink or print, whatever the paper's shade

    def sample(self, image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ self.m
        pts = pts[..., :2] / pts[..., 2:3]
        px = np.clip(np.rint(pts[..., 0]).astype(int), 0, self.w - 1)
        py = np.clip(np.rint(pts[..., 1]).astype(int), 0, self.h - 1)
        inside = (pts[..., 0] >= 0) & (pts[..., 0] < self.w) & (pts[..., 1] >= 0) & (pts[..., 1] < self.h)
        return np.where(inside, image[py, px], 255)

    def edge(self, a: Point, b: Point, normal: Point, search: float = SEARCH) -> tuple[float, float]:
        """Best offset (form points, along `normal`, within ±`search`) of a printed line a→b, and how
        clearly it is a thin line there: its dark share, less the darker of the shares a little to
        either side (so a solid heading bar or a block of text nearby is not taken for the frame).
        Equally clear candidates go to the one nearest where the line is expected."""
        t = np.linspace(0.05, 0.95, 40)
        step = 0.3  # points: a 1 pt frame line is hit at any scan resolution from 100 dpi up
        offsets = np.arange(-search, search + 0.01, step)
        xs = a[0] + (b[0] - a[0]) * t[None, :] + normal[0] * offsets[:, None]
        ys = a[1] + (b[1] - a[1]) * t[None, :] + normal[1] * offsets[:, None]
        share = (self.sample(self.grey, xs, ys) < self.dark).mean(axis=1)
        k = round(SIDE / step)
        padded = np.pad(share, k, mode="edge")
        sides = np.maximum(padded[: -2 * k], padded[2 * k :])
        score = share - sides
        best = int(np.argmax(score - 1e-3 * np.abs(offsets) / search))
        return float(offsets[best]), float(score[best])


def _lines_meet(p1, d1, p2, d2) -> tuple[float, float]:
    """Where the line p1 + s·d1 meets p2 + u·d2."""
    a = np.array([[d1[0], -d2[0]], [d1[1], -d2[1]]])
    s, _ = np.linalg.solve(a, np.array([p2[0] - p1[0], p2[1] - p1[1]]))
    return p1[0] + s * d1[0], p1[1] + s * d1[1]


def _unit(d) -> np.ndarray:
    d = np.asarray(d, dtype=float)
    return d / np.linalg.norm(d)


def _fit(points: list[Point]) -> Line | None:
    """A line through the points, fitted twice: pieces more than 1 mm off the first fit (another
    printed line caught by one piece) are dropped before the second."""
    pts = np.array(points)
    for _ in range(2):
        if len(pts) < 2:
            return None
        centre = pts.mean(axis=0)
        direction = np.linalg.svd(pts - centre)[2][0]
        normal = np.array([-direction[1], direction[0]])
        keep = np.abs((pts - centre) @ normal) <= 1 * mm
        if keep.all():
            break
        pts = pts[keep]
    return (float(centre[0]), float(centre[1])), (float(direction[0]), float(direction[1]))


def _trace(page: _Page, a: Point, b: Point, pieces: int, search: float, needed: float) -> Line | None:
    """Follow a printed line expected near a→b: each piece of it finds its own offset, and a line is
    fitted through the pieces whose line is clear."""
    d = _unit((b[0] - a[0], b[1] - a[1]))
    normal = (-d[1], d[0])
    points = []
    for i in range(pieces):
        start = (a[0] + (b[0] - a[0]) * i / pieces, a[1] + (b[1] - a[1]) * i / pieces)
        end = (a[0] + (b[0] - a[0]) * (i + 1) / pieces, a[1] + (b[1] - a[1]) * (i + 1) / pieces)
        offset, clarity = page.edge(start, end, normal, search)
        if clarity >= needed:
            centre = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            points.append((centre[0] + normal[0] * offset, centre[1] + normal[1] * offset))
    if len(points) < max(2, 0.6 * pieces):
        return None
    return _fit(points)


def _on(line: Line, near: Point) -> Point:
    """The point of `line` nearest `near`."""
    (px, py), (dx, dy) = line
    s = (near[0] - px) * dx + (near[1] - py) * dy
    return px + s * dx, py + s * dy


def _long_edge(page: _Page, a: Point, b: Point, search: float = SEARCH) -> Line | None:
    """A long frame edge: found roughly in short pieces (a map's rotation error or a phone's
    perspective bends a long edge away from where it is expected, but hardly moves a short piece),
    then followed again, closely, along the line found."""
    pieces = max(2, round(abs(b[0] - a[0]) / PIECE))
    rough = _trace(page, a, b, pieces, search, FRAME_MIN / 3)
    if rough is None:
        return None
    return _trace(page, _on(rough, a), _on(rough, b), pieces, 1.5 * mm, FRAME_MIN)


def _long_edges(page: _Page, box: SignatureBox) -> tuple[Line, Line] | None:
    """The bottom and top frame lines. One is found on its own (the bottom first: the label just above
    the top edge blurs into it on a phone photo); the other is then followed the box's height away,
    parallel to it, which holds even where the map alone is millimetres out."""
    x0, y0, x1, y1 = box.x, box.y, box.x + box.width, box.y + box.height
    for found_y, other_y, sign in ((y0, y1, 1.0), (y1, y0, -1.0)):
        first = _long_edge(page, (x0, found_y), (x1, found_y))
        if first is None:
            continue
        (px, py), (dx, dy) = first
        if dx < 0:
            dx, dy = -dx, -dy
        # Where the code's map and the paper disagree most (a photo's perspective), the box can look
        # up to a third taller or shorter than printed: the other edge is looked for that far.
        shift = sign * 1.05 * box.height
        moved = ((px - dy * shift, py + dx * shift), (dx, dy))
        a, b = _on(moved, (x0, other_y)), _on(moved, (x1, other_y))
        other = _long_edge(page, a, b, 0.3 * box.height)
        if other is not None:
            return (first, other) if sign > 0 else (other, first)
    return None


def _frame(page: _Page, box: SignatureBox) -> list[Point] | None:
    """The box's corners (bottom left, bottom right, top right, top left, in form points as the map
    places them) refined to the frame found in the scan, or None when the frame is not there.

    The long edges come first; the short ones are then looked for between them, so they are searched
    where the box really is, not where the map alone puts it. A frame whose sides are not about the
    printed size apart (a neighbouring line caught instead) counts as not found."""
    x0, y0, x1, y1 = box.x, box.y, box.x + box.width, box.y + box.height
    edges = _long_edges(page, box)
    if edges is None:
        return None
    bottom, top = edges
    sides = []
    for x in (x0, x1):
        low, high = _on(bottom, (x, y0)), _on(top, (x, y1))
        a = (low[0] + (high[0] - low[0]) * 0.12, low[1] + (high[1] - low[1]) * 0.12)
        b = (low[0] + (high[0] - low[0]) * 0.88, low[1] + (high[1] - low[1]) * 0.88)
        side = _trace(page, a, b, 2, SEARCH, FRAME_MIN)
        if side is None:
            return None
        sides.append(side)
    left, right = sides
    corners = [
        _lines_meet(*left, *bottom),
        _lines_meet(*bottom, *right),
        _lines_meet(*right, *top),
        _lines_meet(*top, *left),
    ]
    width = np.hypot(corners[1][0] - corners[0][0], corners[1][1] - corners[0][1])
    height = np.hypot(corners[3][0] - corners[0][0], corners[3][1] - corners[0][1])
    if not (0.9 < width / box.width < 1.1 and 0.75 < height / box.height < 1.35):
        return None
    return corners


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
    """Signature boxes holding ink on any of these stored scans of one form.

    The scan import checked each page once and recorded the outcome in its `paper_scan.attached` audit
    entry (one indexed read by the form id); only a scan attached without one (before the check existed,
    or carried in by `catalogue copy`) is checked again from its stored bytes, once per process."""
    recorded = _recorded_checks(catalogue, {scan.form_id for scan in scans})
    signed: set[str] = set()
    for scan in scans:
        boxes = recorded.get(scan.sha256)
        if boxes is not None:
            signed |= {field for field, ink in boxes.items() if ink == "ink"}
            continue
        key = (scan.sha256, form.name, form.version)
        if key not in _CHECKED:
            picture = check_picture(catalogue.paper_scan_data(scan.id), SCAN)
            _CHECKED[key] = check_signatures(picture, form).signed
        signed |= _CHECKED[key]
    return frozenset(signed)


def _recorded_checks(catalogue: Catalogue, form_ids: set[str]) -> dict[str, dict[str, str]]:
    """sha256 of a scanned page -> its signature boxes as the import found them ("ink" or "empty")."""
    found: dict[str, dict[str, str]] = {}
    for form_id in form_ids:
        for entry in catalogue.audit_entries(form_id):
            boxes = entry.details.get("signature_boxes")
            if entry.action == "paper_scan.attached" and isinstance(boxes, dict):
                found[str(entry.details.get("sha256"))] = boxes
    return found


_CHECKED: dict[tuple[str, str, int], frozenset[str]] = {}


def every_page_has_a_box(form: FormDefinition) -> bool:
    """Whether each printed page of `form` has a signature box, so a page showing none was not read."""
    return {b.page for b in _boxes(form)} == set(range(1, pages_per_form(form) + 1))


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
    printed = layout.header_qr_corners(ids.normalise(code.text) or code.text)
    # Affine, not perspective: four corners of a small code extrapolate a perspective wildly across the
    # page; the frame search absorbs what the affine map misses.
    page = _Page(grey, _affine(printed, code.corners))
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
