"""`analyse` and `import` check the same photo formats, whether a file is named or found in a folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from consentdesk.cli import main
from consentdesk.core.media.imaging import FORMATS_IN_WORDS


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    folder = tmp_path / "shoot"
    folder.mkdir()
    for name in ("a.jpg", "b.png", "c.gif", "d.bmp"):
        Image.new("RGB", (64, 48), (120, 30, 30)).save(folder / name)
    return folder


def test_a_named_gif_is_refused_by_both_with_the_formats_listed(shoot: Path, tmp_path: Path, capsys):
    for command in (["analyse"], ["--catalog", str(tmp_path / "c.sqlite"), "import"]):
        assert main([*command, str(shoot / "c.gif")]) == 1
        err = capsys.readouterr().err
        assert f"error {shoot / 'c.gif'}: not a supported photo format (.gif)" in err
        assert FORMATS_IN_WORDS in err


def test_a_folder_gives_both_the_same_photos_and_passes_the_rest_over(shoot: Path, tmp_path: Path, capsys):
    assert main(["analyse", str(shoot)]) == 0
    out, err = capsys.readouterr()
    assert sorted(line.split(":")[0] for line in out.splitlines()) == ["a.jpg", "b.png"]
    assert "skipped" in err and "c.gif" in err and "error " not in err and "0 error(s)" in err
    assert main(["--catalog", str(tmp_path / "c.sqlite"), "import", str(shoot)]) == 0
    assert "2 added" in capsys.readouterr().out
