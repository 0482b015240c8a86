"""What one key in the review costs, now that the review reads and decides in workers.

Each key that reads or decides runs as one worker task: do the work and read the photo's status back. The
task used to open (and, on a server, authenticate) a connection of its own and close it; now it shares the
window's catalogue, whose pool keeps connections warm (`in_catalogue(catalogue, …)`). This prints the
medians of each part, and the key's task both ways, on three kinds of catalogue: the embedded SQLite file, a PostgreSQL register over its Unix socket, and the same register over
TCP with verified TLS and a password (what a team member on another computer uses; here on localhost, so
a real network adds its round trips on top). The GUI thread does none of this: it only waits for the
answer, and keeps painting meanwhile.

    .venv/bin/python bench/review.py [--runs 40] [--photos 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from timing import median_ms  # noqa: E402  (bench/ is on the path when a script runs)


def _fill(locator: str, photos: int) -> list[int]:
    from consentdesk.core.store import Catalogue, NewImage
    from consentdesk.core.values import Analysis, Box, Face, Finding, FindingKind, Severity

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


def measure(locator: str, ids: list[int], runs: int) -> dict[str, float]:
    from consentdesk.core.review import workflow
    from consentdesk.core.store import Catalogue
    from consentdesk.core.values import FaceState

    image = ids[len(ids) // 2]
    states = [FaceState.BLUR, FaceState.UNRESOLVED]
    turn = iter(range(10**9))

    def open_close() -> None:
        Catalogue.open(locator, create=False).close()

    def decide(catalogue: Catalogue) -> None:
        seen = workflow.status(catalogue, image).state
        workflow.set_face(catalogue, image, 1, states[next(turn) % 2], seen=seen)
        workflow.status(catalogue, image)

    def key_task(catalogue: Catalogue) -> None:  # what a review key's worker task does
        workflow.set_face(catalogue, image, 2, states[next(turn) % 2])
        workflow.status(catalogue, image)

    def key_task_own_connection() -> None:  # before: a connection of its own for each key
        with Catalogue.open(locator, create=False) as catalogue:
            key_task(catalogue)

    with Catalogue.open(locator, create=False) as catalogue:
        return {
            "open + close a connection": median_ms(open_close, runs),
            "read a photo's status": median_ms(lambda: workflow.status(catalogue, image), runs),
            "decision (on the view) + read back": median_ms(lambda: decide(catalogue), runs),
            "key task, own connection (before)": median_ms(key_task_own_connection, runs),
            "key task, shared catalogue (now)": median_ms(lambda: key_task(catalogue), runs),
        }


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
    base = results["SQLite file"]["key task, shared catalogue (now)"]
    for kind, figures in results.items():
        now, before = (
            figures["key task, shared catalogue (now)"],
            figures["key task, own connection (before)"],
        )
        print(f"{kind}: a key's task now takes {now / before:.0%} of before; {now / base:.1f}× SQLite's")


if __name__ == "__main__":
    main()
