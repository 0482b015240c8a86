"""The app bundle: its size, and how fast it starts. Prints medians (bundle, and the same from source).

Times, each in a fresh process, from starting the program to: `--version` printed; `consent list` done on
a fresh catalogue; and the main window shown ("ConsentDesk window shown", printed when the window is first
exposed) offscreen and, when Xvfb is installed, on a real X display (xcb). Then the bundle's size (as `du`
counts it, and in bytes) and its largest parts.

    packaging/build.sh && .venv/bin/python bench/bundle.py [--bundle dist/consentdesk] [--runs 5]

Goal (issue 20): at most 400 MB, the bundled window shown within 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOWN = b"ConsentDesk window shown"


def _env(home: str, **extra: str) -> dict[str, str]:
    """A bare environment, as a desktop launcher gives (the source runs get their PYTHONPATH back)."""
    env = {"HOME": home, "PATH": "/usr/bin:/bin", "CONSENTDESK_HOME": str(Path(home) / "data")}
    return env | extra


def timed(command: list[str], env: dict[str, str], until: bytes | None = None, timeout: float = 120) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    if until is None:
        proc.communicate(timeout=timeout)
        took = time.perf_counter() - started
    else:
        took = float("nan")
        for line in proc.stdout:
            if until in line:
                took = time.perf_counter() - started
                break
        proc.wait(timeout=timeout)
    if proc.returncode not in (0, None):
        raise RuntimeError(f"{command} exited with {proc.returncode}")
    return took


@contextmanager
def x_display() -> Iterator[str | None]:
    if not shutil.which("Xvfb"):
        yield None
        return
    n = next(n for n in range(150, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f":{n}"
    finally:
        server.terminate()
        server.wait(10)


def size_report(bundle: Path, top: int = 12) -> None:
    blocks = int(subprocess.run(["du", "-s", "-B1", str(bundle)], capture_output=True, text=True).stdout.split()[0])
    apparent = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"\nsize of {bundle}: {blocks / 2**20:.0f} MiB as du counts it ({blocks / 1e6:.0f} MB), "
          f"{apparent / 1e6:.0f} MB of file contents")  # fmt: skip
    parts: dict[str, int] = {}
    internal = bundle / "_internal"
    for path in internal.rglob("*"):
        if path.is_file() and not path.is_symlink():
            part = path.relative_to(internal).parts[0]
            parts[part] = parts.get(part, 0) + path.stat().st_size
    print("largest parts (MB): " + ", ".join(f"{k} {v / 1e6:.0f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1])[:top]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "consentdesk")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    program = args.bundle / "consentdesk"
    if not program.exists():
        print(f"no bundle at {args.bundle}: build it with packaging/build.sh", file=sys.stderr)
        return 2
    home = tempfile.mkdtemp(prefix="bench-bundle-")
    catalogue = str(Path(home) / "desk.sqlite")
    source_env = {"PYTHONPATH": str(ROOT / "src")}
    runners = {"bundle": ([str(program)], {}), "source": ([sys.executable, "-m", "consentdesk"], source_env)}
    window = {"CONSENTDESK_QUIT_AFTER_MS": "0"}
    with x_display() as display:
        jobs = {
            "--version": (["--version"], {}, None),
            "consent list": (["--catalog", catalogue, "consent", "list"], {}, None),
            "window shown, offscreen": (["--catalog", catalogue], {"QT_QPA_PLATFORM": "offscreen", **window}, SHOWN),
        }
        if display:
            jobs["window shown, xcb (Xvfb)"] = (["--catalog", catalogue], {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display, **window}, SHOWN)  # fmt: skip
        for runner, extra in runners.values():  # once each, untimed: files into the page cache
            for job_args, job_env, until in jobs.values():
                timed([*runner, *job_args], _env(home, **extra, **job_env), until)
        results: dict[str, dict[str, float]] = {}
        for name, (job_args, job_env, until) in jobs.items():
            for who, (runner, extra) in runners.items():
                runs = [timed([*runner, *job_args], _env(home, **extra, **job_env), until) for _ in range(args.runs)]
                results.setdefault(name, {})[who] = statistics.median(runs)
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; median of {args.runs} runs, seconds")
    print(f"{'from start to':<28} {'bundle':>8} {'source':>8} {'bundle/source':>14}")
    for name, r in results.items():
        print(f"{name:<28} {r['bundle']:>8.2f} {r['source']:>8.2f} {r['bundle'] / r['source']:>14.2f}")
    size_report(args.bundle)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
