"""Photos imported per minute on N workers, and how much of it is the check itself.

    .venv/bin/python bench/import_rate.py DIR [--count 24] [--workers 2] [--rounds 2]

Imports `--count` photos of DIR into an empty catalogue in a scratch home (bench/timing.scratch_home) the
way the Library does (`import_paths`, worker processes), and, alternately, runs the same photos through
the same worker set-up doing the check alone (`analyse_path`), so the difference is what the import adds
(reading facts, hashing, storing, progress). Prints per way the median over rounds of: photos per minute
over the whole run (start-up and model loading included), per minute after the first photo of each worker
(the steady rate a long shoot sees), the start-up time, and CPU per photo in the workers and in this
process; then the ratios, with the load average. Nothing asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _figures(stamps: list[float], started: float, workers: int, parent_cpu: float, child_cpu: float) -> dict:
    n = len(stamps)
    steady = (n - workers) / (stamps[-1] - stamps[workers - 1]) * 60 if n > workers else float("nan")
    return {
        "per_min": n / (stamps[-1] - started) * 60,
        "steady_per_min": steady,
        "start_up": stamps[0] - started,
        "worker_cpu": child_cpu / n,
        "parent_cpu": parent_cpu / n,
    }


def import_once(files: list[str], workers: int, work: Path, run: int) -> dict:
    """One import of `files` (copied into a fresh folder first, outside the timing) into a fresh catalogue."""
    from consentdesk.core.photos.importer import import_paths
    from consentdesk.core.store import Catalogue

    folder = work / f"card_{run}"
    folder.mkdir()
    for f in files:
        shutil.copyfile(f, folder / Path(f).name)
    stamps: list[float] = []
    c0, k0 = time.process_time(), _children_cpu()
    started = time.perf_counter()
    with Catalogue.open(work / f"catalogue_{run}.sqlite") as catalogue:
        report = import_paths(
            catalogue, [str(folder)], workers=workers, progress=lambda _p: stamps.append(time.perf_counter())
        )
    assert len(report.added) == len(files), report
    return _figures(stamps, started, workers, time.process_time() - c0, _children_cpu() - k0)


def check_once(files: list[str], workers: int) -> dict:
    """The same worker set-up as the import (spawned processes, one thread, niced), the check alone."""
    import multiprocessing

    from consentdesk.core.photos.checking import _init_worker
    from consentdesk.core.vision.analyse import analyse_path

    stamps: list[float] = []
    c0, k0 = time.process_time(), _children_cpu()
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(1, None)) as pool:
        for _ in pool.map(analyse_path, files):
            stamps.append(time.perf_counter())
    return _figures(stamps, started, workers, time.process_time() - c0, _children_cpu() - k0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--count", type=int, default=24)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    a = p.parse_args(argv)
    from timing import scratch_home

    every = sorted(str(f) for f in Path(a.dir).iterdir() if f.suffix.lower() in {".jpg", ".jpeg"})
    files = every[:: max(1, len(every) // a.count)][: a.count]
    load = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {"import": [], "check only": []}
    with scratch_home("import-rate-") as work:
        for r in range(a.rounds):
            for way in ("import", "check only") if r % 2 == 0 else ("check only", "import"):
                got = import_once(files, a.workers, work, r) if way == "import" else check_once(files, a.workers)
                runs[way].append(got)
    print(f"{len(files)} photos, {a.workers} workers, {a.rounds} rounds alternated; "
          f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    med = {way: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for way, rs in runs.items()}
    for way, m in med.items():
        print(
            f"{way:10s}: {m['per_min']:.0f} photos/min overall, {m['steady_per_min']:.0f}/min after start-up "
            f"({m['start_up']:.1f} s to the first photo); CPU per photo: workers {m['worker_cpu']:.3f} s, "
            f"this process {m['parent_cpu']:.3f} s"
        )
    i, c = med["import"], med["check only"]
    print(f"import/check only: photos/min {i['per_min'] / c['per_min']:.2f}, steady {i['steady_per_min'] / c['steady_per_min']:.2f}, "
          f"worker CPU per photo {i['worker_cpu'] / c['worker_cpu']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
