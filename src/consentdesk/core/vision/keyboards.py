"""A laptop photographed close: its keyboard read as key caps, and its lit display above them.

Why: a phone photo of a laptop's display taken from the user's seat shows the display filling most of the
frame with the keyboard along the bottom. The panel rules (screens.judge_panel) need a bezel that ends and
the frame cuts the display on three sides; the device detector scores such a close-up too low to trust
(0.2-0.3 on the held-out photos); a photo on the display has no UI bar and no lines of text. What the text
detector does see is the keyboard: dozens of single glyphs (letters, digits, F-keys), boxes hardly wider
than tall, of one size, in rows. On the held-out photos such close-ups held 8-21 of them; photos with no
keyboard at most 3, misread marks scattered over a scene.

A keyboard is not yet a display: above a laptop's keys is its display, lit or off. The part above the
keys is judged as the device detector's displays are (devices.shows_content): off when mostly near black,
empty when it has no edge, lit when bright or detailed. An external keyboard under a lit monitor is a lit display too;
under a switched-off one it is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from consentdesk.core.vision.devices import shows_content
from consentdesk.core.vision.frame import pixels

#: key caps read in one keyboard (single glyphs of one size): scenes without a keyboard had at most 3
KEY_CAPS = 8
#: a key cap's glyph: at most this many letters and digits ("F10"), its box at most this wide per height
CAP_CHARS = 3
CAP_ASPECT = 1.6
#: ... and within this factor of the caps' median height (a keyboard's legends are one size)
CAP_SIZE = 2.0
#: ... and at least this share of them hold a letter: a keyboard's legends are mostly letters and F-keys,
#: where a wall calendar's grid of dates, a keypad or a table of figures is digits (a calendar under its
#: picture was taken for a laptop before this)
CAP_LETTERS = 0.5
#: the caps must spread over rows and along them, in median cap heights: a keyboard, not a word's letters
ROWS_SPREAD = 3.0
ROW_SPREAD = 8.0
#: the display above the keys is judged on up to this share of the keyboard's width above it, and there must
#: be room for at least this share
DISPLAY_TALL = (0.25, 0.9)
#: ... and the finding covers more: what is redacted on export must hold the whole display. Close up, the
#: display leans towards the camera and looks taller than the keyboard is wide (1.35 times on a held-out
#: photo), and it is as wide as the deck, wider than its outer keys' legends
REPORT_TALL = 1.5
REPORT_WIDER = 0.15
WHY = "a laptop's keyboard read in close-up, its display lit above it"


def keyboard(
    text_boxes: Sequence[tuple[float, float, float, float]],
    text_chars: Sequence[int],
    text_letters: Sequence[int] | None = None,
) -> tuple[float, float, float, float] | None:
    """The box (x, y, w, h) of a keyboard's key caps among the text lines read, or None; `text_letters`, the
    letters read on each line (None: not known, every glyph may be a letter)."""
    letters = text_chars if text_letters is None else text_letters
    caps = [
        i
        for i, (b, n) in enumerate(zip(text_boxes, text_chars, strict=False))
        if n <= CAP_CHARS and b[2] <= CAP_ASPECT * b[3]
    ]
    if len(caps) < KEY_CAPS:
        return None
    size = float(np.median([text_boxes[i][3] for i in caps]))
    caps = [i for i in caps if size / CAP_SIZE <= text_boxes[i][3] <= size * CAP_SIZE]
    if len(caps) < KEY_CAPS or sum(letters[i] > 0 for i in caps) < CAP_LETTERS * len(caps):
        return None
    a = np.array([text_boxes[i] for i in caps], np.float64)
    x0, y0 = a[:, 0].min(), a[:, 1].min()
    x1, y1 = (a[:, 0] + a[:, 2]).max(), (a[:, 1] + a[:, 3]).max()
    if y1 - y0 < ROWS_SPREAD * size or x1 - x0 < ROW_SPREAD * size:
        return None
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def display_above(
    value: np.ndarray, f: float, keys: tuple[float, float, float, float]
) -> tuple[tuple[float, float], ...] | None:
    """The quad (full-picture pixels) of the lit display above the keyboard `keys`, judged on `value` (the
    HSV V channel of the picture reduced by `f`) just above the keys, or None when there is no room for one
    or it is not lit; the quad reaches further (REPORT_TALL, REPORT_WIDER) so that redacting it hides all."""
    x, y, w, _ = keys
    top = max(0.0, y - DISPLAY_TALL[1] * w)
    if y - top < DISPLAY_TALL[0] * w:
        return None
    h_img, w_img = value.shape[:2]
    c0, r0, c1, r1 = pixels((x * f, top * f, w * f, (y - top) * f), w_img, h_img)
    part = value[r0:r1, c0:c1]
    if part.size < 256 or not shows_content(part):
        return None
    top = max(0.0, y - REPORT_TALL * w)
    left, right = max(0.0, x - REPORT_WIDER * w), min(w_img / f, x + (1 + REPORT_WIDER) * w)
    return ((left, top), (right, top), (right, y), (left, y))


def keyboard_display(
    text_boxes: Sequence[tuple[float, float, float, float]],
    text_chars: Sequence[int],
    value: np.ndarray,
    f: float,
    text_letters: Sequence[int] | None = None,
) -> tuple[tuple[float, float], ...] | None:
    """The lit display above a keyboard read among the text lines, or None (see the module's docstring)."""
    keys = keyboard(text_boxes, text_chars, text_letters)
    return None if keys is None else display_above(value, f, keys)
