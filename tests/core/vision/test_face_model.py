"""CenterFace runs on onnxruntime after its declared fixed shape is freed in memory (onnx_shapes.py)."""

from __future__ import annotations

import cv2
import numpy as np
import onnxruntime as ort
import pytest
from skimage import data

from consentdesk.core.vision.faces import FaceDetector, centerface_model_path
from consentdesk.core.vision.onnx_shapes import free_dims

_OUT = ["537", "538", "539", "540"]
_DIMS = {"input.1": ["B", 3, "H", "W"], **{o: ["B", c, "h", "w"] for o, c in zip(_OUT, (1, 2, 2, 10), strict=True)}}


def _session(model: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def test_the_shipped_model_refuses_another_size_until_its_shape_is_freed():
    raw = centerface_model_path().read_bytes()
    blob = np.zeros((1, 3, 64, 96), np.float32)
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        _session(raw).run(_OUT, {"input.1": blob})
    heat = _session(free_dims(raw, _DIMS)).run(_OUT, {"input.1": blob})[0]
    assert heat.shape == (1, 1, 16, 24)


def test_the_freed_model_computes_what_opencv_computes_on_the_original():
    """Same outputs as OpenCV's dnn on the untouched file (the reference before): only the declared
    shapes and the weights' listing as inputs changed, never a weight or a node."""
    rgb = cv2.resize(data.astronaut(), (640, 448))
    blob = cv2.dnn.blobFromImage(rgb, 1.0, (640, 448), (0, 0, 0), swapRB=False, crop=False)
    net = cv2.dnn.readNetFromONNX(str(centerface_model_path()))
    net.setInput(blob)
    expected = net.forward(_OUT)
    got = _session(free_dims(centerface_model_path().read_bytes(), _DIMS)).run(_OUT, {"input.1": blob})
    for e, g in zip(expected, got, strict=True):
        assert e.shape == g.shape
        assert np.abs(e - g).max() < 1e-3


def test_freed_model_keeps_every_byte_but_the_shapes_and_weight_inputs():
    raw = centerface_model_path().read_bytes()
    freed = free_dims(raw, _DIMS)
    assert 0 < len(raw) - len(freed) < 20_000  # ~190 weight entries of a few dozen bytes dropped
    assert freed.count(b"num_batches_tracked") < raw.count(b"num_batches_tracked")


def test_a_name_that_is_not_an_input_or_output_is_refused():
    with pytest.raises(ValueError, match="not an input or output"):
        free_dims(centerface_model_path().read_bytes(), {"no such input": [1]})


def test_one_thread_detector_finds_the_same_face_as_the_default():
    img = data.astronaut()
    assert FaceDetector(threads=1).detect(img) == FaceDetector().detect(img)


def test_text_models_run_with_the_checks_session_settings():
    """RapidOCR opens its sessions without the memory arena (fresh buffers each run, ~a quarter more CPU
    for detection); the reader opens both models it uses with the shared settings."""
    from consentdesk.core.vision.text import TextReader

    engine = TextReader(threads=1)._load()
    for model in (engine.text_det.infer, engine.text_rec.session):
        options = model.session.get_session_options()
        assert options.enable_cpu_mem_arena and options.intra_op_num_threads == 1
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_text_models_are_loaded_once_and_the_angle_classifier_never(monkeypatch):
    """RapidOCR opened its three models when built and the reader reopened two of them: each worker paid
    for five model loads where two are used."""
    import onnxruntime
    from rapidocr_onnxruntime.utils import infer_engine

    from consentdesk.core.vision.text import TextReader

    opened: list[str] = []
    real = onnxruntime.InferenceSession

    def counting(model, *args, **kwargs):
        opened.append(str(model))
        return real(model, *args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    monkeypatch.setattr(infer_engine, "InferenceSession", counting)
    reader = TextReader(threads=1)
    image = np.full((200, 400, 3), 255, np.uint8)
    image[90:110, 50:350] = 0  # a dark bar: the detector finds a box, the recogniser reads it
    reader.read(image)
    reader.read(image)
    assert len(opened) == 2 and not any("cls" in name for name in opened)
    assert sorted(name.rsplit("/", 1)[-1] for name in opened) == sorted(
        ["ppocrv4_det_folded.onnx", "ppocrv4_rec_folded.onnx"]
    )


def test_detect_takes_a_threshold_for_one_call():
    det = FaceDetector()
    img = np.ascontiguousarray(data.astronaut())
    every = det.detect(img, 0.05)
    assert len(every) > len(det.detect(img)) >= 1, "a lower threshold for one call keeps weaker faces"
    assert det.threshold == 0.35 and all(f.score >= 0.05 for f in every)
