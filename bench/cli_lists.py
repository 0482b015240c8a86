"""How soon does a list command show its first line on a big catalogue? Prints medians per command.

Each run is a fresh `python -m consentdesk` process, timed from the moment it is started (process start and
imports included) to its first line on stdout, as `consentdesk queue | head -1` would see it; a second set
of runs times the whole list to its end. The catalogue is bench/catalogue.py's (100,000 photos, 20,000
releases: `--size full`), filled first if it is not cached in bench/out/.

    PYTHONPATH=src .venv/bin/python bench/cli_lists.py [--size small|full] [--runs 5] [--whole] [--only queue]
    BENCH_SRC=/path/to/other/checkout/src ...    # the same figures for other code (before/after)

Goal (issue 20): at 100,000 photos the first line of `queue` within 0.5 s, process start included. The
load average is printed with the figures: on a shared machine other programs' work lands in them.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SRC = os.environ.get("BENCH_SRC", str(ROOT / "src"))
COMMANDS = (["queue"], ["images"], ["consent", "list"], ["audit", "list"], ["expiring"])


def catalogue_path(size: str) -> Path:
    path = OUT / f"catalogue-{size}.sqlite"
    if not (OUT / f"filled-sqlite-{size}.json").exists():
        print(f"filling {path} with bench/catalogue.py (minutes)…", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "catalogue.py"), "--size", size, "--engine", "sqlite",
             "--fill-only"],
            check=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
        )  # fmt: skip
    return path


def _env(home: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=SRC, CONSENTDESK_HOME=home, QT_QPA_PLATFORM="offscreen")


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def first_line(catalogue: Path, command: list[str], home: str) -> tuple[float, float]:
    """Seconds from starting the process to its first line of output (then it is stopped, as by head),
    and the CPU seconds it used until then: what the wait would be on an idle machine (one thread)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "consentdesk", "--catalog", str(catalogue), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(home),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    took = time.perf_counter() - started
    proc.kill()
    proc.wait()
    if not line:
        raise RuntimeError(f"{' '.join(command)} printed nothing")
    return took, _children_cpu() - cpu


def whole(catalogue: Path, command: list[str], home: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "consentdesk", "--catalog", str(catalogue), *command],
        capture_output=True,
        env=_env(home),
        check=True,
    )
    return time.perf_counter() - started, done.stdout.count(b"\n")


def process_start(home: str) -> tuple[float, float]:
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "consentdesk", "--version"], capture_output=True, env=_env(home), check=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "full"), default="full")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--whole", action="store_true", help="also time each whole list (slow at full size)")
    parser.add_argument(
        "--only", action="append", default=[], metavar="COMMAND", help="only this command, e.g. queue (repeatable)"
    )
    args = parser.parse_args(argv)
    commands = [c for c in COMMANDS if not args.only or " ".join(c) in args.only]
    catalogue = catalogue_path(args.size)
    home = tempfile.mkdtemp(prefix="bench-cli-lists-")
    first_line(catalogue, ["queue"], home)  # warm the file cache once, as a desk in use would be
    starts = [process_start(home) for _ in range(args.runs)]
    start, start_cpu = statistics.median(r[0] for r in starts), statistics.median(r[1] for r in starts)
    print(f"\n{args.size} catalogue {catalogue.name} ({catalogue.stat().st_size / 1e6:.0f} MB), code {SRC}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; median of {args.runs} runs")
    head = f"{'command':<16} {'first line s':>13} {'its CPU s':>10} {'x --version':>12}"
    print(head + (f" {'whole s':>9} {'lines':>8}" if args.whole else ""))
    print(f"{'--version':<16} {start:>13.3f} {start_cpu:>10.3f} {1.0:>12.1f}")
    for command in commands:
        firsts = [first_line(catalogue, command, home) for _ in range(args.runs)]
        wall, cpu = statistics.median(r[0] for r in firsts), statistics.median(r[1] for r in firsts)
        row = f"{' '.join(command):<16} {wall:>13.3f} {cpu:>10.3f} {wall / start:>12.1f}"
        if args.whole:
            runs = [whole(catalogue, command, home) for _ in range(max(1, args.runs // 2))]
            row += f" {statistics.median(r[0] for r in runs):>9.2f} {runs[0][1]:>8}"
        print(row, flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
