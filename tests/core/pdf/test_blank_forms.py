"""Blank numbered forms: reserved ids, id + QR on every page, fillable fields, safe failure."""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from consentdesk.core.forms import load_form
from consentdesk.core.pdf.blank_forms import (
    MAX_FORMS,
    BlankFormsNotWritten,
    pages_per_form,
    write_blank_forms,
)
from consentdesk.core.store import Catalogue


@pytest.fixture
def catalogue(tmp_path: Path):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        yield cat


def reservations(catalogue: Catalogue) -> int:
    return sum(1 for e in catalogue.audit_entries() if e.action == "form_ids.reserved")


def page_qr_codes(pdf: Path, tmp_path: Path) -> list[list[str]]:
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    result = []
    for png in pages:
        with Image.open(png) as img:
            result.append(
                [b.text for b in zxingcpp.read_barcodes(img) if b.format == zxingcpp.BarcodeFormat.QRCode]
            )
    return result


def norm(text: str) -> str:
    return " ".join(text.split())


def test_v1_form_is_two_pages():
    assert pages_per_form(load_form("model_release", 1)) == 2


def test_three_forms_reserved_numbered_and_fillable(catalogue, tmp_path):
    out = tmp_path / "blank.pdf"
    ids = write_blank_forms(catalogue, 3, out)

    assert len(set(ids)) == 3
    assert all(catalogue.form_id_state(i) == "reserved" for i in ids)
    reader = PdfReader(out)
    assert len(reader.pages) == 6
    # Every page carries its own form's id as QR code and as text.
    codes = page_qr_codes(out, tmp_path)
    assert codes == [[ids[0]], [ids[0]], [ids[1]], [ids[1]], [ids[2]], [ids[2]]]
    for n, page in enumerate(reader.pages):
        text = page.extract_text()
        assert ids[n // 2] in text
        assert "scan this form back into ConsentDesk" in text

    form = load_form()
    fields = reader.get_fields()
    for form_id in ids:
        for f in form.fields:
            if f.type in {"text", "multiline", "email", "phone", "date"}:
                assert f"{form_id}.{f.id}" in fields, f.id
        for use in form.uses:
            assert f"{form_id}.uses.{use.id}" in fields
        for channel in form.channels:
            assert f"{form_id}.channels.{channel.id}" in fields
        for option in form.field("role").options:
            assert f"{form_id}.role.{option.id}" in fields
        assert f"{form_id}.signature.date" in fields
    # Names never collide between forms: each form has the same number of its own fields.
    per_form = [sum(1 for name in fields if name.startswith(form_id + ".")) for form_id in ids]
    assert len(set(per_form)) == 1 and per_form[0] * 3 == len(fields)


def test_blank_form_has_full_wording_and_instructions(catalogue, tmp_path):
    out = tmp_path / "one.pdf"
    write_blank_forms(catalogue, 1, out)
    text = norm(" ".join(p.extract_text() for p in PdfReader(out).pages))
    form = load_form()
    for paragraph in form.consent_wording.split("\n\n"):
        assert norm(paragraph) in text
    for section in form.sections:
        assert section.title in text
    for f in form.fields:
        assert norm(f.label) in text
    assert "sign inside the box" in text
    assert PdfReader(out).metadata.author == form.organisation


@pytest.mark.parametrize("count", [0, -1, MAX_FORMS + 1, 100_000])
def test_count_out_of_range_reserves_nothing(catalogue, tmp_path, count):
    with pytest.raises(ValueError, match="between 1 and 500"):
        write_blank_forms(catalogue, count, tmp_path / "x.pdf")
    assert reservations(catalogue) == 0
    assert not (tmp_path / "x.pdf").exists()


def test_missing_folder_is_refused_before_reserving(catalogue, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_blank_forms(catalogue, 2, tmp_path / "missing" / "x.pdf")
    assert reservations(catalogue) == 0


def test_write_failure_keeps_ids_reserved_and_leaves_no_file(catalogue, tmp_path, monkeypatch):
    def disk_full(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("reportlab.pdfgen.canvas.Canvas.save", disk_full)
    out = tmp_path / "full.pdf"
    with pytest.raises(BlankFormsNotWritten) as caught:
        write_blank_forms(catalogue, 2, out)
    err = caught.value
    assert isinstance(err, OSError) and err.errno == errno.ENOSPC
    assert "No space left on device" in str(err) and "reserved but not printed" in str(err)
    assert len(err.ids) == 2 and all(catalogue.form_id_state(i) == "reserved" for i in err.ids)
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite" and "sqlite" not in p.name] == []
