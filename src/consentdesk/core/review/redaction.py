"""Destroying image regions: faces marked for blurring and redacted findings.

A Gaussian blur can be partly undone and a box drawn over pixels can be removed from a layered file,
so regions are replaced, not covered: faces become a coarse mosaic (each block one flat colour, at
most 8 blocks across, so no identifying detail survives) and text/codes become solid fill. The result
is a new flat image; the caller writes it as a new file.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from PIL import Image, ImageDraw

from consentdesk.core.values import Box

FILL = (32, 32, 32)
MAX_BLOCKS = 8


class Method(StrEnum):
    PIXELATE = "pixelate"
    FILL = "fill"


def _padded(box: Box, size: tuple[int, int], pad: float) -> tuple[int, int, int, int]:
    dx, dy = int(box.w * pad), int(box.h * pad)
    x0, y0 = max(0, box.x - dx), max(0, box.y - dy)
    x1, y1 = min(size[0], box.x + box.w + dx), min(size[1], box.y + box.h + dy)
    return x0, y0, x1, y1


def destroy_regions(
    image: Image.Image, boxes: Iterable[Box], method: Method, pad: float = 0.15
) -> Image.Image:
    """Return a copy of `image` with every box (grown by `pad` of its size) irreversibly destroyed."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    for box in boxes:
        x0, y0, x1, y1 = _padded(box, out.size, pad)
        if x1 <= x0 or y1 <= y0:
            continue
        if method is Method.FILL:
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=FILL)
            continue
        region = out.crop((x0, y0, x1, y1))
        blocks_x = max(1, min(MAX_BLOCKS, region.width // 4))
        blocks_y = max(1, round(blocks_x * region.height / region.width))
        mosaic = region.resize((blocks_x, blocks_y), Image.Resampling.BOX).resize(
            region.size, Image.Resampling.NEAREST
        )
        out.paste(mosaic, (x0, y0))
    return out
