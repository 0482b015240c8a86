"""Drawing helpers shared by the completed and blank release-form PDFs.

Both PDFs share the look (NHS blue header band, id and QR code top right, footer with page numbers)
and the same safe way of writing a file, so they live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.constants
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from consentdesk.core.files import atomic_write
from consentdesk.core.pdf import fonts

# NHS identity colours (NHS England brand guidelines).
NHS_BLUE = colors.HexColor("#005EB8")
NHS_DARK_BLUE = colors.HexColor("#003087")
NHS_PALE_GREY = colors.HexColor("#E8EDEE")
NHS_MID_GREY = colors.HexColor("#768692")
NHS_DARK_GREY = colors.HexColor("#425563")
NHS_RED = colors.HexColor("#DA291C")
NHS_GREEN = colors.HexColor("#007F3B")
TEXT = colors.HexColor("#212B32")

PAGE = A4
MARGIN = 16 * mm
HEADER_H = 30 * mm
FOOTER_H = 12 * mm
QR_SIZE = 24 * mm


@dataclass(frozen=True, slots=True)
class Styles:
    title: ParagraphStyle
    section: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    banner: ParagraphStyle


def styles() -> Styles:
    """Paragraph styles in the embedded DejaVu font; 10 pt body text stays readable when printed."""
    f = fonts.fonts()
    base = ParagraphStyle(
        "cd", fontName=f.regular, fontSize=10, leading=13.5, textColor=TEXT, alignment=TA_LEFT
    )
    return Styles(
        title=ParagraphStyle("cd-title", base, fontName=f.bold, fontSize=16, leading=20),
        section=ParagraphStyle(
            "cd-section", base, fontName=f.bold, fontSize=11.5, leading=15, textColor=colors.white
        ),
        label=ParagraphStyle(
            "cd-label", base, fontName=f.bold, fontSize=9, leading=12, textColor=NHS_DARK_GREY
        ),
        value=ParagraphStyle("cd-value", base),
        body=ParagraphStyle("cd-body", base, fontSize=9.5, leading=13.5, spaceAfter=5),
        small=ParagraphStyle("cd-small", base, fontSize=8, leading=10.5, textColor=NHS_DARK_GREY),
        banner=ParagraphStyle(
            "cd-banner", base, fontName=f.bold, fontSize=11, leading=14, textColor=colors.white
        ),
    )


QR_BORDER = 3  # quiet zone, in modules


def qr_matrix(value: str) -> list[list[bool]]:
    """The QR code of `value` as rows of modules, quiet zone included (one source for drawing and locating)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    qr.add_data(value)
    qr.make(fit=True)
    return qr.get_matrix()


def draw_qr(canvas, value: str, x: float, y: float, size: float = QR_SIZE) -> None:
    """A QR code of `value` with its bottom-left corner at (x, y), quiet zone included.

    Drawn as filled rectangles from the `qrcode` matrix (crisp at any print resolution, and no graphics
    renderer that would pull an unembedded Helvetica into the page resources).
    """
    matrix = qr_matrix(value)
    module = size / len(matrix)
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        top = y + size - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + start * module, top, (c - start) * module, module)
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def draw_header(canvas, organisation: str, title: str, subtitle: str, record_id: str) -> None:
    """The blue band with organisation and title, and the id as text plus QR code at the right."""
    width, height = PAGE
    f = fonts.fonts()
    top = height - MARGIN + 4 * mm
    canvas.saveState()
    canvas.setFillColor(NHS_BLUE)
    canvas.rect(MARGIN, top - HEADER_H, width - 2 * MARGIN, HEADER_H, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    left = MARGIN + 5 * mm
    qr_x, qr_y = header_qr_origin()
    fonts.draw_string(canvas, left, top - 8 * mm, organisation, f.bold, 10)
    # Shrink a long title rather than let it run under the id and QR code.
    room = qr_x - left - 6 * mm
    size = min(16.0, room / max(1.0, pdfmetrics.stringWidth(title, f.bold, 1)))
    fonts.draw_string(canvas, left, top - 17 * mm, title, f.bold, size)
    fonts.draw_string(canvas, left, top - 24.5 * mm, subtitle, f.regular, 9)
    draw_qr(canvas, record_id, qr_x, qr_y, QR_SIZE)
    canvas.setFont(f.regular, 7.5)
    canvas.drawRightString(qr_x - 4 * mm, top - 8 * mm, "Form ID")
    canvas.setFont(f.bold, 12)
    canvas.drawRightString(qr_x - 4 * mm, top - 24.5 * mm, record_id)
    canvas.restoreState()


def header_qr_origin() -> tuple[float, float]:
    """Bottom-left corner of the header's QR code (quiet zone included), in PDF points."""
    width, height = PAGE
    top = height - MARGIN + 4 * mm
    return width - MARGIN - QR_SIZE - 3 * mm, top - HEADER_H + 3 * mm


def header_qr_corners(record_id: str) -> list[tuple[float, float]]:
    """The corners of the header QR symbol (quiet zone excluded) in PDF points, in the order a barcode
    reader reports them: top left, top right, bottom right, bottom left. A scan's QR corners, paired with
    these, place everything else printed on the page."""
    x, y = header_qr_origin()
    inset = QR_BORDER * QR_SIZE / len(qr_matrix(record_id))
    left, right, bottom, top = x + inset, x + QR_SIZE - inset, y + inset, y + QR_SIZE - inset
    return [(left, top), (right, top), (right, bottom), (left, bottom)]


def draw_footer(canvas, left: str, page_label: str) -> None:
    width, _ = PAGE
    f = fonts.fonts()
    canvas.saveState()
    canvas.setStrokeColor(NHS_MID_GREY)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, MARGIN, width - MARGIN, MARGIN)
    canvas.setFillColor(NHS_DARK_GREY)
    fonts.draw_string(canvas, MARGIN, MARGIN - 4.5 * mm, left, f.regular, 7.5)
    canvas.setFont(f.regular, 7.5)
    canvas.drawRightString(width - MARGIN, MARGIN - 4.5 * mm, page_label)
    canvas.restoreState()


def content_top() -> float:
    """The y coordinate where page content starts, under the header band."""
    return PAGE[1] - MARGIN + 4 * mm - HEADER_H - 6 * mm


def write_flowing_pdf(
    out: Path,
    story: list,
    on_page: Callable,
    *,
    title: str,
    author: str,
    subject: str,
    keywords: tuple[str, ...] = (),
) -> Path:
    """Lay `story` out on A4 pages under the ConsentDesk header (drawn by `on_page`) and write it atomically.

    The body starts with the embedded regular font, so no unembedded Helvetica is left in page resources.
    """
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    def build(tmp: Path) -> None:
        doc = BaseDocTemplate(
            str(tmp),
            pagesize=PAGE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=PAGE[1] - content_top(),
            bottomMargin=MARGIN + 4 * mm,
            title=title,
            author=author,
            subject=subject,
            creator="ConsentDesk",
            initialFontName=fonts.fonts().regular,
            keywords=list(keywords),
        )
        frame = Frame(
            MARGIN, MARGIN + 4 * mm, PAGE[0] - 2 * MARGIN, content_top() - MARGIN - 4 * mm, id="body"
        )
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
        doc.build(story)

    atomic_write(Path(out), build)
    return Path(out)
