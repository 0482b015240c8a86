"""Build real video clips with ground truth, from photographs that ship in installed wheels.

Why generated: footage of donors cannot be test data, and a clip made by code says exactly where every
face is on every frame. The people are scikit-image's bundled portraits (the astronaut and the
cameraman), cut out with a soft edge, mirrored, tinted and scaled so that they read as different people;
the backgrounds are its other bundled photos. A scene is a list of shots (a cut between them); the camera
pans and zooms over each shot's background, people walk in, stand, walk out, and labels with personal data
sit on the background and move with it. Frames are rendered one at a time and encoded as they come, so
even a 10-minute clip never sits in memory.

    python -m tests.data.clip_builder OUT.mp4 --seconds 60 --size 1920x1080 [--rotate 90] [--audio]

Ground truth (`ClipTruth`) gives, for every frame, each visible person's face box (in upright pixels)
and each label's box, so tests and the bench measure what was found against what is there.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image
from tests.data.builders import _FACE_SOURCES, _patient_label, _qr, _skimage

BACKGROUNDS = ("coffee", "rocket", "chelsea", "brick", "hubble_deep_field", "grass")


@dataclass
class Walker:
    """One person: which portrait, how big their face is, and where they are over time.

    `path` is a list of (seconds into the shot, centre x, centre y) in frame fractions (0..1); between two
    points the person moves in a straight line; before the first and after the last they are off screen.
    """

    person: int  # ground-truth identity (tests count tracks per person)
    source: str  # "astronaut" or "camera"
    face_px: int  # face height in pixels at zoom 1
    path: list[tuple[float, float, float]]
    mirror: bool = False
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def where(self, t: float) -> tuple[float, float] | None:
        pts = self.path
        if t < pts[0][0] or t > pts[-1][0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(pts, pts[1:], strict=False):
            if t0 <= t <= t1:
                k = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
                return x0 + k * (x1 - x0), y0 + k * (y1 - y0)
        return pts[-1][1], pts[-1][2]


@dataclass
class Label:
    """A card with personal data (a patient label or a QR code) fixed on the background."""

    kind: str  # "patient_label" or "qr_code"
    x: float  # top-left, as fractions of the background
    y: float
    height: float  # fraction of the frame height at zoom 1


@dataclass
class Shot:
    seconds: float
    background: str
    pan: tuple[float, float] = (0.0, 0.0)  # start and end horizontal offset (fraction of spare width)
    zoom: tuple[float, float] = (1.0, 1.0)  # start and end zoom
    walkers: list[Walker] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass
class FrameTruth:
    t: float  # seconds from the start of the clip
    faces: dict[int, list[int]]  # person -> [x, y, w, h] of the face, upright pixels, clipped
    labels: list[dict]  # {"kind", "box"}
    shot: int


@dataclass
class ClipTruth:
    path: str
    width: int  # upright
    height: int
    fps: float
    frames: list[FrameTruth] = field(default_factory=list)

    def save(self, out: Path) -> None:
        out.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> ClipTruth:
        data = json.loads(Path(path).read_text())
        frames = [
            FrameTruth(f["t"], {int(k): v for k, v in f["faces"].items()}, f["labels"], f["shot"])
            for f in data.pop("frames")
        ]
        return cls(**data, frames=frames)

    def people(self, min_seconds: float = 1.0, min_face: int = 40) -> dict[int, list[FrameTruth]]:
        """People on screen for at least `min_seconds` with a face at least `min_face` px tall (and whole in
        the frame), with the frames where that holds: the people the check must find."""
        seen: dict[int, list[FrameTruth]] = {}
        for f in self.frames:
            for person, (x, y, w, h) in f.faces.items():
                if h >= min_face and x > 0 and y > 0 and x + w < self.width and y + h < self.height:
                    seen.setdefault(person, []).append(f)
        return {p: fs for p, fs in seen.items() if len(fs) / self.fps >= min_seconds}


# ----------------------------------------------------------------------------- sprites and cards


class _Sprite:
    """A person's head and shoulders with a soft oval edge, and where the face sits inside it."""

    def __init__(self, walker: Walker) -> None:
        (cx0, cy0, cx1, cy1), (fx, fy, fw, fh) = _FACE_SOURCES[walker.source]
        crop = _skimage(walker.source)[cy0:cy1, cx0:cx1].astype(np.float32)
        crop *= np.asarray(walker.tint, np.float32)
        if walker.mirror:
            crop = crop[:, ::-1]
            fx = (cx1 - cx0) - fx - fw
        self.rgb = np.clip(crop, 0, 255)
        h, w = crop.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        d = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
        self.alpha = np.clip((1.0 - d) * 4, 0, 1)[..., None].astype(np.float32)
        self.face = (fx, fy, fw, fh)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def scaled(self, k: float) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]]:
        import cv2

        key = max(1, round(k * 100))
        if key not in self._cache:
            kk = key / 100
            size = (max(2, round(self.rgb.shape[1] * kk)), max(2, round(self.rgb.shape[0] * kk)))
            how = cv2.INTER_AREA if kk < 1 else cv2.INTER_LINEAR
            self._cache[key] = (
                cv2.resize(self.rgb, size, interpolation=how),
                cv2.resize(self.alpha, size, interpolation=how)[..., None],
            )
        rgb, alpha = self._cache[key]
        kk = key / 100
        fx, fy, fw, fh = self.face
        return rgb, alpha, (fx * kk, fy * kk, fw * kk, fh * kk)


def _card(label: Label, rng: random.Random) -> Image.Image:
    if label.kind == "qr_code":
        img, _ = _qr(rng, 40)
    else:
        img, _ = _patient_label(rng, 28)
    return img


def _paste(frame: np.ndarray, rgb: np.ndarray, alpha: np.ndarray | None, x: int, y: int) -> None:
    h, w = rgb.shape[:2]
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    src = rgb[y0 - y : y1 - y, x0 - x : x1 - x]
    if alpha is None:
        frame[y0:y1, x0:x1] = src
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    dst = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (src * a + dst * (1 - a)).astype(np.uint8)


def _clip_box(x: float, y: float, w: float, h: float, fw: int, fh: int) -> list[int] | None:
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(fw, round(x + w)), min(fh, round(y + h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return [x0, y0, x1 - x0, y1 - y0]


# ----------------------------------------------------------------------------- rendering


def render(shots: list[Shot], size: tuple[int, int], fps: float, seed: int = 0) -> Iterator[tuple[np.ndarray, FrameTruth]]:
    """Upright RGB frames of the scene with their ground truth, one at a time."""
    import cv2

    width, height = size
    rng = random.Random(seed)
    start = 0.0
    for index, shot in enumerate(shots):
        # the background is made 30% wider than the frame (room to pan) and as tall as the frame
        bg_src = _skimage(shot.background)
        bw, bh = int(width * 1.3), height
        background = cv2.resize(bg_src, (bw, bh), interpolation=cv2.INTER_LINEAR)
        placed = []
        for label in shot.labels:
            card = np.asarray(_card(label, rng))
            k = label.height * height / card.shape[0]
            card = cv2.resize(card, (max(2, round(card.shape[1] * k)), max(2, round(card.shape[0] * k))))
            lx, ly = round(label.x * bw), round(label.y * bh)
            _paste(background, card, None, lx, ly)
            placed.append((label.kind, lx, ly, card.shape[1], card.shape[0]))
        sprites = [_Sprite(w) for w in shot.walkers]
        n_frames = max(1, round(shot.seconds * fps))
        for i in range(n_frames):
            t = i / fps
            a = t / max(shot.seconds, 1e-6)
            zoom = shot.zoom[0] + a * (shot.zoom[1] - shot.zoom[0])
            pan = shot.pan[0] + a * (shot.pan[1] - shot.pan[0])
            # the camera window over the background: width/zoom wide, centred vertically, panned
            vw, vh = bw / 1.3 / zoom, bh / zoom
            vx = pan * (bw - vw)
            vy = (bh - vh) / 2
            m = np.float32([[zoom, 0, -vx * zoom], [0, zoom, -vy * zoom]])
            frame = cv2.warpAffine(background, m, (width, height), flags=cv2.INTER_LINEAR)
            truth_labels = []
            for kind, lx, ly, lw, lh in placed:
                box = _clip_box((lx - vx) * zoom, (ly - vy) * zoom, lw * zoom, lh * zoom, width, height)
                if box:
                    truth_labels.append({"kind": kind, "box": box})
            faces: dict[int, list[int]] = {}
            for walker, sprite in zip(shot.walkers, sprites, strict=True):
                pos = walker.where(t)
                if pos is None:
                    continue
                k = walker.face_px * zoom / sprite.face[3]
                rgb, alpha, (fx, fy, fw, fh) = sprite.scaled(k)
                # the path gives the face centre
                x = round(pos[0] * width - fx - fw / 2)
                y = round(pos[1] * height - fy - fh / 2)
                _paste(frame, rgb, alpha, x, y)
                box = _clip_box(x + fx, y + fy, fw, fh, width, height)
                if box:
                    faces[walker.person] = box
            yield frame, FrameTruth(round(start + t, 4), faces, truth_labels, index)
        start += n_frames / fps


# ----------------------------------------------------------------------------- scenes


def _walk(person: int, rng: random.Random, seconds: float, t0: float, dur: float, face: int, y: float) -> Walker:
    """Someone who walks through the frame from one side to the other between t0 and t0 + dur."""
    left = rng.random() < 0.5
    x0, x1 = (-0.1, 1.1) if left else (1.1, -0.1)
    return Walker(
        person,
        rng.choice(("astronaut", "camera")),
        face,
        [(t0, x0, y), (min(seconds, t0 + dur), x1, y + rng.uniform(-0.05, 0.05))],
        mirror=rng.random() < 0.5,
        tint=(rng.uniform(0.8, 1.1), rng.uniform(0.8, 1.1), rng.uniform(0.8, 1.1)),
    )


def phone_scene(seconds: float = 60.0, seed: int = 0, portrait: bool = False) -> list[Shot]:
    """What a social media clip at a donor centre looks like: two shots with a cut between them; the
    camera pans and zooms; people stand, walk through, come and go; a patient label and a QR code sit in
    the background. Faces range from 44 to ~160 px tall at 1080p."""
    rng = random.Random(seed)
    shots: list[Shot] = []
    first = seconds * 0.55
    person = 1
    parts = [(first, "coffee", (0.0, 0.6), (1.0, 1.15)), (seconds - first, "rocket", (0.8, 0.2), (1.1, 1.0))]
    for shot_i, (dur, bg, pan, zoom) in enumerate(parts):
        walkers = []
        # someone standing for most of the shot, facing the camera
        walkers.append(
            Walker(
                person,
                "astronaut" if shot_i == 0 else "camera",
                rng.randint(110, 160),
                [(0.0, 0.3, 0.45), (dur * 0.5, 0.35, 0.45), (dur, 0.32, 0.47)],
            )
        )
        person += 1
        # people walking through, at various sizes, every few seconds
        t = rng.uniform(0.5, 2.0)
        while t < dur - 1.5:
            walk_for = rng.uniform(2.5, 6.0)
            walkers.append(
                _walk(person, rng, dur, t, walk_for, rng.randint(44, 100), rng.uniform(0.25, 0.75))
            )
            person += 1
            t += rng.uniform(3.0, 7.0)
        labels = [Label("patient_label", 0.62, 0.12, 0.18)] if shot_i == 0 else [Label("qr_code", 0.1, 0.6, 0.15)]
        shots.append(Shot(dur, bg, pan, zoom, walkers, labels))
    return shots


def short_scene(seconds: float = 6.0, seed: int = 1) -> list[Shot]:
    """A small clip for tests: one person standing, one walking through (entering and leaving), a cut,
    then a third person and a patient label, with a zoom in the second shot."""
    first = seconds / 2
    return [
        Shot(
            first,
            "coffee",
            (0.0, 0.5),
            (1.0, 1.0),
            [
                Walker(1, "astronaut", 70, [(0.0, 0.3, 0.45), (first, 0.34, 0.45)]),
                Walker(2, "camera", 56, [(0.3, 1.12, 0.55), (first - 0.2, -0.12, 0.5)], mirror=True),
            ],
        ),
        Shot(
            seconds - first,
            "rocket",
            (0.7, 0.3),
            (1.0, 1.2),
            [Walker(3, "camera", 64, [(0.0, 0.65, 0.5), (seconds - first, 0.6, 0.45)], tint=(1.05, 0.9, 0.85))],
            [Label("patient_label", 0.3, 0.08, 0.3)],
        ),
    ]


# ----------------------------------------------------------------------------- writing


@dataclass
class ClipSpec:
    seconds: float = 6.0
    size: tuple[int, int] = (640, 360)  # upright width x height
    fps: float = 30.0
    codec: str = "libx264"  # or "libx265" (HEVC)
    container: str = "mp4"  # mp4, mov or m4v (by the file's suffix)
    rotate: int = 0  # display rotation written in the file: 0, 90, 180, 270 (clockwise, as phones do)
    audio: bool = False
    vfr: bool = False  # frames at irregular intervals (as phones record in low light)
    seed: int = 1
    scene: str = "short"  # "short" or "phone"
    location: str | None = None  # ISO 6709 string written as the clip's location (e.g. "+51.5074-000.1278/")
    make: str | None = None  # device make/model written in the metadata (what the export must strip)
    shots: list[Shot] | None = None  # a scene of the test's own (then `scene` and `seconds` are not used)


def write_clip(path: str | Path, spec: ClipSpec | None = None) -> ClipTruth:
    """Render and encode a clip; returns its ground truth (upright pixels and seconds)."""
    import av

    spec = spec or ClipSpec()
    path = Path(path)
    shots = (
        spec.shots
        if spec.shots is not None
        else short_scene(spec.seconds, spec.seed)
        if spec.scene == "short"
        else phone_scene(spec.seconds, spec.seed, portrait=spec.size[1] > spec.size[0])
    )
    width, height = spec.size
    truth = ClipTruth(str(path), width, height, spec.fps)
    # stored frames are the upright frame turned back by the display rotation, as a phone records them
    turns = (spec.rotate // 90) % 4
    stored_w, stored_h = (height, width) if turns % 2 else (width, height)
    # use_metadata_tags: write the keys phones write (make, model, location) as QuickTime metadata
    options = {"movflags": "+faststart+use_metadata_tags"}
    with av.open(str(path), "w", options=options) as out:
        if spec.location:
            out.metadata["location"] = spec.location
            out.metadata["com.apple.quicktime.location.ISO6709"] = spec.location
        if spec.make:
            out.metadata["make"] = spec.make
            out.metadata["model"] = spec.make + " Phone"
            out.metadata["com.apple.quicktime.make"] = spec.make
        rate = Fraction(spec.fps).limit_denominator(1001)
        stream = out.add_stream(spec.codec, rate=rate)
        stream.width, stream.height = stored_w, stored_h
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 90000)
        if spec.codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": "20"}
        elif spec.codec == "libx265":
            stream.options = {"preset": "ultrafast", "crf": "24", "x265-params": "log-level=error"}
            stream.codec_tag = "hvc1"
        if turns:
            stream.set_display_rotation(-90 * turns)
        audio = None
        if spec.audio:
            audio = out.add_stream("aac", rate=48000, layout="stereo")
        rng = random.Random(spec.seed)
        t_stored = 0.0
        samples_done = 0
        for frame_rgb, ft in render(shots, spec.size, spec.fps, spec.seed):
            if spec.vfr and rng.random() < 0.25:
                continue  # a dropped frame: the next one simply comes later
            stored = np.ascontiguousarray(np.rot90(frame_rgb, k=turns)) if turns else frame_rgb
            vf = av.VideoFrame.from_ndarray(stored, format="rgb24")
            vf.pts = round(ft.t * 90000)
            vf.time_base = stream.time_base
            for packet in stream.encode(vf):
                out.mux(packet)
            truth.frames.append(ft)
            t_stored = ft.t
            if audio is not None:
                samples_done = _write_audio(out, audio, samples_done, t_stored + 1 / spec.fps)
        for packet in stream.encode():
            out.mux(packet)
        if audio is not None:
            for packet in audio.encode():
                out.mux(packet)
    return truth


def _write_audio(out, stream, done: int, until: float) -> int:
    """A 440 Hz tone up to `until` seconds, in 1024-sample frames (what AAC wants)."""
    import av

    while done + 1024 <= until * 48000:
        t = (np.arange(done, done + 1024) / 48000.0).astype(np.float32)
        tone = (0.2 * np.sin(2 * math.pi * 440 * t)).astype(np.float32)
        af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
        af.sample_rate = 48000
        af.pts = done
        for packet in stream.encode(af):
            out.mux(packet)
        done += 1024
    return done


def truncate(src: str | Path, dst: str | Path, keep: float = 0.5) -> Path:
    """A copy of the clip cut off part way (a transfer that stopped): its index is there, frames are not."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep)])
    return Path(dst)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--codec", default="libx264")
    parser.add_argument("--rotate", type=int, default=0)
    parser.add_argument("--audio", action="store_true")
    parser.add_argument("--vfr", action="store_true")
    parser.add_argument("--scene", default="short", choices=("short", "phone"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    spec = ClipSpec(args.seconds, (w, h), args.fps, args.codec, rotate=args.rotate, audio=args.audio,
                    vfr=args.vfr, seed=args.seed, scene=args.scene)
    truth = write_clip(args.out, spec)
    truth.save(Path(args.out).with_suffix(".truth.json"))
    print(f"{args.out}: {len(truth.frames)} frames, {len(truth.people())} people to find")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
