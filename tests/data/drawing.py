"""What the vision tests draw their generated pictures with: a DejaVu font (shipped with the system's
fonts-dejavu, else Pillow's own) and one of scikit-image's photographs in colour at a given width.

One place for both, so a test of a new rule starts from the same scenes and letters as the others.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFont
from skimage import data

DEJAVU = "/usr/share/fonts/truetype/dejavu/"


def font(size: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont:
    """DejaVu `name` at `size` px, or Pillow's default font at that size where DejaVu is not installed."""
    try:
        return ImageFont.truetype(DEJAVU + name, size)
    except OSError:
        return ImageFont.load_default(size=size)


def photo(name: str = "coffee", width: int = 1200) -> Image.Image:
    """scikit-image's photograph `name` in colour (grey ones made RGB), `width` px wide."""
    img = getattr(data, name)()
    img = np.stack([img] * 3, axis=-1) if img.ndim == 2 else img[:, :, :3]
    im = Image.fromarray(np.ascontiguousarray(img))
    return im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
