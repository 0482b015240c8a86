"""Vehicle number plates in OCR text: UK formats first, then common EU (FR/IT, ES, NL, DE, CZ) and US ones.

Why text rules: a plate is personal data in the UK (it leads to the keeper) and its formats are strict,
so once OCR has read the characters a format check is both cheap and precise. A plate is a whole OCR
line (a plate stands alone on the car); OCR look-alikes are fixed by position only for the current UK
format, whose letter and digit positions are fixed (AB12 CDE), so "BH16 0OS" still reads as a plate.
Postcodes, donation numbers and other values are excluded before a plate is reported.
"""

from __future__ import annotations

import re

import numpy as np

from consentdesk.core.vision.blobs import components

_TO_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "4": "A", "7": "T"})

#: UK age identifiers: March (02-26) and September (51-75) registrations since 2001.
_UK_AGE = {f"{n:02d}" for n in list(range(2, 27)) + list(range(51, 76))}

_FORMATS = [
    ("uk_prefix", re.compile(r"^[A-HJ-NP-Y]\d{1,3}[A-HJ-PR-Y]{3}$")),  # A123 BCD (1983-2001)
    ("uk_suffix", re.compile(r"^[A-HJ-PR-Y]{3}\d{1,3}[A-HJ-NP-Y]$")),  # ABC 123D (1963-1983)
    ("fr_it", re.compile(r"^[A-Z]{2}-?\d{3}-?[A-Z]{2}$")),  # AB-123-CD
    ("es", re.compile(r"^\d{4}[B-DF-HJ-NP-TV-Z]{3}$")),  # 1234 BCD
    (
        "nl",
        re.compile(
            r"^(?:\d{2}-?[A-Z]{3}-?\d|\d-?[A-Z]{3}-?\d{2}|[A-Z]{2}-?\d{3}-?[A-Z]|[A-Z]-?\d{3}-?[A-Z]{2})$"
        ),
    ),
    ("de", re.compile(r"^[A-ZÄÖÜ]{1,3}[- ][A-Z]{1,2} ?\d{1,4}[EH]?$")),  # B-AB 1234
    ("us", re.compile(r"^\d[A-Z]{3}\d{3}$|^[A-Z]{3}-?\d{4}$|^[A-Z]{3}-?\d{3}$")),  # 7ABC123, ABC 1234
    ("cz", re.compile(r"^\d[A-Z][A-Z0-9] ?\d{4}$")),  # 5AU 5341 (not an ordinal: "1ST 2024")
]


#: A German plate whose registration seals (two round stickers between district and letters) were read as
#: one character glued to both: "HD8AD 89". The space before the digits stays, as OCR keeps it.
_GERMAN_SEAL = re.compile(r"([A-ZÄÖÜ]{1,3})[80O]([A-Z]{1,2}) (\d{1,4}[EH]?)")


def _uk_current(compact: str) -> str | None:
    """AB12CDE with look-alikes fixed by position; the age identifier must be a real one."""
    if len(compact) != 7:
        return None
    letters1 = compact[:2].translate(_TO_LETTER)
    digits = compact[2:4].translate(_TO_DIGIT)
    letters2 = compact[4:].translate(_TO_LETTER)
    if not (letters1.isalpha() and letters1.isascii() and letters2.isalpha() and letters2.isascii()):
        return None
    if digits not in _UK_AGE or any(c in "IQ" for c in letters2) or any(c in "IQZ" for c in letters1):
        return None
    return f"{letters1}{digits} {letters2}"


def find_plate(line: str) -> str | None:
    """The plate, normalised, if the whole OCR line is one; None otherwise."""
    has_lower = any(c.islower() for c in line)  # plates are upper case; "Bay 123" is a sign
    text = line.strip().upper()
    text = re.sub(r"^(?:GB|UK|NI)\s+(?=\S)", "", text)  # the blue side band, read as its own word
    text = re.sub(r"[^A-Z0-9ÄÖÜ\- ]", "", text).strip(" -")
    compact = re.sub(r"[ \-]", "", text)
    if not 5 <= len(compact) <= 8:
        return None
    if not (any(c.isdigit() for c in compact) and any(c.isalpha() for c in compact)):
        return None
    uk = _uk_current(compact)
    if uk:
        return uk
    if has_lower:
        return None
    seal = _GERMAN_SEAL.fullmatch(text)
    if seal:  # the round registration seals between district and letters, read as an 8 or a 0
        return f"{seal[1]} {seal[2]} {seal[3]}"
    spaced = re.sub(r"\s+", "", text) if "-" in text else text
    for name, fmt in _FORMATS:
        if name == "cz" and compact[1:3] in {"ST", "ND", "RD", "TH"}:
            continue
        if fmt.match(compact) or fmt.match(spaced) or fmt.match(text):
            return text
    return None


# ---------------------------------------------------------------------------- candidates in pixels

#: Yellow rear plates and white front plates, in OpenCV HSV (H 0-180).
_PLATE_COLOURS = (((14, 110, 130), (36, 255, 255)), ((0, 0, 185), (180, 45, 255)))
MAX_CANDIDATES = 4


def plate_candidates(rgb, work_side: int = 1100, hsv=None) -> list[tuple[float, float, float, float]]:
    """Boxes (x, y, w, h in `rgb` pixels) of small plate-coloured rectangles with a plate's shape.

    Why: text detection runs on a reduced copy, where a plate 1/30 of the photo wide is a few pixels
    high and is missed. A plate is a flat yellow or white rectangle about 2-6 times as wide as high;
    the few rectangles like that are read directly from the full working image.
    """
    import cv2

    h, w = rgb.shape[:2]
    f = min(1.0, work_side / max(h, w))
    if hsv is None or f < 1:  # `hsv`, when given, is `rgb`'s own (a copy the caller already made)
        small = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_LINEAR) if f < 1 else rgb
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    area_img = float(hsv.shape[0] * hsv.shape[1])
    found: list[tuple[float, float, float, float, float]] = []
    for lo, hi in _PLATE_COLOURS:
        mask = cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 7), np.uint8))
        _, _, stats, _ = components(mask)
        for x, y, bw, bh, area in _plate_shaped(stats[1:], area_img).tolist():
            fill = area / float(bw * bh)
            # characters: dark strokes across the middle of the plate, neither none nor mostly dark
            band = hsv[y + bh // 4 : y + bh - bh // 4, x + bw // 12 : x + bw - bw // 12, 2] < 110  # the band only
            ink = float(band.mean()) if band.size else 0.0
            if 0.08 <= ink <= 0.55:
                found.append((fill, x / f, y / f, bw / f, bh / f))
    found.sort(reverse=True)
    return [(x, y, bw, bh) for _, x, y, bw, bh in found[:MAX_CANDIDATES]]


def _plate_shaped(stats: np.ndarray, area_img: float) -> np.ndarray:
    """The rows of `stats` (x, y, w, h, area per blob) shaped like a plate: at least 5 px high, its box
    0.003-1 % of the picture and 1.8-6.5 times as wide as high, filled to 55 %. Why in numpy: a white mask
    of a busy photo holds hundreds of blobs, nearly all of them rejected."""
    bw, bh, area = stats[:, 2], stats[:, 3], stats[:, 4]
    box = bw * bh
    aspect = bw / np.maximum(1, bh)
    keep = (bh >= 5) & (box >= 0.00003 * area_img) & (box <= 0.01 * area_img)
    keep &= (aspect >= 1.8) & (aspect <= 6.5) & (area / np.maximum(1, box) >= 0.55)
    return stats[keep]
