"""Recall on real photos, fourth pass: small codes whose modules blur, screens with a display's evidence
beyond a dark bezel, and the false alarms that must stay away; on generated scenes over scikit-image's
real photos."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from skimage import data

from consentdesk.core.vision import code_candidates
from consentdesk.core.vision.codes import read_codes


def _photo(name: str, width: int = 1200) -> Image.Image:
    """A scikit-image photograph in colour, `width` px wide."""
    img = getattr(data, name)()
    img = np.stack([img] * 3, axis=-1) if img.ndim == 2 else img[:, :, :3]
    im = Image.fromarray(np.ascontiguousarray(img))
    return im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)


def _as_jpeg(im: Image.Image, quality: int = 85) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


# ----------------------------------------------------------------------------- codes


def _small_qr(px_per_module: float, text: str = "https://example.org/d/1234") -> Image.Image:
    """A QR code on its white sticker, 1.2-1.5 px a module as on a poster or badge a few metres away."""
    qr = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=1, add_quiet_zones=True)
    qr = Image.fromarray(np.asarray(qr)).convert("RGB")
    side = round(qr.width * px_per_module)
    return qr.resize((side, side), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(0.5))


@pytest.mark.parametrize(
    ("scene", "px", "where"),
    [("coffee", 1.3, (900, 60)), ("chelsea", 1.3, (300, 400)), ("rocket", 1.4, (300, 400)), ("coffee", 1.4, (900, 60))],
)
def test_a_qr_code_whose_modules_blur_is_read_at_second_look(scene, px, where):
    photo = _photo(scene)
    photo.paste(_small_qr(px), where)
    photo = _as_jpeg(photo)
    grey = cv2.cvtColor(np.asarray(photo), cv2.COLOR_RGB2GRAY)
    assert not read_codes(np.asarray(photo)), "the whole-image read should not manage modules this small"
    places = code_candidates.candidates(grey)
    assert any(p.reason == "matrix" for p in places), "the code on its sticker is a place to look"
    codes = code_candidates.second_look(grey, places)
    assert [c.text for c in codes] == ["https://example.org/d/1234"]
    x, y, _, _ = codes[0].bbox()
    assert abs(x - where[0]) < 30 and abs(y - where[1]) < 30, "the code is placed where it was pasted"


def test_a_textured_photo_without_codes_gives_few_places_and_no_code():
    grey = cv2.cvtColor(np.asarray(_as_jpeg(_photo("grass"))), cv2.COLOR_RGB2GRAY)
    places = code_candidates.candidates(grey)
    assert len(places) <= code_candidates.MAX_CANDIDATES
    assert code_candidates.second_look(grey, places) == []
