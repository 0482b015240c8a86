"""Number plates read with their surroundings: looser formats that need a plate in the pixels around them.

Why a second plate module beside `plates` (which judges one OCR line by the strict formats of a country):
on real cars the plates that slipped past were read correctly but their text fitted no strict format, or
fitted it only with the plate's layout in view:
- EU plates read with the band or the seals glued in or spaced ("WD-5010", "H 786 POJ", "SOG AR 100");
- US plates, where the number sits between the state's name and its slogan ("413-SUA" under
  "WASHINGTON"), and vanity plates whose number is any word ("SURFSUP") and is a plate only because the
  state's name is on it;
- Gulf plates, where the Latin number sits beside Arabic script ("K 81482", Saudi "6531 UJD").
Loose formats match plenty of other short strings (part numbers, room codes, a line of a lab report), so
a loose match counts only when the pixels show a plate: a light (white, or yellow) rectangle of plate
proportions around the line with dark characters on it. Lines inside a page of text are never plates.
"""

from __future__ import annotations

import re

import numpy as np

from consentdesk.core.vision.blobs import components

#: Loose formats, each a whole line (spaces and hyphens removed before matching `compact`).
_LOOSE = [
    ("eu_district", re.compile(r"^[A-ZÄÖÜ]{1,3}\d{1,5}[A-Z]{0,3}$")),  # WD-5010, H 786 POJ, W 80 MW
    ("eu_letters_digits", re.compile(r"^[A-ZÄÖÜ]{2,5}\d{1,4}[EH]?$")),  # SOG AR 100, ESEL 2399
    ("us_digits_letters", re.compile(r"^\d{3}[A-Z]{3}$")),  # 413-SUA
    ("us_letters_digits", re.compile(r"^[A-Z]{3}\d{3,4}$|^\d[A-Z]{3}\d{3}$")),  # ABC 1234, 7ABC123
    ("gulf_latin", re.compile(r"^\d{1,4}[A-Z]{1,3}$|^[A-Z]{1,2}\d{1,5}$")),  # 6531 UJD, K 81482
]
#: US state names and mottos printed on plates (upper case, as OCR reads them).
US_STATES = frozenset(
    ["ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "CALIFORNIA", "COLORADO", "CONNECTICUT", "DELAWARE", "FLORIDA", "GEORGIA", "HAWAII", "IDAHO", "ILLINOIS", "INDIANA", "IOWA", "KANSAS", "KENTUCKY", "LOUISIANA", "MAINE", "MARYLAND", "MASSACHUSETTS", "MICHIGAN", "MINNESOTA", "MISSISSIPPI", "MISSOURI", "MONTANA", "NEBRASKA", "NEVADA", "OHIO", "OKLAHOMA", "OREGON", "PENNSYLVANIA", "TENNESSEE", "TEXAS", "UTAH", "VERMONT", "VIRGINIA", "WASHINGTON", "WISCONSIN", "WYOMING"]
) | {"NEW YORK", "NEW JERSEY", "NEW MEXICO", "NEW HAMPSHIRE", "NORTH CAROLINA", "SOUTH CAROLINA",
     "NORTH DAKOTA", "SOUTH DAKOTA", "RHODE ISLAND", "WEST VIRGINIA"}
#: Gulf emirates and states as printed in Latin letters on their plates.
GULF_NAMES = frozenset({"DUBAI", "ABU DHABI", "SHARJAH", "AJMAN", "RAK", "FUJAIRAH", "UAQ", "QATAR", "KSA", "BAHRAIN", "OMAN", "KUWAIT"})
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_VANITY = re.compile(r"^[A-Z0-9]{2,8}$")


def loose_plate(line: str) -> str | None:
    """The normalised text if one OCR line fits a loose plate format (it still needs pixel evidence)."""
    if any(c.islower() for c in line):
        return None
    text = re.sub(r"[·•]|(?<![0-9])\.|\.(?![0-9])", " ", line.strip().upper())
    if re.search(r"\d[.,]\d", text):  # a price or a measurement
        return None
    text = re.sub(r"^(?:GB|UK|NI|D|F|A|E|I|NL)\s+(?=\S)", "", text)  # the EU band's country letters
    text = re.sub(r"[^A-Z0-9ÄÖÜ\- ]", "", text).strip(" -")
    compact = re.sub(r"[ \-]", "", text)
    if re.fullmatch(r"\d{1,2}(?:AM|PM|ST|ND|RD|TH)", compact):  # times and ordinals
        return None
    if re.fullmatch(r"\d{1,4}[A-Z0-9]{3}", compact) and sum(c.isalpha() for c in compact[-3:]) >= 2:
        compact = compact[:-3] + compact[-3:].translate(_TO_LETTER)  # Gulf letters read as digits (V0A)
    if not 4 <= len(compact) <= 9:
        return None
    if not (any(c.isdigit() for c in compact) and any(c.isalpha() for c in compact)):
        return None
    for _, fmt in _LOOSE:
        if fmt.match(compact):
            return text if re.sub(r"[ \-]", "", text) == compact else compact
    return None


def could_be_vanity(line: str) -> bool:
    """Whether a line could be a plate's number when the plate's name is seen beside it."""
    compact = re.sub(r"[ \-·.]", "", line.strip())
    return (
        compact.isupper() or compact.isdigit() or not any(c.isalpha() for c in compact)
    ) and bool(_VANITY.match(compact)) and (any(c.isdigit() for c in compact) or len(compact) >= 5)


def layout_plate(lines: list[str], fuzzy_names: tuple[str, ...] = ()) -> str | None:
    """A plate read from the lines inside one plate-shaped rectangle: a US state's name (or a Gulf
    emirate's, or Arabic script) beside a short run of capitals and digits, such as a vanity plate.
    `fuzzy_names` are lines read from a plate's small print ("FLONDA"): a state's name one or two OCR
    slips away counts there."""
    upper = [ln.strip().upper() for ln in lines]
    names = US_STATES | GULF_NAMES
    named = any(u in names or any(s in u for s in US_STATES if len(s) > 5) for u in upper)
    named = named or any(_near_name(ln.strip().upper()) for ln in fuzzy_names)
    arabic = any(_ARABIC.search(ln) for ln in [*lines, *fuzzy_names])
    if not (named or arabic):
        return None
    for raw, u in zip(lines, upper, strict=True):
        compact = re.sub(r"[ \-·.]", "", u)
        if u in names or any(c.islower() for c in raw):
            continue
        if _VANITY.match(compact) and (any(c.isdigit() for c in compact) or len(compact) >= 5):
            return u
    return None


def _near_name(text: str) -> bool:
    import difflib

    return len(text) >= 5 and bool(difflib.get_close_matches(text, [s for s in US_STATES if len(s) >= 5], 1, 0.75))


def _framed(hsv: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """The plate's edges around the text box: a straight edge above and below it, running the text's
    width, and one beside it, close enough for a plate (as a white plate on a white car shows)."""
    import cv2

    v = hsv[:, :, 2].astype(np.float32)
    x, y, bw, bh = (int(round(t)) for t in box)
    gy = np.abs(cv2.Sobel(v, cv2.CV_32F, 0, 1, ksize=3))
    gx = np.abs(cv2.Sobel(v, cv2.CV_32F, 1, 0, ksize=3))
    xs = slice(max(0, x + bw // 10), x + bw - bw // 10)
    ys = slice(max(0, y + bh // 6), y + bh - bh // 6)

    def line(profile: np.ndarray, idx: range) -> int | None:
        for i in idx:
            if 0 <= i < len(profile) and profile[i] > 40:
                return i
        return None

    rows = np.array([np.percentile(gy[r, xs], 30) if gy[r, xs].size else 0 for r in range(gy.shape[0])])
    cols = np.array([np.percentile(gx[ys, c], 30) if gx[ys, c].size else 0 for c in range(gx.shape[1])])
    top = line(rows, range(y - 2, y - int(1.6 * bh) - 1, -1))
    bottom = line(rows, range(y + bh + 2, y + bh + int(1.6 * bh) + 1))
    left = line(cols, range(x - 2, x - int(0.6 * bw) - 1, -1))
    right = line(cols, range(x + bw + 2, x + bw + int(0.6 * bw) + 1))
    if top is None or bottom is None or (left is None and right is None):
        return False
    x0 = left if left is not None else x
    x1 = right if right is not None else x + bw
    inside = v[top + 1 : bottom, x0 + 1 : x1]
    return inside.size > 0 and float(np.median(inside)) > 120 and 1.4 <= (x1 - x0) / max(1, bottom - top) <= 6.5


def plate_in_pixels(rgb: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether a light plate-shaped rectangle with dark characters surrounds the text box (x, y, w, h).

    The rectangle is grown from the text's box over the light pixels around it; it must be light (white or
    yellow), proportioned like a plate (one- or two-line: 1.4 to 6.5 times as wide as high), not much taller
    than the text (a page around a line is not a plate) and its characters must be dark.
    """
    import cv2

    h, w = rgb.shape[:2]
    x, y, bw, bh = box
    if bw < 8 or bh < 4:
        return False
    x0, y0 = int(max(0, x - 0.6 * bw)), int(max(0, y - 2.0 * bh))
    x1, y1 = int(min(w, x + 1.6 * bw)), int(min(h, y + 3.0 * bh))
    roi = rgb[y0:y1, x0:x1]
    if roi.size == 0:
        return False
    hsv = cv2.cvtColor(roi, cv2.COLOR_RGB2HSV)
    if _framed(hsv, (x - x0, y - y0, bw, bh)):
        return True
    light = ((hsv[:, :, 2] > 150) & (hsv[:, :, 1] < 70)) | (
        (hsv[:, :, 0] >= 14) & (hsv[:, :, 0] <= 36) & (hsv[:, :, 1] > 100) & (hsv[:, :, 2] > 130)
    )
    mask = cv2.morphologyEx(light.astype(np.uint8) * 255, cv2.MORPH_CLOSE, np.ones((5, 9), np.uint8))
    n, labels, stats, _ = components(mask)
    cx, cy = int(x + bw / 2 - x0), int(y + bh / 2 - y0)
    cy = min(max(cy, 0), labels.shape[0] - 1)
    cx = min(max(cx, 0), labels.shape[1] - 1)
    lab = labels[cy, cx]
    if lab == 0:  # the centre sits on a character: take the component that touches the text box most
        part = labels[int(y - y0) : int(y - y0 + bh), int(x - x0) : int(x - x0 + bw)].reshape(-1)
        part = part[part > 0]
        if not part.size:
            return False
        lab = int(np.bincount(part).argmax())
    px, py, pw, ph, area = (int(v) for v in stats[lab])
    if pw < 0.8 * bw or ph > 3.2 * bh or ph < 1.1 * bh:
        return False
    if px == 0 or py == 0 or px + pw >= roi.shape[1] or py + ph >= roi.shape[0]:
        return False  # light runs out of the window around the line: a page, a wall, the sky
    aspect = pw / max(1, ph)
    if not 1.4 <= aspect <= 6.5:
        return False
    fill = area / float(pw * ph)
    text_dark = float((hsv[py : py + ph, px : px + pw, 2] < 110).mean())
    return fill >= 0.5 and 0.06 <= text_dark <= 0.5
