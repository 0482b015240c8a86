"""Benchmark `consentdesk catalogue copy`: wall time and peak memory of the copying process, per mode.

    .venv/bin/python bench/copy_catalogue.py [--images 2000 8000] [--repeat 3]

For each size a desk catalogue is built (photos with three faces and a decision each, one signed record
per ten photos), then copied, each run in its own process so its peak RSS is its own:
  new-sqlite   desk -> new SQLite file (row for row, same chain)
  new-pg       desk -> empty PostgreSQL database (row for row, same chain)
  merge-new    desk -> a register with its own chain (everything merged in, ids re-mapped)
  merge-again  the same again into that register (everything already there: adds nothing)
PostgreSQL runs need the server binaries (a throwaway cluster is started, as in the tests).
Figures are printed, never asserted. Memory that stays flat as the catalogue grows is the point of the
streamed copy; merge keeps one int->int map of photo ids (a few MB per 100k photos).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

FACES = ([100, 100, 80, 100], [400, 120, 80, 100], [700, 140, 80, 100])


def build_desk(path: Path, images: int) -> None:
    from tests.data.lifecycle_fixtures import EXAMPLES

    from consentdesk.core.consent.releases import record_consent
    from consentdesk.core.forms import Submission, load_form
    from consentdesk.core.store import Catalogue, NewImage
    from consentdesk.core.values import Analysis, Box, Face, FaceState

    form = load_form("model_release", 1)
    raw = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    signature = (EXAMPLES / "signature-adult.png").read_bytes()
    with Catalogue.open(path) as cat, cat.transaction():
        consent_ids = []
        for n in range(max(1, images // 10)):
            answers = dict(raw["answers"], full_name=f"Bench Person {n}")
            consent = record_consent(cat, form, Submission(answers, {"signature": signature}), source="cli")
            consent_ids.append(consent.id)
        shoot = cat.create_shoot("Bench", "/bench")
        for n in range(images):
            analysis = Analysis(
                path=f"/bench/{n}.jpg",
                width=1600,
                height=1200,
                faces=tuple(Face(Box.from_list(b), 0.9) for b in FACES),
                analyser_version="bench",
            )
            new = NewImage(f"{n:064x}", f"/bench/{n}.jpg", 1000 + n, 1600, 1200)
            record, _ = cat.add_image(new, analysis, shoot)
            face = cat.review_state(record.id).faces[0]
            cat.add_face_decision(record.id, face, FaceState.LINKED, consent_ids[n % len(consent_ids)])


def timed_copy(source: str, dest: str) -> tuple[float, float, dict]:
    """Run one copy in a child process: (seconds, peak RSS in MB, report)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "consentdesk", "catalogue", "copy", source, dest, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    out = child.stdout.read()
    err = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"copy failed: {err.decode()[-500:]}")
    return seconds, usage.ru_maxrss / 1024, json.loads(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, nargs="+", default=[2000, 8000])
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the throwaway server on kill, too

    from tests.data import pg_server as pg

    from consentdesk.core.store import Catalogue

    try:
        server = pg.start_server()
    except pg.ServerUnavailable as exc:
        print(f"(no PostgreSQL runs: {exc})")
        server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{'photos':>7}  {'mode':<12}  {'median s':>9}  {'photos/s':>9}  {'peak RSS MB':>11}")
            for images in a.images:
                desk = Path(tmp, f"desk-{images}.sqlite")
                t = time.perf_counter()
                build_desk(desk, images)
                print(f"(built a desk of {images} photos in {time.perf_counter() - t:.0f} s)")
                runs: dict[str, list[tuple[float, float]]] = {}
                for r in range(a.repeat):
                    out = Path(tmp, f"copy-{images}-{r}.sqlite")
                    runs.setdefault("new-sqlite", []).append(timed_copy(str(desk), str(out))[:2])
                    if server is None:
                        continue
                    runs.setdefault("new-pg", []).append(
                        timed_copy(str(desk), server.url(server.new_database()))[:2]
                    )
                    register = server.url(server.new_database())
                    Catalogue.open(register).close()  # a register with its own chain: merge
                    runs.setdefault("merge-new", []).append(timed_copy(str(desk), register)[:2])
                    runs.setdefault("merge-again", []).append(timed_copy(str(desk), register)[:2])
                for mode, values in runs.items():
                    seconds = statistics.median(v[0] for v in values)
                    rss = statistics.median(v[1] for v in values)
                    print(f"{images:>7}  {mode:<12}  {seconds:>9.2f}  {images / seconds:>9.0f}  {rss:>11.0f}")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
