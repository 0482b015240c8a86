"""Open, orient, decode-reduced and thumbnail images; every failure is one plain-English `ImageError`.

Why this module exists: the analyser, the catalogue and the UI must all see the same pixels (EXIF
orientation applied, any colour mode normalised to 8-bit RGB) and must all refuse the same bad files
with the same message. Decoding is reduced where the format allows it (JPEG DCT scaling through
`Image.draft`), because a 24 MP photo decoded in full costs more than the whole analysis budget.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from consentdesk.core.files import atomic_write

#: Pixel count above which an image is refused as a possible decompression bomb (about 180 MP).
#: Pillow's own guard (`Image.MAX_IMAGE_PIXELS`) stays on as well; we never switch it off.
MAX_PIXELS = 180_000_000

#: Extensions we try to open; content is still sniffed, so a text file named .jpg is refused. The same
#: list for `analyse`, `import` and the app, whether a file is named or found in a folder (README).
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif", ".hif"}
)
FORMATS_IN_WORDS = "JPEG, PNG, TIFF, WebP and HEIC/HEIF"

_EXIF_IFD = 0x8769
_TAG_DATETIME_ORIGINAL = 36867
_TAG_DATETIME = 306
_TAG_MODEL = 272
_TAG_ORIENTATION = 274

_heif_registered = False


class ImageError(Exception):
    """A file that cannot be checked, with a message a user can act on."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """Facts about the file itself; width/height are full size after EXIF orientation."""

    path: str
    width: int
    height: int
    format: str
    sha256: str
    captured_at: datetime | None = None
    camera_model: str | None = None


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """Decoded pixels (8-bit RGB, maybe reduced) plus the scale back to original pixels.

    `scale` is rgb width / original width, so an original coordinate is `working / scale`.
    """

    info: ImageInfo
    rgb: np.ndarray
    scale: float


def _register_heif() -> None:
    """HEIC/HEIF support is a plug-in; registering it is cheap but only needed once.

    pi-heif, not pillow-heif: the same decoder (libheif, libde265; LGPL) without pillow-heif's HEVC
    encoder (x265, GPLv2, 20 MB), which would make the distributed app bundle GPL; we only read HEIC."""
    global _heif_registered
    if _heif_registered:
        return
    try:
        from pi_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # pragma: no cover - dependency is declared, but stay usable without it
        pass
    _heif_registered = True


def has_image_extension(path: Path | str) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"II*\x00"),  # TIFF little-endian
    (0, b"MM\x00*"),  # TIFF big-endian
    (0, b"II+\x00"),  # BigTIFF
    (0, b"MM\x00+"),
)


def sniff_is_image(head: bytes) -> bool:
    """Cheap content check on the first bytes, so folders of non-images are skipped without decoding."""
    if any(head[off : off + len(sig)] == sig for off, sig in _MAGIC):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    # ISO BMFF (HEIC/HEIF/AVIF): "ftyp" box at offset 4
    return head[4:8] == b"ftyp" and head[8:12] in {
        b"heic",
        b"heix",
        b"hevc",
        b"hevx",
        b"heim",
        b"heis",
        b"mif1",
        b"msf1",
        b"avif",
    }


def is_image_file(path: Path | str) -> tuple[bool, str]:
    """(True, "") when the file looks like an image by extension AND content, else (False, reason)."""
    p = Path(path)
    if not has_image_extension(p):
        return False, f"not a supported photo format ({p.suffix or 'no extension'})"
    try:
        with p.open("rb") as fh:
            head = fh.read(32)
    except OSError as exc:
        return False, _os_error_message(p, exc)
    if not head:
        return False, "the file is empty (0 bytes)"
    if not sniff_is_image(head):
        return False, "the file content is not a supported image (the name says image, the bytes do not)"
    return True, ""


def _os_error_message(path: Path, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"the file does not exist: {path}"
    if isinstance(exc, PermissionError):
        return f"permission denied reading {path}; check the file's permissions"
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a folder, not an image file"
    return f"could not read {path}: {exc.strerror or exc}"


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(_os_error_message(path, exc)) from exc
    if not data:
        raise ImageError("the file is empty (0 bytes)")
    return data


def sha256_file(path: Path | str) -> str:
    """SHA-256 of the file bytes, streamed so large files do not need to fit in memory twice."""
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise ImageError(_os_error_message(Path(path), exc)) from exc
    return h.hexdigest()


def _bomb_message(pixels: int) -> str:
    return (
        f"the image is too large ({pixels / 1e6:.0f} megapixels) and was refused as a possible "
        f"decompression bomb (limit {MAX_PIXELS / 1e6:.0f} megapixels)"
    )


def _open(data: bytes) -> Image.Image:
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageError(_bomb_message(_declared_pixels(exc))) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("the file is not an image, or is in a format ConsentDesk cannot read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image file is damaged and could not be opened ({exc})") from exc
    pixels = im.width * im.height
    if pixels > MAX_PIXELS:
        raise ImageError(_bomb_message(pixels))
    return im


def _declared_pixels(exc: Exception) -> int:
    import re

    m = re.search(r"\((\d+) pixels\)", str(exc))
    return int(m.group(1)) if m else MAX_PIXELS


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(_TAG_ORIENTATION, 1) or 1)
    except Exception:
        return 1


def _exif_facts(im: Image.Image) -> tuple[datetime | None, str | None]:
    """Capture time and camera model; a broken EXIF block is ignored, never fatal."""
    try:
        exif = im.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
        raw = sub.get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME)
        model = exif.get(_TAG_MODEL)
    except Exception:
        return None, None
    when = None
    if isinstance(raw, str):
        try:
            when = datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            when = None
    model_s = str(model).strip("\x00 ").strip() if model else None
    return when, model_s or None


def _to_rgb(im: Image.Image) -> Image.Image:
    """Normalise CMYK, 16-bit, palette, grey and alpha images to 8-bit RGB (alpha over white)."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}:
        arr = np.asarray(im, dtype=np.float32)
        top = float(arr.max()) if arr.size else 0.0
        if top > 255.0:
            arr = arr / (65535.0 if top <= 65535.0 else top) * 255.0
        grey = np.clip(arr, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _decode(im: Image.Image, max_side: int | None) -> Image.Image:
    """Decode (reduced via JPEG draft where possible), orient, normalise, and shrink to max_side."""
    im = _decode_reduced(im, max_side)
    if max_side and max(im.size) > max_side:
        factor = max_side / max(im.size)
        size = (max(1, round(im.width * factor)), max(1, round(im.height * factor)))
        im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return im


#: Shrinking by a factor at least this close to 1 (what is left after a JPEG draft for most cameras:
#: 4032 -> 2016 -> 2000 px, 4288 -> 2144 -> 2000) is bilinear in OpenCV; further, by area averaging.
LINEAR_SHRINK_FROM = 0.8


def _shrink(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """The decoded pixels down to `max_side` in OpenCV: ~6 ms for 2144 -> 2000 px where Pillow's bilinear
    took ~50 ms, a tenth of the check's CPU per photo (bench/stage_cpu.py, decode)."""
    import cv2

    h, w = rgb.shape[:2]
    factor = max_side / max(h, w)
    if factor >= 1.0:
        return rgb
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    how = cv2.INTER_LINEAR if factor >= LINEAR_SHRINK_FROM else cv2.INTER_AREA
    return cv2.resize(rgb, size, interpolation=how)


def _decode_reduced(im: Image.Image, max_side: int | None) -> Image.Image:
    """Decode (reduced via JPEG draft where possible, so at most 2x `max_side`), orient and normalise."""
    if max_side and im.format == "JPEG":
        long_side = max(im.size)
        if long_side > max_side:
            # draft keeps the result >= the requested size, so ask for the stored-orientation size
            factor = max_side / long_side
            im.draft("RGB", (max(1, int(im.width * factor)), max(1, int(im.height * factor))))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
    except Image.DecompressionBombError as exc:
        raise ImageError(_bomb_message(_declared_pixels(exc))) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        text = str(exc)
        if "truncated" in text or isinstance(exc, EOFError):
            raise ImageError("the image file is truncated (incomplete download or copy?)") from exc
        raise ImageError(f"the image data is damaged and could not be decoded ({text})") from exc
    ImageOps.exif_transpose(im, in_place=True)  # not a copy: a 12 MP photo's pixels are ~10 ms to copy
    return _to_rgb(im)


def load(path: Path | str, max_side: int | None = None) -> LoadedImage:
    """Read, hash, orient and decode an image; reduced so its long side is <= max_side if given.

    Raises `ImageError` (only) for any file that cannot be used.
    """
    p = Path(path)
    data = _read_bytes(p)
    im = _open(data)
    fmt = im.format or "unknown"
    captured_at, camera_model = _exif_facts(im)
    stored_w, stored_h = im.size
    swap = _orientation(im) in {5, 6, 7, 8}
    width, height = (stored_h, stored_w) if swap else (stored_w, stored_h)
    arr = np.asarray(_decode_reduced(im, max_side), dtype=np.uint8)
    if max_side:
        arr = _shrink(arr, max_side)
    if arr.ndim != 3 or arr.shape[2] != 3:  # pragma: no cover - _to_rgb guarantees this
        raise ImageError("the image could not be converted to RGB")
    info = ImageInfo(
        path=str(p),
        width=width,
        height=height,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        captured_at=captured_at,
        camera_model=camera_model,
    )
    return LoadedImage(info=info, rgb=np.ascontiguousarray(arr), scale=arr.shape[1] / width)


def read_info(path: Path | str) -> ImageInfo:
    """File facts without decoding the pixels (header and EXIF only)."""
    p = Path(path)
    data = _read_bytes(p)
    im = _open(data)
    captured_at, camera_model = _exif_facts(im)
    w, h = im.size
    if _orientation(im) in {5, 6, 7, 8}:
        w, h = h, w
    return ImageInfo(
        str(p), w, h, im.format or "unknown", hashlib.sha256(data).hexdigest(), captured_at, camera_model
    )


def thumbnail_path(cache_dir: Path | str, sha256: str, size: int = 256) -> Path:
    """Where the thumbnail of the photo with this content is cached: named by content, never by file name,
    so a rename reuses it and the cache says nothing about who or what is in the photo."""
    return Path(cache_dir) / sha256[:2] / f"{sha256}_{size}.jpg"


def make_thumbnail(path: Path | str, cache_dir: Path | str, size: int = 256) -> Path:
    """A JPEG thumbnail (long side `size`) cached by the file's SHA-256, so renames reuse it."""
    digest = sha256_file(path)
    out = thumbnail_path(cache_dir, digest, size)
    if out.exists():
        return out
    return _write_thumbnail(_read_bytes(Path(path)), out, size)


def thumbnail_from_bytes(data: bytes, cache_dir: Path | str, size: int = 256) -> Path:
    """`make_thumbnail` for a photo held in memory (a team register's working copy): same key, same file."""
    out = thumbnail_path(cache_dir, hashlib.sha256(data).hexdigest(), size)
    if out.exists():
        return out
    return _write_thumbnail(data, out, size)


def _write_thumbnail(data: bytes, out: Path, size: int) -> Path:
    pixels = _decode(_open(data), size)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: pixels.save(tmp, "JPEG", quality=85))  # 0600: a photo of people
    return out
