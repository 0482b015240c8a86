"""Devices that carry a display (TVs and monitors, laptops, phones) found by a learned detector, YOLOX-Nano.

Why a model beside the hand-written screen rules (regions.py): on real phone photos of modern displays
the rules found 9 of 24 screens (a display filling the frame, a dark room, a thin-bezel phone, a tilted
laptop each break a different rule), while a COCO detector knows these objects by their whole look. The
model is Megvii's YOLOX-Nano (Apache-2.0, COCO's 80 classes, 416 x 416 input, 0.9 M parameters) in a
published ONNX export of the release weights, read from resources/models (README there: where it comes
from and how it was checked; without the file nothing is found and the rules work alone). It runs
once per photo on a 416 px copy of the shared mid-size image: 24 ms of CPU per 12 MP photo on one thread.

A device is not yet a screen: a laptop whose lid is open but whose display is off shows nothing
confidential. `is_lit` tells a display showing something from a dark, even panel; the check flags only
lit ones (analyse.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from consentdesk.core.vision.frame import pixels, surround

MODEL = "yolox_nano.onnx"
INPUT = 416  # the side of the square the release was exported for (and the side for an export of free size)
PAD = 114  # YOLOX's letterbox fill (yolox/data/data_augment.py, preproc)
STRIDES = (8, 16, 32)
#: COCO class indices (0-based, in YOLOX's 80-class list) of the devices that carry a display
DEVICE_CLASSES = {62: "tv", 63: "laptop", 67: "cell phone"}
#: ... and how a finding names each to the reviewer (COCO's "tv" is any monitor too)
DEVICE_WORDS = {"tv": "TV or monitor", "laptop": "laptop", "cell phone": "phone"}
#: obj x class score from which a box is a device (see DeviceDetector); lit TVs and laptops on the dev
#: photos scored 0.30-0.97
DEFAULT_THRESHOLD = 0.3
#: ... and from which it is a phone: COCO's "cell phone" is any small rectangle in a hand or on a table, and
#: a business card in a hand (0.37) and a white blister (0.40) outshone their surroundings like a lit phone
#: (codes_real); a phone showing a phone's screen scored 0.48
PHONE_THRESHOLD = 0.45
NMS_IOU = 0.45
_log = logging.getLogger("consentdesk.vision.devices")


@dataclass(frozen=True, slots=True)
class Device:
    """A device box (x, y, w, h) in the pixels of the image given to the detector, its COCO name and score."""

    kind: str
    box: tuple[float, float, float, float]
    score: float

    def display(self) -> tuple[float, float, float, float]:
        """The part of the box where the display is: a laptop's upper part (its keyboard is below), the
        box less a small margin (bezel, casing, the hand holding a phone) for a TV, monitor or phone."""
        x, y, w, h = self.box
        if self.kind == "laptop":
            return x + 0.1 * w, y + 0.06 * h, 0.8 * w, 0.45 * h
        return x + 0.12 * w, y + 0.12 * h, 0.76 * w, 0.76 * h


def model_path():
    """The YOLOX-Nano file shipped with the app (resources/models; inside the bundle too)."""
    from consentdesk import paths

    return paths.resource("models", MODEL)


def letterbox(rgb: np.ndarray, size: tuple[int, int] = (INPUT, INPUT)) -> tuple[np.ndarray, float]:
    """`rgb` scaled to fit `size` (height, width; top left, the rest `PAD` grey), as the model's 1x3xHxW BGR
    float input in 0-255 (the release was exported with no mean or std), and the factor applied."""
    import cv2

    h, w = rgb.shape[:2]
    r = min(size[0] / h, size[1] / w)
    nw, nh = max(1, round(w * r)), max(1, round(h * r))
    how = cv2.INTER_AREA if r < 1 else cv2.INTER_LINEAR
    canvas = np.full((*size, 3), PAD, np.uint8)
    canvas[:nh, :nw] = cv2.resize(rgb, (nw, nh), interpolation=how)[:, :, ::-1]
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32), r


def _grid(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each output row's cell (x, y) and stride, in the model's order (stride 8 rows first, row by row)."""
    cells, strides = [], []
    for s in STRIDES:
        ny, nx = size[0] // s, size[1] // s
        xv, yv = np.meshgrid(np.arange(nx), np.arange(ny))
        cells.append(np.stack((xv, yv), 2).reshape(-1, 2))
        strides.append(np.full((nx * ny, 1), s))
    return np.concatenate(cells).astype(np.float32), np.concatenate(strides).astype(np.float32)


def decode(
    raw: np.ndarray, threshold: float = DEFAULT_THRESHOLD, size: tuple[int, int] = (INPUT, INPUT)
) -> list[Device]:
    """The model's raw output (1 x rows x 85: x, y, w, h, objectness, 80 class scores) -> device boxes in
    input pixels, after the grid/stride decoding (YOLOX's demo_postprocess) and per-class NMS; a phone
    needs `PHONE_THRESHOLD` as well."""
    import cv2

    out = raw.reshape(-1, raw.shape[-1])
    classes = sorted(DEVICE_CLASSES)
    floors = [max(threshold, PHONE_THRESHOLD) if DEVICE_CLASSES[c] == "cell phone" else threshold for c in classes]
    scores = out[:, 4:5] * out[:, [5 + c for c in classes]]
    rows, cols = np.nonzero(scores >= np.array(floors, np.float32))
    if not len(rows):
        return []
    cells, strides = _grid(size)
    xy = (out[rows, :2] + cells[rows]) * strides[rows]
    wh = np.exp(np.minimum(out[rows, 2:4], 10.0)) * strides[rows]
    boxes = np.concatenate([xy - wh / 2, wh], axis=1)
    found: list[Device] = []
    for c in np.unique(cols):
        sel = np.nonzero(cols == c)[0]
        kept = cv2.dnn.NMSBoxes(boxes[sel].tolist(), scores[rows[sel], c].tolist(), floors[c], NMS_IOU)
        for j in sel[np.asarray(kept, int).reshape(-1)]:
            box = tuple(float(v) for v in boxes[j])
            found.append(Device(DEVICE_CLASSES[classes[c]], box, float(scores[rows[j], c])))
    return sorted(found, key=lambda d: -d.score)


def input_size(shape: Sequence[int | str | None]) -> tuple[int, int]:
    """The (height, width) a YOLOX export's input declares (1 x 3 x H x W), or `INPUT` square where the
    export leaves a side free. Why: the larger YOLOX models (S, M, L) are published for 640 px and some
    exports are oblong; any of them must be able to replace the shipped Nano file with no change here (the
    score thresholds below were measured on Nano and are to be measured again, bench/real_photos.py)."""
    dims = list(shape)[2:] if len(shape) == 4 else []
    if len(dims) == 2 and all(isinstance(d, int) and d > 0 and d % STRIDES[-1] == 0 for d in dims):
        return dims[0], dims[1]
    return INPUT, INPUT


@dataclass
class DeviceDetector:
    """Displays' devices in an RGB uint8 array; boxes in that array's pixels. The network loads on first use
    (constructing a detector is free); `threads` is its session's pool (None: every core). A missing or
    damaged model file (a partial install) is logged once and finds nothing: the rules still run."""

    threshold: float = DEFAULT_THRESHOLD
    threads: int | None = None

    def __post_init__(self) -> None:
        self._net = None
        self._size = (INPUT, INPUT)
        self._missing = False
        self._lock = threading.Lock()

    def _session(self):
        with self._lock:
            if self._net is None and not self._missing:
                from consentdesk.core.vision.sessions import open_session

                try:
                    self._net = open_session(model_path().read_bytes(), self.threads)
                    self._size = input_size(self._net.get_inputs()[0].shape)
                except OSError:
                    self._missing = True
                    _log.warning("device model missing: screens are found by the rules alone")
                except Exception as exc:  # a damaged file: onnxruntime refuses it; every photo must still be checked
                    self._missing = True
                    _log.warning("device model unreadable (%s): screens are found by the rules alone", exc)
            return self._net

    def load(self) -> None:
        """Open the network now instead of at the first photo (a missing or damaged file is logged here)."""
        self._session()

    def detect(self, rgb: np.ndarray) -> list[Device]:
        net = self._session()
        if net is None:
            return []
        blob, r = letterbox(rgb, self._size)
        raw = net.run(None, {net.get_inputs()[0].name: blob})[0]
        h, w = rgb.shape[:2]
        out = []
        for d in decode(raw, self.threshold, self._size):
            x, y, bw, bh = (v / r for v in d.box)
            x0, y0 = max(0.0, x), max(0.0, y)
            x1, y1 = min(float(w), x + bw), min(float(h), y + bh)
            if x1 - x0 >= 2 and y1 - y0 >= 2:
                out.append(Device(d.kind, (x0, y0, x1 - x0, y1 - y0), d.score))
        return out


#: a display is off when at least this share of its part is near black (V < `DARK_V`): a switched-off
#: laptop's glossy panel (the dev photos' six off laptops: 0.40-0.86, with reflections; lit ones 0-0.36)
DARK_SHARE = 0.5
DARK_V = 40
#: ... or when it is neither bright (median V) nor holds any detail (edge pixels' share): an even grey panel,
#: a phone's back, a dark screen lit by the room (off phone: median 73, edges 0.000; lit: >= 0.002 at >= 170)
BRIGHT_V = 120
DETAIL = 0.01
#: ... and whatever its brightness, a panel with (nearly) no edge at all shows nothing: a closed laptop's
#: aluminium lid (0.000) or a white wall the model boxed; lit displays, even blown out, keep >= 0.002
BLANK = 0.002
#: a lit display outshines what is around it: its 95th-percentile V over that of a ring around the device.
#: Framed pictures, prints and blisters taken for a TV or a phone reach 0.96-1.09; lit displays 1.20-2.7
#: on the dev photos, but a display filling the frame in daylight (0.93) is lost to this test.
OUTSHINE = 1.15
#: ... by more when its display holds next to no detail (edge share under PLAIN_DETAIL): then its brightness is all
#: there is to go on, and a glossy panel that is off reflects a bright sky or window as evenly (an off phone
#: close up: 1.19); lit displays so plain, blown out or showing one colour, outshone by 2.3-2.7
OUTSHINE_PLAIN = 1.5
#: ... "next to no detail": a white laptop lid with its logo reached 0.011 (outshining a dim room by 1.30),
#: the plainest lit display not blown out 0.021
PLAIN_DETAIL = 0.015
#: ... except for a device the model is sure of: the outshine test is there for the prints and framed
#: pictures that the model calls a TV, and in a daylit room a lit laptop, phone or monitor reaches only
#: 0.76-1.10 (a window or a white wall in the ring is as bright as any display). Such a device is lit when
#: its display part is bright (median V) and holds detail. On the photos looked at, laptops and phones
#: scored >= 0.6 whose display was off or a look-alike had a median of 59-98 (an off laptop and phone, a
#: blister); lit ones 110-231, a dark-theme display 85-93 (still needs the outshine test).
SURE_BRIGHT_V = 110
#: ... and holds clear detail: a phone's coloured back with its camera and logo (0.016 at median 176) is no
#: display; lit phones, laptops and TVs the model was sure of measured 0.031-0.22 on two later sets
SURE_DETAIL = 0.025
#: ... how sure, per kind: a TV must be surer, since framed pictures and paintings behind glass were called
#: a TV at up to 0.76 (lit TVs and monitors in lit rooms scored 0.76-0.90 and outshone nothing; on a later
#: set, a lit TV across a living room 0.85 and a TV behind a camcorder 0.83, off monitors up to 0.69 bright
#: with reflections); a laptop too: seen from behind or from the side in a meeting, its white lid or its
#: keyboard fills the display part, bright and detailed, at 0.63-0.81 (three of 18 clean office photos),
#: while the lit laptops that only this tier found scored 0.92-0.96
SURE = {"laptop": 0.85, "cell phone": 0.6, "tv": 0.8}
#: A display the model is sure of that is mostly dark still shows something when light content stands out on
#: it crisply: a dark theme, a clock's white digits (edge share 0.072, 14 % of it at V >= 180). Off panels
#: with the room's reflections measured edges <= 0.011 with <= 3 % so bright; the thresholds keep 4x apart.
DARK_THEME_EDGES = 0.04
DARK_THEME_BRIGHT = 0.05
DARK_THEME_V = 180
#: ... and one so bright that its median clips (V >= this) emits more light than the camera can hold: a
#: white page on a monitor blown out in a lit room (its edges all lost, below BLANK). Only for a device the
#: model is sure of: a blown-out window or a white wall is no TV at 0.8.
CLIPPED_V = 250


def is_lit(value: np.ndarray, device: Device) -> bool:
    """Whether `device`'s display shows something, judged on `value` (the HSV V channel of the image the
    device was found in). Why: a laptop with its lid open but its display off (a dark glossy panel, maybe
    with reflections) shows nothing confidential, and a print or a picture frame that the model takes for a
    TV is lit only by the room; a display lights itself and shows detail."""
    h, w = value.shape[:2]
    x0, y0, x1, y1 = pixels(device.display(), w, h)
    part = value[y0:y1, x0:x1]
    if part.size < 64:
        return False
    sure = device.score >= SURE[device.kind]
    edges = edge_share(part)
    if float((part < DARK_V).mean()) >= DARK_SHARE:
        return sure and edges >= DARK_THEME_EDGES and float((part >= DARK_THEME_V).mean()) >= DARK_THEME_BRIGHT
    median = float(np.median(part))
    if sure and median >= CLIPPED_V:
        return True
    if not shows_content(part, edges, median):
        return False
    if sure and median >= SURE_BRIGHT_V and edges >= SURE_DETAIL:
        return True
    ring = surround(value, device.box)
    if ring.size == 0:  # the device fills the picture: nothing around it to outshine
        return True
    need = OUTSHINE if edges >= PLAIN_DETAIL else OUTSHINE_PLAIN
    return float(np.percentile(part, 95)) >= need * max(1.0, float(np.percentile(ring, 95)))


def edge_share(part: np.ndarray) -> float:
    """The share of a panel's pixels (brightness, uint8) on an edge: how much detail it shows."""
    import cv2

    return float((cv2.Canny(cv2.GaussianBlur(part, (3, 3), 0), 50, 150) > 0).mean())


def shows_content(part: np.ndarray, edges: float | None = None, median: float | None = None) -> bool:
    """Whether a display's part (brightness, uint8) shows anything: not mostly near black (off), not without
    an edge (a closed lid, a wall), not dim and plain (an even grey panel, a dark screen lit by the room).
    `edges` and `median`, when the caller has them, are `edge_share(part)` and its median brightness. The
    device detector's displays (`is_lit`) and the display above a keyboard (keyboards.py) are judged by it."""
    if float((part < DARK_V).mean()) >= DARK_SHARE:
        return False
    edges = edge_share(part) if edges is None else edges
    median = float(np.median(part)) if median is None else median
    return edges >= BLANK and (median >= BRIGHT_V or edges >= DETAIL)
