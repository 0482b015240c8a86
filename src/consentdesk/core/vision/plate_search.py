"""Plates beyond one OCR line in a strict format: loose formats with a plate in the pixels, plates of any
country told by their panel (`plate_panels`: one or two lines of plate characters filling a closed panel of
plate proportions), plates read with their layout (a state's name, Arabic script), and plate-shaped
rectangles too small for text detection.

Why here and not in `pii`: `pii` judges text alone, and a loose format (a German district plate, a Gulf
number, a vanity word) matches plenty of harmless short strings; only the pixels around the line tell a
plate from a part number or a room sign (see `plate_layouts`). This module joins the two: text lines and
blocks from the OCR stage, evidence from the working image, and the direct read of small rectangles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from consentdesk.core.vision import plate_layouts, plate_panels, plates
from consentdesk.core.vision.frame import union
from consentdesk.core.vision.text import TextLine

Box4 = tuple[float, float, float, float]
#: Lines in one block from which the block is a page of text: its lines are never plates.
PAGE_LINES = 10
#: OCR confidence below which a line is not read as a plate.
MIN_SCORE = 0.5
#: ... and below which a loose format read in a plate-shaped rectangle is not trusted.
LOOSE_SCORE = 0.8


def plates_in_lines(
    rgb: np.ndarray,
    lines: Sequence[TextLine],
    blocks: Sequence[Sequence[int]],
    taken: set[int],
    read_boxes: Callable[[np.ndarray, list[Box4]], list[TextLine]] | None = None,
) -> list[tuple[Box4, str]]:
    """(box, plate) for lines of `rgb` that fit a loose format inside a plate in the pixels, and for small
    blocks that read as a plate with its layout. `taken`: lines already reported (strict plates, numbers).
    With `read_boxes`, a lone word on a plate is read with the plate's top and bottom lines (a vanity
    plate's state name is often too small for text detection)."""
    out: list[tuple[Box4, str]] = []
    for block in blocks:
        if len(block) >= PAGE_LINES:  # a line on a page is never a plate
            continue
        used = False
        for i in block:
            ln = lines[i]
            if i in taken or ln.score < MIN_SCORE or plates.find_plate(ln.text):
                continue
            loose = plate_layouts.loose_plate(ln.text)
            if loose and plate_layouts.plate_in_pixels(rgb, ln.bbox()):
                out.append((ln.bbox(), loose))
                used = True
        kept = [lines[i] for i in block if i not in taken]
        panels = [] if used else _panel_plates(rgb, lines, [i for i in block if i not in taken])
        out += panels
        used = used or bool(panels)
        found = None
        if not used and 2 <= len(block) <= 4:
            found = _layout(rgb, kept)
        elif not used and len(kept) == 1 and read_boxes is not None:
            found = _lone_word(rgb, kept[0], read_boxes)
        if found:
            out.append(found)
    return out


def _panel_plates(rgb: np.ndarray, lines: Sequence[TextLine], block: list[int]) -> list[tuple[Box4, str]]:
    """Plates of any country told by their panel (`plate_panels`): two stacked lines of a block read
    together first (a square or two-line plate), then each line alone."""
    out: list[tuple[Box4, str]] = []
    done: set[int] = set()
    pairs = [(a, b) for a, b in zip(block, block[1:], strict=False) if _stacked(lines[a], lines[b])]
    for group in [*pairs, *((i,) for i in block)]:
        if done & set(group) or any(lines[i].score < MIN_SCORE for i in group):
            continue
        small = len(group) == 2 and plate_panels.small_top(lines[group[0]].quad, lines[group[-1]].quad)
        text = plate_panels.panel_text([lines[i].text for i in group], small_top=small)
        if not text:
            continue
        facts = plate_panels.panel_facts(rgb, [lines[i].quad for i in group])
        if facts is not None and facts.plate(len(group)):
            out.append((union([lines[i].bbox() for i in group]), text))
            done.update(group)
    return out


def _stacked(a: TextLine, b: TextLine) -> bool:
    """Whether line b sits below line a (a second line), not beside it, measured across and along a's
    direction (a tilted plate's boxes overlap)."""
    (x0, y0), (x1, y1) = a.quad[0], a.quad[1]
    n = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
    c, s = (x1 - x0) / n, (y1 - y0) / n
    qa, qb = np.array(a.quad), np.array(b.quad)
    ua, ub = qa @ (c, s), qb @ (c, s)
    across = float((qb @ (-s, c)).mean() - (qa @ (-s, c)).mean())
    height = float(np.hypot(*(qa[3] - qa[0])))
    overlap = min(ua.max(), ub.max()) - max(ua.min(), ub.min())
    return across >= 0.6 * height and overlap > 0.3 * min(np.ptp(ua), np.ptp(ub))


def _lone_word(
    rgb: np.ndarray, line: TextLine, read_boxes: Callable[[np.ndarray, list[Box4]], list[TextLine]]
) -> tuple[Box4, str] | None:
    """A lone word or number on a plate in the pixels, read with the thin lines just above and below it."""
    if line.score < MIN_SCORE or not plate_layouts.could_be_vanity(line.text):
        return None
    if not plate_layouts.plate_in_pixels(rgb, line.bbox()):
        return None
    x, y, w, h = line.bbox()
    # the state's name above (a wide band, and a tight one: on a plate 100 px wide its letters are 5 px high
    # and a band of mostly white plate around them is read as nothing), the slogan below
    around = [
        (x - 0.15 * w, y - 0.75 * h, 1.3 * w, 0.7 * h),
        (x - 0.06 * w, y - 0.55 * h, 1.12 * w, 0.45 * h),
        (x - 0.15 * w, y + 1.05 * h, 1.3 * w, 0.7 * h),
    ]
    small_print = tuple(ln.text for ln in read_boxes(rgb, [b for b in around if b[1] >= 0]))
    plate = plate_layouts.layout_plate([line.text], fuzzy_names=small_print)
    return ((x, y, w, h), plate) if plate else None


def _layout(rgb: np.ndarray, block: list[TextLine]) -> tuple[Box4, str] | None:
    """A block that reads as a plate with its layout, whose number line sits on a plate in the pixels."""
    plate = plate_layouts.layout_plate([ln.text for ln in block])
    if not plate:
        return None
    line = next((ln for ln in block if ln.text.strip().upper() == plate), None)
    if line is None or not plate_layouts.plate_in_pixels(rgb, line.bbox()):
        return None
    return union([ln.bbox() for ln in block]), plate


def plates_in_rectangles(
    rgb: np.ndarray,
    boxes: Sequence[Box4],
    lines: Sequence[TextLine],
    read_boxes: Callable[[np.ndarray, list[Box4]], list[TextLine]],
) -> list[tuple[Box4, str]]:
    """Plate-coloured rectangles of plate shape (`plates.plate_candidates`, in `rgb` pixels) read directly:
    a strict or loose format on the line read there, or a layout with the detected lines inside it."""
    out: list[tuple[Box4, str]] = []
    read = read_boxes(rgb, list(boxes)) if boxes else []
    for box in boxes:
        line = next((ln for ln in read if _centre_in(ln.bbox(), _grow(box, 0.15))), None)
        inside = [ln for ln in lines if _centre_in(ln.bbox(), _grow(box, 0.1))]
        plate = None
        if line is not None and line.score >= MIN_SCORE:
            plate = plates.find_plate(line.text)
            if not plate and line.score >= LOOSE_SCORE:  # the rectangle is the plate's evidence
                plate = plate_layouts.loose_plate(line.text)
        if not plate and inside:
            plate = plate_layouts.layout_plate([ln.text for ln in inside] + ([line.text] if line else []))
        if plate:
            out.append((line.bbox() if line is not None else box, plate))
    return out


def _grow(box: Box4, k: float) -> Box4:
    x, y, w, h = box
    return x - k * w, y - k * h, w * (1 + 2 * k), h * (1 + 2 * k)


def _centre_in(box: Box4, outer: Box4) -> bool:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]
