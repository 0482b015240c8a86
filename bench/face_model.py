"""Compare the float CenterFace with the shipped int8 copy: faces found and time, on the same frames.

    .venv/bin/python bench/face_model.py DIR [DIR ...] [--face-boxes FILE] [--min-face 12] [--threads 1]

Each DIR holds photos and a `labels.json` as bench/real_photos.py reads it (`faces: [min, max]`). Every
photo is decoded once and its face stage (`Analyser.find_faces`' work: first pass plus crowd pass) run by
both models, alternating which goes first, so the machine's load falls on both alike. Prints per model:
face counts in range, photos with false faces, the share of faces >= --min-face px found on the photos
of --face-boxes (every face checked by eye; by size band, with false faces: bench/face_boxes.py), and the median CPU and wall
time of the face stage per photo; then `detect` on a generated 1080p frame (bench/face_frame.py) reduced
to 1280 and 1920 px, the clip check's sizes. Ratios are int8 / float. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from face_boxes import FaceBoxes, recall  # noqa: E402  (bench/ is on sys.path when run as a script)

MODELS = ("float", "int8")


def analysers(threads: int | None) -> dict:
    from consentdesk.core.vision.analyse import Analyser, AnalyserConfig
    from consentdesk.core.vision.faces import FaceDetector

    out = {}
    for name in MODELS:
        a = Analyser(AnalyserConfig(threads=threads))
        a.faces = FaceDetector(threads=threads, int8=name == "int8")
        out[name] = a
    return out


def timed(fn, *args):
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t, time.process_time() - c


def run_photos(dirs: list[Path], models: dict) -> tuple[dict, dict]:
    """{model: {file: [[x, y, w, h], ...]}} in original pixels, and {model: {"cpu": [...], "wall": [...]}}."""
    from consentdesk.core.media import imaging
    from consentdesk.core.vision.frame import Frame

    found: dict = {m: {} for m in models}
    times: dict = {m: {"cpu": [], "wall": []} for m in models}
    i = 0
    for d in dirs:
        for name in _labels(d):
            loaded = imaging.load(d / name, max_side=2000)
            frame = Frame(loaded.rgb, loaded.scale, loaded.info.width, loaded.info.height)
            order = MODELS if i % 2 == 0 else MODELS[::-1]
            for m in order:
                faces, wall, cpu = timed(models[m]._faces, frame)
                found[m][name] = [f.box.as_list() for f in faces]
                times[m]["wall"].append(wall)
                times[m]["cpu"].append(cpu)
            i += 1
    return found, times


def _labels(d: Path) -> dict[str, dict]:
    raw = json.loads((d / "labels.json").read_text())
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def counts(dirs: list[Path], found: dict[str, list]) -> str:
    in_range = total = false_photos = no_face = 0
    for d in dirs:
        for name, lab in _labels(d).items():
            n = len(found[name])
            lo, hi = lab.get("faces") or (n, n)
            total += 1
            in_range += lo <= n <= hi
            no_face += hi == 0
            false_photos += hi == 0 and n > 0
    return f"counts in range {in_range}/{total}, false faces on {false_photos}/{no_face} photos without faces"


def frame_times(models: dict, repeat: int) -> dict[tuple[str, int], tuple[float, float, int]]:
    """(model, side) -> median wall, median CPU and faces of `detect` on the generated 1080p frame."""
    from face_frame import frame_1080p

    from consentdesk.core.vision.frame import resize

    frame = frame_1080p()
    out = {}
    for side in (1280, 1920):
        small = resize(frame, side / 1920)
        runs: dict = {m: [] for m in models}
        for r in range(repeat):
            for m in MODELS if r % 2 == 0 else MODELS[::-1]:
                runs[m].append(timed(models[m].faces.detect, small))
        for m, rs in runs.items():
            out[(m, side)] = (statistics.median(w for _, w, _ in rs), statistics.median(c for *_, c in rs), len(rs[0][0]))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dirs", nargs="+")
    p.add_argument("--face-boxes", help="JSON {file: [[x, y, w, h], ...]} of every face on crowd photos")
    p.add_argument("--min-face", type=int, default=12)
    p.add_argument("--threads", type=int, default=1, help="threads per model (0: every core)")
    p.add_argument("--repeat", type=int, default=7, help="rounds of the 1080p frame timing")
    a = p.parse_args(argv)
    dirs = [Path(d) for d in a.dirs]
    models = analysers(a.threads or None)
    load = os.getloadavg()[0]
    frames = frame_times(models, a.repeat)  # also loads both models outside the photo timings
    found, times = run_photos(dirs, models)
    truth = FaceBoxes.load(a.face_boxes) if a.face_boxes else None
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; threads {a.threads or 'all'}")
    med = {m: {k: statistics.median(v) for k, v in times[m].items()} for m in MODELS}
    for m in MODELS:
        print(f"{m:5s}: {counts(dirs, found[m])}")
        for line in recall(truth, found[m], a.min_face).lines() if truth else []:
            print(f"       {line.strip()}")
        print(f"       face stage per photo: median {med[m]['cpu']:.3f} s CPU, {med[m]['wall']:.3f} s wall")
        for side in (1280, 1920):
            wall, cpu, n = frames[(m, side)]
            print(f"       1080p frame at {side} px: median {cpu:.3f} s CPU, {wall:.3f} s wall ({n} faces)")
    r = {k: med["int8"][k] / med["float"][k] for k in ("cpu", "wall")}
    print(f"int8/float: face stage CPU {r['cpu']:.2f}, wall {r['wall']:.2f}; 1080p frame at 1280 px CPU "
          f"{frames[('int8', 1280)][1] / frames[('float', 1280)][1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
