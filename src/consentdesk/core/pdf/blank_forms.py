"""Numbered release forms for the paper route: print, get signed, scan back.

Each form gets an id reserved in the catalogue *before* printing, printed as text and as a QR code on
every page, so a scanned page is matched to its record without retyping and a stray page still says
which form it belongs to. The layout is generated from the form definition (same sections, fields and
wording as the on-screen dialog); the current definition of v1 lays out as two A4 pages per form.
Fields are also fillable AcroForm fields, named `<form id>.<field id>` (choices and ticks
`<form id>.<field id>.<option id>`), so names stay unique when many forms share one PDF.

The same writer also prints one person's *form to sign* (`answers` given): every answer typed on screen
is printed in its box and ticked options carry a tick, while the signature boxes stay empty for the pen.
Answers never move anything: both kinds share one geometry, so `signature_boxes` says where each
signature box is on any printed form of a definition (the scan check relies on it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from consentdesk.core.files import atomic_write
from consentdesk.core.forms import Field, FormDefinition, Option, Section, load_form
from consentdesk.core.pdf import fonts, layout
from consentdesk.core.pdf.layout import MARGIN, PAGE
from consentdesk.core.store import Catalogue

MAX_FORMS = 500
WIDTH = PAGE[0] - 2 * MARGIN
BOTTOM = MARGIN + 5 * mm
PAIRABLE = frozenset({"text", "date", "email", "phone"})  # short answers: two to a row
FIELD_H = 7.5 * mm
BOX = 3.8 * mm  # tick box size: big enough to tick with a pen
GAP = 3 * mm
#: How every fillable text box looks. Helvetica because viewers regenerate field appearances with it.
_TEXT_FIELD_STYLE = {
    "fontName": "Helvetica",
    "fontSize": 10,
    "borderStyle": "solid",
    "borderWidth": 0.8,
    "borderColor": layout.NHS_MID_GREY,
    "fillColor": colors.white,
    "textColor": colors.black,
    "forceBorder": True,
}

INSTRUCTIONS = (
    "<b>How to use this form.</b> Write clearly in BLOCK CAPITALS, or fill it in on screen. "
    "Read the consent statement before signing. Fields marked * are required. "
    "<b>Photographer:</b> scan this form back into ConsentDesk; the QR code links the scan to this "
    "form's record, so do not photocopy a form — each form ID can be used once only."
)
#: Instructions on a person's form to sign (never taller than INSTRUCTIONS' box: the layout is shared).
TO_SIGN_INSTRUCTIONS = (
    "<b>Please check this form.</b> It shows the answers given on screen. Read the consent statement, "
    "check every answer (ask the photographer to reprint it if anything is wrong) and sign inside the "
    "signature box(es). <b>Photographer:</b> scan the signed form back into ConsentDesk; the QR code "
    "links the scan to this record."
)
TICK = "\u2713"  # ✓


@dataclass(frozen=True, slots=True)
class SignatureBox:
    """Where a signature box is printed: `page` of the form (1-based) and its rectangle in PDF points
    (origin bottom left of the page), the frame line included."""

    field_id: str
    page: int
    x: float
    y: float
    width: float
    height: float


class BlankFormsNotWritten(OSError):
    """The PDF could not be written; the ids were already reserved (and audited) and stay unused."""

    def __init__(self, cause: OSError, ids: list[str]) -> None:
        first_last = f"{ids[0]} to {ids[-1]}" if len(ids) > 1 else ids[0]
        super().__init__(
            cause.errno,
            f"{cause.strerror or cause}; {len(ids)} form id(s) {first_last} were reserved but not printed "
            "(they stay unused and can be ignored)",
        )
        self.filename = cause.filename
        self.ids = ids


class _NullCanvas:
    """Swallows drawing calls so a form can be laid out once to count its pages before drawing it."""

    def __init__(self) -> None:
        self.acroForm = self

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@dataclass
class _FormWriter:
    """Lays out one form top to bottom on a canvas, starting a new page when the next block won't fit."""

    canvas: Any
    form: FormDefinition
    form_id: str
    pages_total: int = 0
    page: int = 0
    y: float = 0.0
    #: A person's answers for a form to sign; None for a blank form.
    answers: dict[str, Any] | None = None
    #: For a form to sign: whether the person is under 18 (the guardian section is then theirs to fill).
    minor: bool = False
    boxes: list[SignatureBox] = field(default_factory=list)

    @property
    def to_sign(self) -> bool:
        return self.answers is not None

    def answer(self, f: Field) -> Any:
        if self.answers is None or (f.minor_only and not self.minor):
            return None
        return self.answers.get(f.id)

    @property
    def dry(self) -> bool:
        return isinstance(self.canvas, _NullCanvas)

    def draw_para(self, para: Paragraph, x: float, y: float) -> None:
        if not self.dry:
            para.drawOn(self.canvas, x, y)

    # --- page furniture -------------------------------------------------------------------------------

    def new_page(self) -> None:
        if self.page:
            self.canvas.showPage()
        self.page += 1
        self.y = layout.content_top()
        if self.dry:
            return
        layout.draw_header(
            self.canvas,
            self.form.organisation,
            self.form.title,
            f"{'Form to sign' if self.to_sign else 'Blank form'} · {self.form.name} version {self.form.version}",
            self.form_id,
        )
        of = f" of {self.pages_total}" if self.pages_total else ""
        layout.draw_footer(
            self.canvas,
            f"Form ID {self.form_id} · scan this form back into ConsentDesk · "
            f"keep all pages of this form together",
            f"Page {self.page}{of}",
        )
        self.y = layout.content_top()

    def ensure(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    # --- text helpers ---------------------------------------------------------------------------------

    def paragraph(self, markup: str, style, x: float, width: float) -> float:
        """Draw wrapped markup at the cursor (caller has ensured room); return its height."""
        para = Paragraph(markup, style)
        _, h = para.wrap(width, 10_000)
        self.draw_para(para, x, self.y - h)
        return h

    def label(self, f: Field, x: float, y: float, hint: str = "") -> None:
        c, fs = self.canvas, fonts.fonts()
        c.setFillColor(layout.NHS_DARK_GREY)
        width = fonts.draw_string(c, x, y, f.label + (" *" if f.required else ""), fs.bold, 8.5)
        extra = " ".join(t for t in (hint, f.help) if t)
        if extra:
            fonts.draw_string(c, x + width + 2 * mm, y, extra, fs.regular, 7.5)
        c.setFillColor(layout.TEXT)

    # --- blocks ---------------------------------------------------------------------------------------

    def instructions(self) -> None:
        st = layout.styles()
        # Both kinds of form reserve the taller text's height, so answers never move a signature box.
        h = max(
            Paragraph(text, st.small).wrap(WIDTH - 8 * mm, 1000)[1]
            for text in (INSTRUCTIONS, TO_SIGN_INSTRUCTIONS)
        )
        para = Paragraph(TO_SIGN_INSTRUCTIONS if self.to_sign else INSTRUCTIONS, st.small)
        para.wrap(WIDTH - 8 * mm, 1000)
        self.ensure(h + 6 * mm)
        c = self.canvas
        c.setFillColor(layout.NHS_PALE_GREY)
        c.rect(MARGIN, self.y - h - 4 * mm, WIDTH, h + 4 * mm, stroke=0, fill=1)
        c.setFillColor(layout.NHS_BLUE)
        c.rect(MARGIN, self.y - h - 4 * mm, 1.2 * mm, h + 4 * mm, stroke=0, fill=1)
        self.draw_para(para, MARGIN + 4 * mm, self.y - h - 2 * mm)
        self.y -= h + 4 * mm + GAP

    def heading(self, title: str, keep: float) -> None:
        """A blue section bar, kept on the same page as at least `keep` of what follows."""
        height = 7 * mm
        self.ensure(height + keep)
        c, fs = self.canvas, fonts.fonts()
        c.setFillColor(layout.NHS_BLUE)
        c.rect(MARGIN, self.y - height, WIDTH, height, stroke=0, fill=1)
        c.setFillColor(colors.white)
        fonts.draw_string(c, MARGIN + 3 * mm, self.y - height + 2.2 * mm, title, fs.bold, 10.5)
        c.setFillColor(layout.TEXT)
        self.y -= height + 2.5 * mm

    def note(self, text: str) -> None:
        st = layout.styles()
        para = Paragraph(fonts.markup(text), st.small)
        _, h = para.wrap(WIDTH, 1000)
        self.ensure(h)
        self.draw_para(para, MARGIN, self.y - h)
        self.y -= h + 1.5 * mm

    def text_fields(self, fields: list[Field]) -> None:
        """One row of one or two text boxes, each with its label above."""
        multiline = any(f.type == "multiline" for f in fields)
        box_h = 18 * mm if multiline else FIELD_H
        self.ensure(4.5 * mm + box_h + GAP)
        width = (WIDTH - GAP * (len(fields) - 1)) / len(fields)
        for i, f in enumerate(fields):
            x = MARGIN + i * (width + GAP)
            self.label(f, x, self.y - 3.2 * mm, "(DD/MM/YYYY)" if f.type == "date" else "")
            if self.to_sign:
                self.filled_box(f, x, self.y - 4.5 * mm - box_h, width, box_h)
                continue
            self.canvas.acroForm.textfield(
                name=f"{self.form_id}.{f.id}",
                tooltip=f.label,
                x=x,
                y=self.y - 4.5 * mm - box_h,
                width=width,
                height=box_h,
                **_TEXT_FIELD_STYLE,
                maxlen=f.max_length or 100_000,
                fieldFlags="multiline" if f.type == "multiline" else "",
            )
        self.y -= 4.5 * mm + box_h + GAP

    def filled_box(self, f: Field, x: float, y: float, width: float, height: float) -> None:
        """A printed (not fillable) text box holding the person's answer, shrunk to fit its box."""
        c = self.canvas
        c.setStrokeColor(layout.NHS_MID_GREY)
        c.setLineWidth(0.8)
        c.setFillColor(colors.white)
        c.rect(x, y, width, height, stroke=1, fill=1)
        c.setFillColor(layout.TEXT)
        value = self.answer(f)
        if f.minor_only and not self.minor and self.answers is not None:
            value, colour = "Not needed: the person photographed is 18 or over", layout.NHS_DARK_GREY
        else:
            colour = layout.TEXT
        if value in (None, ""):
            return
        text = _printable(f, value)
        if f.type == "multiline":
            style = layout.styles().value
            for size in (10.0, 9.0, 8.0, 7.0, 6.0):
                para = Paragraph(
                    fonts.markup(text).replace("\n", "<br/>"),
                    style.clone("fill", fontSize=size, leading=size * 1.2),
                )
                _, h = para.wrap(width - 3 * mm, 10_000)
                if h <= height - 2 * mm:
                    break
            self.draw_para(para, x + 1.5 * mm, y + height - 1 * mm - min(h, height - 2 * mm))
            return
        font = fonts.fonts().regular
        size = 10.0
        while size > 6 and pdfmetrics.stringWidth(text, font, size) > width - 3 * mm:
            size -= 0.5
        c.setFillColor(colour)
        fonts.draw_string(c, x + 1.5 * mm, y + (height - size * 0.7) / 2, text, font, size)
        c.setFillColor(layout.TEXT)

    def ticks(self, f: Field, options: tuple[Option, ...], hint: str, max_columns: int = 5) -> None:
        """Tick boxes in a grid, aligned in columns so a pen tick lands in the right box.

        Uses the most columns (up to `max_columns`) in which every label fits without shortening.
        """
        fs = fonts.fonts()
        widest = max(pdfmetrics.stringWidth(o.label, fs.regular, 9) for o in options)
        columns = max_columns
        while columns > 1 and WIDTH / columns - BOX - 4 * mm < widest:
            columns -= 1
        rows = [options[i : i + columns] for i in range(0, len(options), columns)]
        row_h = 6 * mm
        self.ensure(4.5 * mm + row_h * min(2, len(rows)))
        self.label(f, MARGIN, self.y - 3.2 * mm, hint)
        self.y -= 5.5 * mm
        col_w = WIDTH / columns
        for row in rows:
            self.ensure(row_h)
            for i, o in enumerate(row):
                x = MARGIN + i * col_w
                chosen = self.answer(f)
                ticked = o.id in chosen if isinstance(chosen, list) else chosen == o.id
                if self.to_sign:
                    self.tick_box(x, self.y - BOX - 0.5 * mm, ticked)
                else:
                    self.canvas.acroForm.checkbox(
                        name=f"{self.form_id}.{f.id}.{o.id}",
                        tooltip=f"{f.label}: {o.label}",
                        x=x,
                        y=self.y - BOX - 0.5 * mm,
                        size=BOX,
                        buttonStyle="check",
                        borderStyle="solid",
                        borderWidth=0.8,
                        borderColor=layout.NHS_DARK_GREY,
                        fillColor=colors.white,
                        textColor=colors.black,
                        forceBorder=True,
                        checked=False,
                    )
                label = o.label
                room = col_w - BOX - 4 * mm
                while pdfmetrics.stringWidth(label, fs.regular, 9) > room and len(label) > 4:
                    label = label[:-2].rstrip() + "…"
                # A ticked answer is also bold, so it stands out in print (the tick is the state).
                fonts.draw_string(
                    self.canvas,
                    x + BOX + 1.8 * mm,
                    self.y - BOX + 0.4 * mm,
                    label,
                    fs.bold if ticked else fs.regular,
                    9,
                )
            self.y -= row_h
        self.y -= GAP - 1 * mm

    def tick_box(self, x: float, y: float, ticked: bool) -> None:
        c = self.canvas
        c.setStrokeColor(layout.NHS_DARK_GREY)
        c.setLineWidth(0.8)
        c.setFillColor(colors.white)
        c.rect(x, y, BOX, BOX, stroke=1, fill=1)
        if ticked:
            c.setFillColor(colors.black)
            fonts.draw_string(c, x + 0.55 * mm, y + 0.8 * mm, TICK, fonts.fonts().bold, 9)
        c.setFillColor(layout.TEXT)

    def signature(self, f: Field) -> None:
        box_h = 20 * mm
        self.ensure(4.5 * mm + box_h + GAP)
        c = self.canvas
        sig_w = WIDTH * 0.62
        self.label(f, MARGIN, self.y - 3.2 * mm, "(sign inside the box)")
        top = self.y - 4.5 * mm
        c.setStrokeColor(layout.NHS_DARK_GREY)
        c.setLineWidth(1)
        c.setFillColor(colors.white)
        c.rect(MARGIN, top - box_h, sig_w, box_h, stroke=1, fill=1)
        self.boxes.append(SignatureBox(f.id, self.page, MARGIN, top - box_h, sig_w, box_h))
        c.setStrokeColor(layout.NHS_MID_GREY)
        c.setLineWidth(0.4)
        c.line(MARGIN + 4 * mm, top - box_h + 5 * mm, MARGIN + sig_w - 4 * mm, top - box_h + 5 * mm)
        c.setFillColor(layout.NHS_MID_GREY)
        c.setFont(fonts.fonts().bold, 11)
        c.drawString(MARGIN + 2 * mm, top - box_h + 6 * mm, "✕")
        date_x = MARGIN + sig_w + GAP
        c.setFillColor(layout.NHS_DARK_GREY)
        fonts.draw_string(c, date_x, self.y - 3.2 * mm, "Date signed (DD/MM/YYYY)", fonts.fonts().bold, 8.5)
        if self.to_sign:  # dated by hand when signed
            c.setStrokeColor(layout.NHS_MID_GREY)
            c.setLineWidth(0.8)
            c.setFillColor(colors.white)
            c.rect(date_x, top - FIELD_H, WIDTH - sig_w - GAP, FIELD_H, stroke=1, fill=1)
        else:
            c.acroForm.textfield(
                name=f"{self.form_id}.{f.id}.date",
                tooltip=f"{f.label}: date signed",
                x=date_x,
                y=top - FIELD_H,
                width=WIDTH - sig_w - GAP,
                height=FIELD_H,
                **_TEXT_FIELD_STYLE,
            )
        c.setFillColor(layout.TEXT)
        self.y = top - box_h - GAP

    def wording(self) -> None:
        st = layout.styles()
        paras = []
        for text in (p.strip() for p in self.form.consent_wording.split("\n\n")):
            if text:
                para = Paragraph(fonts.markup(" ".join(text.split())), st.body)
                paras.append((para, para.wrap(WIDTH - 6 * mm, 10_000)[1]))
        # Keep the statement in one piece when it fits on a page: a split wording is easy to misread.
        whole = sum(h + 2 * mm for _, h in paras)
        self.heading("Consent statement — please read before signing", min(whole, 60 * mm))
        for para, h in paras:
            self.ensure(h + 2 * mm)
            self.canvas.setFillColor(layout.NHS_BLUE)
            self.canvas.rect(MARGIN, self.y - h - 1 * mm, 1 * mm, h + 1 * mm, stroke=0, fill=1)
            self.draw_para(para, MARGIN + 4 * mm, self.y - h)
            self.y -= h + 2 * mm
        self.y -= GAP

    def section(self, section: Section) -> None:
        title = section.title
        self.heading(title, 30 * mm)  # room for the first field, so a heading never ends a page
        if section.minor_only:
            self.note("Complete this section only if the person photographed is under 18.")
        pending: list[Field] = []

        def flush() -> None:
            if pending:
                self.text_fields(list(pending))
                pending.clear()

        for f in section.fields:
            if f.type in PAIRABLE:
                pending.append(f)
                if len(pending) == 2:
                    flush()
                continue
            flush()
            if f.type in {"text", "multiline"}:
                self.text_fields([f])
            elif f.type == "choice":
                self.ticks(f, f.options, hint="(tick one)")
            elif f.type == "uses":
                self.ticks(f, self.form.uses, hint="(tick all that apply)")
            elif f.type == "channels":
                self.ticks(
                    f,
                    self.form.channels,
                    hint="(tick all that apply; each needs its use ticked)",
                    max_columns=4,
                )
            elif f.type == "signature":
                self.signature(f)
            elif f.type == "photo":
                self.note(
                    f"{f.label}: taken by the photographer in ConsentDesk when this form is scanned back."
                )
        flush()
        self.y -= 1 * mm

    def write(self) -> int:
        """Draw the whole form; return its page count."""
        self.page = 0
        self.new_page()
        self.instructions()
        wording_done = False
        for section in self.form.sections:
            if not wording_done and any(f.type == "uses" for f in section.fields):
                self.wording()
                wording_done = True
            self.section(section)
        if not wording_done:
            self.wording()
        return self.page


def _printable(f: Field, value: Any) -> str:
    """An answer as printed in its box: dates as DD/MM/YYYY (the box's hint), text as typed."""
    if f.type == "date":
        try:
            return f"{date.fromisoformat(str(value)):%d/%m/%Y}"
        except ValueError:
            return str(value)
    return str(value)


def pages_per_form(form: FormDefinition) -> int:
    """How many pages one blank form of this definition takes (laid out without drawing)."""
    return _FormWriter(_NullCanvas(), form, "CD-0000-0000").write()


def signature_boxes(form: FormDefinition) -> list[SignatureBox]:
    """Where the signature boxes are on every printed form (blank or to sign) of this definition."""
    writer = _FormWriter(_NullCanvas(), form, "CD-0000-0000")
    writer.write()
    return writer.boxes


def _canvas(tmp: Path, form: FormDefinition, *, title: str, subject: str, keywords: str) -> Canvas:
    """A page canvas with the document's metadata (ids and form names only)."""
    canvas = Canvas(str(tmp), pagesize=PAGE, pageCompression=1, initialFontName=fonts.fonts().regular)
    canvas.setTitle(title)
    canvas.setAuthor(form.organisation)
    canvas.setSubject(subject)
    canvas.setCreator("ConsentDesk")
    canvas.setKeywords(keywords)
    return canvas


def render_form_to_sign(
    form: FormDefinition, form_id: str, answers: dict[str, Any], minor: bool, out: Path
) -> Path:
    """Write one person's form to sign (answers printed, signature boxes empty) for a reserved id."""
    total = pages_per_form(form)

    def build(tmp: Path) -> None:
        # Metadata names the form id, never the person: file indexers must not spread personal data.
        canvas = _canvas(
            tmp,
            form,
            title=f"{form.title} – form to sign {form_id}",
            subject=f"{form.name} v{form.version} form {form_id} to sign, {total} pages",
            keywords=f"consent, model release, form to sign, {form_id}",
        )
        _FormWriter(canvas, form, form_id, pages_total=total, answers=answers, minor=minor).write()
        canvas.save()

    atomic_write(out, build)
    return out


def render_blank_forms(form: FormDefinition, form_ids: list[str], out: Path) -> Path:
    """Write blank forms for already-reserved ids to `out` atomically (also used to reprint)."""
    total = pages_per_form(form)

    def build(tmp: Path) -> None:
        first, last = form_ids[0], form_ids[-1]
        canvas = _canvas(
            tmp,
            form,
            title=f"{form.title} – blank forms {first} to {last}",
            subject=f"{len(form_ids)} blank {form.name} v{form.version} forms, {total} pages each",
            keywords=f"consent, model release, blank form, generated {datetime.now():%Y-%m-%d}",
        )
        for i, form_id in enumerate(form_ids):
            if i:
                canvas.showPage()
            _FormWriter(canvas, form, form_id, pages_total=total).write()
        canvas.save()

    atomic_write(out, build)
    return out


def check_output_folder(out: Path) -> None:
    """Refuse an unusable destination *before* ids are reserved, so a typo doesn't burn ids."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.exists():
        raise FileNotFoundError(2, f"the folder {folder} does not exist", str(folder))
    if not folder.is_dir():
        raise NotADirectoryError(20, f"{folder} is not a folder", str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(13, f"the folder {folder} is not writable", str(folder))
    if out.is_dir():
        raise IsADirectoryError(21, f"{out} is a folder; give a file name such as forms.pdf", str(out))


def write_blank_forms(catalogue: Catalogue, count: int, out: Path) -> list[str]:
    """Reserve `count` form ids and write one blank form per id into one PDF at `out`; return the ids.

    Raises ValueError for a count outside 1..MAX_FORMS, OSError when the folder is unusable (nothing
    reserved), and BlankFormsNotWritten (an OSError) when writing fails after the ids were reserved.
    """
    if not isinstance(count, int) or not 1 <= count <= MAX_FORMS:
        raise ValueError(f"the number of forms must be between 1 and {MAX_FORMS} (got {count})")
    out = Path(out)
    check_output_folder(out)
    form = load_form()
    form_ids = catalogue.reserve_form_ids(count)
    try:
        render_blank_forms(form, form_ids, out)
    except OSError as exc:
        raise BlankFormsNotWritten(exc, form_ids) from exc
    return form_ids
