"""Count the instructions the check spends on one photo: a figure the machine's load does not change.

    .venv/bin/python bench/instructions.py PHOTO... [--src DIR] [--repeat 2]

Why: this machine is shared, and wall-clock medians move with the other jobs on it (and CPU time with the
cache and the other processes' memory traffic). Valgrind's callgrind counts the instructions executed,
which only change with the code. Each photo is analysed in a fresh process under callgrind twice: once
after the warm-up only (models loaded, one analysis of the photo), once with `--repeat` more analyses;
the difference divided by `--repeat` is the cost of one check of that photo, with one thread (as each
import worker runs). `--src` analyses with another checkout's `src` folder (e.g. the code before a
change) so the two can be compared. Needs `valgrind` on the PATH; takes minutes per photo.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROGRAM = """
import os, sys
os.environ["OMP_NUM_THREADS"] = "1"
from consentdesk.core.vision.analyse import Analyser, AnalyserConfig
a = Analyser(AnalyserConfig(threads=1))
for _ in range(1 + int(sys.argv[2])):
    r = a.analyse_path(sys.argv[1])
assert r.error is None, r.error
"""


def instructions(photo: str, repeat: int, src: Path) -> int:
    """Instructions executed by a process that checks `photo` 1 + `repeat` times."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = dict(os.environ, PYTHONPATH=str(src), OMP_NUM_THREADS="1")
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-c",
            _PROGRAM,
            photo,
            str(repeat),
        ]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        m = re.search(r"^(?:summary|totals):\s*(\d+)", out.read_text(errors="replace"), re.MULTILINE)
        if not m:
            raise RuntimeError("callgrind wrote no instruction total")
        return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("photos", nargs="+")
    p.add_argument("--src", type=Path, default=ROOT / "src", help="the src folder to import consentdesk from")
    p.add_argument("--repeat", type=int, default=2)
    a = p.parse_args(argv)
    for photo in a.photos:
        warm = instructions(photo, 0, a.src)
        more = instructions(photo, a.repeat, a.src)
        per = (more - warm) / a.repeat
        print(f"{Path(photo).name}: {per / 1e9:.2f} G instructions per check (1 thread)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
