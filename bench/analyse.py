"""Benchmark the analysis pipeline: per-stage medians, throughput on both cores, recall on generated data.

    .venv/bin/python bench/analyse.py DIR [--count 30]

If DIR has no images, the generated test set (12 and 24 MP JPEGs with ground truth) is built into it.
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
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--count", type=int, default=30, help="images to build if DIR is empty")
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args(argv)

    from tests.data.builders import build_test_set, evaluate, load_truths

    d = Path(a.dir)
    if not d.is_dir() or not any(d.glob("*.jpg")):
        t = time.perf_counter()
        build_test_set(d, a.count)
        print(f"built {a.count} images in {time.perf_counter() - t:.1f} s")
    files = sorted(str(f) for f in d.glob("*.jpg"))

    # 1) single process, library-default threads: per-image latency by stage
    from consentdesk.core.vision.analyse import Analyser

    analyser = Analyser()
    analyser.analyse_path(files[0])  # load models outside the timings
    stages: dict[str, list[float]] = {}
    results: dict[str, dict] = {}
    for f in files:
        r = analyser.analyse_path(f)
        results[Path(f).name] = r.to_json()
        for k, v in r.timings.items():
            stages.setdefault(k, []).append(v)
    print(f"images: {len(files)} (12 MP and 24 MP JPEG)")
    for k in ("decode", "faces", "text", "codes", "regions", "total"):
        if k in stages:
            print(f"median {k:8s} {statistics.median(stages[k]):.3f} s   (max {max(stages[k]):.3f})")

    # 2) throughput with a process pool, one Analyser and one thread per worker
    # spawn, not fork: forking a process that already runs OpenCV/onnxruntime thread pools deadlocks
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(a.workers, mp_context=ctx, initializer=_init_worker) as pool:
        list(pool.map(_analyse, files[: a.workers]))  # warm up: models load once per worker
        t = time.perf_counter()
        pooled = list(pool.map(_analyse, files))
        elapsed = time.perf_counter() - t
    per_worker = {
        k: statistics.median(r["timings"][k] for r in pooled if r["timings"])
        for k in ("faces", "text", "total")
    }
    print("in-worker medians (1 thread each): " + ", ".join(f"{k} {v:.3f} s" for k, v in per_worker.items()))
    seq = sum(stages["total"])
    print(f"single process: {len(files) / seq * 60:.0f} images/min ({seq / len(files):.3f} s/image)")
    print(
        f"throughput: {len(files) / elapsed * 60:.0f} images/min with {a.workers} workers "
        f"({elapsed / len(files):.3f} s/image; 300 photos in {300 * elapsed / len(files) / 60:.1f} min)"
    )

    truth_file = d / "truth.jsonl"
    if truth_file.exists():
        truths = [t for t in load_truths(d) if t.file in results]
        score = evaluate(truths, results)
        missed = score.pop("missed")
        print(
            "quality:", json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in score.items()})
        )
        if missed:
            print("missed:", ", ".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
