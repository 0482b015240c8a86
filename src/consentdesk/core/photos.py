"""Where to read a photo from: the original where it was imported, or the team register's working copy.

A reviewer in another building cannot see the photographer's folders, so a team register keeps each
photo's bytes by content (SHA-256). Everything that needs the pixels of an imported photo (review, preview,
export, SAR) asks here. Originals are never written to; the working copy is materialised once into this
computer's private cache (0600) and checked against its hash before use.

Thumbnails (`thumbnail`) are made for every card the library paints, so they cost nothing extra when the
original is here; only a photo whose original is out of reach reads the register, through `StoredCopies`,
which opens one connection per worker thread for a batch of thumbnails and closes them when it ends. A
thumbnail made from the register's copy is not kept full size on this computer, only as the thumbnail.
Both caches are named by content (SHA-256), never by file name, and `forget_cached` empties both.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from consentdesk import paths
from consentdesk.core.model import ImageRecord
from consentdesk.core.store import Catalogue


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
        return cached
    data = catalogue.photo_file(image.sha256) if catalogue.keeps_photo_copies else None
    if data is None and present:
        return original  # a file is there but not as recorded: the caller's hash check says it changed
    if data is None:
        raise _unavailable(image, catalogue.keeps_photo_copies)
    _checked(data, image)
    fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".incoming-")  # 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, cached)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cached


T = TypeVar("T")


class StoredCopies:
    """Reads the register's working copies for a batch of background jobs (the library's thumbnails).

    Why not one `Catalogue.open` per job: a card is painted many times a second while scrolling, and opening
    a register costs a connection and a few queries. Why not one catalogue for all jobs: a `Catalogue`
    belongs to one thread. So each worker thread opens its own, the first time one of its jobs needs a copy
    (never when the originals are here), and the last job of a batch closes them all, so no connection
    outlives the work. A batch is every job queued through `job()` until none is left.
    """

    def __init__(self, locator: str, keeps_copies: bool) -> None:
        self.locator = locator
        self.keeps_copies = keeps_copies
        self._lock = threading.Lock()
        self._queued = 0
        self._open: dict[int, Catalogue] = {}
        self._broken: Exception | None = None  # the register could not be opened: the batch stops trying
        self.opened = 0  # catalogues opened so far (how the cost is measured)

    @classmethod
    def of(cls, catalogue: Catalogue) -> StoredCopies:
        return cls(catalogue.locator, catalogue.keeps_photo_copies)

    def job(self, fn: Callable[[StoredCopies], T]) -> Callable[[], T]:
        """Count a job into the batch now (when it is queued) and return it ready to run in a worker."""
        with self._lock:
            self._queued += 1

        def run() -> T:
            try:
                return fn(self)
            finally:
                self._job_done()

        return run

    @property
    def connections_open(self) -> int:
        """Catalogues open now (0 once a batch is over)."""
        with self._lock:
            return len(self._open)

    def read(self, image: ImageRecord) -> bytes | None:
        """The register's copy of this photo (checked against its hash), None if the register keeps none."""
        if not self.keeps_copies:
            return None
        data = self._catalogue().photo_file(image.sha256)
        return _checked(data, image) if data is not None else None

    def _catalogue(self) -> Catalogue:
        me = threading.get_ident()
        with self._lock:
            if self._broken is not None:
                raise self._broken
            mine = self._open.get(me)
        if mine is not None:
            return mine
        try:
            mine = Catalogue.open(self.locator, create=False)
        except Exception as exc:
            with self._lock:
                self._broken = exc
            raise
        with self._lock:
            self._open[me] = mine
            self.opened += 1
        return mine

    def _job_done(self) -> None:
        with self._lock:
            self._queued -= 1
            if self._queued > 0:
                return
            ending, self._open, self._broken = list(self._open.values()), {}, None
        for catalogue in ending:  # every job of the batch is over: none of these is in use
            catalogue.close()


def thumbnail(
    image: ImageRecord, size: int, copies: StoredCopies | None = None, folder: Path | None = None
) -> Path:
    """A cached JPEG thumbnail of this photo: from its original when that is here, else from this
    computer's copy or the register's (read through `copies`, so the register is asked only then)."""
    from consentdesk.core import imaging  # Pillow and numpy: loaded by whoever makes pictures, not by erasure

    folder = folder or thumbnail_folder()
    original = Path(image.path)
    present, unchanged = _original_is_here(original, image)
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
