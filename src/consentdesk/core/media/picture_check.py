"""Decode and check an uploaded picture (signature, reference photo, paper scan) BEFORE it is stored.

Why: a record is evidence and is kept for years. Checking only the first bytes let through a PNG header
followed by garbage, a tiny PNG claiming 8000×8000 pixels, a 20000×20000 image that costs gigabytes to
decode, and a fully transparent "signature"; each was then stored and showed "stored image could not be
read" (or nothing) for ever. So every picture is fully decoded here with Pillow, its size is checked in
pixels (read from the header first, so a decompression bomb is refused before it is decoded) and a
signature must have ink. The messages say what is wrong and what to do.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

#: Signatures: the pad exports at most 1200 px wide; a 300 dpi scan of a signature box is well under this.
SIGNATURE_MAX_SIDE = 4000
SIGNATURE_MAX_PIXELS = 8_000_000
#: Reference photos and phone photos of forms.
PHOTO_MAX_SIDE = 12_000
PHOTO_MAX_PIXELS = 60_000_000
#: A signature needs at least this many dark pixels (luminance under `INK_LEVEL` on white).
MIN_INK_PIXELS = 50
INK_LEVEL = 160


@dataclass(frozen=True, slots=True)
class PictureRules:
    """What a kind of picture must be: its formats (Pillow names), its size in pixels, and ink or not."""

    formats: tuple[str, ...] | None  # None: any format Pillow reads
    max_side: int
    max_pixels: int
    needs_ink: bool = False

    @property
    def format_words(self) -> str:
        return " or ".join(self.formats) if self.formats else "picture"


SIGNATURE = PictureRules(("PNG",), SIGNATURE_MAX_SIDE, SIGNATURE_MAX_PIXELS, needs_ink=True)
PHOTO = PictureRules(("JPEG", "PNG"), PHOTO_MAX_SIDE, PHOTO_MAX_PIXELS)
#: Scans and phone photos of paper forms (any format Pillow reads; PDF pages arrive rendered as PNG).
SCAN = PictureRules(None, PHOTO_MAX_SIDE, PHOTO_MAX_PIXELS)


class PictureRejected(ValueError):
    """The picture cannot be stored; the message says why and what to do."""


def _too_large(size: str, rules: PictureRules) -> str:
    return (
        f"is too large in pixels ({size}); at most {rules.max_side} pixels a side and "
        f"{rules.max_pixels / 1e6:.0f} million pixels in all: scan or export it smaller"
    )


def _decode(data: bytes, rules: PictureRules) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(rules.formats) if rules.formats else None)
            width, height = im.size
            if max(width, height) > rules.max_side or width * height > rules.max_pixels:
                raise PictureRejected(_too_large(f"{width}×{height} pixels", rules))
            im.load()
            return im
    except PictureRejected:
        raise
    except (
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):  # Pillow refuses to even open it: hundreds of millions of pixels
        raise PictureRejected(_too_large("hundreds of millions of pixels", rules)) from None
    except Image.UnidentifiedImageError:
        raise PictureRejected(f"is not a readable {rules.format_words} image") from None
    except Exception as exc:  # a decoder fed damaged bytes may raise anything; none of it is storable
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise PictureRejected(
            f"is a damaged {rules.format_words} image ({detail}); save or scan it again"
        ) from None


def ink_pixels(im: Image.Image) -> int:
    """Dark pixels of the picture laid on white paper (transparent parts count as paper)."""
    rgba = im.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, "white")
    grey = Image.alpha_composite(paper, rgba).convert("L")
    histogram = grey.histogram()
    return sum(histogram[:INK_LEVEL])


def check_picture(data: bytes, rules: PictureRules) -> Image.Image:
    """The decoded picture, or `PictureRejected` with a plain reason."""
    im = _decode(data, rules)
    if rules.needs_ink and ink_pixels(im) < MIN_INK_PIXELS:
        raise PictureRejected("is blank (no ink found); sign again")
    return im


def picture_problem(data: bytes, rules: PictureRules) -> str | None:
    """The reason the picture cannot be stored, or None: for validators that collect every problem."""
    try:
        check_picture(data, rules)
    except PictureRejected as exc:
        return str(exc)
    return None
