"""Pruning this computer's photo cache against a team register (`core.photos.prune_cache`): what the window
pays when it opens a register and each time the audit trail moves.

Starts a throwaway PostgreSQL cluster (tests/data/pg_server.py), stores working copies of H photos in a
register (tiny rows: the prune reads only their hashes) and fills the cache with C photos' thumbnails and
full-size copies, a tenth of them of photos the register no longer holds. Each run re-creates those files
(untimed), then times one prune. Prints the median milliseconds of R runs per cache size, per file and the
ratio between sizes (the work should grow with the cache, not with the register).

    .venv/bin/python bench/prune_cache.py [--held 20000] [--cache 500,2000,8000] [--runs 7]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import scratch_home, throwaway_server  # noqa: E402  (bench/ is on the path when a script runs)


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--held", type=int, default=20000, help="photos the register holds copies of")
    parser.add_argument("--cache", default="500,2000,8000", help="photos cached on this computer")
    parser.add_argument("--runs", type=int, default=7)
    return parser.parse_args()


def _hold_copies(url: str, held: int) -> None:
    """A register holding working copies of `held` photos (tiny rows: the prune reads only their hashes)."""
    import psycopg

    from consentdesk.core.store import Catalogue

    Catalogue.open(url).close()  # the schema
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO photo_files(sha256, data, stored_at, stored_by) VALUES (%s, %s, 'now', 'bench')",
            [(_sha(n), b"x") for n in range(held)],
        )


def _cached_shas(size: int, held: int) -> tuple[list[str], int]:
    """The hashes of `size` cached photos, and from which index on they are gone from the register."""
    gone_from = size - size // 10  # the last tenth were erased elsewhere (not in the register)
    shas = [_sha(n) for n in range(gone_from)] + [_sha(held + n) for n in range(size - gone_from)]
    return shas, gone_from


def _fill_cache(shas: list[str], copies: Path) -> None:
    """A thumbnail and a full-size copy per photo (untimed)."""
    from consentdesk.core.media import imaging
    from consentdesk.core.photos import cache

    for sha in shas:
        thumb = imaging.thumbnail_path(cache.thumbnail_folder(), sha, 256)
        thumb.parent.mkdir(parents=True, exist_ok=True)
        thumb.write_bytes(b"t")
        (copies / f"{sha}.jpg").write_bytes(b"c")


def _prune_times(register, size: int, held: int, runs: int, copies: Path) -> list[float]:  # noqa: ANN001
    """Milliseconds of `runs` prunes of a cache of `size` photos, refilled before each."""
    from consentdesk.core.photos import cache

    shas, gone_from = _cached_shas(size, held)
    times = []
    for _ in range(runs):
        _fill_cache(shas, copies)
        started = time.perf_counter()
        gone = cache.prune_cache(register)
        times.append((time.perf_counter() - started) * 1000)
        assert len(gone) == size - gone_from
    for sha in shas:
        cache.forget_cached({sha})
    return times


def main() -> int:
    args = _parse_args()
    sizes = [int(v) for v in args.cache.split(",")]

    from consentdesk.core.photos import cache
    from consentdesk.core.store import Catalogue

    with scratch_home("cd-prune-"), throwaway_server() as server:
        url = server.url(server.new_database("prunebench"))
        _hold_copies(url, args.held)
        copies = cache.thumbnail_folder().parent / "photos"
        copies.mkdir(parents=True, exist_ok=True)
        print(f"register holds {args.held} photo copies; {args.runs} runs per cache size")
        previous = None
        with Catalogue.open(url, create=False) as register:
            for size in sizes:
                median = statistics.median(_prune_times(register, size, args.held, args.runs, copies))
                ratio = (
                    f", x{median / previous[1]:.1f} for x{size / previous[0]:.0f} the cache"
                    if previous
                    else ""
                )
                print(
                    f"cache of {size} photos ({2 * size} files): median {median:.1f} ms, "
                    f"{1000 * median / size:.1f} µs a photo{ratio}"
                )
                previous = (size, median)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
