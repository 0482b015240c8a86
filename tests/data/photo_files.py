"""Real photo files for tests of where a photo's bytes come from (originals, a register's working copies),
and a quick checker so an import needs no analyser: file facts are real, the one face is where tests say."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from consentdesk.core.media import imaging
from consentdesk.core.photos.importer import CheckedFile
from consentdesk.core.values import Analysis, Box, Face

#: The one face `one_face` reports in every photo.
FACE = [200, 150, 120, 160]


def one_face(path: str) -> CheckedFile:
    """An importer checker: the file's real facts and one face at FACE."""
    info = imaging.read_info(path)
    face = Face(Box.from_list(FACE), 0.9)
    return CheckedFile(path, info, Analysis(path=path, width=info.width, height=info.height, faces=(face,)))


def photograph(
    folder: Path, name: str, colour: tuple[int, int, int], size: tuple[int, int] = (320, 240)
) -> Path:
    """A plain JPEG of one colour (so a thumbnail can be told from another by its centre pixel)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.new("RGB", size, colour).save(path, quality=95)
    return path
