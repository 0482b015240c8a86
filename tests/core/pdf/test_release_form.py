"""The completed release form PDF: every answer, the signed wording, signatures, QR id, status."""

from __future__ import annotations

import errno
import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from consentdesk import paths
from consentdesk.core.consent.releases import parse_consent_json, record_consent
from consentdesk.core.forms import load_form
from consentdesk.core.pdf.release_form import format_date, write_completed_form
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent

EXAMPLES = paths.forms_dir() / "examples"
NASTY = "Zoë <Smith> & Ŵyn Ωmega Жанна"


@pytest.fixture
def catalogue(tmp_path: Path):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        yield cat


def add_example(catalogue: Catalogue, name: str, **changes) -> Consent:
    raw = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    raw["answers"].update(changes.pop("answers", {}))
    raw.setdefault("files", {}).update(changes.pop("files", {}))
    doc = parse_consent_json(json.dumps(raw), EXAMPLES)
    return record_consent(catalogue, doc.form, doc.submission, source="cli")


def norm(text: str) -> str:
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    return norm(" ".join(page.extract_text() for page in PdfReader(path).pages))


def qr_codes(pdf: Path, tmp_path: Path) -> list[list[str]]:
    """QR texts found on each page, read from a 150 dpi rendering like a scanner would see it."""
    prefix = tmp_path / f"render-{pdf.stem}"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(tmp_path.glob(f"{prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    found = []
    for png in pages:
        with Image.open(png) as img:
            found.append(
                [b.text for b in zxingcpp.read_barcodes(img) if b.format == zxingcpp.BarcodeFormat.QRCode]
            )
    return found


def image_count(path: Path) -> int:
    count = 0
    for page in PdfReader(path).pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        count += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    return count


def expected_answers(consent: Consent) -> list[str]:
    """Each answer the way the PDF should show it: labels for choices, uses and channels."""
    form = load_form(consent.form_name, consent.form_version)
    shown = []
    for f in form.fields:
        value = consent.answers.get(f.id)
        if value is None:
            continue
        if f.type == "choice":
            shown.append(f.option(value).label)
        elif f.type == "uses":
            shown += [o.label for o in form.uses if o.id in value]
        elif f.type == "channels":
            shown += [o.label for o in form.channels if o.id in value]
        elif f.type == "date":
            shown.append(format_date(value))
        else:
            shown.append(str(value))
    return shown


def test_adult_form_has_every_answer_wording_signature_and_qr(catalogue, tmp_path):
    consent = add_example(catalogue, "adult")
    out = write_completed_form(catalogue, consent, tmp_path / "adult.pdf")

    assert out == tmp_path / "adult.pdf"
    text = pdf_text(out)
    form = load_form("model_release", 1)
    for answer in expected_answers(consent):
        assert norm(answer) in text, answer
    assert "☑ Social media" in text and "☐ Press and media" in text  # ticked and not ticked both shown
    for paragraph in form.consent_wording.split("\n\n"):
        assert norm(paragraph) in text
    for section in form.sections:
        if not section.minor_only:
            assert section.title in text
    assert "Parent or guardian" not in text  # adults get no guardian section
    assert form.organisation in text and form.title in text and "version 1" in text
    assert consent.id in text
    assert format_date(consent.expires_on) in text
    assert image_count(out) == 1  # the signature (the QR code is vector art)
    assert qr_codes(out, tmp_path)[0] == [consent.id]


def test_minor_form_has_guardian_section_and_both_signatures(catalogue, tmp_path):
    consent = add_example(catalogue, "minor")
    out = write_completed_form(catalogue, consent, tmp_path / "minor.pdf")

    text = pdf_text(out)
    assert "Parent or guardian (for under-18s)" in text
    assert "Ewa Kowalska" in text and "Mother" in text and "Under 18" in text
    assert image_count(out) == 2
    assert all(codes == [consent.id] for codes in qr_codes(out, tmp_path))


def test_uses_wording_of_the_version_it_was_signed_on(catalogue, tmp_path, monkeypatch):
    """A record keeps its version's wording: the PDF loads the form by the record's name and version."""
    consent = add_example(catalogue, "adult")
    asked = []
    import consentdesk.core.pdf.release_form as release_form

    real = release_form.load_form

    def spy(name=None, version=None, folder=None):
        asked.append((name, version))
        return real(name, version)

    monkeypatch.setattr(release_form, "load_form", spy)
    write_completed_form(catalogue, consent, tmp_path / "v.pdf")
    assert asked == [("model_release", 1)]


def test_nasty_unicode_and_markup_round_trip(catalogue, tmp_path):
    notes = "Łódź, Cymraeg ŵ ŷ, Ελληνικά, Кириллица, Hebrew שלום, Arabic مرحبا, CJK 山田太郎 <b>not bold</b> &amp;"
    consent = add_example(
        catalogue,
        "adult",
        answers={"full_name": NASTY, "location": "Caerdydd — Ysbyty <A&E>", "notes": notes},
    )
    out = write_completed_form(catalogue, consent, tmp_path / "nasty.pdf")
    text = pdf_text(out)
    assert NASTY in text
    assert "Caerdydd — Ysbyty <A&E>" in text
    for piece in ("Łódź", "ŵ ŷ", "Ελληνικά", "Кириллица", "<b>not bold</b> &amp;"):
        assert piece in text
    # No font in the PDF is a standard 14 (Latin-1 only) font: every text font is embedded.
    fonts = set()
    for page in PdfReader(out).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("DejaVu" in f or "+" in f for f in fonts), fonts


def test_metadata_names_record_not_person(catalogue, tmp_path):
    consent = add_example(catalogue, "adult", answers={"full_name": NASTY})
    out = write_completed_form(catalogue, consent, tmp_path / "m.pdf")
    meta = PdfReader(out).metadata
    assert consent.id in meta.title
    assert meta.author == "NHS Blood and Transplant"
    assert "Zoë" not in " ".join(str(v) for v in meta.values())


def test_withdrawn_and_until_withdrawn_are_shown(catalogue, tmp_path):
    consent = add_example(catalogue, "adult", answers={"duration": "until_withdrawn"})
    text = pdf_text(write_completed_form(catalogue, consent, tmp_path / "a.pdf"))
    assert "until withdrawn" in text and "Active" in text

    withdrawn = catalogue.withdraw_consent(consent.id, date(2026, 12, 1), "Asked by phone")
    text = pdf_text(write_completed_form(catalogue, withdrawn, tmp_path / "w.pdf"))
    assert "CONSENT WITHDRAWN on 1 December 2026" in text
    assert "Asked by phone" in text and "Withdrawn" in text


def test_reference_photo_thumbnail_included(catalogue, tmp_path):
    photo = tmp_path / "ref.jpg"
    Image.new("RGB", (3000, 2000), (180, 120, 90)).save(photo, "JPEG")
    consent = add_example(catalogue, "adult", files={"reference_photo": str(photo)})
    out = write_completed_form(catalogue, consent, tmp_path / "p.pdf")
    assert image_count(out) == 2
    assert out.stat().st_size < 400_000  # the 3000 px photo is shrunk to a thumbnail


def test_long_notes_flow_onto_more_pages(catalogue, tmp_path):
    notes = ("A long note about the session. " * 31)[:1000]
    consent = add_example(catalogue, "minor", answers={"notes": notes})
    out = write_completed_form(catalogue, consent, tmp_path / "long.pdf")
    reader = PdfReader(out)
    assert len(reader.pages) >= 2
    assert norm(notes) in pdf_text(out)
    assert all(codes == [consent.id] for codes in qr_codes(out, tmp_path))  # id on every page


def test_failed_write_leaves_no_partial_file(catalogue, tmp_path, monkeypatch):
    consent = add_example(catalogue, "adult")
    out = tmp_path / "out" / "form.pdf"
    out.parent.mkdir()
    out.write_bytes(b"previous copy")

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("reportlab.platypus.BaseDocTemplate.build", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_completed_form(catalogue, consent, out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["form.pdf"]
    assert out.read_bytes() == b"previous copy"


def test_pdf_opens_as_valid_pdf(catalogue, tmp_path):
    consent = add_example(catalogue, "minor")
    data = write_completed_form(catalogue, consent, tmp_path / "x.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-32:]
    assert len(PdfReader(io.BytesIO(data)).pages) >= 1
