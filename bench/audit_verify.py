"""How long does `consentdesk audit verify` take, and how much memory, as a catalogue grows? Prints medians.

Fills a desk catalogue through the store (bench/catalogue.py's `Filler`: releases, photos with analyses,
face links, finding decisions, withdrawals, approvals; cached in bench/out/ by size), then times the real
command as a whole process, start to exit, as a person runs it:

* `audit verify --full`: the whole chain and every record against its audited state; its peak memory is
  compared between the small and the full size (flat: it streams in pages);
* `audit verify` after 1,000 new entries since the last verification (its checkpoint): only what is new.
  Each run starts from the same checkpoint (restored before the run), on a copy of the filled catalogue
  with 1,000 more actions (face links, finding decisions, releases, form reservations).

Goal (issue 20): at 100,000 photos, verify after 1,000 new entries <= 0.3 s including process start, and
`--full` memory flat.

    PYTHONPATH=src .venv/bin/python bench/audit_verify.py [--size small|full|both] [--runs 7] [--refill]
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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.catalogue import SIZES, Filler  # noqa: E402

from consentdesk.core.store import Catalogue  # noqa: E402

OUT = ROOT / "bench" / "out"
NEW_ENTRIES = 1000


def filled(size_name: str, refill: bool) -> Path:
    """The filled catalogue of this size (made once, with the current schema, then reused)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"audit-verify-{size_name}.sqlite"
    if path.exists() and not refill:
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    print(f"  filling {size_name}: {SIZES[size_name]}", flush=True)
    started = time.monotonic()
    with Catalogue.open(path) as cat:
        Filler(cat, SIZES[size_name], date.today()).run()
        cat.checkpoint()
    print(f"  filled in {time.monotonic() - started:.0f} s", flush=True)
    return path


def run(catalogue: Path, home: Path, *args: str) -> tuple[float, int, float]:
    """One `consentdesk audit verify` process: (wall seconds, peak RSS in MB, CPU seconds). The CPU time is
    the work itself; the wall time also holds whatever else the machine was doing."""
    env = dict(os.environ, CONSENTDESK_HOME=str(home))
    command = [sys.executable, "-m", "consentdesk", "--catalog", str(catalogue), "audit", "verify", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        raise SystemExit(f"audit verify failed: {process.stderr.read().decode()[-500:] if process.stderr else ''}")
    return wall, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def add_new_work(catalogue: Path, size_name: str) -> None:
    """1,000 more audited actions, as a few days of work would add."""
    with Catalogue.open(catalogue, create=False) as cat:
        filler = Filler(cat, SIZES[size_name], date.today(), seed=99)
        filler.image_ids = [i.id for i in cat.list_images(limit=5000)]
        filler.consent_ids = [c.id for c in cat.list_consents(limit=2000)]
        start = cat.audit_head_seq()
        for step, count in ((filler._link, 600), (filler._finding_decision, 100), (filler._consent, 150)):
            with cat.transaction():
                for i in range(count):
                    step(i)
        with cat.transaction():
            for _ in range(NEW_ENTRIES - (cat.audit_head_seq() - start)):  # one entry each
                cat.reserve_form_ids(1)
        cat.checkpoint()


def measure(size_name: str, runs: int, refill: bool) -> dict[str, float]:
    source = filled(size_name, refill)
    work = Path(tempfile.mkdtemp(prefix="audit-verify-bench-"))
    try:
        catalogue = work / "catalogue.sqlite"
        shutil.copyfile(source, catalogue)
        home = work / "home"
        home.mkdir()
        with Catalogue.open(catalogue, create=False) as cat:
            entries = cat.audit_head_seq()
        full = [run(catalogue, home, "--full") for _ in range(max(1, runs // 2))]
        saved = (home / "audit-checkpoints.json").read_bytes()  # the checkpoint the full run left
        add_new_work(catalogue, size_name)
        with Catalogue.open(catalogue, create=False) as cat:
            new = cat.audit_head_seq() - entries
        since = []
        for _ in range(runs):
            (home / "audit-checkpoints.json").write_bytes(saved)
            since.append(run(catalogue, home))
        return {
            "size": size_name,
            "entries": entries,
            "new": new,
            "full_s": statistics.median(w for w, _, _ in full),
            "full_cpu": statistics.median(c for _, _, c in full),
            "full_mb": max(m for _, m, _ in full),
            "since_s": statistics.median(w for w, _, _ in since),
            "since_min_s": min(w for w, _, _ in since),
            "since_cpu": statistics.median(c for _, _, c in since),
            "since_mb": max(m for _, m, _ in since),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("small", "full", "both"), default="both")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--refill", action="store_true")
    args = parser.parse_args()
    sizes = ("small", "full") if args.size == "both" else (args.size,)
    rows = [measure(name, args.runs, args.refill) for name in sizes]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nconsentdesk audit verify, whole process (median of {args.runs}; load average {load}; {os.cpu_count()} cores)")
    print(
        f"{'size':<6} {'entries':>8} {'--full s':>9} {'cpu s':>6} {'--full MB':>10} {'new':>5} {'since s':>8} "
        f"{'min s':>6} {'cpu s':>6} {'since MB':>9}"
    )
    for r in rows:
        print(
            f"{r['size']:<6} {r['entries']:>8} {r['full_s']:>9.2f} {r['full_cpu']:>6.2f} {r['full_mb']:>10} "
            f"{r['new']:>5} {r['since_s']:>8.3f} {r['since_min_s']:>6.3f} {r['since_cpu']:>6.3f} {r['since_mb']:>9}"
        )
    if len(rows) == 2:
        small, full = rows
        print(
            f"full/small: entries x{full['entries'] / small['entries']:.0f}, --full time x"
            f"{full['full_s'] / small['full_s']:.1f}, --full peak memory x{full['full_mb'] / small['full_mb']:.2f}, "
            f"incremental time x{full['since_s'] / small['since_s']:.2f}"
        )


if __name__ == "__main__":
    main()
