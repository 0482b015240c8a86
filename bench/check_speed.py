"""Time the full check per photo under two settings, alternating photo by photo: wall and CPU, by stage.

    .venv/bin/python bench/check_speed.py DIR [--count 20] [--rounds 2] [--a NAME=VALUE ...] [--b NAME=VALUE ...]

`--a` and `--b` override AnalyserConfig fields (as bench/real_photos.py's --config) for the two sides;
by default A is `overlap=false` (the stages one after the other) and B the shipped default. Each photo is
checked by A and B in turn, the order swapping every photo and every round, so the shared machine's load
falls on both alike. Prints, for each side, the median wall and CPU time (all threads) per photo and the
median wall time of each stage, then B/A ratios, with the load average before and after. A photo's wall
time is what one user waits for one check; CPU is what two import workers would share. Nothing asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

STAGES = ("decode", "faces", "text", "plates", "codes", "regions", "total")


def analyser(overrides: list[str]):
    from real_photos import config_with

    from consentdesk.core.vision.analyse import Analyser, AnalyserConfig

    return Analyser(config_with(AnalyserConfig(), overrides))


def run(sides: dict, files: list[Path], rounds: int) -> dict:
    """{side: {"wall": [...], "cpu": [...], stage: [...]}} over every photo and round."""
    out: dict = {s: {} for s in sides}
    for r in range(rounds):
        for i, f in enumerate(files):
            order = list(sides) if (i + r) % 2 == 0 else list(sides)[::-1]
            for s in order:
                t, c = time.perf_counter(), time.process_time()
                result = sides[s].analyse_path(f)
                rec = out[s]
                rec.setdefault("wall", []).append(time.perf_counter() - t)
                rec.setdefault("cpu", []).append(time.process_time() - c)
                for k, v in result.timings.items():
                    rec.setdefault(k, []).append(v)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--count", type=int, default=20, help="photos taken from DIR (sorted, evenly spread)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--a", action="append", default=None, metavar="NAME=VALUE")
    p.add_argument("--b", action="append", default=None, metavar="NAME=VALUE")
    a = p.parse_args(argv)
    every = sorted(f for f in Path(a.dir).iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png", ".heic"})
    files = every[:: max(1, len(every) // a.count)][: a.count]
    sides = {"A": analyser(a.a if a.a is not None else ["overlap=false"]), "B": analyser(a.b or [])}
    for s in sides.values():
        s.analyse_path(files[0])  # models load outside the timings
    load = os.getloadavg()[0]
    out = run(sides, files, a.rounds)
    print(f"{len(files)} photos x {a.rounds} rounds; A {a.a or ['overlap=false']}, B {a.b or ['default']}")
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    med = {s: {k: statistics.median(v) for k, v in rec.items()} for s, rec in out.items()}
    for s in sides:
        stages = ", ".join(f"{k} {med[s][k]:.3f}" for k in STAGES if k in med[s])
        print(f"{s}: per photo median {med[s]['wall']:.3f} s wall, {med[s]['cpu']:.3f} s CPU; stages (wall) {stages}")
    print(f"B/A: wall {med['B']['wall'] / med['A']['wall']:.2f}, CPU {med['B']['cpu'] / med['A']['cpu']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
