"""'Sign on paper instead' prints this person's form: their answers, empty signature boxes, the reserved
form id as text and QR code, laid out exactly like the blank form (so the scan check finds the boxes)."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from tests.data.lifecycle_fixtures import EXAMPLES
from tests.data.paper_signing import render_pages

from consentdesk.core.forms import Submission, load_form
from consentdesk.core.pdf.blank_forms import pages_per_form
from consentdesk.core.pdf.form_to_sign import write_form_to_sign
from consentdesk.core.store import Catalogue


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))["answers"]


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def catalogue(tmp_path: Path):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        yield cat


def test_a_minors_form_carries_their_answers_id_and_qr(catalogue, tmp_path: Path):
    answers = example("minor.json") | {"channels": ["instagram", "youtube"], "notes": "Call before use"}
    out = tmp_path / "to-sign.pdf"
    form_id = write_form_to_sign(catalogue, load_form(), Submission(answers, {}), out)

    assert catalogue.form_id_state(form_id) == "reserved"  # the record will be saved under it
    text = pdf_text(out)
    for printed in (
        "Mateo Kowalski",
        "Ewa Kowalska",
        "Mother",
        "Leeds Donor Centre",
        "21/11/2026",
        "Call before use",
    ):
        assert printed in text
    assert "Form to sign" in text and "Blank form" not in text
    lines = text.splitlines()
    ticked = {
        word
        for line in lines
        for word in ("Instagram", "YouTube", "Facebook", "TikTok", "Visitor", "Donor")
        if f"✓ {word}" in line
    }
    assert ticked == {"Instagram", "YouTube", "Visitor"}  # what was ticked on screen, and only that
    assert text.count(form_id) >= 2 * pages_per_form(load_form())  # header and footer of every page

    pages = render_pages(out, tmp_path / "page", dpi=150)
    assert len(pages) == pages_per_form(load_form())
    for png in pages:
        with Image.open(png) as img:
            assert [b.text for b in zxingcpp.read_barcodes(img) if "QR" in str(b.format)] == [form_id]


def test_an_adults_form_says_the_guardian_part_is_not_needed(catalogue, tmp_path: Path):
    out = tmp_path / "adult.pdf"
    answers = example("adult.json") | {"full_name": "Ada Adult", "session_date": date.today().isoformat()}
    write_form_to_sign(catalogue, load_form(), Submission(answers, {}), out)
    text = pdf_text(out)
    assert "Ada Adult" in text and text.count("Not needed: the person photographed is 18 or over") == 2


def test_reprint_keeps_the_id_and_an_unusable_folder_reserves_nothing(catalogue, tmp_path: Path):
    form = load_form()
    first = write_form_to_sign(catalogue, form, Submission(example("adult.json"), {}), tmp_path / "a.pdf")
    changed = example("adult.json") | {"full_name": "Changed Name"}
    again = write_form_to_sign(catalogue, form, Submission(changed, {}), tmp_path / "b.pdf", form_id=first)
    assert again == first and "Changed Name" in pdf_text(tmp_path / "b.pdf")

    before = len(catalogue.audit_entries())
    with pytest.raises(OSError):
        write_form_to_sign(catalogue, form, Submission(changed, {}), tmp_path / "missing" / "x.pdf")
    assert len(catalogue.audit_entries()) == before  # no id burnt
    with pytest.raises(ValueError):
        write_form_to_sign(
            catalogue, form, Submission(changed, {}), tmp_path / "c.pdf", form_id="CD-0000-0000"
        )
