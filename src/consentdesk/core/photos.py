"""Where to read a photo from: the original where it was imported, or the team register's working copy.

A reviewer in another building cannot see the photographer's folders, so a team register keeps each
photo's bytes by content (SHA-256). Everything that needs the pixels of an imported photo (review, preview,
export, SAR) asks here. Originals are never written to; the working copy is materialised once into this
computer's private cache (0600) and checked against its hash before use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from consentdesk import paths
from consentdesk.core.model import ImageRecord
from consentdesk.core.store import Catalogue


class PhotoUnavailable(Exception):
    """Neither the original nor a stored copy can be read; the message says what to do."""


def _cache_folder() -> Path:
    folder = paths.cache_dir() / "photos"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def local_photo(catalogue: Catalogue, image: ImageRecord) -> Path:
    """A readable file with this photo's content: the original when it is here and unchanged in size,
    else the register's copy (cached on this computer)."""
    original = Path(image.path)
    present = False
    with contextlib.suppress(OSError):
        present = original.is_file()
        if present and original.stat().st_size == image.file_size:
            return original
    cached = _cache_folder() / f"{image.sha256}{original.suffix.lower()}"
    if cached.is_file():
        return cached
    data = catalogue.photo_file(image.sha256) if catalogue.keeps_photo_copies else None
    if data is None and present:
        return original  # a file is there but not as recorded: the caller's hash check says it changed
    if data is None:
        raise PhotoUnavailable(
            f"the photo {original.name} is not at {original.parent} on this computer"
            + (" and the register holds no copy of it" if catalogue.keeps_photo_copies else "")
            + "; reconnect the drive it was imported from, or run `consentdesk check --relink FOLDER`."
        )
    if hashlib.sha256(data).hexdigest() != image.sha256:
        raise PhotoUnavailable(f"the register's copy of {original.name} is damaged; ask your administrator")
    fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".incoming-")  # 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, cached)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cached


def forget_cached(sha256s: set[str]) -> int:
    """Remove cached copies of these photos (after an erasure); returns how many files went."""
    removed = 0
    for sha in sha256s:
        for cached in _cache_folder().glob(f"{sha}*"):
            cached.unlink(missing_ok=True)
            removed += 1
    return removed
