"""imaging.load and friends on real files, including the bad ones users actually have."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from consentdesk.core.media import imaging
from consentdesk.core.media.imaging import ImageError


@pytest.fixture
def astronaut_jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=92)
    return path


def test_load_jpeg_reports_size_hash_and_rgb(astronaut_jpeg: Path):
    loaded = imaging.load(astronaut_jpeg)
    assert (loaded.info.width, loaded.info.height) == (512, 512)
    assert loaded.rgb.shape == (512, 512, 3) and loaded.rgb.dtype == np.uint8
    assert loaded.info.sha256 == imaging.sha256_file(astronaut_jpeg)
    assert loaded.info.format == "JPEG"
    assert loaded.scale == 1.0


def test_reduced_decode_keeps_original_size_and_scale(tmp_path: Path):
    path = tmp_path / "big.jpg"
    Image.fromarray(data.astronaut()).resize((4000, 3000)).save(path, quality=85)
    loaded = imaging.load(path, max_side=1000)
    assert max(loaded.rgb.shape[:2]) == 1000
    assert (loaded.info.width, loaded.info.height) == (4000, 3000)
    assert loaded.scale == pytest.approx(0.25)


def test_exif_orientation_is_applied_and_capture_facts_read(tmp_path: Path):
    img = Image.new("RGB", (300, 100), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 50, 100))  # blue stripe at the left of the stored pixels
    exif = Image.Exif()
    exif[274] = 6  # rotate 90 CW to display
    exif[272] = "TestCam X100"
    exif.get_ifd(0x8769)[36867] = "2025:06:01 10:20:30"
    path = tmp_path / "rot.jpg"
    img.save(path, exif=exif, quality=95)
    loaded = imaging.load(path)
    assert (loaded.info.width, loaded.info.height) == (100, 300)
    assert loaded.rgb.shape[:2] == (300, 100)
    top = loaded.rgb[:40].reshape(-1, 3).mean(axis=0)
    assert top[2] > 150 and top[0] < 100  # stored left stripe is now at the top
    assert loaded.info.camera_model == "TestCam X100"
    assert loaded.info.captured_at is not None and loaded.info.captured_at.year == 2025


@pytest.mark.parametrize("fmt,ext", [("PNG", ".png"), ("TIFF", ".tif"), ("WEBP", ".webp")])
def test_other_formats(tmp_path: Path, fmt: str, ext: str):
    path = tmp_path / f"a{ext}"
    Image.fromarray(data.astronaut()).save(path, fmt)
    assert imaging.load(path).rgb.shape == (512, 512, 3)


def test_heic(tmp_path: Path):
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "a.heic"
    heif = pillow_heif.from_pillow(Image.fromarray(data.astronaut()))
    try:
        heif.save(path, quality=80)
    except Exception as exc:  # encoder missing in this build
        pytest.skip(f"no HEIF encoder: {exc}")
    assert imaging.load(path).rgb.shape == (512, 512, 3)
    assert imaging.is_image_file(path)[0]


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path):
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(data.astronaut()).convert("CMYK").save(path)
    loaded = imaging.load(path)
    assert loaded.rgb.shape == (512, 512, 3)
    assert abs(int(loaded.rgb.mean()) - int(data.astronaut().mean())) < 25


def test_16bit_png_is_scaled_not_clipped(tmp_path: Path):
    path = tmp_path / "deep.png"
    ramp = (np.linspace(0, 65535, 256, dtype=np.uint32)[None, :].repeat(64, axis=0)).astype(np.uint16)
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode.startswith("I")
    rgb = imaging.load(path).rgb
    assert rgb.dtype == np.uint8
    assert rgb[0, 0, 0] < 5 and rgb[0, -1, 0] > 250 and 100 < rgb[0, 128, 0] < 160


def test_alpha_composited_on_white(tmp_path: Path):
    path = tmp_path / "p.png"
    img = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (0, 0, 10, 20))
    img.save(path)
    rgb = imaging.load(path).rgb
    assert tuple(rgb[5, 2]) == (255, 0, 0) and tuple(rgb[5, 15]) == (255, 255, 255)


def test_zero_byte_file(tmp_path: Path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        imaging.load(path)


def test_truncated_jpeg(tmp_path: Path, astronaut_jpeg: Path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(astronaut_jpeg.read_bytes()[:5000])
    with pytest.raises(ImageError, match="truncated|damaged"):
        imaging.load(path)


def test_text_file_named_jpg(tmp_path: Path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are my notes, not a photo\n")
    with pytest.raises(ImageError, match="not an image"):
        imaging.load(path)
    ok, reason = imaging.is_image_file(path)
    assert not ok and "not a supported image" in reason


def test_missing_file(tmp_path: Path):
    with pytest.raises(ImageError, match="does not exist"):
        imaging.load(tmp_path / "nope.jpg")


def _png_bomb(path: Path, width: int, height: int) -> None:
    """A valid 1-bit PNG header declaring width x height with a tiny compressed body."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_png_decompression_bomb_is_refused(tmp_path: Path):
    path = tmp_path / "bomb.png"
    _png_bomb(path, 20_000, 20_000)  # 400 MP declared
    assert path.stat().st_size < 200_000
    with pytest.raises(ImageError, match="too large.*decompression bomb"):
        imaging.load(path)


def test_100_megapixel_panorama_is_decoded_reduced(tmp_path: Path):
    """100 MP is under the bomb limit: a JPEG is decoded at 1/8 scale via draft, so memory stays small."""
    path = tmp_path / "pano.jpg"
    Image.new("RGB", (20_000, 5_000), (40, 90, 160)).save(path, quality=70)
    loaded = imaging.load(path, max_side=2000)
    assert (loaded.info.width, loaded.info.height) == (20_000, 5_000)
    assert loaded.rgb.shape == (500, 2000, 3)


def test_thumbnail_is_cached_by_hash(tmp_path: Path, astronaut_jpeg: Path):
    cache = tmp_path / "thumbs"
    thumb = imaging.make_thumbnail(astronaut_jpeg, cache, size=128)
    assert thumb.exists() and max(Image.open(thumb).size) == 128
    mtime = thumb.stat().st_mtime_ns
    copy = tmp_path / "renamed.jpg"
    copy.write_bytes(astronaut_jpeg.read_bytes())
    assert imaging.make_thumbnail(copy, cache, size=128) == thumb
    assert thumb.stat().st_mtime_ns == mtime
