"""Does the clip export's mosaic look like a face to the face detector? Counted on generated face regions.

    python -m bench.mosaic_faces [--lfw 24] [--models int8,float] [--quick]

Faces: the test data's portraits (tests/data/builders.py: the astronaut and the cameraman crops, as the
builders paste them, each also mirrored) and faces of scikit-image's LFW sample (`lfw_subset`, the first
100 are faces; every fourth of them), pasted on a generated background at face heights 40-300 px and
three positions each (the mosaic's block grid falls differently on the face). Each region is the face box
grown by the export's margin (`clip_export.MARGIN` on every side) and destroyed by
`clip_export.destroy_yuv` itself, in the frame's YUV 4:2:0 planes, with `MAX_BLOCKS` set to each
treatment's blocks; "+blur" adds a Gaussian blur over the region (sigma a quarter of a block) after the
mosaic; "flat" is one block (the region's mean colour). The detector (`FaceDetector`, int8 and float model)
runs on the frame around the region (at least 320 px a side, so at the size the clip check sees it).

Prints per treatment and model: regions, regions with a detection whose centre lies inside the region, the
top score of such a detection, and how many of those detections lie wholly inside the region. Then the
"slipped box" check: the region moved by 20, 30 and 40 % of its size (right, down, diagonal), mosaicked at
the chosen blocks; counts regions where the detector still finds the real face (a detection overlapping
the face box), and how many of those reach outside the destroyed region. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

SIZES = (40, 60, 90, 140, 200, 300)
TREATMENTS = (("none", 0, 0.0), ("2", 2, 0.0), ("3", 3, 0.0), ("4", 4, 0.0), ("4+blur", 4, 0.25), ("3+blur", 3, 0.25), ("flat", 1, 0.0))
SLIPS = (0.2, 0.3, 0.4)


def faces(lfw: int) -> list[tuple[str, np.ndarray, tuple[int, int, int, int]]]:
    """(name, RGB crop, face box x, y, w, h inside the crop) for every face source."""
    from skimage import data
    from tests.data.builders import _FACE_SOURCES, _skimage

    out = []
    for name, ((cx0, cy0, cx1, cy1), box) in _FACE_SOURCES.items():
        crop = _skimage(name)[cy0:cy1, cx0:cx1]
        out.append((name, crop, box))
        fx, fy, fw, fh = box
        out.append((name + "-mirror", crop[:, ::-1].copy(), ((cx1 - cx0) - fx - fw, fy, fw, fh)))
    sample = data.lfw_subset()[:100]
    for i in range(0, min(100, lfw * 4), 4):
        grey = (sample[i] * 255).astype(np.uint8)
        out.append((f"lfw{i}", np.stack([grey] * 3, axis=-1), (3, 3, 19, 21)))
    return out


def scene(crop: np.ndarray, box, height: int, shift: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A frame (background plus the pasted face crop) around the face, and the face box in it."""
    import cv2
    from tests.data.builders import _skimage

    k = height / box[3]
    w, h = max(2, round(crop.shape[1] * k)), max(2, round(crop.shape[0] * k))
    face = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    side = max(320, 2 * max(w, h) + 64) // 32 * 32
    bg = cv2.resize(_skimage("coffee"), (side, side), interpolation=cv2.INTER_LINEAR)
    frame = cv2.GaussianBlur(bg, (0, 0), 2)
    x, y = (side - w) // 2 + shift, (side - h) // 2 + shift // 2
    frame[y : y + h, x : x + w] = face
    fx, fy, fw, fh = (round(v * k) for v in box)
    return frame, (x + fx, y + fy, fw, fh)


def grown(face_box, slip: float = 0.0, dx: int = 1, dy: int = 0) -> tuple[float, float, float, float]:
    """The export's region for a face box (margin on every side), moved by `slip` of its size."""
    from consentdesk.core.review.clip_export import MARGIN

    x, y, w, h = face_box
    mx, my = MARGIN * w, MARGIN * h
    ox, oy = slip * (w + 2 * mx) * dx, slip * (h + 2 * my) * dy
    return x - mx + ox, y - my + oy, x + w + mx + ox, y + h + my + oy


@contextmanager
def treatment(blocks: int, blur: float):
    """`clip_export.destroy_yuv` with `blocks` across at most and, after the mosaic, a Gaussian blur of
    `blur` of a block (sigma) on every plane."""
    import cv2

    from consentdesk.core.review import clip_export

    saved = clip_export.MAX_BLOCKS, clip_export._mosaic

    def mosaic(plane, x0, y0, x1, y1, bx, by):  # noqa: ANN001, ANN202
        saved[1](plane, x0, y0, x1, y1, bx, by)
        if blur and x1 > x0 and y1 > y0:
            plane[y0:y1, x0:x1] = cv2.GaussianBlur(plane[y0:y1, x0:x1], (0, 0), max(0.5, blur * (x1 - x0) / bx))

    clip_export.MAX_BLOCKS, clip_export._mosaic = blocks, mosaic
    try:
        yield
    finally:
        clip_export.MAX_BLOCKS, clip_export._mosaic = saved


def destroyed(frame: np.ndarray, region, blocks: int, blur: float) -> np.ndarray:
    """The frame after `destroy_yuv` with `blocks` across (0: untouched), and the optional blur."""
    import cv2

    from consentdesk.core.review import clip_export

    if blocks == 0:
        return frame
    h, w = frame.shape[:2]
    yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
    planes = [yuv[:h].copy(), yuv[h : h + h // 4].reshape(h // 2, w // 2).copy(), yuv[h + h // 4 :].reshape(h // 2, w // 2).copy()]
    with treatment(blocks, blur):
        clip_export.destroy_yuv(planes, region, fill=False)
    return cv2.cvtColor(np.concatenate([planes[0], planes[1].reshape(-1, w), planes[2].reshape(-1, w)]), cv2.COLOR_YUV2RGB_I420)


def _inside(b, region) -> tuple[bool, bool]:
    """(centre inside region, box wholly inside region)."""
    cx, cy = b.x + b.w / 2, b.y + b.h / 2
    centre = region[0] <= cx <= region[2] and region[1] <= cy <= region[3]
    whole = region[0] <= b.x and region[1] <= b.y and b.x + b.w <= region[2] and b.y + b.h <= region[3]
    return centre, whole


def run_treatments(detectors: dict, sources: list, sizes, treatments) -> dict:
    """{(treatment, model): [regions, hits, top score, hits wholly inside]}."""
    table: dict = {}
    for _name, crop, box in sources:
        for height in sizes:
            for shift in (0, 5, 11):
                frame, face_box = scene(crop, box, height, shift)
                region = grown(face_box)
                for label, blocks, blur in treatments:
                    img = destroyed(frame, region, blocks, blur)
                    for model, det in detectors.items():
                        row = table.setdefault((label, model), [0, 0, 0.0, 0])
                        row[0] += 1
                        hits = [(f, _inside(f.box, region)) for f in det.detect(img)]
                        hits = [(f, whole) for f, (centre, whole) in hits if centre]
                        if hits:
                            row[1] += 1
                            row[2] = max(row[2], max(f.score for f, _ in hits))
                            row[3] += all(whole for _, whole in hits)
    return table


def run_slips(detectors: dict, sources: list, sizes, blocks: int, blur: float) -> dict:
    """{(slip, model): [regions, real face found, found reaching outside the region]}."""
    table: dict = {}
    for _name, crop, box in sources:
        for height in sizes:
            frame, face_box = scene(crop, box, height, 0)
            fx, fy, fw, fh = face_box
            for slip in SLIPS:
                for dx, dy in ((1, 0), (0, 1), (1, 1)):
                    region = grown(face_box, slip, dx, dy)
                    img = destroyed(frame, region, blocks, blur)
                    for model, det in detectors.items():
                        row = table.setdefault((slip, model), [0, 0, 0])
                        row[0] += 1
                        real = [
                            f for f in det.detect(img)
                            if f.box.x < fx + fw and fx < f.box.x + f.box.w and f.box.y < fy + fh and fy < f.box.y + f.box.h
                        ]
                        if real:
                            row[1] += 1
                            row[2] += any(not _inside(f.box, region)[1] for f in real)
    return table


def run_clips(detector, seeds: list[int], treatments) -> dict:
    """{(treatment, seed): [frames, detections the clip check refuses, top score]}: the test clip
    (tests/data/clip_builder.py, the short scene, 640 x 360) analysed, exported with each treatment and
    every frame of the copy looked at as the clip check does (`face_side` px, `clip_face_check._judge`)."""
    import tempfile

    from tests.data.clip_builder import ClipSpec, write_clip

    from consentdesk.core.media.video import ClipReader
    from consentdesk.core.review.clip_export import Redaction, export_clip
    from consentdesk.core.review.clip_face_check import _judge
    from consentdesk.core.values import Box
    from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig

    table: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            src = Path(tmp) / f"clip-{seed}.mp4"
            write_clip(src, ClipSpec(seconds=6.0, size=(640, 360), seed=seed))
            tracks = list(enumerate(ClipAnalyser(ClipConfig()).analyse(src).face_tracks, start=1))
            for label, blocks, blur in treatments:
                with treatment(blocks, blur):
                    export_clip(src, Path(tmp) / "copy.mp4", [Redaction(t) for _n, t in tracks])
                row = table.setdefault((label, seed), [0, 0, 0.0])
                with ClipReader(Path(tmp) / "copy.mp4") as reader:
                    for frame in reader.frames(None):
                        rgb = frame.array(ClipConfig().face_side)
                        k = reader.info.width / rgb.shape[1]
                        row[0] += 1
                        for f in detector.detect(rgb):
                            b = Box(round(f.box.x * k), round(f.box.y * k), round(f.box.w * k), round(f.box.h * k))
                            if _judge(b, frame.t, tracks, []):
                                row[1] += 1
                                row[2] = max(row[2], f.score)
                (Path(tmp) / "copy.mp4").unlink()
    return table


def main(argv: list[str] | None = None) -> int:
    from consentdesk.core.vision.faces import FaceDetector

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lfw", type=int, default=24, help="LFW faces (every fourth of the first 100)")
    ap.add_argument("--models", default="int8,float")
    ap.add_argument("--blocks", type=int, default=4, help="blocks across for the slipped-box check")
    ap.add_argument("--blur", type=float, default=0.0, help="blur (share of a block) for the slipped-box check")
    ap.add_argument("--clips", default="", help="test clip seeds (e.g. 1,2,3,4,5) for the clip part")
    ap.add_argument("--only", default="", help="treatments to run (labels, comma separated)")
    ap.add_argument("--quick", action="store_true", help="three sizes only")
    args = ap.parse_args(argv)
    detectors = {m: FaceDetector(threads=1, int8=m == "int8") for m in args.models.split(",")}
    chosen = [t for t in TREATMENTS if not args.only or t[0] in args.only.split(",")]
    if args.clips:
        clips = run_clips(detectors["int8"], [int(s) for s in args.clips.split(",")], chosen)
        print(f"{'treatment':>10} {'seed':>6} {'frames':>8} {'refused':>9} {'top score':>10}   (int8, every frame)")
        for (label, seed), (n, hits, top) in clips.items():
            print(f"{label:>10} {seed:>6} {n:>8} {hits:>9} {top:>10.2f}", flush=True)
        return 0
    sources = faces(args.lfw)
    sizes = (40, 90, 200) if args.quick else SIZES
    start = time.process_time()
    table = run_treatments(detectors, sources, sizes, chosen)
    print(f"{len(sources)} faces x {len(sizes)} heights {sizes} x 3 positions; margin as exported")
    print(f"{'treatment':>10} {'model':>6} {'regions':>8} {'detected':>9} {'top score':>10} {'wholly in':>10}")
    for (label, model), (n, hits, top, whole) in table.items():
        print(f"{label:>10} {model:>6} {n:>8} {hits:>9} {top:>10.2f} {whole:>10}")
    slips = run_slips(detectors, sources, sizes, args.blocks, args.blur)
    print(f"\nslipped regions, mosaic {args.blocks} blocks, blur {args.blur}: real face still found (reaching outside)")
    for (slip, model), (n, found, outside) in slips.items():
        print(f"{slip:>10.0%} {model:>6} {n:>8} {found:>9} ({outside})")
    print(f"\nCPU {time.process_time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
