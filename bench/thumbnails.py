"""Library thumbnails on a team register: from the originals, from the register's working copies, and
what opening the register once per thumbnail would cost instead.

Starts a throwaway PostgreSQL cluster (tests/data/pg_server.py), imports N camera-sized JPEGs into a
register, and makes every photo's thumbnail the way the library does (core.photos.thumbnail in a pool of
two threads, sharing one StoredCopies), each run into an empty thumbnail cache:

* originals: every original is on this computer (the register is not asked);
* stored copies: the originals are gone, each thumbnail reads the register's copy through the window's
  catalogue, shared by the threads (warm pooled connections);
* one open per thumbnail: the same, but opening the register for each thumbnail (what sharing avoids);
* cached: the thumbnails exist already, with the originals here (each is hashed to find its thumbnail,
  so an edited file gets a new one) and with them gone (found by the recorded hash; no register).

Prints the median thumbnails per second of R runs for each, the ratios, and how often the register was read.

    .venv/bin/python bench/thumbnails.py [--photos 40] [--runs 5] [--size 4000x3000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import scratch_home, throwaway_server  # noqa: E402  (bench/ is on the path when a script runs)


def _camera_photo(path: Path, seed: int, size: tuple[int, int]) -> None:
    """A JPEG with camera-like detail (noise compresses like a photo, a flat colour does not)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    Image.fromarray(small).resize(size, Image.Resampling.BILINEAR).save(path, quality=90)


def _batch(jobs: list[Callable[[], Path]]) -> float:
    """Run the jobs in a pool of two (as the library does); returns thumbnails per second."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda job: job(), jobs))
    return len(jobs) / (time.perf_counter() - start)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="4000x3000", help="photo size WxH")
    return parser.parse_args()


def _import_card(url: str, card: Path, photos: int, size: tuple[int, int]) -> list:
    """A memory card of camera-sized photos imported into the register; returns their records."""
    from tests.data.photo_files import one_face

    from consentdesk.core.photos.importer import import_paths
    from consentdesk.core.store import Catalogue

    card.mkdir()
    for n in range(photos):
        _camera_photo(card / f"photo_{n:03d}.jpg", n, size)
    megabytes = sum(p.stat().st_size for p in card.iterdir()) / 1e6
    with Catalogue.open(url) as register:
        import_paths(register, [str(card)], checker=one_face, workers=2)
        images = register.list_images()
    print(
        f"{len(images)} photos of {size[0]}x{size[1]}, {megabytes / len(images):.1f} MB each, thumbnails 256 px"
    )
    return images


def _measure(url: str, images: list, card: Path, runs: int) -> tuple[dict[str, list[float]], int]:
    """Thumbnails per second of each way, `runs` times; and how often the shared catalogue read the register."""
    from consentdesk.core.photos import cache
    from consentdesk.core.store import Catalogue

    folder = cache.thumbnail_folder()

    def fresh() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    register = Catalogue.open(url, create=False)  # the window's catalogue
    shared = cache.StoredCopies.of(register)

    def with_shared() -> list[Callable[[], Path]]:
        fresh()
        return [lambda image=image: cache.thumbnail(image, 256, shared) for image in images]

    def one_open_each() -> list[Callable[[], Path]]:
        fresh()

        def job(image) -> Path:  # noqa: ANN001 - an ImageRecord
            with Catalogue.open(url, create=False) as own:
                return cache.thumbnail(image, 256, cache.StoredCopies.of(own))

        return [lambda image=image: job(image) for image in images]

    results: dict[str, list[float]] = {}
    results["originals"] = [_batch(with_shared()) for _ in range(runs)]
    warm = [lambda image=image: cache.thumbnail(image, 256, shared) for image in images]
    results["cached, originals here"] = [_batch(warm) for _ in range(runs)]  # each original re-hashed
    assert shared.asked == 0, "the register was asked although every original was here"
    shutil.rmtree(card)
    results["stored copies"] = [_batch(with_shared()) for _ in range(runs)]
    asked = shared.asked
    results["one open per thumbnail"] = [_batch(one_open_each()) for _ in range(runs)]
    results["cached, originals gone"] = [_batch(warm) for _ in range(runs)]  # found by the recorded hash
    register.close()
    return results, asked


def _report(results: dict[str, list[float]], asked: int, runs: int, photos: int) -> None:
    print(f"{'':<26} {'thumbnails/s (median)':>22}")
    for name, rates in results.items():
        print(f"{name:<26} {statistics.median(rates):>22.1f}")
    base = statistics.median(results["originals"])
    stored = statistics.median(results["stored copies"])
    print(f"stored copies / originals: {stored / base:.2f}")
    print(
        f"stored copies / one open per thumbnail: {stored / statistics.median(results['one open per thumbnail']):.2f}"
    )
    print(
        f"register read {asked} times for {runs} batches of {photos} thumbnails "
        f"({asked / runs:.1f} per batch), on the shared catalogue's pool: no connection opened"
    )


def main() -> int:
    args = _parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with scratch_home("cd-thumbs-") as work, throwaway_server() as server:
        url = server.url(server.new_database("thumbbench"))
        images = _import_card(url, work / "card", args.photos, size)
        results, asked = _measure(url, images, work / "card", args.runs)
        _report(results, asked, args.runs, len(images))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
