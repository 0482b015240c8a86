"""Session-wide test clips (built once, a few seconds each) and a second face detector for exports.

Import the fixtures into a test module (`from tests.data.clip_fixtures import clips  # noqa: F401`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from tests.data.clip_builder import ClipSpec, ClipTruth, truncate, write_clip


@dataclass
class Clips:
    folder: Path
    landscape: Path  # 640x360, 6 s, H.264, AAC sound, location and device metadata
    rotated: Path  # a portrait phone clip: stored landscape, rotation 90 in the file
    hevc: Path  # HEVC in a MOV
    vfr: Path  # frames at irregular times, M4V
    truncated: Path  # the landscape clip cut off half way
    truths: dict[Path, ClipTruth]


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    folder = tmp_path_factory.mktemp("clips")
    specs = {
        "landscape.mp4": ClipSpec(audio=True, location="+51.5074-000.1278/", make="Acme"),
        "rotated.mov": ClipSpec(size=(360, 640), rotate=90, seed=2, make="Acme"),
        "hevc.mov": ClipSpec(seconds=3.0, codec="libx265", seed=3),
        "vfr.m4v": ClipSpec(seconds=3.0, vfr=True, seed=4),
    }
    truths = {folder / name: write_clip(folder / name, spec) for name, spec in specs.items()}
    truncated = truncate(folder / "landscape.mp4", folder / "truncated.mp4", keep=0.5)
    return Clips(
        folder,
        folder / "landscape.mp4",
        folder / "rotated.mov",
        folder / "hevc.mov",
        folder / "vfr.m4v",
        truncated,
        truths,
    )


class SecondDetector:
    """A face detector that is not ours, shipped inside a wheel: scikit-image's LBP frontal-face cascade
    (and OpenCV's Haar cascade too where the installed OpenCV still bundles it, as OpenCV 4 does)."""

    def __init__(self) -> None:
        from skimage import data
        from skimage.feature import Cascade

        self.lbp = Cascade(data.lbp_frontal_face_cascade_filename())
        self.haar = None
        try:
            import cv2

            path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
            if path.is_file() and hasattr(cv2, "CascadeClassifier"):
                self.haar = cv2.CascadeClassifier(str(path))
        except (AttributeError, ImportError):
            self.haar = None

    def detect(self, rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) from both cascades."""
        gray = rgb.mean(axis=2)
        boxes = [
            (int(d["c"]), int(d["r"]), int(d["width"]), int(d["height"]))
            for d in self.lbp.detect_multi_scale(
                img=gray / 255.0, scale_factor=1.25, step_ratio=1, min_size=(24, 24), max_size=(160, 160)
            )
        ]
        if self.haar is not None:
            found = self.haar.detectMultiScale(gray.astype(np.uint8), 1.1, 4, minSize=(20, 20))
            boxes += [tuple(int(v) for v in b) for b in found]
        return boxes


def centre_inside(box: tuple[int, int, int, int], faces: list[list[int]]) -> bool:
    """Whether a detection is one of these faces: centred on it and at least half its height (a cascade
    also fires on a few mosaic blocks, a patch far smaller than the face, which shows nobody)."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    return any(
        fx <= cx <= fx + fw and fy <= cy <= fy + fh and max(w, h) >= 0.5 * fh for fx, fy, fw, fh in faces
    )
