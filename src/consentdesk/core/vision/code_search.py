"""Every code in a photo: the whole-image read, then a second, enlarged look at the places that look like
codes and were not read, from full-size pixels when the working image is too coarse for their bars.

Why the full-size pixels: a large photo is checked at a reduced size (2000 px), where a label's bars 2 px
wide in the original become 1 px and blur together; enlarging the reduced copy cannot bring them back, the
original pixels can. Reading the original again costs a full decode, so it is done only for a place that
looks like a code, was not read at the working size, and has bars under 2 px there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from consentdesk.core.vision import code_candidates, code_finders
from consentdesk.core.vision.codes import Code, read_codes
from consentdesk.core.vision.frame import Frame, overlap
from consentdesk.core.vision.text import TextLine

#: A line that reads like the human-readable donation number printed under the bars (loosely: OCR slips).
_NUMBER_LIKE = re.compile(r"[A-Z=]\s?[0-9OIl]{4}\s?[0-9OIl]{2}\s?[0-9OIl]{6}")
#: Finest stripe (working pixels) below which the original pixels are read for a place not yet read.
FULL_SIZE_BELOW_PX = 2.0
#: ... at most this many places per photo (each may cost a full decode of the file, once).
MAX_FULL_SIZE_LOOKS = 2


def find_codes(frame: Frame, lines: Sequence[TextLine] = ()) -> list[Code]:
    """Codes in the frame, boxes in working pixels."""
    codes = read_codes(frame.grey)
    full_size_looks = MAX_FULL_SIZE_LOOKS
    for place in _places(frame, lines):
        if any(overlap(place.box, c.bbox()) > 0.3 for c in codes):
            continue
        matrix = place.reason in ("matrix", "dense")
        seen = code_finders.seen_code(frame.grey, place.box) if place.reason == "dense" else None
        if place.reason == "dense" and seen is None:
            continue  # a square full of holes is looked at again only if it shows a QR code's finders
        more = code_candidates.second_look(frame.grey, [place])
        if not more and place.module_px < FULL_SIZE_BELOW_PX and full_size_looks and not matrix:
            full_size_looks -= 1
            more = _full_size_look(frame, place)
        if not more and matrix:
            more = _seen_not_read(frame, place, seen)
        codes += [c for c in more if c.unread or not any(c.text == o.text for o in codes)]
    return codes


def _places(frame: Frame, lines: Sequence[TextLine]) -> list[code_candidates.Candidate]:
    """Code-like places found on the shared mid-size grey copy, in working pixels."""
    f = frame.mid_factor
    number_boxes = [
        tuple(v * f for v in ln.bbox()) for ln in lines if _NUMBER_LIKE.search(ln.text.upper())
    ]
    return [
        code_candidates.Candidate(tuple(v / f for v in p.box), p.reason, p.module_px / f)
        for p in code_candidates.candidates(frame.mid_grey, number_boxes)
    ]


def _full_size_look(frame: Frame, place: code_candidates.Candidate) -> list[Code]:
    """Read a place from the original pixels (1x, then enlarged); boxes back in working pixels."""
    crop = frame.full_size_crop(place.box)
    if crop is None:
        return []
    grey, k = crop
    x0, y0 = max(0.0, place.box[0]), max(0.0, place.box[1])
    found = read_codes(grey) or code_candidates.second_look(
        grey, [code_candidates.Candidate((0, 0, grey.shape[1], grey.shape[0]), place.reason, place.module_px * k)]
    )
    return [
        Code(c.format, c.text, tuple((x0 + px / k, y0 + py / k) for px, py in c.quad)) for c in found
    ]


def _seen_not_read(
    frame: Frame, place: code_candidates.Candidate, seen: tuple[float, float, float, float] | None = None
) -> list[Code]:
    """A matrix place no look could read that shows a QR code's finder patterns (`seen`, its box, if already
    known): a code seen but not read, which the reviewer must look at (code_finders.py)."""
    seen = seen or code_finders.seen_code(frame.grey, place.box)
    if seen is None:
        return []
    x, y, w, h = seen
    return [Code("QRCode", "", ((x, y), (x + w, y), (x + w, y + h), (x, y + h)), unread=True)]
