"""The completed release form of one signed record, as a PDF a person can be given or sent in a SAR.

Everything shown comes from the record and from the form definition *of the version it was signed
on*, so a record signed on version 1 always prints version 1's wording and labels, even after the
form changes. The PDF metadata carries the record id and the organisation, never the person's name,
so file indexers and document properties do not spread personal data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from consentdesk.core.forms import Field, FormDefinition, Option, Section, load_form
from consentdesk.core.pdf import fonts, layout
from consentdesk.core.pdf.layout import MARGIN, PAGE, Styles
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent, ConsentStatus

TICKED = "\u2611"  # ☑
UNTICKED = "\u2610"  # ☐
NOT_GIVEN = "not given"
LABEL_W = 52 * mm
CONTENT_W = PAGE[0] - 2 * MARGIN


def format_date(value: str | date) -> str:
    """A UK long date ("12 April 1986"); unparseable text is shown as stored rather than hidden."""
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{d.day} {d:%B %Y}"


def format_datetime(value: datetime) -> str:
    return f"{format_date(value.date())}, {value:%H:%M}" + (f" {value:%Z}" if value.tzinfo else "")


@dataclass(frozen=True, slots=True)
class _Context:
    catalogue: Catalogue
    consent: Consent
    form: FormDefinition
    styles: Styles
    minor: bool


def _style(commands: list) -> TableStyle:
    """Table style with the embedded font as cell default (reportlab's default is unembedded Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.SANS), *commands])


def _p(text: str, style) -> Paragraph:
    return Paragraph(text, style)


def _muted(text: str, st: Styles) -> Paragraph:
    return _p(f'<font color="#768692">{fonts.markup(text)}</font>', st.value)


def _section_heading(title: str, st: Styles) -> Table:
    table = Table([[_p(fonts.markup(title), st.section)]], colWidths=[CONTENT_W])
    table.setStyle(
        _style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), layout.NHS_BLUE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _ticks(options: tuple[Option, ...], chosen: list[str], st: Styles, columns: int = 2) -> Table:
    """Every option with a ticked or empty box, so what was *not* agreed is as clear as what was."""
    cells = []
    for o in options:
        if o.id in chosen:
            cells.append(_p(f"<b>{TICKED} {fonts.markup(o.label)}</b>", st.value))
        else:
            cells.append(_p(f'<font color="#768692">{UNTICKED} {fonts.markup(o.label)}</font>', st.value))
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    rows[-1] += [""] * (columns - len(rows[-1]))
    width = (CONTENT_W - LABEL_W - 8) / columns
    table = Table(rows, colWidths=[width] * columns)
    table.setStyle(
        _style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _image(data: bytes, max_w: float, max_h: float) -> Image:
    """An embedded image scaled to fit, oriented by EXIF; large photos are shrunk to keep the PDF small."""
    with PILImage.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail((900, 900))
        buf = io.BytesIO()
        if img.mode in ("RGBA", "LA", "P"):
            img.save(buf, "PNG")
        else:
            img.convert("RGB").save(buf, "JPEG", quality=85)
        w, h = img.size
    buf.seek(0)
    scale = min(max_w / w, max_h / h)
    return Image(buf, width=w * scale, height=h * scale, hAlign="LEFT")


def _file_value(ctx: _Context, f: Field) -> Flowable:
    stored = ctx.catalogue.consent_file(ctx.consent.id, f.id)
    if stored is None:
        return _muted("not signed" if f.type == "signature" else "none", ctx.styles)
    _, data = stored
    try:
        if f.type == "signature":
            picture = _image(data, 70 * mm, 24 * mm)
            box = Table([[picture]], colWidths=[76 * mm], rowHeights=[28 * mm])
            box.setStyle(
                _style(
                    [
                        ("BOX", (0, 0), (-1, -1), 0.6, layout.NHS_MID_GREY),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("BACKGROUND", (0, 0), (-1, -1), colors.white),
                    ]
                )
            )
            box.hAlign = "LEFT"
            return box
        return _image(data, 40 * mm, 40 * mm)
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return _muted("stored image could not be read", ctx.styles)


def _value(ctx: _Context, f: Field) -> Flowable:
    """The answer to one field, shown the way the person saw it: labels, not ids."""
    st, answers = ctx.styles, ctx.consent.answers
    if f.is_file:
        return _file_value(ctx, f)
    value: Any = answers.get(f.id)
    if f.type == "uses":
        return _ticks(ctx.form.uses, list(value or []), st)
    if f.type == "channels":
        return _ticks(ctx.form.channels, list(value or []), st, columns=3)
    if value in (None, "", []):
        return _muted(NOT_GIVEN, st)
    if f.type == "choice":
        option = f.option(str(value))
        return _p(fonts.markup(option.label if option else str(value)), st.value)
    if f.type == "date":
        return _p(fonts.markup(format_date(value)), st.value)
    text = fonts.markup(str(value))
    if f.type == "multiline":
        text = text.replace("\n", "<br/>")
    return _p(text, st.value)


def _section(ctx: _Context, section: Section) -> list[Flowable]:
    st = ctx.styles
    rows = [[_p(fonts.markup(f.label), st.label), _value(ctx, f)] for f in section.fields]
    table = Table(rows, colWidths=[LABEL_W, CONTENT_W - LABEL_W])
    table.setStyle(
        _style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, layout.NHS_PALE_GREY),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    # A heading never ends a page (start a new one when under ~45 mm is left); a long section's table
    # then splits between rows, so a page is not left half empty just to keep a section whole.
    return [CondPageBreak(45 * mm), _section_heading(section.title, st), Spacer(1, 2), table, Spacer(1, 8)]


def _wording(ctx: _Context) -> list[Flowable]:
    st = ctx.styles
    paragraphs = [p.strip() for p in ctx.form.consent_wording.split("\n\n") if p.strip()]
    inner = [_p(fonts.markup(" ".join(p.split())), st.body) for p in paragraphs]
    note = _p(fonts.markup(f"Wording of {ctx.form.title}, version {ctx.form.version}, as signed."), st.small)
    box = Table([[inner + [note]]], colWidths=[CONTENT_W])
    box.setStyle(
        _style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), layout.NHS_PALE_GREY),
                ("LINEBEFORE", (0, 0), (0, -1), 3, layout.NHS_BLUE),
                ("LEFTPADDING", (0, 0), (-1, -1), 9),
                ("RIGHTPADDING", (0, 0), (-1, -1), 9),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return [_section_heading("Consent statement", st), Spacer(1, 2), box, Spacer(1, 8)]


def _status_block(ctx: _Context, today: date) -> list[Flowable]:
    """Status first: whoever opens the PDF must see at once if the consent is no longer valid."""
    status = ctx.consent.effective_status(today)
    return [*_status_banner(ctx, status, today), _status_table(ctx, status), Spacer(1, 10)]


def _status_table(ctx: _Context, status: ConsentStatus) -> Table:
    st, c = ctx.styles, ctx.consent
    expiry = format_date(c.expires_on) if c.expires_on else "until withdrawn"
    cells = [
        [
            _p("Status", st.label),
            _p("Signed", st.label),
            _p("Valid until", st.label),
            _p("Record ID", st.label),
        ],
        [
            _p(f"<b>{status.value.capitalize()}</b>", st.value),
            _p(fonts.markup(format_datetime(c.signed_at)), st.value),
            _p(fonts.markup(expiry), st.value),
            _p(f"<b>{fonts.markup(c.id)}</b>", st.value),
        ],
    ]
    table = Table(cells, colWidths=[CONTENT_W * 0.16, CONTENT_W * 0.36, CONTENT_W * 0.24, CONTENT_W * 0.24])
    table.setStyle(
        _style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, layout.NHS_MID_GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, 0), 4),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
            ]
        )
    )
    return table


def _status_banner(ctx: _Context, status: ConsentStatus, today: date) -> list[Flowable]:
    """A coloured band in words for a record that no longer clears anything; nothing for an active one."""
    c = ctx.consent
    if status is ConsentStatus.WITHDRAWN:
        when = format_date(c.withdrawn_on) if c.withdrawn_on else "date not recorded"
        reason = f" Reason: {c.withdrawal_reason}." if c.withdrawal_reason else ""
        colour, text = layout.NHS_RED, f"CONSENT WITHDRAWN on {when}. Do not use these images.{reason}"
    elif status is ConsentStatus.EXPIRED:
        colour = layout.NHS_RED
        text = f"CONSENT EXPIRED on {format_date(c.expires_on or today)}. Do not use these images."
    elif status is ConsentStatus.ERASED:
        colour, text = layout.NHS_DARK_GREY, "PERSONAL DATA ERASED. This record is kept as a tombstone only."
    else:
        return []
    box = Table([[_p(fonts.markup(text), ctx.styles.banner)]], colWidths=[CONTENT_W])
    box.setStyle(
        _style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colour),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return [box, Spacer(1, 6)]


def build_story(ctx: _Context, today: date) -> list[Flowable]:
    """Status, then each section in the definition's order, with the consent wording placed before the
    section holding the permitted uses (the wording says "the purposes … I have ticked below")."""
    story = _status_block(ctx, today)
    wording_done = False
    for section in ctx.form.sections:
        if section.minor_only and not ctx.minor:
            continue
        if not wording_done and any(f.type == "uses" for f in section.fields):
            story += _wording(ctx)
            wording_done = True
        story += _section(ctx, section)
    if not wording_done:
        story += _wording(ctx)
    return story


def write_completed_form(catalogue: Catalogue, consent: Consent, out: Path) -> Path:
    """Write the completed release form of `consent` to `out` (atomically) and return `out`."""
    form = load_form(consent.form_name, consent.form_version)
    ctx = _Context(
        catalogue=catalogue,
        consent=consent,
        form=form,
        styles=layout.styles(),
        minor=form.is_minor(consent.answers, consent.signed_at.date()),
    )
    today = date.today()
    status = consent.effective_status(today)
    generated = datetime.now().astimezone()

    def on_page(canvas, doc) -> None:
        layout.draw_header(
            canvas,
            form.organisation,
            form.title,
            f"Completed record · form {form.name} version {form.version}",
            consent.id,
        )
        if status is not ConsentStatus.ACTIVE:
            _watermark(canvas, status.value.upper())
        layout.draw_footer(
            canvas,
            f"{consent.id} · copy generated by ConsentDesk on {format_datetime(generated)}",
            f"Page {doc.page}",
        )

    return layout.write_flowing_pdf(
        out,
        build_story(ctx, today),
        on_page,
        title=f"{form.title} – {consent.id}",
        author=form.organisation,
        subject=f"Completed {form.name} v{form.version} record {consent.id}",
        keywords=("consent", "model release", consent.id),
    )


def _watermark(canvas, text: str) -> None:
    """A pale diagonal word across the page so a printed withdrawn/expired copy cannot be mistaken."""
    canvas.saveState()
    canvas.setFillColor(layout.NHS_RED, alpha=0.12)
    canvas.setFont(fonts.fonts().bold, 72)
    canvas.translate(PAGE[0] / 2, PAGE[1] / 2)
    canvas.rotate(35)
    canvas.drawCentredString(0, 0, text)
    canvas.restoreState()
