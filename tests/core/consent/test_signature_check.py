"""A scan of an unsigned printout is not a signature: the scan import looks for ink in the signature
box(es), placed from the QR code's corners, and only a scan with ink signs the paper record.
Real forms rendered by poppler, strokes drawn with Pillow, both catalogue engines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from tests.data.lifecycle_fixtures import EXAMPLES
from tests.data.paper_signing import DPI, draw_signature, render_pages

from consentdesk.core.consent.paper import ScanOutcome, scan_forms
from consentdesk.core.consent.releases import record_consent, with_paper_signatures
from consentdesk.core.consent.signature_check import check_signatures
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.pdf.blank_forms import signature_boxes
from consentdesk.core.pdf.form_to_sign import write_form_to_sign
from consentdesk.core.store import Catalogue

FORM = load_form()
PAGE_OF = {b.field_id: b.page for b in signature_boxes(FORM)}


def answers(example: str, **extra) -> dict:
    raw = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))["answers"]
    return raw | {"session_date": date.today().isoformat()} | extra


def rescanned(picture: Image.Image, out: Path, scale: float, degrees: float) -> Path:
    """The page as another scanner sees it: rotated, at another resolution, as JPEG."""
    turned = picture.convert("RGB").rotate(degrees, expand=True, fillcolor="white", resample=Image.BICUBIC)
    size = (round(turned.size[0] * scale), round(turned.size[1] * scale))
    turned.resize(size, Image.LANCZOS).save(out, "JPEG", quality=85)
    return out


@pytest.fixture
def printed(tmp_path: Path):
    """One person's form to sign, printed, and its pages rendered as a scanner would."""

    def make(catalogue: Catalogue, example: str, name: str) -> tuple[str, list[Path]]:
        pdf = tmp_path / f"{name}.pdf"
        form_id = write_form_to_sign(catalogue, FORM, Submission(answers(example, full_name=name), {}), pdf)
        return form_id, render_pages(pdf, tmp_path / name, DPI)

    return make


def test_the_check_finds_each_box_on_its_page_empty_or_signed(tmp_path: Path, printed):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        _id, pages = printed(cat, "minor.json", "Mia Check")
    for number, png in enumerate(pages, 1):
        on_page = {f for f, p in PAGE_OF.items() if p == number}
        with Image.open(png) as page:
            blank = check_signatures(page, FORM)
            assert blank.found == on_page and blank.signed == set()  # (a) unsigned: nothing signed
            signed = draw_signature(page, number, on_page)
        assert check_signatures(signed, FORM).signed == on_page  # (b) strokes in the box: signed
        for scale, degrees in ((0.6, 3), (1.3, -3)):  # (c) another scanner, a page put in crooked
            with Image.open(rescanned(signed, tmp_path / f"s{number}.jpg", scale, degrees)) as scan:
                assert check_signatures(scan, FORM).signed == on_page
            with (
                Image.open(png) as page,
                Image.open(rescanned(page, tmp_path / f"b{number}.jpg", scale, degrees)) as scan,
            ):
                result = check_signatures(scan, FORM)
                assert result.found == on_page and result.signed == set()


def test_ink_outside_the_box_does_not_sign(tmp_path: Path, printed):
    from PIL import ImageDraw

    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        _id, pages = printed(cat, "adult.json", "Out Side")
    number = PAGE_OF["signature"]
    with Image.open(pages[number - 1]) as page:
        page = page.convert("RGB")
    (box,) = [b for b in signature_boxes(FORM) if b.field_id == "signature"]
    k = DPI / 72
    right = (box.x + box.width + 20) * k  # beside the box, where the date goes
    top = page.size[1] - (box.y + box.height) * k
    ImageDraw.Draw(page).line([(right, top + 30), (right + 200, top + 90)], fill=(20, 20, 90), width=6)
    assert check_signatures(page, FORM).signed == set()


def test_an_unsigned_scan_signs_nothing_and_a_signed_one_does(
    catalogue_locator: str, tmp_path: Path, printed
):
    with Catalogue.open(catalogue_locator) as cat:
        form_id, pages = printed(cat, "adult.json", "Ada Unsigned")
        consent = record_consent(
            cat,
            FORM,
            Submission(answers("adult.json", full_name="Ada Unsigned"), {}),
            source="paper",
            form_id=form_id,
        )

        # The printout saved, converted to JPEG without signing, and scanned in.
        jpegs = []
        for n, png in enumerate(pages, 1):
            with Image.open(png) as page:
                jpegs.append(rescanned(page, tmp_path / f"unsigned-{n}.jpg", 1.0, 0))
        results = scan_forms(cat, jpegs)
        outcome = {n: r.outcome for n, r in enumerate(results, 1)}
        assert outcome[PAGE_OF["signature"]] is ScanOutcome.SIGNATURE_EMPTY
        empty = results[PAGE_OF["signature"] - 1]
        assert "signature box looks empty" in empty.message and "scan it again" in empty.message
        assert all(o is ScanOutcome.ATTACHED for n, o in outcome.items() if n != PAGE_OF["signature"])
        assert len(cat.paper_scans(form_id)) == len(pages)  # kept: the paper's record all the same
        assert not with_paper_signatures(cat, cat.get_consent(form_id)).has_signature  # clears nothing
        audit = [e for e in cat.audit_entries(form_id) if e.action == "paper_scan.attached"]
        assert {"signature": "empty"} in [e.details.get("signature_boxes") for e in audit]

        # Signed by hand, scanned crooked at another resolution: now it is signed.
        n = PAGE_OF["signature"]
        with Image.open(pages[n - 1]) as page:
            signed = rescanned(draw_signature(page, n, ["signature"]), tmp_path / "signed.jpg", 0.7, 3)
        (result,) = scan_forms(cat, [signed])
        assert result.outcome is ScanOutcome.ATTACHED, result.message
        now = with_paper_signatures(cat, cat.get_consent(consent.id))
        assert now.has_signature and now.has_guardian_signature  # an adult needs no guardian

        # Clearance reads what the import found (its audit entry); it does not look at the pages again.
        from consentdesk.core.consent import signature_check

        signature_check._CHECKED.clear()  # as in a new process
        looked = []
        real = signature_check.check_signatures
        signature_check.check_signatures = lambda *a, **k: looked.append(1) or real(*a, **k)
        try:
            assert with_paper_signatures(cat, cat.get_consent(consent.id)).has_signature
        finally:
            signature_check.check_signatures = real
        assert looked == []


def test_a_minor_needs_ink_in_the_guardians_box_too(catalogue_locator: str, tmp_path: Path, printed):
    with Catalogue.open(catalogue_locator) as cat:
        form_id, pages = printed(cat, "minor.json", "Max Minor")
        record_consent(
            cat,
            FORM,
            Submission(answers("minor.json", full_name="Max Minor"), {}),
            source="paper",
            form_id=form_id,
        )
        person, guardian = PAGE_OF["signature"], PAGE_OF["guardian_signature"]
        scans = []
        for n, png in enumerate(pages, 1):
            with Image.open(png) as page:
                draw_signature(page, n, ["signature"]).save(tmp_path / f"p{n}.png")  # the child signed only
            scans.append(tmp_path / f"p{n}.png")
        results = scan_forms(cat, scans)
        assert results[person - 1].outcome is ScanOutcome.ATTACHED
        assert results[guardian - 1].outcome is ScanOutcome.SIGNATURE_EMPTY
        assert "Guardian's signature" in results[guardian - 1].message
        read = with_paper_signatures(cat, cat.get_consent(form_id))
        assert read.has_signature and not read.has_guardian_signature

        with Image.open(pages[guardian - 1]) as page:
            draw_signature(page, guardian, ["guardian_signature"]).save(tmp_path / "guardian.png")
        assert scan_forms(cat, [tmp_path / "guardian.png"])[0].outcome is ScanOutcome.ATTACHED
        read = with_paper_signatures(cat, cat.get_consent(form_id))
        assert read.has_signature and read.has_guardian_signature


def test_a_page_cut_short_is_stored_but_said_to_sign_nothing(tmp_path: Path, printed):
    with Catalogue.open(tmp_path / "c.sqlite") as cat:
        form_id, pages = printed(cat, "adult.json", "Cut Short")
        with Image.open(pages[PAGE_OF["signature"] - 1]) as page:
            top = page.crop((0, 0, page.size[0], page.size[1] // 3))  # the QR, not the signature box
            top.save(tmp_path / "top.png")
        (result,) = scan_forms(cat, [tmp_path / "top.png"])
        assert result.outcome is ScanOutcome.AWAITING_ENTRY and result.form_id == form_id
        assert "no signature box found" in result.message
