"""Benchmark the analysis pipeline: per-stage medians, throughput on both cores, recall per kind.

    .venv/bin/python bench/analyse.py DIR [--count 60] [--set dev|classic] [--no-pool] [--save out.json]

If DIR has no images, a set with ground truth is built into it: `dev` (default; composites on real
photographs: appointment screens, letters, badges, rotas, number plates, harmless signs and receipts,
see tests/data/dev_set.py) or `classic` (the regression set of tests/data/builders.py). Prints recall
per kind, face counts in range, false personal-data findings per clean photo and time per stage.
Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

_worker = None


def _init_worker() -> None:
    """One Analyser per worker process, one thread each, so two workers use two cores without contention."""
    global _worker
    os.environ["OMP_NUM_THREADS"] = "1"
    from consentdesk.core.vision.analyse import Analyser, AnalyserConfig

    _worker = Analyser(AnalyserConfig(threads=1))


def _analyse(path: str) -> dict:
    result = _worker.analyse_path(path)
    data = result.to_json()
    data["timings"] = result.timings
    return data


def main(argv: list[str] | None = None) -> int:
    a = _arguments(argv)
    from tests.data.builders import evaluate_by_kind, load_truths
    from tests.data.dev_set import DEV_PERSONAL

    d = Path(a.dir)
    files = _images(d, a.set, a.count)
    analyser, results, stages = _latency(files)
    if a.save:
        Path(a.save).write_text(json.dumps(results))
    _quality(d, results, load_truths, evaluate_by_kind, DEV_PERSONAL)
    if a.clean_real:
        _clean_real(analyser, Path(a.clean_real), DEV_PERSONAL)
    if not a.no_pool:
        _throughput(files, a.workers, stages)
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--count", type=int, default=60, help="images to build if DIR is empty")
    p.add_argument("--set", choices=("dev", "classic"), default="dev", help="which set to build")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-pool", action="store_true", help="skip the throughput run")
    p.add_argument("--save", help="write the per-image results (JSON) here, e.g. for a before/after diff")
    p.add_argument(
        "--clean-real",
        metavar="DIR",
        help="also analyse these real photos that show no personal data (plus scikit-image's real photos "
        "of text) and count personal-data findings on them: every one is a false finding",
    )
    return p.parse_args(argv)


def _images(d: Path, which: str, count: int) -> list[str]:
    """The set's JPEGs, built first (with ground truth) if the folder has none."""
    from tests.data.builders import build_test_set
    from tests.data.dev_set import build_dev_set

    if not d.is_dir() or not any(d.glob("*.jpg")):
        t = time.perf_counter()
        (build_dev_set if which == "dev" else build_test_set)(d, count)
        print(f"built {count} images in {time.perf_counter() - t:.1f} s")
    return sorted(str(f) for f in d.glob("*.jpg"))


def _latency(files: list[str]):
    """Single process, every core: per-image latency by stage, and CPU time (all threads) per image."""
    from consentdesk.core.vision.analyse import Analyser

    analyser = Analyser()
    analyser.analyse_path(files[0])  # load models outside the timings
    stages: dict[str, list[float]] = {}
    results: dict[str, dict] = {}
    cpu: list[float] = []
    load = os.getloadavg()[0]
    for f in files:
        started = time.process_time()
        r = analyser.analyse_path(f)
        cpu.append(time.process_time() - started)
        results[Path(f).name] = r.to_json()
        for k, v in r.timings.items():
            stages.setdefault(k, []).append(v)
    print(f"images: {len(files)} (12 MP and 24 MP JPEG); load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    for k in ("decode", "faces", "text", "codes", "plates", "regions", "total"):
        if k in stages:
            print(f"median {k:8s} {statistics.median(stages[k]):.3f} s   (max {max(stages[k]):.3f})")
    print(f"median CPU time per image (all threads): {statistics.median(cpu):.3f} s")
    return analyser, results, stages


def _throughput(files: list[str], workers: int, stages: dict[str, list[float]]) -> None:
    """A process pool, one Analyser and one thread per worker, as an import runs."""
    # spawn, not fork: forking a process that already runs OpenCV/onnxruntime thread pools deadlocks
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
        list(pool.map(_analyse, files[:workers]))  # warm up: models load once per worker
        t = time.perf_counter()
        pooled = list(pool.map(_analyse, files))
        elapsed = time.perf_counter() - t
    per_worker = {
        k: statistics.median(r["timings"][k] for r in pooled if r["timings"]) for k in ("faces", "text", "total")
    }
    print("in-worker medians (1 thread each): " + ", ".join(f"{k} {v:.3f} s" for k, v in per_worker.items()))
    seq = sum(stages["total"])
    print(f"single process: {len(files) / seq * 60:.0f} images/min ({seq / len(files):.3f} s/image)")
    print(
        f"throughput: {len(files) / elapsed * 60:.0f} images/min with {workers} workers "
        f"({elapsed / len(files):.3f} s/image; 300 photos in {300 * elapsed / len(files) / 60:.1f} min); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def _clean_real(analyser, folder: Path, personal) -> None:
    """False personal-data findings per real photo with only harmless content (and its face count)."""
    import numpy as np
    from skimage import data

    photos: list[tuple[str, np.ndarray]] = []
    for name in ("text", "page", "coffee", "chelsea", "rocket", "astronaut", "camera", "coins"):
        img = getattr(data, name)()
        img = np.stack([img] * 3, axis=-1) if img.ndim == 2 else img[:, :, :3]
        photos.append((f"skimage:{name}", np.ascontiguousarray(img)))
    from consentdesk.core.media import imaging

    for f in sorted(folder.glob("*.jp*g")) + sorted(folder.glob("*.png")):
        photos.append((f.name, imaging.load(f).rgb))
    false = 0
    for name, rgb in photos:
        r = analyser.analyse_array(rgb, name)
        bad = [f"{f.kind}" for f in r.findings if str(f.kind) in personal]
        false += len(bad)
        print(f"  real {name:24s} faces {len(r.faces):2d}  personal findings: {', '.join(bad) or 'none'}")
    print(
        f"false personal-data findings per real clean photo: {false / len(photos):.3f} ({len(photos)} photos)"
    )


def _quality(d: Path, results: dict, load_truths, evaluate_by_kind, personal) -> None:
    """The per-kind table: found / total and recall, then faces and false findings on clean photos."""
    if not (d / "truth.jsonl").exists():
        return
    truths = [t for t in load_truths(d) if t.file in results]
    score = evaluate_by_kind(truths, results, set(personal))
    print(f"{'kind':16s} {'found':>5s} {'total':>5s} {'recall':>7s}")
    for kind, (found, total) in score["per_kind"].items():
        print(f"{kind:16s} {found:5d} {total:5d} {found / total:7.1%}")
    print(f"{'all items':16s} {'':5s} {'':5s} {score['item_recall']:7.1%}")
    print(f"face counts in range: {score['face_counts_in_range']:.1%} of {len(truths)} photos")
    print(
        f"false personal-data findings per clean photo: {score['false_personal_per_clean']:.3f} "
        f"({score['clean_photos']} clean photos; {score['false_kinds'] or 'none'})"
    )
    if score["missed"]:
        print("missed:", ", ".join(score["missed"]))


if __name__ == "__main__":
    raise SystemExit(main())
