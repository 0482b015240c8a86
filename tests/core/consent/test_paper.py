"""Paper forms come back by their QR code: scans, phone photos, and pages that must not be guessed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFilter
from tests.data.lifecycle_fixtures import EXAMPLES

from consentdesk.core.consent.paper import ScanOutcome, scan_forms, scans_awaiting_entry
from consentdesk.core.consent.releases import record_consent
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.pdf.blank_forms import signature_boxes, write_blank_forms
from consentdesk.core.store import Catalogue


def render(pdf: Path, out_prefix: Path, dpi: int = 110) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out_prefix)], check=True)
    return sorted(out_prefix.parent.glob(out_prefix.name + "*.png"))


def phone_photo(page: Path, out: Path) -> Path:
    """Rotate, perspective-warp, blur and darken a rendered page the way a hand-held phone shot does."""
    import cv2

    img = np.asarray(Image.open(page).convert("RGB").rotate(7, expand=True, fillcolor=(90, 80, 70)))
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * 0.04, h * 0.02], [w * 0.97, 0], [w, h], [w * 0.02, h * 0.97]])
    warped = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=(90, 80, 70))
    photo = Image.fromarray(warped).filter(ImageFilter.GaussianBlur(1.2)).point(lambda v: int(v * 0.85))
    photo.save(out, "JPEG", quality=80)
    return out


def test_scans_and_phone_photos_attach_to_their_form_ids(tmp_path: Path):
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        ids = write_blank_forms(cat, 2, tmp_path / "blank.pdf")
        pages = render(tmp_path / "blank.pdf", tmp_path / "page")
        per_form = len(pages) // 2
        photo = phone_photo(pages[per_form], tmp_path / "IMG_0001.jpg")  # first page of the second form

        results = scan_forms(cat, [tmp_path / "blank.pdf", photo])
        # Unsigned printouts: the page with the person's signature box is stored but reported as empty.
        (signing_page,) = [b.page for b in signature_boxes(load_form()) if b.field_id == "signature"]
        expected = [
            ScanOutcome.SIGNATURE_EMPTY if n == signing_page else ScanOutcome.AWAITING_ENTRY
            for n in range(1, per_form + 1)
        ]
        assert [r.outcome for r in results] == expected * 2 + [ScanOutcome.AWAITING_ENTRY], [
            r.message for r in results
        ]
        assert [r.form_id for r in results] == [ids[0]] * per_form + [ids[1]] * per_form + [ids[1]]
        awaiting = scans_awaiting_entry(cat)
        assert {s.form_id for s in awaiting} == set(ids) and len(awaiting) == len(pages) + 1
        from_pdf = next(s for s in awaiting if s.source_name == "blank.pdf")
        assert from_pdf.mime == "image/png" and cat.paper_scan_data(from_pdf.id).startswith(b"\x89PNG")
        from_phone = next(s for s in awaiting if s.source_name == photo.name)
        assert cat.paper_scan_data(from_phone.id) == photo.read_bytes()  # kept byte for byte

        again = scan_forms(cat, [photo])
        assert again[0].outcome is ScanOutcome.ALREADY_STORED

        # the record is typed in for the first form: its scans are no longer awaiting entry
        raw = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
        submission = Submission(
            raw["answers"], {"signature": (EXAMPLES / "signature-adult.png").read_bytes()}
        )
        record_consent(cat, load_form("model_release", 1), submission, source="paper", form_id=ids[0])
        assert {s.form_id for s in scans_awaiting_entry(cat)} == {ids[1]}
        late = phone_photo(pages[0], tmp_path / "IMG_0002.jpg")
        assert scan_forms(cat, [late])[0].outcome is ScanOutcome.ATTACHED
        assert len(cat.paper_scans(ids[0])) == per_form + 1
        entries = [e for e in cat.audit_entries() if e.action == "paper_scan.attached"]
        assert len(entries) == len(pages) + 2


def test_pages_that_must_not_be_guessed(tmp_path: Path):
    with Catalogue.open(tmp_path / "other.sqlite") as other:
        write_blank_forms(other, 1, tmp_path / "other.pdf")
    foreign = render(tmp_path / "other.pdf", tmp_path / "foreign")[0]

    blank = Image.new("RGB", (1200, 1600), "white")
    ImageDraw.Draw(blank).text((100, 100), "Model release form - page without a code", fill="black")
    blank.save(tmp_path / "no-qr.png")
    qrcode.make("https://example.org/not-a-form").save(tmp_path / "wrong-qr.png")
    (tmp_path / "notes.txt").write_text("not a scan")

    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        write_blank_forms(cat, 1, tmp_path / "mine.pdf")
        files = [foreign, tmp_path / "no-qr.png", tmp_path / "wrong-qr.png", tmp_path / "notes.txt"]
        results = scan_forms(cat, files)
        assert [r.outcome for r in results] == [
            ScanOutcome.UNKNOWN_ID,
            ScanOutcome.NO_ID,
            ScanOutcome.INVALID_ID,
            ScanOutcome.UNREADABLE,
        ]
        assert "unknown form id" in results[0].message and "no form id found" in results[1].message
        assert cat.paper_scans() == []


def test_damaged_and_oversized_scans_are_reported_not_stored(tmp_path: Path):
    """A scan is decoded in full and sized in pixels before it is stored: a PNG header followed by
    garbage, a truncated file and a 20000×20000 image are each one "unreadable" result, not a crash."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    row = b"\x00" * (1 + 20_000 // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(20_000)) + comp.flush()
    huge = tmp_path / "huge.png"
    huge.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 20_000, 20_000, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    truncated = tmp_path / "truncated.jpg"
    photo = tmp_path / "whole.jpg"
    Image.new("RGB", (800, 600), (200, 180, 160)).save(photo, "JPEG")
    truncated.write_bytes(photo.read_bytes()[:400])
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        results = scan_forms(cat, [huge, garbage, truncated])
        assert [r.outcome for r in results] == [ScanOutcome.UNREADABLE] * 3, [r.message for r in results]
        assert "too large in pixels" in results[0].message
        assert cat.paper_scans() == []
