"""OCR with RapidOCR (PP-OCRv4 ONNX models shipped in the rapidocr-onnxruntime wheel).

Why split detection and recognition: text *detection* is the expensive, resolution-hungry step, while
*recognition* only needs sharp crops. So we detect on a small copy (long side `det_side`) and
recognise each line from the larger working image. Small label text stays legible and the whole
OCR stage stays around 0.1-0.25 s. No angle classifier: labels in photos are roughly upright.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Largest enlargement of a small image for text detection (bench/real_photos.py: 10 -> 12 of 13 small
#: photos with text found, for ~2x the detection time on those photos only).
MAX_DET_UPSCALE = 2.0

#: RapidOCR's parts that open an onnxruntime session when built (the angle classifier is never used here).
_SESSION_MODULES = (
    "rapidocr_onnxruntime.ch_ppocr_det.text_detect",
    "rapidocr_onnxruntime.ch_ppocr_rec.text_recognize",
    "rapidocr_onnxruntime.ch_ppocr_cls.text_cls",
)
_BUILD_LOCK = threading.Lock()
#: the wheel's model -> its folded copy shipped in resources/models (scripts/make_text_models.py: the same
#: function with the single-number layers folded into the convolutions, about a quarter less CPU per run)
TEXT_MODELS = {
    "ch_PP-OCRv4_det_infer.onnx": "ppocrv4_det_folded.onnx",
    "ch_PP-OCRv4_rec_infer.onnx": "ppocrv4_rec_folded.onnx",
}
_log = logging.getLogger("consentdesk.vision.text")


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text read; `quad` is 4 (x, y) points in the pixels of the array given to `read`."""

    text: str
    score: float
    quad: tuple[tuple[float, float], ...]

    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


class TextReader:
    """Lazily loads RapidOCR once; `read(rgb)` returns lines in reading order (top-down, left-right)."""

    def __init__(self, det_side: int = 1280, threads: int | None = None, folded: bool = True) -> None:
        self.det_side = det_side
        self.threads = threads
        self.folded = folded  # False: the wheel's own models (to compare; the app always folds)
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            # one thread pool per session, as wide as asked (import workers ask for 1) or every core
            self._engine = _rapidocr(self.threads or os.cpu_count() or 1, self.folded)
            # detect at a fixed *maximum* side instead of RapidOCR's default minimum side of 736 px
            self._engine.text_det.limit_type = "max"
            self._engine.text_det.limit_side_len = self.det_side
            # recognise one line per run: RapidOCR batches 6 lines padded to the widest (and at least
            # 320 px), and on one thread a batch costs more per line than lines run alone (a 1280 px
            # line: 122 ms in a batch of 6, 79 ms alone); a line's reading no longer depends on which
            # other lines share its batch either (each is padded as PaddleOCR pads a single line)
            self._engine.text_rec.rec_batch_num = 1
        return self._engine

    def load(self) -> None:
        """Build RapidOCR and open its detection and recognition sessions now instead of at the first read."""
        with self._lock:
            engine = self._load()
            for part in (engine.text_det.infer, engine.text_rec.session):
                if isinstance(part, _Session):
                    part.session  # noqa: B018 - opened on first use

    def read(self, rgb: np.ndarray, max_upscale: float = MAX_DET_UPSCALE) -> list[TextLine]:
        import cv2

        h, w = rgb.shape[:2]
        if h < 16 or w < 16:
            return []
        # a small photo (a web image, a crop) is enlarged for detection, up to 2x: on real photos the
        # detector missed the lettering on a motorbike or a box at 416-640 px and found it at twice that
        f = min(max_upscale, self.det_side / max(h, w))
        if f < 1:
            small = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        elif f > 1.05:
            small = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_CUBIC)
        else:
            small, f = rgb, 1.0
        with self._lock:
            engine = self._load()
            boxes = _detect(engine.text_det, small)
            if boxes is None or not len(boxes):
                return []
            boxes = engine.sorted_boxes(boxes)
            quads = [np.asarray(b, dtype=np.float32) / f for b in boxes]
            # cut from the RGB pixels, then each small crop to BGR (not the whole working image first)
            crops = engine.get_crop_img_list(rgb, [q.copy() for q in quads])
            results, _ = engine.text_rec([np.ascontiguousarray(c[:, :, ::-1]) for c in crops])
        lines = []
        for quad, (text, score) in zip(quads, results, strict=False):
            text = str(text).strip()
            if text:  # low-scoring lines are kept: they still show where text is (documents, screens)
                lines.append(TextLine(text, float(score), tuple((float(x), float(y)) for x, y in quad)))
        return lines

    def read_boxes(self, rgb: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> list[TextLine]:
        """Recognise text in given boxes (x, y, w, h in `rgb` pixels) without detection: one line each."""
        crops, kept = [], []
        h, w = rgb.shape[:2]
        for x, y, bw, bh in boxes:
            x0, y0 = max(0, int(x - 0.04 * bw)), max(0, int(y - 0.1 * bh))
            x1, y1 = min(w, int(x + bw * 1.04) + 1), min(h, int(y + bh * 1.1) + 1)
            if x1 - x0 >= 8 and y1 - y0 >= 6:
                crops.append(np.ascontiguousarray(rgb[y0:y1, x0:x1, ::-1]))
                kept.append(((x0, y0), (x1, y0), (x1, y1), (x0, y1)))
        if not crops:
            return []
        with self._lock:
            results, _ = self._load().text_rec(crops)
        return [
            TextLine(str(text).strip(), float(score), tuple((float(a), float(b)) for a, b in quad))
            for quad, (text, score) in zip(kept, results, strict=False)
            if str(text).strip()
        ]


def _detect(det, rgb: np.ndarray):
    """RapidOCR's text detection (`det(bgr)`) with its input made in one OpenCV pass from the RGB pixels.

    Why: RapidOCR resizes the BGR copy to a multiple of 32, normalises it in float64 numpy and transposes
    it (~25 ms CPU per photo at 960 px); `blobFromImage` does the resize, the channel swap, (x - 127.5) /
    127.5 (its (x / 255 - 0.5) / 0.5) and the layout at once in float32. Same size rule as RapidOCR's
    DetPreProcess for an input of at most 2000 px (ratio 1, sides rounded to multiples of 32); the network
    and the post-processing are RapidOCR's own."""
    import cv2

    h, w = rgb.shape[:2]
    size = (max(32, int(round(w / 32) * 32)), max(32, int(round(h / 32) * 32)))
    blob = cv2.dnn.blobFromImage(rgb, 1 / 127.5, size, (127.5, 127.5, 127.5), swapRB=True, crop=False)
    preds = det.infer(blob)[0]
    boxes, _scores = det.postprocess_op(preds, (h, w))
    return det.filter_tag_det_res(boxes, (h, w))


def wheel_model_path(name: str) -> Path:
    """A model file inside the installed rapidocr-onnxruntime package (never downloaded)."""
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models" / name


def folded_model_path(name: str) -> Path:
    """The folded copy of the wheel's model `name` shipped with the app (it may be missing)."""
    from consentdesk import paths

    return paths.resource("models", TEXT_MODELS[name])


def _model_to_run(wheel_path: str, folded: bool) -> str:
    """The shipped folded copy of a text model when asked for and present, else the wheel's own file."""
    name = Path(wheel_path).name
    if not folded or name not in TEXT_MODELS:
        return wheel_path
    path = folded_model_path(name)
    if path.is_file():
        return str(path)
    _log.warning("folded text model %s missing: running the wheel's %s (about a third more CPU)", path.name, name)
    return wheel_path


class _Session:
    """RapidOCR's `OrtInferSession` interface on a session opened with the check's settings (sessions.py:
    buffers reused between runs, no spinning threads) when first used: each model is loaded once (RapidOCR
    opened its own three sessions first: loading took 0.31 s CPU per worker, now 0.19 s), and the unused
    angle classifier never. The detector and recogniser run their folded copies (TEXT_MODELS)."""

    def __init__(self, config: dict, threads: int, folded: bool = True) -> None:
        self.path, self.threads, self._session = str(config["model_path"]), threads, None
        self.folded, self.opened = folded, ""  # opened: the file the session runs

    @property
    def session(self):
        if self._session is None:
            from consentdesk.core.vision.sessions import open_session

            self.opened = _model_to_run(self.path, self.folded)
            self._session = open_session(self.opened, self.threads)
        return self._session

    def __call__(self, blob: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.session.get_inputs()[0].name: blob})

    def have_key(self, key: str = "character") -> bool:
        return key in self.session.get_modelmeta().custom_metadata_map

    def get_character_list(self, key: str = "character") -> list[str]:
        return self.session.get_modelmeta().custom_metadata_map[key].splitlines()


def _rapidocr(threads: int, folded: bool = True):
    """RapidOCR with its sessions made by `_Session` (its parts look the session class up when built)."""
    import importlib

    from rapidocr_onnxruntime import RapidOCR

    modules = [importlib.import_module(name) for name in _SESSION_MODULES]
    with _BUILD_LOCK:
        saved = [m.OrtInferSession for m in modules]
        try:
            for m in modules:
                m.OrtInferSession = lambda config: _Session(config, threads, folded)
            return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        finally:
            for m, cls in zip(modules, saved, strict=True):
                m.OrtInferSession = cls
