"""The app bundle ships OpenCV without its video and AVIF libraries (packaging/opencv_without_video.py):
clips are read and written with PyAV and photos decoded with Pillow, so no code may call cv2's file or
video functions. A call would work from the source and stop the bundled app, so it is caught here."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "consentdesk"
#: cv2 functions that reach FFmpeg or libavif (or may, depending on the file given).
FORBIDDEN = {"VideoCapture", "VideoWriter", "VideoWriter_fourcc", "imread", "imreadmulti", "imwrite",
             "imdecode", "imencode", "imcount", "haveImageReader", "haveImageWriter"}  # fmt: skip


def forbidden_calls(source: str, filename: str) -> list[str]:
    """'file:line cv2.name' for each use of a forbidden cv2 function (as `cv2.name` or imported by name)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            if isinstance(node.value, ast.Name) and node.value.id == "cv2":
                found.append(f"{filename}:{node.lineno} cv2.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "cv2":
            found += [f"{filename}:{node.lineno} cv2.{a.name}" for a in node.names if a.name in FORBIDDEN]
    return found


def test_no_code_calls_opencv_video_or_image_files():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        found += forbidden_calls(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    assert found == []


def test_a_planted_call_is_caught():
    planted = "import cv2\n\ndef frames(p):\n    return cv2.VideoCapture(p)\n\nfrom cv2 import imread\n"
    assert sorted(forbidden_calls(planted, "planted.py")) == ["planted.py:4 cv2.VideoCapture", "planted.py:6 cv2.imread"]
