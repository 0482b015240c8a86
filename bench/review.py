"""What one key in the review costs, now that the review reads and decides in workers.

Each key that reads or decides runs as one worker task: open a connection to the catalogue (`in_catalogue`),
do the work, read the photo's status back, close. This prints the medians of each part on three kinds of
catalogue: the embedded SQLite file, a PostgreSQL register over its Unix socket, and the same register over
TCP with verified TLS and a password (what a team member on another computer uses; here on localhost, so
a real network adds its round trips on top). The GUI thread does none of this: it only waits for the
answer, and keeps painting meanwhile.

    .venv/bin/python bench/review.py [--runs 40] [--photos 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def _fill(locator: str, photos: int) -> list[int]:
    from consentdesk.core.model import Analysis, Box, Face, Finding, FindingKind, Severity
    from consentdesk.core.store import Catalogue, NewImage

    with Catalogue.open(locator) as catalogue:
        shoot = catalogue.create_shoot("bench", "bench")
        ids = []
        for i in range(photos):
            analysis = Analysis(
                path=f"/photos/{i}.jpg",
                width=1000,
                height=800,
                faces=tuple(Face(Box(100 + 250 * k, 100, 120, 150), 0.9) for k in range(3)),
                findings=(
                    Finding(FindingKind.NHS_NUMBER, Box(100, 600, 300, 40), "943 476 5919", Severity.HIGH),
                ),
                analyser_version="bench",
            )
            new = NewImage(sha256=f"{i:064x}", path=f"/photos/{i}.jpg", file_size=1, width=1000, height=800)
            ids.append(catalogue.add_image(new, analysis, shoot)[0].id)
        return ids


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(locator: str, ids: list[int], runs: int) -> dict[str, float]:
    from consentdesk.core import review
    from consentdesk.core.decisions import FaceState
    from consentdesk.core.store import Catalogue

    image = ids[len(ids) // 2]
    states = [FaceState.BLUR, FaceState.UNRESOLVED]
    turn = iter(range(10**9))

    def open_close() -> None:
        Catalogue.open(locator, create=False).close()

    def decide(catalogue: Catalogue) -> None:
        seen = review.status(catalogue, image).state
        review.set_face(catalogue, image, 1, states[next(turn) % 2], seen=seen)
        review.status(catalogue, image)

    def one_key() -> None:  # exactly what a review key's worker task does
        with Catalogue.open(locator, create=False) as catalogue:
            review.set_face(catalogue, image, 2, states[next(turn) % 2])
            review.status(catalogue, image)

    with Catalogue.open(locator, create=False) as catalogue:
        figures = {
            "open + close a connection": _median_ms(open_close, runs),
            "read a photo's status": _median_ms(lambda: review.status(catalogue, image), runs),
            "decision + status read back": _median_ms(lambda: decide(catalogue), runs),
        }
    figures["one key's worker task, all of it"] = _median_ms(one_key, runs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--photos", type=int, default=2000)
    args = parser.parse_args()

    from tests.data.pg_server import start_server

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = str(Path(folder) / "catalogue.sqlite")
        results["SQLite file"] = measure(sqlite, _fill(sqlite, args.photos), args.runs)
        server = start_server()
        try:
            database = server.new_database("bench_review")
            socket = server.url(database)
            ids = _fill(socket, args.photos)
            results["PostgreSQL, Unix socket"] = measure(socket, ids, args.runs)
            ca = server.enable_tls()
            with server.admin() as conn:
                conn.execute("CREATE ROLE bench LOGIN PASSWORD 'bench-secret-1' SUPERUSER")
            tls = server.tcp_url(
                database, "bench", "bench-secret-1", sslmode="verify-full", sslrootcert=str(ca)
            )
            results["PostgreSQL, TCP + TLS + password"] = measure(tls, ids, args.runs)
        finally:
            server.stop()

    print(f"{args.photos} photos, median of {args.runs} runs, ms (2-core machine)")
    names = list(next(iter(results.values())))
    print(f"{'':36}" + "".join(f"{kind:>34}" for kind in results))
    for name in names:
        print(f"{name:36}" + "".join(f"{results[kind][name]:34.1f}" for kind in results))
    base = results["SQLite file"]["one key's worker task, all of it"]
    for kind, figures in results.items():
        share = figures["open + close a connection"] / figures["one key's worker task, all of it"]
        ratio = figures["one key's worker task, all of it"] / base
        print(f"{kind}: connecting is {share:.0%} of a key's task; the task is {ratio:.1f}× SQLite's")


if __name__ == "__main__":
    main()
