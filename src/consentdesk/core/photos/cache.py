"""Where to read a photo from: the original where it was imported, or the team register's working copy.

A reviewer in another building cannot see the photographer's folders, so a team register keeps each
photo's bytes by content (SHA-256). Everything that needs the pixels of an imported photo (review, preview,
export, SAR) asks here. Originals are never written to; the working copy is materialised once into this
computer's private cache (0600) and checked against its hash before use.

Thumbnails (`thumbnail`) are made for every card the library paints, so they cost nothing extra when the
original is here; only a photo whose original is out of reach reads the register, through `StoredCopies`,
on the window's shared catalogue (no connection of its own). A
thumbnail made from the register's copy is not kept full size on this computer, only as the thumbnail.
Both caches are named by content (SHA-256), never by file name, and `forget_cached` empties both.

An erasure run on another computer removes the register's copies but cannot reach this computer's cache, so
`prune_cache` asks the register (one query per few hundred photos) which cached photos it still holds and
deletes the rest; the app runs it when it opens a team register and whenever the audit trail moves.
`local_photo` also re-checks a cached copy against the register before serving it (one indexed read per
photo opened, never per thumbnail painted).

Clips are shared proxy first: the register keeps a low-resolution proxy of each clip (`media/proxy.py`,
`store/clip_copies.py`), not its original. `local_clip` gives the original when it is on this computer and
else the proxy (fetched once, checked against its hash, cached 0600 under the original's SHA-256, so
`forget_cached` and `prune_cache` treat it like a photo's copy), with the factor that scales the clip's
stored track boxes onto it. `local_photo`, which export and SAR use, never serves a proxy: when a clip's
original is not here it says where the original is. `track_thumbnail` cuts a person track's thumbnail from
the frame of its best sighting, cached by content like the other thumbnails, so erasure removes it too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from consentdesk import paths
from consentdesk.core.files import atomic_write
from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ImageRecord


class PhotoUnavailable(Exception):
    """Neither the original nor a stored copy can be read; the message says what to do."""


def _cache_folder() -> Path:
    folder = paths.cache_dir() / "photos"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def thumbnail_folder() -> Path:
    """This computer's thumbnail cache (inside the private cache folder)."""
    return paths.cache_dir() / "thumbnails"


def _original_is_here(original: Path, image: ImageRecord) -> tuple[bool, bool]:
    """(a file is at the recorded path, and it has the recorded size)."""
    with contextlib.suppress(OSError):
        if original.is_file():
            return True, original.stat().st_size == image.file_size
    return False, False


def _cached_copy(image: ImageRecord) -> Path:
    return _cache_folder() / f"{image.sha256}{Path(image.path).suffix.lower()}"


def _checked(data: bytes, image: ImageRecord) -> bytes:
    if hashlib.sha256(data).hexdigest() != image.sha256:
        raise PhotoUnavailable(
            f"the register's copy of {Path(image.path).name} is damaged; ask your administrator"
        )
    return data


def _unavailable(image: ImageRecord, keeps_copies: bool) -> PhotoUnavailable:
    original = Path(image.path)
    if is_clip_path(original):
        return PhotoUnavailable(
            f"the original of the clip {original.name} is not on this computer: it stays where it was imported, "
            f"at {original.parent} on the computer it was imported from"
            + (" (the team register keeps only a low-resolution proxy, for review)" if keeps_copies else "")
            + ". Export it (or make the bundle that needs it) on that computer, or copy the original to this one and run "
            "`consentdesk check --relink FOLDER`."
        )
    return PhotoUnavailable(
        f"the photo {original.name} is not at {original.parent} on this computer"
        + (" and the register holds no copy of it" if keeps_copies else "")
        + "; reconnect the drive it was imported from, or run `consentdesk check --relink FOLDER`."
    )


def local_photo(catalogue: Catalogue, image: ImageRecord) -> Path:
    """A readable file with this photo's content: the original when it is here and unchanged in size,
    else the register's copy (cached on this computer)."""
    original = Path(image.path)
    present, unchanged = _original_is_here(original, image)
    if unchanged:
        return original
    cached = _cached_copy(image)
    if cached.is_file():
        if not catalogue.keeps_photo_copies or catalogue.stored_photo_shas([image.sha256]):
            return cached
        forget_cached({image.sha256})  # erased elsewhere: this computer must not keep serving it
    data = catalogue.photo_file(image.sha256) if catalogue.keeps_photo_copies else None
    if data is None and present:
        return original  # a file is there but not as recorded: the caller's hash check says it changed
    if data is None:
        raise _unavailable(image, catalogue.keeps_photo_copies)
    _checked(data, image)
    atomic_write(cached, lambda tmp: tmp.write_bytes(data))  # 0600: a photo of people
    return cached


class StoredCopies:
    """The register's working copies, read for background jobs (the library's thumbnails).

    It reads through the window's catalogue, which threads may share (each read checks a warm connection
    out of its pool), so a card painted while scrolling never opens a connection of its own. It counts the
    reads, so a caller can check the register is asked only for photos whose original is not here.
    """

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.keeps_copies = catalogue.keeps_photo_copies
        self._lock = threading.Lock()
        self.asked = 0  # copies read from the register so far

    @classmethod
    def of(cls, catalogue: Catalogue) -> StoredCopies:
        return cls(catalogue)

    @property
    def locator(self) -> str:
        return self.catalogue.locator

    def read(self, image: ImageRecord) -> bytes | None:
        """The register's copy of this photo (checked against its hash), None if the register keeps none."""
        if not self.keeps_copies:
            return None
        with self._lock:
            self.asked += 1
        data = self.catalogue.photo_file(image.sha256)
        return _checked(data, image) if data is not None else None


def thumbnail(
    image: ImageRecord, size: int, copies: StoredCopies | None = None, folder: Path | None = None
) -> Path:
    """A cached JPEG thumbnail of this photo: from its original when that is here, else from this
    computer's copy or the register's (read through `copies`, so the register is asked only then)."""
    from consentdesk.core.media import (
        imaging,  # Pillow and numpy: loaded by whoever makes pictures, not by erasure
    )

    folder = folder or thumbnail_folder()
    original = Path(image.path)
    present, unchanged = _original_is_here(original, image)
    if is_clip_path(original):
        return _clip_thumbnail(image, size, copies, folder, original if unchanged else None)
    if unchanged:
        return imaging.make_thumbnail(original, folder, size)
    made = imaging.thumbnail_path(folder, image.sha256, size)
    if made.exists():
        return made
    cached = _cached_copy(image)
    if cached.is_file():
        return imaging.make_thumbnail(cached, folder, size)
    data = copies.read(image) if copies is not None else None
    if data is not None:
        return imaging.thumbnail_from_bytes(data, folder, size)
    if present:
        return imaging.make_thumbnail(original, folder, size)  # changed since import, but it is what is here
    raise _unavailable(image, copies is not None and copies.keeps_copies)


def _clip_thumbnail(
    image: ImageRecord, size: int, copies: StoredCopies | None, folder: Path, original: Path | None
) -> Path:
    """A clip's card: one frame (`video.poster_frame`) cached as a JPEG by the clip's content, like a
    photo's. Away from the original, a register's card is made from its proxy (it keeps no original)."""
    from PIL import Image

    from consentdesk.core.media import imaging, video

    made = imaging.thumbnail_path(folder, image.sha256, size)
    if made.exists():
        return made
    cached = _cached_copy(image)
    source = original or (cached if cached.is_file() else None)
    if source is None and copies is not None and copies.keeps_copies:
        source = local_clip(copies.catalogue, image).path
    if source is None:
        raise _unavailable(image, False)
    try:
        rgb = video.poster_frame(source, size)
    except video.ClipError as exc:
        raise PhotoUnavailable(str(exc)) from None
    made.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(made, lambda tmp: Image.fromarray(rgb).save(tmp, "JPEG", quality=85))  # 0600: people
    return made


def forget_cached(sha256s: set[str]) -> int:
    """Remove this computer's cached copies and thumbnails of these photos (after an erasure); returns how
    many files went."""
    removed = 0
    thumbnails = thumbnail_folder()
    for sha in sha256s:
        for cached in (*_cache_folder().glob(f"{sha}*"), *(thumbnails / sha[:2]).glob(f"{sha}_*")):
            cached.unlink(missing_ok=True)
            removed += 1
    return removed


def _cached_files() -> dict[str, list[Path]]:
    """Every cached copy and thumbnail on this computer, by the photo's SHA-256 (read from the names)."""
    found: dict[str, list[Path]] = defaultdict(list)
    folders = [_cache_folder()]
    thumbnails = thumbnail_folder()
    if thumbnails.is_dir():
        folders += [sub for sub in thumbnails.iterdir() if sub.is_dir()]
    for folder in folders:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                name = entry.name
                sha = name.split("_", 1)[0].split(".", 1)[0]
                if len(sha) == 64 and not name.startswith(".") and entry.is_file():
                    found[sha].append(Path(entry.path))
    return found


def prune_cache(catalogue: Catalogue) -> set[str]:
    """Delete this computer's cached copies and thumbnails of photos the team register no longer holds a
    copy of (erased, possibly from another computer); returns the SHA-256s removed.

    A desk catalogue keeps no copies (the originals are the user's own files), so nothing is pruned there.
    The register is asked about what is cached here only: the work is bounded by the cache, not the register.
    """
    if not catalogue.keeps_photo_copies:
        return set()
    found = _cached_files()
    if not found:
        return set()
    gone = set(found) - catalogue.stored_photo_shas(found) - catalogue.stored_proxy_shas(found)
    for sha in gone:
        for path in found[sha]:
            path.unlink(missing_ok=True)
    return gone


@dataclass(frozen=True, slots=True)
class LocalClip:
    """A clip file to review from: the original, or the register's proxy (`scale` maps the clip's stored
    track boxes, in the original's upright pixels, onto it)."""

    path: Path
    is_proxy: bool
    scale: float = 1.0


def _cached_proxy(image: ImageRecord) -> Path:
    return _cache_folder() / f"{image.sha256}.proxy.mp4"


def local_clip(catalogue: Catalogue, image: ImageRecord) -> LocalClip:
    """The clip to review: the original when it is here and unchanged in size, else the register's proxy
    (cached on this computer). Raises PhotoUnavailable, saying where the original is, when neither is."""
    original = Path(image.path)
    _present, unchanged = _original_is_here(original, image)
    if unchanged:
        return LocalClip(original, False)
    if not catalogue.keeps_photo_copies:
        raise _unavailable(image, False)
    cached = _cached_proxy(image)
    stored = catalogue.clip_proxy(image.sha256, with_data=False)
    if stored is None:
        forget_cached({image.sha256})  # erased elsewhere (or never shared): this computer keeps none either
        raise _unavailable(image, True)
    if not cached.is_file() or hashlib.sha256(cached.read_bytes()).hexdigest() != stored.proxy_sha256:
        stored = catalogue.clip_proxy(image.sha256)
        if stored is None or hashlib.sha256(stored.data).hexdigest() != stored.proxy_sha256:
            raise PhotoUnavailable(f"the register's proxy of {original.name} is damaged; ask your administrator")
        atomic_write(cached, lambda tmp: tmp.write_bytes(stored.data))  # 0600: pictures of people
    return LocalClip(cached, True, stored.width / max(image.width, 1))


def track_thumbnail(
    catalogue: Catalogue, image: ImageRecord, n: int, size: int = 160, folder: Path | None = None
) -> Path:
    """A JPEG of person track `n` of a clip at its best sighting (the largest, surest look), cut from the
    original or the proxy, cached by content beside the photos' thumbnails (`forget_cached` removes it)."""
    from PIL import Image

    from consentdesk.core.media.video import frame_at

    folder = folder or thumbnail_folder()
    out = folder / image.sha256[:2] / f"{image.sha256}_track{n}_{size}.jpg"
    if out.exists():
        return out
    clip = catalogue.stored_clip(image.id)
    if clip is None or not 1 <= n <= len(clip.face_tracks):
        raise PhotoUnavailable(f"image {image.id} has no person track {n}")
    source = local_clip(catalogue, image)
    best = clip.face_tracks[n - 1].best
    frame = frame_at(source.path, best.t, max_side=None)
    k, b = source.scale, best.box
    pad = 0.3 * max(b.w, b.h)
    box = (
        max(0, int((b.x - pad) * k)),
        max(0, int((b.y - pad) * k)),
        min(frame.shape[1], int((b.x + b.w + pad) * k) + 1),
        min(frame.shape[0], int((b.y + b.h + pad) * k) + 1),
    )
    picture = Image.fromarray(frame).crop(box)
    picture.thumbnail((size, size))
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: picture.save(tmp, "JPEG", quality=85))  # 0600: a face
    return out
