"""CPU seconds per photo of each stage of the check, on one thread (as an import worker runs it).

    .venv/bin/python bench/stage_cpu.py PHOTO [PHOTO ...] [--threads 1]

Runs `Analyser.analyse_path` over the photos under cProfile with a CPU clock and prints one line: the
cumulative CPU time per photo of each stage's function (decode, faces, text, plates, codes, regions,
devices, total), with the load average. Per-stage wall times on this shared machine mostly measure the other
engineers' jobs; CPU time per stage does not. To compare two versions of the code, run it alternately
with each source tree first on PYTHONPATH (e.g. a `git archive` of main) and take the medians.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):  # another source tree given on PYTHONPATH wins
    sys.path.insert(0, str(ROOT / "src"))

#: stage -> (file the function is in, function name)
STAGES = {
    "total": ("vision/analyse.py", "analyse_path"),
    "decode": ("media/imaging.py", "load"),
    "faces": ("vision/analyse.py", "_faces"),
    "text": ("vision/text.py", "read"),
    "plates": ("vision/analyse.py", "_plate_findings"),
    "codes": ("vision/code_search.py", "find_codes"),
    "regions": ("vision/regions.py", "find_regions"),
    "emitted": ("vision/emitted.py", "lit_panels"),  # part of regions: lit displays in a dark room
    "devices": ("vision/analyse.py", "_device_screens"),  # the device model and its lit-display test
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("photos", nargs="+")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    from consentdesk.core.vision.analyse import Analyser, AnalyserConfig

    analyser = Analyser(AnalyserConfig(threads=a.threads))
    analyser.analyse_path(a.photos[0])  # models load outside the timings
    load = os.getloadavg()[0]
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for photo in a.photos:
        analyser.analyse_path(photo)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    n = len(a.photos)
    out = {
        stage: round(sum(v[3] for k, v in stats.items() if k[0].endswith(f) and k[2] == fn) / n, 4)
        for stage, (f, fn) in STAGES.items()
    }
    print(json.dumps({"src": sys.modules["consentdesk"].__file__, **out, "load": round(load, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
