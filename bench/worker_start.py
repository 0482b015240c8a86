"""CPU an import worker spends once, before it checks photos at its steady cost (medians over fresh processes).

    .venv/bin/python bench/worker_start.py PHOTO [PHOTO ...] [--rounds 5]

Each round starts a fresh process set up as an import worker (`checking._init_worker`, one thread, the
models loaded there when the set-up offers it) and checks each photo twice: the CPU to get ready (the
interpreter, imports, models), plus each photo's first check minus its second (first runs of the models,
what is loaded at first use: the name lists, zxing, phone metadata). Give a photo with a name-like line
among them. Prints the medians with the load average; to compare two source trees, run it with each
first on PYTHONPATH, alternately (as bench/stage_cpu.py). CPU, not wall time: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import inspect, json, resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
from consentdesk.core.photos import checking
warm = "warm" in inspect.signature(checking._init_worker).parameters
checking._init_worker(1, None, True) if warm else checking._init_worker(1, None)
ready = cpu()
extra = 0.0
for photo in sys.argv[1:]:
    c = cpu(); checking.check_file(photo); first = cpu() - c
    c = cpu(); checking.check_file(photo); extra += first - (cpu() - c)
print(json.dumps({"ready": ready, "first_use": extra}))
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("photos", nargs="+")
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT / "src"))
    load = os.getloadavg()[0]
    runs = []
    for _ in range(a.rounds):
        out = subprocess.run([sys.executable, "-c", CHILD, *a.photos], env=env, capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(r[k] for r in runs) for k in ("ready", "first_use")}
    print(
        f"{env['PYTHONPATH'].split(os.pathsep)[0]}: worker one-off CPU {med['ready'] + med['first_use']:.3f} s "
        f"(ready {med['ready']:.3f} s, first use {med['first_use']:.3f} s; medians of {a.rounds}); "
        f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
