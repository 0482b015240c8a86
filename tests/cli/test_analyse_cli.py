"""`consentdesk analyse` as a user runs it: a real process, real files, JSON Lines out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from skimage import data


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "consentdesk", "analyse", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shoot")
    scene = Image.fromarray(data.astronaut()).resize((1600, 1600))
    draw = ImageDraw.Draw(scene)
    draw.rectangle([900, 1150, 1580, 1580], fill="white")
    for i, line in enumerate(["Name: John Smith", "DOB: 12/03/1961", "NHS No: 943 476 5919"]):
        draw.text((930, 1180 + i * 70), line, fill="black", font_size=44)
    scene.save(root / "IMG_1.jpg", quality=92)
    sub = root / "day2"
    sub.mkdir()
    Image.fromarray(data.coffee()).save(sub / "clean.png")
    (sub / "broken.jpg").write_bytes((root / "IMG_1.jpg").read_bytes()[:3000])
    (root / "notes.txt").write_text("not an image")
    (root / "fake.jpg").write_text("a text file named like a photo")
    return root


def test_json_lines_for_a_folder(folder: Path):
    proc = run(str(folder), "--json")
    assert proc.returncode == 1, proc.stderr  # broken.jpg had an error, the run went on
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    by_name = {Path(r["path"]).name: r for r in rows}
    assert set(by_name) == {"IMG_1.jpg", "clean.png", "broken.jpg"}  # fake.jpg and notes.txt skipped
    img = by_name["IMG_1.jpg"]
    assert img["error"] is None and (img["width"], img["height"]) == (1600, 1600)
    assert len(img["faces"]) >= 1 and len(img["faces"][0]["box"]) == 4
    kinds = {f["kind"] for f in img["findings"]}
    assert {"nhs_number", "person_name", "date_of_birth"} <= kinds
    for f in img["findings"]:
        assert set(f) >= {"kind", "text", "box", "severity"}
    assert by_name["broken.jpg"]["error"]
    assert not [f for f in by_name["clean.png"]["findings"] if f["severity"] == "high"]
    assert "fake.jpg" in proc.stderr and "notes.txt" in proc.stderr


def test_readable_summary(folder: Path):
    proc = run(str(folder / "IMG_1.jpg"))
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith("IMG_1.jpg: 1 face; ") and "NHS number" in line and "confidential item" in line


def test_missing_path_and_unreadable_folder(tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    Image.fromarray(data.astronaut()).save(locked / "a.jpg")
    locked.chmod(0)
    try:
        if os.geteuid() == 0:
            pytest.skip("running as root: permissions are not enforced")
        proc = run(str(locked), str(tmp_path / "nope"))
        assert proc.returncode == 1
        assert "locked" in proc.stderr and "could not be read" in proc.stderr
        assert "no such file" in proc.stderr
    finally:
        locked.chmod(0o755)


def test_missing_path_is_reported(tmp_path: Path):
    proc = run(str(tmp_path / "nope"))
    assert proc.returncode == 1 and "no such file or folder" in proc.stderr


def test_many_non_images_finish_quickly(tmp_path: Path):
    for i in range(2000):
        (tmp_path / f"doc_{i}.txt").write_text("x")
    for i in range(200):
        (tmp_path / f"fake_{i}.jpg").write_bytes(b"not a jpeg at all")
    t = time.perf_counter()
    proc = run(str(tmp_path), "--json")
    elapsed = time.perf_counter() - t
    assert proc.returncode == 1 and proc.stdout == ""  # files named like photos that are not: errors
    assert "0 image(s) analysed, 200 error(s), 2000 skipped" in proc.stderr
    assert elapsed < 15  # no model is even loaded when nothing is an image


def test_help_does_not_import_the_vision_stack():
    code = (
        "import sys; from consentdesk.cli import build_parser; build_parser(); "
        "print(any(m in sys.modules for m in ('cv2', 'onnxruntime', 'rapidocr_onnxruntime')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_unreadable_folder_reported_and_skipped_emulated(tmp_path: Path, monkeypatch, capsys):
    """Works as root too: the permission check itself is emulated, the rest of the run is real."""
    from consentdesk.cli import main

    locked = tmp_path / "locked"
    locked.mkdir()
    Image.fromarray(data.astronaut()).save(locked / "a.jpg")
    ok = tmp_path / "ok"
    ok.mkdir()
    (ok / "notes.txt").write_text("x")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    assert main(["analyse", str(locked), str(ok)]) == 1
    err = capsys.readouterr().err
    assert f"skipped {locked}: folder could not be read" in err
