"""The check pipeline: one image in, one `Analysis` out (faces, personal data, codes, screens, documents).

Why this shape: the catalogue, the CLI, the GUI workers and the benchmark all call `analyse_path` the
same way, in a thread or a subprocess (inputs and outputs are plain picklable values). Models load once
per process, lazily. Speed comes from decoding reduced (JPEG draft) to one working image and running
each stage at the smallest size that still works for it; every box is mapped back to original pixels.
"""

from __future__ import annotations

import functools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consentdesk.core.media import imaging
from consentdesk.core.minimise import CONFIDENTIAL_MARKING, UNREADABLE_CODE, mask_finding_text
from consentdesk.core.values import Analysis, Box, Face, Finding, FindingKind, Severity
from consentdesk.core.vision import crowd, pii, plate_search, plates, region_text
from consentdesk.core.vision.code_search import find_codes
from consentdesk.core.vision.codes import Code
from consentdesk.core.vision.devices import DEVICE_WORDS, DeviceDetector, is_lit
from consentdesk.core.vision.faces import FaceDetector
from consentdesk.core.vision.frame import Frame, intersection, overlap, resize, union
from consentdesk.core.vision.regions import find_regions
from consentdesk.core.vision.screens import PAGE_ON_DARK, SHEET_ON_DARK
from consentdesk.core.vision.text import TextLine, TextReader

#: Bump when a model, threshold or recogniser changes, so stored analyses can be told apart. Kept short:
#: the team register refuses a name over 500 characters. 3.8 added a laptop's display above its keyboard
#: read in close-up (keyboards.py), dark themes and blown-out displays on devices the model is sure of, and
#: no phone's back taken for its display; 3.7 lit displays outshining a dark room
#: (emitted.py), no device screen on a page on a dark surface, and laptops and phones the device model is
#: sure of lit without outshining a daylit room; framed pictures, lamp panels and shades, key caps, small
#: dark signs and off sets in water no longer screens; 3.6 screens from a learned device detector
#: (YOLOX-Nano), dark themes told by all their light lines, moiré only with colour fringes and QR finders
#: at any angle; 3.5 square-on moiré, thin bezels and dark apps (screens), crowds searched at 1.3x, names
#: after titles, QR codes seen but not read, and text read again on screens and pages; 3.4 plates told by
#: their panel and silver bezels (git log says the rest).
ANALYSER_VERSION = "consentdesk-vision 3.9 (int8 centerface, yolox-nano, ppocrv4 on onnxruntime, zxing-cpp, opencv)"
#: Largest enlargement of a small photo for the first face pass (see `Analyser._faces`).
MAX_FACE_UPSCALE = 2.0


@dataclass(frozen=True, slots=True)
class AnalyserConfig:
    """Working sizes (long side, pixels) per stage; measured on a 2-core machine (see bench/analyse.py)."""

    work_side: int = 2000  # decoded size; OCR recognition crops and codes read from it
    face_side: int = 1280  # first face pass: faces down to ~18 px here (~55 px in a 12 MP photo); small
    # photos are enlarged to it (at most 2x), and crowds of small faces get a second, enlarged pass
    ocr_det_side: int = 960  # text detection input (recognition still reads the 2000 px image)
    text_min_score: float = 0.6  # OCR lines below this are not trusted for personal data
    threads: int | None = None  # per-process threads for OpenCV/onnxruntime; None = every core
    crowd: bool = True  # the enlarged second face pass over crowds of small faces (see crowd.py)
    # the face stage in a thread of its own beside the background stages (onnxruntime and OpenCV release
    # the GIL); None: when this process may use more than one core (not in one-thread import workers)
    overlap: bool | None = None

    def overlapping(self) -> bool:
        if self.overlap is not None:
            return self.overlap
        return (self.threads or os.cpu_count() or 1) > 1

    @classmethod
    def thorough(cls, threads: int | None = None) -> AnalyserConfig:
        """Slower (faces ~2.5x) but finds background faces down to ~40 px in a 4000 px photo instead of ~55 px."""
        return cls(face_side=2000, threads=threads)


class Analyser:
    """Holds the models (loaded on first use) and runs the stages in order."""

    def __init__(self, config: AnalyserConfig | None = None) -> None:
        self.config = config or AnalyserConfig()
        self.faces = FaceDetector(threads=self.config.threads)
        self.text = TextReader(det_side=self.config.ocr_det_side, threads=self.config.threads)
        self.devices = DeviceDetector(threads=self.config.threads)
        self._face_thread: ThreadPoolExecutor | None = None
        if self.config.threads:
            import cv2

            cv2.setNumThreads(self.config.threads)

    def load_models(self) -> None:
        """Load the face, text and device models now rather than at the first photo (an import worker does
        it while the importing process is still hashing the files), and what the text rules and the code
        reader load on first use, which a worker otherwise did inside the run (~0.3 s CPU each)."""
        import zxingcpp  # noqa: F401 - its import is the code reader's one-off cost

        self.faces.load()
        self.text.load()
        self.devices.load()
        pii.warm()

    def analyse_path(self, path: str | Path) -> Analysis:
        """Analyse one file; a bad file returns an Analysis with `error` set, never raises."""
        return self.check_path(path)[1]

    def check_path(self, path: str | Path) -> tuple[imaging.ImageInfo | None, Analysis]:
        """`analyse_path` with the file's facts (size, hash, EXIF) from the same read and decode, None when
        the file cannot be read: an import worker reads, hashes and parses each file once, not twice."""
        t0 = time.perf_counter()
        try:
            loaded = imaging.load(path, max_side=self.config.work_side)
        except imaging.ImageError as exc:
            return None, Analysis(path=str(path), error=str(exc), analyser_version=ANALYSER_VERSION)
        except Exception as exc:  # a decoder bug must not stop a batch
            error = f"could not read the image ({exc})"
            return None, Analysis(path=str(path), error=error, analyser_version=ANALYSER_VERSION)
        decode = time.perf_counter() - t0
        info = loaded.info
        frame = Frame(loaded.rgb, loaded.scale, info.width, info.height, source=str(path))
        try:
            result = self._run(frame, str(path))
        except Exception as exc:  # pragma: no cover - defensive: report, keep the batch going
            return info, Analysis(
                path=str(path),
                width=info.width,
                height=info.height,
                error=f"analysis failed ({exc})",
                analyser_version=ANALYSER_VERSION,
            )
        result.timings["decode"] = decode
        result.timings["total"] = time.perf_counter() - t0
        return info, result

    def analyse_array(self, rgb: np.ndarray, path: str = "") -> Analysis:
        """Analyse pixels already in memory (8-bit RGB); boxes are in this array's pixels."""
        t0 = time.perf_counter()
        h, w = rgb.shape[:2]
        f = min(1.0, self.config.work_side / max(h, w))
        result = self._run(Frame(resize(rgb, f), f, w, h), path)
        result.timings["decode"] = 0.0
        result.timings["total"] = time.perf_counter() - t0
        return result

    def find_faces(self, path: str | Path) -> list[Face]:
        """The face stage alone, on a file, exactly as `analyse_path` runs it (same decode, same scales):
        the export checks its copy with it before letting it out (review/export.py). Raises ImageError."""
        loaded = imaging.load(path, max_side=self.config.work_side)
        info = loaded.info
        return self._faces(Frame(loaded.rgb, loaded.scale, info.width, info.height, source=str(path)))

    def background_findings(self, rgb: np.ndarray, width: int, height: int) -> list[Finding]:
        """The background check alone (text, plates, codes, screens, documents) on pixels in memory, with
        boxes in a `width` x `height` picture that `rgb` is a reduced copy of: a clip's key frames."""
        f = min(1.0, self.config.work_side / max(rgb.shape[:2]))
        return self._background(Frame(resize(rgb, f), f * rgb.shape[1] / width, width, height), {})

    # ------------------------------------------------------------------ stages

    def _run(self, frame: Frame, path: str) -> Analysis:
        """Faces and the background stages share nothing but the frame's copies, so with more than one
        core the face stage runs in its own thread while the text, plates, codes and screens run here."""
        timings: dict[str, float] = {}
        if self.config.overlapping():
            frame.mid  # noqa: B018 - both sides use the mid-size copy: made once, before they start
            if self._face_thread is None:
                self._face_thread = ThreadPoolExecutor(1, thread_name_prefix="faces")
            face_job = self._face_thread.submit(self._timed_faces, frame)
            findings = self._background(frame, timings)
            faces, timings["faces"] = face_job.result()
        else:
            faces, timings["faces"] = self._timed_faces(frame)
            findings = self._background(frame, timings)
        return Analysis(
            path=path,
            width=frame.width,
            height=frame.height,
            faces=tuple(faces),
            findings=tuple(findings),
            analyser_version=ANALYSER_VERSION,
            timings=timings,
        )

    def _timed_faces(self, frame: Frame) -> tuple[list[Face], float]:
        t = time.perf_counter()
        return self._faces(frame), time.perf_counter() - t

    def _faces(self, frame: Frame) -> list[Face]:
        """One pass at the size the smallest face to find needs, then an enlarged pass over a crowd.

        CenterFace's cost follows the pixels it is given, so the first pass runs at `face_side` (small
        photos enlarged to it, up to 2x, which found 8-20 px background faces on web-sized photos); only
        where it finds a crowd of small faces is the crowd's band searched again, enlarged to about 1.3x the
        original photo's pixels (crowd.work_zoom)."""
        cfg = self.config
        ff = min(MAX_FACE_UPSCALE, cfg.face_side / max(frame.work.shape[:2]))
        ff = 1.0 if 1.0 <= ff < 1.05 else ff
        img = frame.mid if abs(ff - frame.mid_factor) < 1e-6 else resize(frame.work, ff)
        first = [(f.box.as_list(), f.score) for f in self.faces.detect(img)]
        found = [((b[0] / ff, b[1] / ff, b[2] / ff, b[3] / ff), s) for b, s in first]
        plan = crowd.plan([tuple(b) for b, _ in first], img.shape[:2]) if cfg.crowd else None
        if plan is not None:
            x, y, w, h = plan.box
            box = (int(x / ff), int(y / ff), int(w / ff), int(h / ff))
            band = crowd.CrowdPlan(box, crowd.work_zoom(plan.zoom * ff, box[2:], 1 / frame.scale))
            rounded = [(tuple(int(round(v)) for v in b), s) for b, s in found]
            found = crowd.merge(rounded, crowd.search(self.faces, frame.work, band))
        return [Face(frame.to_original(*b), float(s)) for b, s in found]

    def _background(self, frame: Frame, timings: dict[str, float]) -> list[Finding]:
        t = time.perf_counter()
        lines = self.text.read(frame.work)
        trusted = [ln for ln in lines if ln.score >= self.config.text_min_score]
        blocks = text_blocks([ln.bbox() for ln in trusted])
        findings, covered = self._text_findings(frame, trusted, blocks)
        timings["text"] = time.perf_counter() - t

        t = time.perf_counter()
        findings += self._plate_findings(frame, lines, trusted, blocks, covered)
        timings["plates"] = time.perf_counter() - t

        t = time.perf_counter()
        findings += self._code_findings(frame, find_codes(frame, trusted))
        timings["codes"] = time.perf_counter() - t

        t = time.perf_counter()
        regions = self._region_findings(frame, lines)
        timings["regions"] = time.perf_counter() - t

        t = time.perf_counter()
        findings += regions + self._region_text_findings(frame, lines, regions)
        timings["region_text"] = time.perf_counter() - t
        return findings

    def _region_text_findings(self, frame: Frame, lines: list[TextLine], regions: list[Finding]) -> list[Finding]:
        """Screens and pages where the whole-photo detection read nothing, read again on their own
        (region_text.py), judged as any other text."""
        s = frame.scale
        boxes = [(r.box.x * s, r.box.y * s, r.box.w * s, r.box.h * s) for r in regions]
        read = functools.partial(self.text.read, max_upscale=1.0)  # working pixels, not enlarged: region_text.py
        more = region_text.read_regions(frame.work, region_text.unread(boxes, lines), read)
        trusted = [ln for ln in more if ln.score >= self.config.text_min_score]
        return self._text_findings(frame, trusted, text_blocks([ln.bbox() for ln in trusted]))[0]

    def _text_findings(
        self, frame: Frame, trusted: list[TextLine], blocks: list[list[int]]
    ) -> tuple[list[Finding], set[int]]:
        """Personal data per block of text (a label, a screen, a receipt), then harmless lines as boxes;
        also which lines a finding covers.

        Blocks keep context local: a receipt's business address is judged with the receipt, a list of
        names with its list, and a value is never stitched together from two unrelated signs.
        """
        out: list[Finding] = []
        covered: set[int] = set()
        for block in blocks:
            for m in pii.find_pii([trusted[i].text for i in block]):
                if m.kind is FindingKind.VEHICLE_PLATE and len(block) >= plate_search.PAGE_LINES:
                    continue  # a line on a page of text is never a plate
                idx = [block[j] for j in m.lines]
                covered.update(idx)
                box = union(trusted[i].bbox() for i in idx)
                text = CONFIDENTIAL_MARKING if m.kind is FindingKind.TEXT else m.text
                out.append(_finding(m.kind, frame.to_original(*box), text, m.severity))
        for i, ln in enumerate(trusted):
            if i not in covered and sum(c.isalnum() for c in ln.text) >= 4 and ln.score >= 0.7:
                out.append(_finding(FindingKind.TEXT, frame.to_original(*ln.bbox()), "", Severity.LOW))
        return out, covered

    def _plate_findings(
        self,
        frame: Frame,
        lines: list[TextLine],
        trusted: list[TextLine],
        blocks: list[list[int]],
        covered: set[int],
    ) -> list[Finding]:
        """Plates the strict formats missed: loose formats and layouts in the text with a plate in the
        pixels, then plate-shaped rectangles too small for text detection, read directly (rectangles
        where text was already detected, and so already read, are skipped)."""
        found = plate_search.plates_in_lines(frame.work, trusted, blocks, covered, self.text.read_boxes)
        read = [ln.bbox() for ln in lines] + [b for b, _ in found]
        f = frame.mid_factor
        boxes = [
            (x / f, y / f, w / f, h / f)
            for x, y, w, h in plates.plate_candidates(frame.mid, work_side=frame.mid_side, hsv=frame.mid_hsv)
            if not _covered((x / f, y / f, w / f, h / f), read)
        ]
        found += plate_search.plates_in_rectangles(frame.work, boxes, lines, self.text.read_boxes)
        return [
            _finding(FindingKind.VEHICLE_PLATE, frame.to_original(*box), plate, Severity.HIGH)
            for box, plate in found
        ]

    def _code_findings(self, frame: Frame, codes: list[Code]) -> list[Finding]:
        out: list[Finding] = []
        for code in codes:
            box = frame.to_original(*code.bbox())
            kind = FindingKind.QR_CODE if code.is_matrix else FindingKind.BARCODE
            if code.unread:  # seen, not decoded: the reviewer must look at it (code_finders.py)
                out.append(_finding(kind, box, UNREADABLE_CODE, Severity.MEDIUM))
                continue
            out.append(_finding(kind, box, f"{code.format}: {code.text}", Severity.MEDIUM))
            for m in pii.find_pii([code.text]):  # e.g. an ISBT 128 donation number encoded in the bars
                if m.kind in pii.PERSONAL_KINDS:
                    out.append(_finding(m.kind, box, m.text, m.severity))
        return out

    def _region_findings(self, frame: Frame, lines: list[TextLine]) -> list[Finding]:
        """Screens and documents (see regions.py), found on the shared mid-size copy."""
        line_boxes = [ln.bbox() for ln in lines]
        chars = [sum(c.isalnum() for c in ln.text) for ln in lines]
        letters = [sum(c.isalpha() for c in ln.text) for ln in lines]
        out = []
        for region in find_regions(
            frame.work,
            line_boxes,
            text_blocks(line_boxes),
            chars,
            small_hsv=frame.mid_hsv,
            grey=frame.grey,
            scale=frame.scale,
            text_letters=letters,
        ):
            kind = FindingKind.SCREEN if region.kind == "screen" else FindingKind.DOCUMENT
            out.append(Finding(kind, frame.to_original(*region.bbox()), region.reason, Severity.MEDIUM))
        return out + self._device_screens(frame, out)

    def _device_screens(self, frame: Frame, regions: list[Finding]) -> list[Finding]:
        """Lit displays of the devices YOLOX-Nano finds (devices.py) where the rules flagged nothing: the
        rules miss displays filling the frame, dark rooms, thin-bezel phones and tilted laptops. A device
        whose display a screen region already covers adds nothing, nor one whose lit part the rules measured
        as a white page on a dark surface: the model takes a dark table or mat with a page on it for a laptop
        or a TV (both page_dark composites), and the page, not a display, is what lights it."""
        f = frame.mid_factor
        known = [(r.box.x, r.box.y, r.box.w, r.box.h) for r in regions if r.kind == FindingKind.SCREEN]
        paper = [(r.box.x, r.box.y, r.box.w, r.box.h) for r in regions if r.text in (PAGE_ON_DARK, SHEET_ON_DARK)]
        out: list[Finding] = []
        for device in self.devices.detect(frame.mid):
            box = frame.to_original(*device.display(), factor=f)
            # a third of the display part, or of a screen already found, in the other: the same display
            place = (box.x, box.y, box.w, box.h)
            if any(overlap(place, k) >= 1 / 3 for k in known) or not is_lit(frame.mid_hsv[:, :, 2], device):
                continue
            if any(intersection(place, p) >= 0.5 * box.w * box.h for p in paper):  # half its display a page
                continue
            why = f"a {DEVICE_WORDS[device.kind]} whose display is lit (device detector, score {device.score:.2f})"
            out.append(Finding(FindingKind.SCREEN, frame.to_original(*device.box, factor=f), why, Severity.MEDIUM))
            known.append(place)
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


def _covered(box: tuple[float, float, float, float], boxes: list[tuple[float, float, float, float]]) -> bool:
    """Whether a box's centre lies in one of the given boxes (all in working pixels)."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in boxes)


def _finding(kind: FindingKind, box: Box, text: str, severity: Severity) -> Finding:
    """Every finding is built here, so its text is masked before it leaves the analyser."""
    return Finding(kind, box, mask_finding_text(kind, text), severity)


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


def check_path(path: str | Path) -> tuple[imaging.ImageInfo | None, Analysis]:
    """`analyse_path` with the file's facts (None when it cannot be read), for an import worker."""
    return default_analyser().check_path(path)
