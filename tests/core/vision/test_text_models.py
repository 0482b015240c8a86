"""The folded text models shipped in resources/models (scripts/make_text_models.py) and their fallback.

The folded copies must compute what the wheel's PP-OCRv4 models compute: the same boxes found and the
same text read on generated scenes (labels, screens, documents drawn by the test builders)."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest
from tests.data.builders import build_image

from consentdesk.core.vision import text as text_module
from consentdesk.core.vision.text import TEXT_MODELS, TextReader, _detect, folded_model_path

ROOT = Path(__file__).resolve().parents[3]
_SCENES = [(0, (960, 720), 7), (2, (720, 960), 7), (1, (950, 530), 7), (3, (1280, 960), 11), (5, (1600, 1200), 3)]


def _sums() -> dict[str, str]:
    lines = (ROOT / "resources" / "models" / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split() for line in lines)}


@pytest.mark.parametrize("wheel_name", sorted(TEXT_MODELS))
def test_each_shipped_text_model_is_the_one_its_checksum_names(wheel_name):
    model = folded_model_path(wheel_name)
    assert hashlib.sha256(model.read_bytes()).hexdigest() == _sums()[model.name]


def _rgb(index, size, seed) -> np.ndarray:
    scene, _truth = build_image(index, size, seed)
    return np.asarray(scene.convert("RGB"))


@pytest.fixture(scope="module")
def readers() -> tuple[TextReader, TextReader]:
    return TextReader(det_side=960, threads=1), TextReader(det_side=960, threads=1, folded=False)


@pytest.mark.parametrize(("index", "size", "seed"), _SCENES)
def test_the_folded_detector_finds_the_same_boxes_as_the_wheels(readers, index, size, seed):
    rgb = _rgb(index, size, seed)
    folded, wheel = (_detect(r._load().text_det, rgb) for r in readers)
    assert len(folded) == len(wheel) > 0
    assert np.abs(np.asarray(folded, float) - np.asarray(wheel, float)).max() <= 1.0


@pytest.mark.parametrize(("index", "size", "seed"), _SCENES)
def test_the_folded_models_read_the_same_text_as_the_wheels(readers, index, size, seed):
    rgb = _rgb(index, size, seed)
    folded, wheel = (r.read(rgb) for r in readers)
    assert [line.text for line in folded] == [line.text for line in wheel] and folded
    for a, b in zip(folded, wheel, strict=True):
        assert abs(a.score - b.score) < 1e-3
        assert np.abs(np.asarray(a.quad) - np.asarray(b.quad)).max() <= 1.0


def test_the_reader_runs_the_folded_copies(readers):
    for reader, expected in zip(readers, (set(TEXT_MODELS.values()), set(TEXT_MODELS)), strict=True):
        reader.load()
        engine = reader._load()
        assert {Path(part.opened).name for part in (engine.text_det.infer, engine.text_rec.session)} == expected


def test_a_missing_folded_model_falls_back_to_the_wheels_and_says_so(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(text_module, "folded_model_path", lambda name: tmp_path / "gone.onnx")
    rgb = _rgb(*_SCENES[0])
    with caplog.at_level(logging.WARNING, logger="consentdesk.vision.text"):
        lines = TextReader(det_side=960, threads=1).read(rgb)
    assert lines == TextReader(det_side=960, threads=1, folded=False).read(rgb) and lines
    assert sum("folded text model gone.onnx missing" in r.getMessage() for r in caplog.records) == 2


def test_the_folded_models_load_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="consentdesk.vision.text"):
        TextReader(threads=1).load()
    assert not caplog.records


def _script():
    pytest.importorskip("onnx")  # the `models` extra: the build needs it, the app never does
    spec = importlib.util.spec_from_file_location("make_text_models", ROOT / "scripts" / "make_text_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_make_script_rebuilds_the_shipped_bytes(capsys):
    assert _script().main(["--check"]) == 0
    assert capsys.readouterr().out.count("matches SHA256SUMS") == 2


def test_the_make_scripts_check_fails_on_a_checksum_that_differs(monkeypatch, tmp_path, capsys):
    script = _script()
    sums = tmp_path / "SHA256SUMS"
    real = (ROOT / "resources" / "models" / "SHA256SUMS").read_text()
    digest = _sums()["ppocrv4_rec_folded.onnx"]
    sums.write_text(real.replace(digest, "0" * 64))
    monkeypatch.setattr(script, "SUMS", sums)
    assert script.main(["--check"]) == 1
    assert "ppocrv4_rec_folded.onnx: " + digest + " DIFFERS" in capsys.readouterr().out
