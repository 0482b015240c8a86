"""The check pipeline: one image in, one `Analysis` out (faces, personal data, codes, screens, documents).

Why this shape: the catalogue, the CLI, the GUI workers and the benchmark all call `analyse_path` the
same way, in a thread or a subprocess (inputs and outputs are plain picklable values). Models load once
per process, lazily. Speed comes from decoding reduced (JPEG draft) to one working image and running
each stage at the smallest size that still works for it; every box is mapped back to original pixels.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consentdesk.core.media import imaging
from consentdesk.core.minimise import CONFIDENTIAL_MARKING, mask_finding_text
from consentdesk.core.values import Analysis, Box, Face, Finding, FindingKind, Severity
from consentdesk.core.vision import pii, plates
from consentdesk.core.vision.codes import Code, read_codes
from consentdesk.core.vision.faces import FaceDetector
from consentdesk.core.vision.regions import find_regions
from consentdesk.core.vision.text import TextLine, TextReader

#: Bump when a model, threshold or recogniser changes, so stored analyses can be told apart.
ANALYSER_VERSION = (
    "consentdesk-vision 2.1 (centerface, ppocrv4, zxing-cpp; names, plates, masked text; "
    "small photos enlarged, pages of text)"
)
#: Largest enlargement of a small photo for face detection (see `Analyser._run`).
MAX_FACE_UPSCALE = 2.0


@dataclass(frozen=True, slots=True)
class AnalyserConfig:
    """Working sizes (long side, pixels) per stage; measured on a 2-core machine (see bench/analyse.py)."""

    work_side: int = 2000  # decoded size; OCR recognition crops and codes read from it
    face_side: int = 1440  # CenterFace input; faces down to ~18 px here (~50 px in a 12 MP photo)
    ocr_det_side: int = 960  # text detection input (recognition still reads the 2000 px image)
    text_min_score: float = 0.6  # OCR lines below this are not trusted for personal data
    threads: int | None = None  # per-process threads for OpenCV/onnxruntime; None = library default

    @classmethod
    def thorough(cls, threads: int | None = None) -> AnalyserConfig:
        """Slower (faces ~2x) but finds background faces down to ~40 px in a 4000 px photo instead of ~55 px."""
        return cls(face_side=2000, threads=threads)


class Analyser:
    """Holds the models (loaded on first use) and runs the stages in order."""

    def __init__(self, config: AnalyserConfig | None = None) -> None:
        self.config = config or AnalyserConfig()
        self.faces = FaceDetector()
        self.text = TextReader(det_side=self.config.ocr_det_side, threads=self.config.threads)
        if self.config.threads:
            import cv2

            cv2.setNumThreads(self.config.threads)

    def analyse_path(self, path: str | Path) -> Analysis:
        """Analyse one file; a bad file returns an Analysis with `error` set, never raises."""
        t0 = time.perf_counter()
        try:
            loaded = imaging.load(path, max_side=self.config.work_side)
        except imaging.ImageError as exc:
            return Analysis(path=str(path), error=str(exc), analyser_version=ANALYSER_VERSION)
        except Exception as exc:  # a decoder bug must not stop a batch
            return Analysis(
                path=str(path), error=f"could not read the image ({exc})", analyser_version=ANALYSER_VERSION
            )
        decode = time.perf_counter() - t0
        info = loaded.info
        try:
            result = self._run(loaded.rgb, loaded.scale, str(path), info.width, info.height)
        except Exception as exc:  # pragma: no cover - defensive: report, keep the batch going
            return Analysis(
                path=str(path),
                width=info.width,
                height=info.height,
                error=f"analysis failed ({exc})",
                analyser_version=ANALYSER_VERSION,
            )
        result.timings["decode"] = decode
        result.timings["total"] = time.perf_counter() - t0
        return result

    def analyse_array(self, rgb: np.ndarray, path: str = "") -> Analysis:
        """Analyse pixels already in memory (8-bit RGB); boxes are in this array's pixels."""
        t0 = time.perf_counter()
        h, w = rgb.shape[:2]
        f = min(1.0, self.config.work_side / max(h, w))
        work = _resize(rgb, f)
        result = self._run(work, f, path, w, h)
        result.timings["decode"] = 0.0
        result.timings["total"] = time.perf_counter() - t0
        return result

    # ------------------------------------------------------------------ stages

    def _run(self, work: np.ndarray, scale: float, path: str, width: int, height: int) -> Analysis:
        timings: dict[str, float] = {}

        t = time.perf_counter()
        # a small photo is enlarged (up to 2x) to the face working size: on real web-sized photos this
        # found background faces of 8-20 px (a driver, a profile at a door) and no false ones
        ff = min(MAX_FACE_UPSCALE, self.config.face_side / max(work.shape[:2]))
        ff = 1.0 if 1.0 <= ff < 1.05 else ff
        face_scale = scale * ff
        faces = [
            Face(_to_original(f.box.x, f.box.y, f.box.w, f.box.h, face_scale, width, height), f.score)
            for f in self.faces.detect(_resize(work, ff))
        ]
        timings["faces"] = time.perf_counter() - t

        t = time.perf_counter()
        lines = self.text.read(work)
        findings = self._text_findings(lines, scale, width, height)
        timings["text"] = time.perf_counter() - t

        t = time.perf_counter()
        findings += self._plate_findings(work, lines, findings, scale, width, height)
        timings["plates"] = time.perf_counter() - t

        t = time.perf_counter()
        findings += self._code_findings(read_codes(work), scale, width, height)
        timings["codes"] = time.perf_counter() - t

        t = time.perf_counter()
        line_boxes = [ln.bbox() for ln in lines]
        chars = [sum(c.isalnum() for c in ln.text) for ln in lines]
        for region in find_regions(work, line_boxes, text_blocks(line_boxes), chars):
            kind = FindingKind.SCREEN if region.kind == "screen" else FindingKind.DOCUMENT
            findings.append(
                Finding(
                    kind, _to_original(*region.bbox(), scale, width, height), region.reason, Severity.MEDIUM
                )
            )
        timings["regions"] = time.perf_counter() - t

        return Analysis(
            path=path,
            width=width,
            height=height,
            faces=tuple(faces),
            findings=tuple(findings),
            analyser_version=ANALYSER_VERSION,
            timings=timings,
        )

    def _text_findings(self, lines: list[TextLine], scale: float, width: int, height: int) -> list[Finding]:
        """Personal data per block of text (a label, a screen, a receipt), then harmless lines as boxes.

        Blocks keep context local: a receipt's business address is judged with the receipt, a list of
        names with its list, and a value is never stitched together from two unrelated signs.
        """
        trusted = [ln for ln in lines if ln.score >= self.config.text_min_score]
        out: list[Finding] = []
        covered: set[int] = set()
        for block in text_blocks([ln.bbox() for ln in trusted]):
            for m in pii.find_pii([trusted[i].text for i in block]):
                idx = [block[j] for j in m.lines]
                covered.update(idx)
                box = _union(trusted[i].bbox() for i in idx)
                text = CONFIDENTIAL_MARKING if m.kind is FindingKind.TEXT else m.text
                out.append(_finding(m.kind, _to_original(*box, scale, width, height), text, m.severity))
        for i, ln in enumerate(trusted):
            if i not in covered and sum(c.isalnum() for c in ln.text) >= 4 and ln.score >= 0.7:
                box = _to_original(*ln.bbox(), scale, width, height)
                out.append(_finding(FindingKind.TEXT, box, "", Severity.LOW))
        return out

    def _plate_findings(
        self,
        work: np.ndarray,
        lines: list[TextLine],
        found: list[Finding],
        scale: float,
        width: int,
        height: int,
    ) -> list[Finding]:
        """Plates too small for text detection: plate-shaped rectangles read directly (see plates.py).
        Rectangles where text was already detected (and so already read) are skipped."""
        have = [f.box for f in found if f.kind is FindingKind.VEHICLE_PLATE]
        read = [_to_original(*ln.bbox(), scale, width, height) for ln in lines]
        out: list[Finding] = []
        boxes = [b for b in plates.plate_candidates(work) if not _covered(b, have + read, scale)]
        for line in self.text.read_boxes(work, boxes):
            plate = plates.find_plate(line.text) if line.score >= 0.5 else None
            if plate:
                box = _to_original(*line.bbox(), scale, width, height)
                out.append(_finding(FindingKind.VEHICLE_PLATE, box, plate, Severity.HIGH))
        return out

    def _code_findings(self, codes: list[Code], scale: float, width: int, height: int) -> list[Finding]:
        out: list[Finding] = []
        for code in codes:
            box = _to_original(*code.bbox(), scale, width, height)
            kind = FindingKind.QR_CODE if code.is_matrix else FindingKind.BARCODE
            out.append(_finding(kind, box, f"{code.format}: {code.text}", Severity.MEDIUM))
            for m in pii.find_pii([code.text]):  # e.g. an ISBT 128 donation number encoded in the bars
                if m.kind in pii.PERSONAL_KINDS:
                    out.append(_finding(m.kind, box, m.text, m.severity))
        return out


def text_blocks(boxes: list[tuple[float, float, float, float]]) -> list[list[int]]:
    """Group text lines (x, y, w, h; in reading order) into blocks: lines stacked closely one above the
    other, or side by side on one row (a time and a name), belong together. Indices keep reading order."""
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (x, y, w, h) in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            x2, y2, w2, h2 = boxes[j]
            lh = max(h, h2, 1.0)
            v_gap = max(y2 - (y + h), y - (y2 + h2))
            h_gap = max(x2 - (x + w), x - (x2 + w2))
            stacked = v_gap < 1.3 * lh and h_gap < 0.5 * lh
            same_row = abs((y + h / 2) - (y2 + h2 / 2)) < 0.5 * lh and h_gap < 4 * lh
            if stacked or same_row:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _covered(box: tuple[float, float, float, float], boxes: list[Box], scale: float) -> bool:
    """Whether a working-pixel box's centre lies in one of the given original-pixel boxes."""
    cx, cy = (box[0] + box[2] / 2) / scale, (box[1] + box[3] / 2) / scale
    return any(b.x <= cx <= b.x + b.w and b.y <= cy <= b.y + b.h for b in boxes)


def _finding(kind: FindingKind, box: Box, text: str, severity: Severity) -> Finding:
    """Every finding is built here, so its text is masked before it leaves the analyser."""
    return Finding(kind, box, mask_finding_text(kind, text), severity)


def _resize(rgb: np.ndarray, f: float) -> np.ndarray:
    if f == 1.0:
        return rgb
    import cv2

    h, w = rgb.shape[:2]
    how = cv2.INTER_AREA if f < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=how)


def _union(boxes: Iterable[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    bs = list(boxes)
    x0 = min(b[0] for b in bs)
    y0 = min(b[1] for b in bs)
    x1 = max(b[0] + b[2] for b in bs)
    y1 = max(b[1] + b[3] for b in bs)
    return x0, y0, x1 - x0, y1 - y0


def _to_original(x: float, y: float, w: float, h: float, scale: float, width: int, height: int) -> Box:
    """Working pixels -> original pixels (after EXIF orientation), clipped to the image."""
    x0 = max(0, min(width, round(x / scale)))
    y0 = max(0, min(height, round(y / scale)))
    x1 = max(0, min(width, round((x + w) / scale)))
    y1 = max(0, min(height, round((y + h) / scale)))
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


_default: Analyser | None = None


def default_analyser() -> Analyser:
    """One Analyser per process, so workers load the models once."""
    global _default
    if _default is None:
        _default = Analyser()
    return _default


def analyse_path(path: str | Path) -> Analysis:
    """Worker-friendly entry point: a path in, a picklable Analysis out, never raises for a bad file."""
    return default_analyser().analyse_path(path)
