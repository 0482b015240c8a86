"""Printed forms "signed by hand" for tests: render a form PDF with poppler and draw pen strokes into its
signature boxes with Pillow, where the form's own layout says the boxes are."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw

from consentdesk.core.forms import FormDefinition, load_form
from consentdesk.core.pdf.blank_forms import signature_boxes

DPI = 200


def render_pages(pdf: Path, prefix: Path, dpi: int = DPI) -> list[Path]:
    """Every page of `pdf` as a PNG, in page order."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    pages = prefix.parent.glob(prefix.name + "-*.png")
    return sorted(pages, key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def draw_signature(
    picture: Image.Image, page: int, fields: Iterable[str], form: FormDefinition | None = None, dpi: int = DPI
) -> Image.Image:
    """Pen strokes (a zigzag and a loop, dark blue, ~0.6 mm) inside each named signature box on `page`."""
    picture = picture.convert("RGB")
    draw = ImageDraw.Draw(picture)
    k = dpi / 72
    height = picture.size[1]
    wanted = set(fields)
    for box in signature_boxes(form or load_form()):
        if box.page != page or box.field_id not in wanted:
            continue
        left, top = (box.x + 40) * k, height - (box.y + box.height - 12) * k
        zigzag = [(left + i * 9 * k, top + (26 * k if i % 2 else 0)) for i in range(12)]
        draw.line(zigzag, fill=(25, 35, 110), width=max(2, round(0.6 * k * 2.83)))
        draw.arc((left + 120 * k, top, left + 160 * k, top + 30 * k), 0, 360, fill=(25, 35, 110), width=4)
    return picture


def signed_scans(
    pdf: Path, folder: Path, fields: Iterable[str] = ("signature",), dpi: int = DPI
) -> list[Path]:
    """Each page of a printed form with `fields` signed on whichever page holds them, as PNG scans."""
    fields = tuple(fields)
    out = []
    for number, png in enumerate(render_pages(pdf, folder / f"{pdf.stem}-scan", dpi), 1):
        with Image.open(png) as page:
            draw_signature(page, number, fields, dpi=dpi).save(png)
        out.append(png)
    return out
