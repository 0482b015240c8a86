"""Paper forms: attach scans or phone photos of signed forms to their form id, read from the QR code.

The id is never typed and never guessed: a page whose QR code is missing, unreadable, not a valid id,
or not issued by this catalogue is reported and not stored. A scan of a reserved id waits for data entry
(`scans_awaiting_entry`); once a record with that id is entered the scan belongs to it automatically.
PDF pages are rendered with poppler's `pdftoppm` at 200 dpi and kept as lossless PNG (they are evidence);
photos are kept byte for byte as taken.

Every page is also checked for ink in its signature box(es) (`signature_check`): a scan of a form that
was never signed is kept (it is still the paper's record) but reported, and it signs nothing
(`releases.with_paper_signatures` reads the same check).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PIL import Image

from consentdesk.core import ids
from consentdesk.core.consent.signature_check import (
    check_signatures,
    every_page_has_a_box,
    qr_codes,
    required_signatures,
)
from consentdesk.core.forms import load_form
from consentdesk.core.media.picture_check import SCAN, check_picture
from consentdesk.core.store import Catalogue
from consentdesk.core.values import PaperScan

RENDER_DPI = 200
MAX_SCAN_BYTES = 50_000_000


class ScanOutcome(StrEnum):
    ATTACHED = "attached"  # the form's record exists; the scan is now part of it
    AWAITING_ENTRY = "awaiting entry"  # the id was reserved for a printed form; no record entered yet
    ALREADY_STORED = "already stored"  # the same page was scanned in before
    #: Stored, but a signature box that must be signed is empty: the record stays unsigned.
    SIGNATURE_EMPTY = "attached, but the signature box looks empty"
    UNKNOWN_ID = "unknown form id"  # a valid id, but not issued by this catalogue
    INVALID_ID = "invalid form id"  # a QR code that is not a ConsentDesk form id
    NO_ID = "no form id found"  # no readable QR code on the page
    SEVERAL_IDS = "several form ids"  # different ids on one page: scan forms one per page
    UNREADABLE = "unreadable file"

    @property
    def stored(self) -> bool:
        return self in (
            ScanOutcome.ATTACHED,
            ScanOutcome.AWAITING_ENTRY,
            ScanOutcome.ALREADY_STORED,
            ScanOutcome.SIGNATURE_EMPTY,
        )

    @property
    def needs_attention(self) -> bool:
        """Not stored, or stored but signing nothing: someone has to look at the paper."""
        return not self.stored or self is ScanOutcome.SIGNATURE_EMPTY


@dataclass(frozen=True, slots=True)
class ScanResult:
    source: str
    page: int
    outcome: ScanOutcome
    form_id: str | None = None
    scan_id: int | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        where = f"{Path(self.source).name} page {self.page}"
        advice = {
            ScanOutcome.UNKNOWN_ID: "this form was printed from another catalogue; enter it there or on screen",
            ScanOutcome.INVALID_ID: "the code is not a ConsentDesk form id; check it is the right form",
            ScanOutcome.NO_ID: "rescan it flat, in focus, with the whole QR code in view",
            ScanOutcome.SEVERAL_IDS: "scan each form on its own page",
            ScanOutcome.UNREADABLE: "check the file is a PDF or photo and not damaged",
            ScanOutcome.SIGNATURE_EMPTY: "check the paper and scan it again",
        }.get(self.outcome)
        text = f"{where}: {self.outcome.value}" + (f" {self.form_id}" if self.form_id else "")
        if self.detail:
            text += f" ({self.detail})"
        return text + (f" — {advice}" if advice else "")


@dataclass(frozen=True, slots=True)
class _Page:
    number: int
    picture: Image.Image
    data: bytes
    mime: str


def _pdf_pages(path: Path) -> Iterator[_Page]:
    if shutil.which("pdftoppm") is None:
        raise OSError("poppler's pdftoppm is not installed; install poppler-utils to scan PDF forms")
    with tempfile.TemporaryDirectory(prefix="consentdesk-scan-") as tmp:
        subprocess.run(
            ["pdftoppm", "-r", str(RENDER_DPI), "-png", str(path), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
            timeout=300,
        )
        for n, png in enumerate(
            sorted(Path(tmp).glob("page*.png"), key=lambda p: int(p.stem.split("-")[-1])), 1
        ):
            data = png.read_bytes()
            yield _Page(n, check_picture(data, SCAN), data, "image/png")


def _pages(path: Path) -> Iterator[_Page]:
    if path.stat().st_size > MAX_SCAN_BYTES:
        raise OSError("the file is over 50 MB; scan at 200-300 dpi")
    head = path.read_bytes()[:5]
    if head == b"%PDF-":
        yield from _pdf_pages(path)
        return
    data = path.read_bytes()
    picture = check_picture(data, SCAN)  # decoded in full and sized in pixels before anything is stored
    mime = Image.MIME.get(picture.format or "", "application/octet-stream")
    yield _Page(1, picture, data, mime)


def scan_forms(catalogue: Catalogue, files: Iterable[str | Path]) -> list[ScanResult]:
    """Read the form id on every page of every file and attach the page to it; one result per page."""
    results: list[ScanResult] = []
    for file in files:
        path = Path(file).expanduser()
        try:
            for page in _pages(path):
                results.append(_attach(catalogue, path, page))
        except (OSError, subprocess.SubprocessError, Image.UnidentifiedImageError, ValueError) as exc:
            detail = getattr(exc, "strerror", None) or str(exc).splitlines()[0][:200]
            results.append(ScanResult(str(path), 0, ScanOutcome.UNREADABLE, detail=detail))
    return results


def _attach(catalogue: Catalogue, path: Path, page: _Page) -> ScanResult:
    codes = qr_codes(page.picture)
    texts = [c.text for c in codes]
    if not texts:
        return ScanResult(str(path), page.number, ScanOutcome.NO_ID)
    valid = {ids.normalise(t) for t in texts} - {None}
    if not valid:
        return ScanResult(str(path), page.number, ScanOutcome.INVALID_ID)
    if len(valid) > 1:
        return ScanResult(str(path), page.number, ScanOutcome.SEVERAL_IDS, detail=", ".join(sorted(valid)))
    form_id = valid.pop()
    assert form_id is not None
    state = catalogue.form_id_state(form_id)
    if state == "unknown":
        return ScanResult(str(path), page.number, ScanOutcome.UNKNOWN_ID, form_id)
    consent = catalogue.get_consent(form_id) if state == "used" else None
    form = load_form(consent.form_name, consent.form_version) if consent else load_form()
    check = check_signatures(page.picture, form, codes)
    empty = check.empty & required_signatures(form, consent)
    scan, added = catalogue.add_paper_scan(
        form_id,
        page.number,
        path.name,
        page.mime,
        page.data,
        details={
            "signature_boxes": {field: ("ink" if field in check.signed else "empty") for field in check.found}
        },
    )
    detail = ""
    if not added:
        outcome = ScanOutcome.ALREADY_STORED
    elif empty:
        outcome = ScanOutcome.SIGNATURE_EMPTY
        detail = ", ".join(form.field(f).label for f in sorted(empty))
        if state != "used":
            detail += "; the form waits for its record to be entered"
    else:
        outcome = ScanOutcome.ATTACHED if state == "used" else ScanOutcome.AWAITING_ENTRY
        if not check.found and every_page_has_a_box(form):
            # Unsure is not signed: say so, so a photo too skewed to check is retaken, not trusted.
            detail = "no signature box found on this page, so it signs nothing: scan it flat and whole"
    return ScanResult(str(path), page.number, outcome, form_id, scan.id, detail)


def scans_awaiting_entry(catalogue: Catalogue) -> list[PaperScan]:
    """Scanned paper forms whose record has not been typed in yet (the photographer's to-do list)."""
    return catalogue.paper_scans(awaiting_entry=True)
