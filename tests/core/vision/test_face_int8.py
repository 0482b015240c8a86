"""The shipped int8 CenterFace (resources/models, made by scripts/make_face_int8.py) and its fallback."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pytest
from skimage import data
from tests.data.builders import build_image

from consentdesk.core.vision import faces as faces_module
from consentdesk.core.vision.faces import FaceDetector, int8_model_path

# seeds the generator script never calibrates on (it uses seed 19)
_SCENES = [(i, (1600, 1200), 3) for i in range(4)] + [(i, (1280, 960), 5) for i in range(4)]


def test_the_shipped_int8_model_is_the_one_its_checksum_names():
    model = int8_model_path()
    lines = (model.parent / "SHA256SUMS").read_text().splitlines()
    sums = {name: digest for digest, name in (line.split() for line in lines)}
    assert hashlib.sha256(model.read_bytes()).hexdigest() == sums[model.name]


def _centre_in(box: list[int], found) -> bool:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return any(f.box.x <= cx <= f.box.x + f.box.w and f.box.y <= cy <= f.box.y + f.box.h for f in found)


@pytest.mark.parametrize(("index", "size", "seed"), _SCENES)
def test_int8_finds_every_face_the_float_model_finds_on_generated_scenes(index, size, seed):
    scene, truth = build_image(index, size, seed)
    rgb = np.asarray(scene.convert("RGB"))
    float_faces = FaceDetector(threads=1, int8=False).detect(rgb)
    int8_faces = FaceDetector(threads=1).detect(rgb)
    for box in truth.faces:
        if _centre_in(box, float_faces):
            assert _centre_in(box, int8_faces), f"face {box} found by the float model only"
    assert len(int8_faces) <= len(truth.faces)  # no false faces


def test_int8_runs_by_default_and_its_scores_stay_close_to_the_float_model():
    img = data.astronaut()
    int8_faces, float_faces = FaceDetector().detect(img), FaceDetector(int8=False).detect(img)
    assert len(int8_faces) == len(float_faces) == 1
    assert int8_faces != float_faces  # the quantised model is the one that ran
    assert abs(int8_faces[0].score - float_faces[0].score) < 0.1
    a, b = int8_faces[0].box, float_faces[0].box
    assert abs(a.x - b.x) + abs(a.y - b.y) + abs(a.w - b.w) + abs(a.h - b.h) < 20


def test_a_missing_int8_model_falls_back_to_the_float_model_and_says_so(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(faces_module, "int8_model_path", lambda: tmp_path / "gone.onnx")
    with caplog.at_level(logging.WARNING, logger="consentdesk.vision.faces"):
        found = FaceDetector(threads=1).detect(data.astronaut())
    assert found == FaceDetector(threads=1, int8=False).detect(data.astronaut())
    assert any("int8 face model missing" in r.getMessage() for r in caplog.records)


def test_the_int8_model_is_found_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="consentdesk.vision.faces"):
        FaceDetector(threads=1).detect(data.astronaut())
    assert not caplog.records
