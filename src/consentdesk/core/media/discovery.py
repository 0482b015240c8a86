"""Finding the images in what a user dropped or named: files, folders, folders of folders.

Shared by `analyse`, `import` and the GUI so they skip the same things for the same reasons. Files are
filtered by extension and magic bytes before anything is decoded (a folder may hold 10 000 documents),
and an unreadable folder is reported and passed over, never fatal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from consentdesk.core.media.imaging import FORMATS_IN_WORDS, has_image_extension, is_image_file
from consentdesk.core.media.kinds import is_clip_path


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str
    named: bool = False  # named by the user (not found in a folder): passing it over is an error

    @property
    def is_problem(self) -> bool:
        """A folder that could not be read or a path that does not exist, as opposed to a non-image."""
        return self.reason.startswith(("folder", "no such"))

    @property
    def is_unreadable_photo(self) -> bool:
        """A file named like a photo that cannot be used (empty, other bytes, no permission). It is an
        error, like a photo the decoder refuses, never a quiet "skipped": someone meant it to be checked.
        So is any file named on its own that is not a supported photo."""
        return not self.is_problem and (self.named or has_image_extension(self.path) or is_clip_path(self.path))


def _walk(root: Path, skipped: list[Skipped]) -> Iterator[Path]:
    def onerror(exc: OSError) -> None:
        skipped.append(
            Skipped(str(exc.filename or root), f"folder could not be read ({exc.strerror or exc})")
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def find_images(paths: Iterable[str | os.PathLike[str]], skipped: list[Skipped]) -> Iterator[Path]:
    """Yield image files under `paths` in a stable order; append every passed-over path to `skipped`.

    A file named explicitly in a supported format is always yielded, so the user gets the decoder's reason
    if it is not a good one; one in another format is refused with the formats that are supported, as it
    would be in a folder (a GIF is not checked by `analyse` and then refused by `import`).
    """
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            if not os.access(p, os.R_OK | os.X_OK):
                skipped.append(Skipped(str(p), "folder could not be read (permission denied)"))
                continue
            for f in _walk(p, skipped):
                ok, reason = is_image_file(f)
                if ok or is_clip_path(f):  # a clip's decoder says itself what is wrong with a bad one
                    yield f
                else:
                    skipped.append(Skipped(str(f), reason))
        elif p.exists():
            if has_image_extension(p) or is_clip_path(p):
                yield p
            else:
                reason = f"not a supported photo format ({p.suffix or 'no extension'}): ConsentDesk checks {FORMATS_IN_WORDS}"
                skipped.append(Skipped(str(p), reason, named=True))
        else:
            skipped.append(Skipped(str(p), "no such file or folder"))
