"""A QR code the check sees but cannot read is reported (code_finders.py); tiles, windows, checkerboards and
text are not codes. Generated scenes over scikit-image's photos, codes from zxing-cpp's writer."""

from __future__ import annotations

import io

import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter
from tests.data import drawing

from consentdesk.core.minimise import UNREADABLE_CODE, mask_finding_text
from consentdesk.core.values import FindingKind
from consentdesk.core.vision import code_finders
from consentdesk.core.vision.analyse import Analyser
from consentdesk.core.vision.code_finders import Finder


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


def _as_jpeg(im: Image.Image, quality: int = 85) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _qr_modules(text: str, scramble: bool, seed: int = 0) -> np.ndarray:
    """The code's modules (True = dark); with `scramble`, every module outside the three finder corners
    random, so no reader can decode it while its finder patterns stay whole."""
    img = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(
        scale=1, add_quiet_zones=False
    )
    dark = np.asarray(img) < 128
    if scramble:
        n = dark.shape[0]
        noise = np.random.default_rng(seed).random(dark.shape) < 0.5
        keep = np.zeros_like(dark)
        keep[:8, :8] = keep[:8, n - 8 :] = keep[n - 8 :, :8] = True
        dark = np.where(keep, dark, noise)
    return dark


def _sticker(dark: np.ndarray, px_per_module: float) -> Image.Image:
    """The modules on a white sticker with a four-module quiet zone, `px_per_module` px a module, blurred
    a little as a lens does."""
    padded = np.pad(dark, 4, constant_values=False)
    im = Image.fromarray(np.where(padded, 20, 245).astype(np.uint8)).convert("RGB")
    side = round(padded.shape[0] * px_per_module)
    return im.resize((side, side), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(0.4))


def _code_findings(analyser: Analyser, photo: Image.Image) -> list:
    findings = analyser.analyse_array(np.asarray(_as_jpeg(photo))).findings
    return [f for f in findings if f.kind in (FindingKind.QR_CODE, FindingKind.BARCODE)]


@pytest.mark.parametrize(("scene", "px", "where"), [("coffee", 1.6, (900, 60)), ("chelsea", 2.0, (250, 380))])
def test_a_qr_code_seen_but_not_read_is_reported_where_it_is(analyser, scene, px, where):
    photo = drawing.photo(scene)
    sticker = _sticker(_qr_modules("https://example.org/d/5521", scramble=True), px)
    photo.paste(sticker, where)
    codes = _code_findings(analyser, photo)
    assert [(f.kind, f.text, f.severity) for f in codes] == [(FindingKind.QR_CODE, UNREADABLE_CODE, "medium")]
    box = codes[0].box
    assert abs(box.x - where[0]) < 0.3 * sticker.width and abs(box.y - where[1]) < 0.3 * sticker.width


@pytest.mark.parametrize(
    ("scene", "px", "angle", "where"),
    [
        # upright: its place was lost to a few stripes of its own modules taken for bars
        ("coffee", 3.0, 0, (900, 60)),
        ("chelsea", 4.0, 0, (250, 380)),
        ("coffee", 2.0, 35, (900, 60)),  # turned: its finders filled too little of their upright box
        ("chelsea", 3.0, 45, (600, 300)),
    ],
)
def test_a_larger_or_turned_qr_code_seen_but_not_read_is_reported(analyser, scene, px, angle, where):
    """Codes of 2-4 px a module (a label a step away), upright or at an angle. Upright, a few stripes of the
    code's own modules read as bars and the place around the whole code must not be dropped for them;
    turned, its finders fill too little of their upright boxes and must be measured on their own sides."""
    photo = drawing.photo(scene)
    sticker = _sticker(_qr_modules("https://example.org/d/5521", scramble=True), px)
    sticker = sticker.rotate(angle, expand=True, fillcolor=(245, 245, 245), resample=Image.Resampling.BICUBIC)
    photo.paste(sticker, where)
    codes = _code_findings(analyser, photo)
    assert [(f.kind, f.text) for f in codes] == [(FindingKind.QR_CODE, UNREADABLE_CODE)]
    box = codes[0].box
    assert abs(box.x - where[0]) < 0.3 * sticker.width and abs(box.y - where[1]) < 0.3 * sticker.width


def test_a_turned_finder_is_measured_by_its_own_side():
    """A finder turned 30 degrees is found, its width that of the square, not of its upright box."""
    sticker = _sticker(_qr_modules("https://example.org/d/5521", scramble=True), 4.0)
    turned = sticker.rotate(30, expand=True, fillcolor=(245, 245, 245), resample=Image.Resampling.BICUBIC)
    found = code_finders.finders(np.asarray(turned.convert("L")))
    sides = sorted(f.size for f in found if f.size < 0.4 * turned.width)
    assert len(sides) == 3 and all(abs(s - 7 * 4.0) < 0.15 * 28 for s in sides)


def test_a_tiny_qr_code_is_found_read_or_not(analyser):
    """A real code at about one pixel a module: read if the enlarged look manages it, else seen; never
    passed silently."""
    photo = drawing.photo("rocket")
    photo.paste(_sticker(_qr_modules("https://example.org/consent/7", scramble=False), 1.1), (300, 420))
    assert [f.kind for f in _code_findings(analyser, photo)] == [FindingKind.QR_CODE]


def _framed_windows(rows: int, cols: int, cell: int = 16) -> Image.Image:
    """A facade's grid of framed windows: dark frame, light mullion ring, dark pane (nested squares)."""
    im = Image.new("RGB", (cols * cell * 2 + cell, rows * cell * 2 + cell), (235, 230, 220))
    d = ImageDraw.Draw(im)
    for r in range(rows):
        for c in range(cols):
            x, y = cell + c * 2 * cell, cell + r * 2 * cell
            d.rectangle((x, y, x + cell - 1, y + cell - 1), fill=(30, 30, 30))
            d.rectangle((x + 2, y + 2, x + cell - 3, y + cell - 3), fill=(230, 230, 230))
            d.rectangle((x + 5, y + 5, x + cell - 6, y + cell - 6), fill=(40, 40, 40))
    return im


def _checkerboard(n: int = 8, cell: int = 6) -> Image.Image:
    board = (np.indices((n * cell, n * cell)) // cell).sum(axis=0) % 2
    return Image.fromarray(np.where(board, 20, 240).astype(np.uint8)).convert("RGB")


def _text_block() -> Image.Image:
    im = Image.new("RGB", (70, 70), (245, 245, 240))
    d = ImageDraw.Draw(im)
    for i, line in enumerate(["Lorem ips", "dolor sit", "amet, con", "sectetur", "adipisc"]):
        d.text((3, 2 + i * 13), line, font=drawing.font(11), fill=(20, 20, 20))
    return im


def _turned(im: Image.Image, angle: float = 30) -> Image.Image:
    return im.rotate(angle, expand=True, fillcolor=im.getpixel((0, 0)), resample=Image.Resampling.BICUBIC)


@pytest.mark.parametrize(
    "pattern",
    [
        _framed_windows(4, 4),
        _framed_windows(2, 2),
        _checkerboard(),
        _text_block(),
        _turned(_framed_windows(4, 4)),
        _turned(_framed_windows(2, 2), 40),
        _turned(_checkerboard()),
    ],
)
def test_windows_checkerboards_and_text_are_not_codes(analyser, pattern):
    photo = drawing.photo("coffee")
    photo.paste(pattern, (700, 100))
    photo.paste(pattern.resize((pattern.width // 2, pattern.height // 2)), (300, 500))
    assert _code_findings(analyser, photo) == []


def test_three_finders_make_a_code_only_in_an_l():
    assert code_finders.l_shaped([Finder(10, 10, 7), Finder(40, 10, 7), Finder(10, 40, 7)])
    assert code_finders.l_shaped(
        [Finder(10, 10, 7), Finder(31, 31, 7), Finder(-11, 31, 7)]
    )  # turned 45 degrees
    assert not code_finders.l_shaped([Finder(10, 10, 7), Finder(40, 10, 7), Finder(70, 10, 7)])  # a row
    assert not code_finders.l_shaped(
        [Finder(10, 10, 7), Finder(40, 10, 7), Finder(10, 70, 7)]
    )  # sides unequal
    assert not code_finders.l_shaped([Finder(10, 10, 7), Finder(18, 10, 7), Finder(10, 18, 7)])  # too close
    assert not code_finders.l_shaped(
        [Finder(10, 10, 7), Finder(40, 10, 7), Finder(10, 40, 14)]
    )  # sizes differ
    four = [Finder(10, 10, 7), Finder(40, 10, 7), Finder(10, 40, 7), Finder(40, 40, 7)]
    assert not code_finders.l_shaped(four)  # a grid


def test_the_unreadable_wording_is_kept_and_nothing_else():
    assert mask_finding_text(FindingKind.QR_CODE, UNREADABLE_CODE) == UNREADABLE_CODE
    assert mask_finding_text(FindingKind.QR_CODE, "QRCode: https://example.org/x") == "QRCode"
    assert mask_finding_text(FindingKind.QR_CODE, "seen: https://example.org/x") == ""
