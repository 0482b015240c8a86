"""Does the window stay responsive while a shoot is imported? Prints event-loop lateness and throughput.

Builds (or reuses) generated photos of mixed sizes (tests.data.builders; some 12 MP and 24 MP), starts
the real MainWindow, imports the folder through the Library page's own import path, and meanwhile
measures how late a 10 ms QTimer fires (max, 99th percentile, median). A user is simulated: the grid is
scrolled and a new photo selected every 1.5 s, so thumbnails and previews load during the import.

    .venv/bin/python bench/responsiveness.py [--count 200] [--out bench/out]

Uses QT_QPA_PLATFORM=offscreen unless DISPLAY is set (then xcb). Targets: worst delay <= 150 ms;
300 photos in < 3 min.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from consentdesk.ui.library.library_page import LibraryPage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Photo sizes, cycled: mostly 12 MP camera photos, some phone/web sizes, one 24 MP in ten.
SIZES = [(4000, 3000), (3000, 2000), (4000, 3000), (2400, 1600), (4000, 3000), (3000, 2000),
         (4000, 3000), (2400, 1600), (4000, 3000), (6000, 4000)]  # fmt: skip


def _build_one(args: tuple[Path, int, int]) -> str:
    from tests.data.builders import build_image

    folder, index, seed = args
    size = SIZES[index % len(SIZES)]
    scene, _truth = build_image(index, size, seed)
    name = f"bench_{index:04d}.jpg"
    scene.save(folder / name, "JPEG", quality=90)
    return name


def build_images(folder: Path, count: int, seed: int = 7) -> Path:
    marker = folder / "built.json"
    if marker.exists() and json.loads(marker.read_text()).get("count") == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.monotonic()
    with get_context("spawn").Pool(max(1, os.cpu_count() or 1)) as pool:
        for i, _ in enumerate(pool.imap_unordered(_build_one, [(folder, i, seed) for i in range(count)])):
            if (i + 1) % 25 == 0:
                print(f"  built {i + 1}/{count} photos", flush=True)
    marker.write_text(json.dumps({"count": count, "seed": seed}))
    print(f"built {count} photos in {time.monotonic() - started:.0f} s", flush=True)
    return folder


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def install_tracing(t0: list[float]) -> list[tuple[float, str, float]]:
    """Log GUI-thread calls (library slots, painting, garbage collection) that take more than 15 ms."""
    import gc
    import threading

    from consentdesk.ui.kit import image_canvas
    from consentdesk.ui.library import library_page, thumbnail_model

    slow: list[tuple[float, str, float]] = []
    main = threading.main_thread()

    def wrap(cls: type, name: str) -> None:
        original = getattr(cls, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                if took > 0.015 and threading.current_thread() is main:
                    slow.append((start - t0[0], f"{cls.__name__}.{name}", took * 1000))

        setattr(cls, name, timed)

    for name in ("_rows_ready", "_apply_filter", "_preview_ready", "_import_progress", "_load_preview"):
        wrap(library_page.LibraryPage, name)
    wrap(thumbnail_model.LibraryModel, "_thumbnail_ready")
    wrap(thumbnail_model.LibraryModel, "_apply")
    wrap(thumbnail_model.LibraryModel, "_more")
    wrap(image_canvas.ImageCanvas, "paintEvent")
    gc_start: dict[int, float] = {}

    def on_gc(phase: str, info: dict) -> None:
        if threading.current_thread() is not main:
            return
        if phase == "start":
            gc_start[0] = time.perf_counter()
        elif 0 in gc_start:
            took = time.perf_counter() - gc_start.pop(0)
            if took > 0.015:
                slow.append((time.perf_counter() - t0[0], f"gc gen{info['generation']}", took * 1000))

    gc.callbacks.append(on_gc)
    return slow


@dataclass
class _ImportRun:
    """What one measured import records: how late each probe tick fired, the worst delays, and when the
    import started, first stored a photo and finished (perf_counter seconds)."""

    lateness: list[float] = field(default_factory=list)
    worst: list[tuple[float, float]] = field(default_factory=list)  # (lateness, seconds since start)
    last: float = 0.0
    start: float = 0.0
    first_progress: float | None = None
    report: object = None  # the importer's report
    end: float = 0.0

    def tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            late = max(0.0, now - self.last - 0.010)
            self.lateness.append(late)
            if late > 0.05:
                self.worst.append((late, now - self.start))
        self.last = now

    def progress(self, _p: object) -> None:
        if self.first_progress is None:
            self.first_progress = time.perf_counter() - self.start


def _fresh_home(home: Path) -> None:
    """A fresh catalogue and thumbnail cache (nothing reused), and a Qt platform prepared for it."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ["CONSENTDESK_HOME"] = str(home)  # fresh catalogue and thumbnail cache: nothing reused
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "xcb" if os.environ.get("DISPLAY") else "offscreen"

    from consentdesk.qt_env import prepare_qt_environment

    prepare_qt_environment()


def _open_library(home: Path) -> tuple:
    """The real main window on a new catalogue, showing the Library page: (app, catalogue, window, page)."""
    from PySide6.QtWidgets import QApplication

    from consentdesk.core.store import Catalogue
    from consentdesk.ui.kit.style import apply_style
    from consentdesk.ui.library import library_page
    from consentdesk.ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    catalogue = Catalogue.open(home / "bench.sqlite")
    window = MainWindow(catalogue)
    window.resize(1400, 900)
    window.show()
    library = window.page(library_page.LibraryPage)
    window.show_page(library)
    return app, catalogue, window, library


def _timers(state: _ImportRun, library: LibraryPage) -> tuple[QTimer, QTimer]:
    """The 10 ms probe whose lateness is measured, and a simulated user who selects a new photo every
    1.5 s (so thumbnails and previews load during the import)."""
    from PySide6.QtCore import QModelIndex, QTimer

    probe = QTimer()
    probe.setTimerType(probe.timerType().PreciseTimer)
    probe.setInterval(10)
    probe.timeout.connect(state.tick)
    selected = {"i": 0}

    def act_like_a_user() -> None:
        rows = library.model.rowCount(QModelIndex())
        if rows:
            selected["i"] = (selected["i"] + 7) % rows
            library.select_image(library.model.rows[selected["i"]].image_id)

    user = QTimer()
    user.setInterval(1500)
    user.timeout.connect(act_like_a_user)
    return probe, user


def _summary(state: _ImportRun, slow: list[tuple[float, str, float]]) -> dict[str, float]:
    report = state.report
    total = state.end - state.start
    added = len(report.added)
    ms = [v * 1000 for v in state.lateness]
    worst = sorted(state.worst, reverse=True)
    return {
        "photos": added,
        "errors": len(report.errors),
        "total_s": total,
        "first_photo_s": state.first_progress or 0.0,
        "per_min": added / total * 60 if total else 0.0,
        "median_ms": statistics.median(ms),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms),
        "ticks": len(ms),
        "over_50ms": sum(v > 50 for v in ms),
        "worst": [(round(a * 1000), round(b, 1)) for a, b in worst[:8]],
        "slow_calls": [(round(at, 2), what, round(ms)) for at, what, ms in slow],
    }


def run(images: Path, home: Path, trace: bool = False) -> dict[str, float]:
    _fresh_home(home)
    from PySide6.QtCore import QTimer

    t0 = [time.perf_counter()]
    slow = install_tracing(t0) if trace else []
    app, catalogue, window, library = _open_library(home)
    state = _ImportRun()
    probe, user = _timers(state, library)

    def finished(report) -> None:
        state.end = time.perf_counter()
        state.report = report
        probe.stop()
        user.stop()
        QTimer.singleShot(500, app.quit)

    def start() -> None:
        state.start = t0[0] = time.perf_counter()
        probe.start()
        user.start()
        library.import_paths([str(images)])
        library.import_control.progress.connect(state.progress)

    library.import_finished.connect(finished)
    QTimer.singleShot(500, start)
    app.exec()
    window.close()
    catalogue.close()
    return _summary(state, slow)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--trace", action="store_true", help="log GUI-thread calls slower than 15 ms")
    args = parser.parse_args(argv)
    images = build_images(args.out / f"photos-{args.count}", args.count)
    result = run(images, args.out / "responsiveness-home", trace=args.trace)
    projected_300 = 300 / result["per_min"] * 60 if result["per_min"] else float("inf")
    print()
    print(f"platform            {os.environ.get('QT_QPA_PLATFORM')}, {os.cpu_count()} CPUs")
    print(f"photos imported     {result['photos']} ({result['errors']} errors)")
    print(
        f"total import time   {result['total_s']:.1f} s (first photo stored after {result['first_photo_s']:.1f} s)"
    )
    print(f"throughput          {result['per_min']:.0f} photos/min (300 photos ≈ {projected_300:.0f} s)")
    print(f"event-loop delay    median {result['median_ms']:.1f} ms · p99 {result['p99_ms']:.1f} ms · "
          f"max {result['max_ms']:.1f} ms ({result['ticks']} ticks, {result['over_50ms']} over 50 ms)")  # fmt: skip
    print(f"worst delays (ms @ s) {result['worst']}")
    if args.trace:
        print("slow GUI-thread calls (s, what, ms):")
        for call in result["slow_calls"]:
            print(f"  {call}")
    ok = result["max_ms"] <= 150 and projected_300 < 180
    print(
        "targets             " + ("met" if ok else "NOT met") + " (max delay <= 150 ms; 300 photos < 3 min)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
