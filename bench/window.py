"""Does the main window stay fast with years of data? Prints medians of start-up and page-load times.

Builds (or reuses, under bench/out/) catalogues through the public Catalogue API: releases, photos with
ready-made `Analysis` objects (no detector runs; every record points at one of a few tiny generated
JPEGs) and review decisions (links, blurs, rejections, withdrawals). Then, in a fresh process per run,
starts the real MainWindow offscreen and measures:

- time until the window is shown and painted (after the modules are imported: their import time is
  printed apart, it does not depend on the catalogue);
- for each navigation page: time from choosing it to its first rows on screen;
- the longest GUI event-loop stall while the page loads (a 5 ms QTimer heartbeat, as in
  bench/responsiveness.py), and the longest stall while idle (the machine's own noise floor);
- the process's peak memory.

    .venv/bin/python bench/window.py              # 2,000 photos vs 100 (quick)
    .venv/bin/python bench/window.py --full       # 100,000 photos, 20,000 releases, 5,000 decisions
    .venv/bin/python bench/window.py --full --pages verify --pages expiry   # only those pages

Each size is measured `--runs` times (default 3) and the medians are printed with big/small ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from consentdesk.core.store import Catalogue
    from consentdesk.core.values import Analysis
    from consentdesk.ui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SMALL = (100, 20, 5)  # photos, releases, decisions
DEFAULT = (2_000, 400, 100)
FULL = (100_000, 20_000, 5_000)
BATCH = 2_000  # records per transaction while building
PAGE_TIMEOUT_S = 600.0
#: The code measured: this checkout, or another (BENCH_SRC=/path/to/src) to compare before and after.
SRC = os.environ.get("BENCH_SRC", str(ROOT / "src"))


# --- building a catalogue -------------------------------------------------------------------------------


def _tiny_jpegs(folder: Path, n: int = 24) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"tiny_{i:02d}.jpg"
        if not path.exists():
            colour = (40 + i * 8 % 200, 90 + i * 5 % 150, 160 - i * 4 % 120)
            Image.new("RGB", (320, 240), colour).save(path, "JPEG", quality=80)
        paths.append(path)
    return paths


def build_catalogue(path: Path, photos: int, releases: int, decisions: int, seed: int = 11) -> Path:
    """A catalogue of the given size, built once and reused (a marker file records what was built)."""
    marker = path.with_suffix(".json")
    wanted = {"photos": photos, "releases": releases, "decisions": decisions, "seed": seed}
    if path.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        return path
    for stale in (path, marker, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    sys.path.insert(0, str(ROOT / "src"))
    from consentdesk.core.store import Catalogue

    rng = random.Random(seed)
    started = time.monotonic()
    now = datetime.now().astimezone()
    path.parent.mkdir(parents=True, exist_ok=True)
    cat = Catalogue.open(path)
    consent_ids = _add_releases(cat, releases, rng, now)
    _add_photos(cat, photos, _tiny_jpegs(path.parent / "tiny"), rng, now)
    done = _add_decisions(cat, decisions, consent_ids, rng, now)
    cat.close()
    marker.write_text(json.dumps(wanted))
    print(f"built {path.name}: {photos} photos, {releases} releases, {done} decisions "
          f"in {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
    return path


def _add_releases(cat: Catalogue, releases: int, rng: random.Random, now: datetime) -> list[str]:
    """Signed releases spread over three years, recorded through the public API; returns their ids."""
    from consentdesk import paths as app_paths
    from consentdesk.core.consent.releases import record_consent
    from consentdesk.core.forms import Submission, load_form

    examples = app_paths.forms_dir() / "examples"
    raw = json.loads((examples / "adult.json").read_text(encoding="utf-8"))
    signature = (examples / "signature-adult.png").read_bytes()
    form = load_form("model_release", 1)
    locations = [f"Donor Centre {n}" for n in range(1, 41)]
    consent_ids: list[str] = []
    for start in range(0, releases, BATCH):
        with cat.transaction():
            for i in range(start, min(releases, start + BATCH)):
                signed = now - timedelta(days=rng.randrange(0, 3 * 365), minutes=rng.randrange(0, 600))
                answers = dict(
                    raw["answers"],
                    full_name=f"Person {i:05d} {rng.choice(['Adebayo', 'García', 'Okafor', 'Smith'])}",
                    email=f"p{i}@example.org",
                    location=rng.choice(locations),
                    duration=rng.choice(["1y", "2y", "2y", "5y"]),
                    session_date=signed.date().isoformat(),
                )
                consent = record_consent(
                    cat, form, Submission(answers, {"signature": signature}), source="cli", signed_at=signed
                )
                consent_ids.append(consent.id)
        print(f"  releases {min(releases, start + BATCH)}/{releases}", flush=True)
    return consent_ids


def _bench_analysis(file: Path, rng: random.Random) -> Analysis:
    """A ready-made analysis (no detector runs): zero to three faces, a name found in one photo in five."""
    from consentdesk.core.values import Analysis, Box, Face, Finding, FindingKind, Severity

    faces = tuple(Face(Box(20 + 70 * k, 40, 50, 60), 0.9) for k in range(rng.choice([0, 1, 1, 2, 3])))
    findings = (
        (Finding(FindingKind.PERSON_NAME, Box(10, 180, 120, 20), "Name: ***", Severity.HIGH),)
        if rng.random() < 0.2
        else ()
    )
    return Analysis(
        path=str(file), width=320, height=240, faces=faces, findings=findings, analyser_version="bench"
    )


def _add_photos(cat: Catalogue, photos: int, files: list[Path], rng: random.Random, now: datetime) -> None:
    """Photos in shoots of a hundred, one a minute up to now, each pointing at one of the tiny JPEGs."""
    from consentdesk.core.store import NewImage

    shoot = None
    for start in range(0, photos, BATCH):
        with cat.transaction():
            for i in range(start, min(photos, start + BATCH)):
                if i % 100 == 0:
                    shoot = cat.create_shoot(f"Shoot {i // 100:04d}", "bench")
                file = files[i % len(files)]
                analysis = _bench_analysis(file, rng)
                taken = (now - timedelta(minutes=photos - i)).isoformat(timespec="seconds")
                new = NewImage(f"{i:064x}", str(file), 4000, 320, 240, captured_at=taken)
                cat.add_image(new, analysis, shoot)
        print(f"  photos {min(photos, start + BATCH)}/{photos}", flush=True)


def _add_decisions(
    cat: Catalogue, decisions: int, consent_ids: list[str], rng: random.Random, now: datetime
) -> int:
    """Review decisions on random photos (rejections, links, blurs) and a few withdrawals; returns how many
    photos were decided on."""
    from consentdesk.core.review import workflow
    from consentdesk.core.values import FaceState

    images = [im.id for im in cat.list_images()]
    done = 0
    with cat.transaction():
        for image_id in rng.sample(images, min(decisions, len(images))):
            state = cat.review_state(image_id)
            roll = rng.random()
            if roll < 0.1:
                workflow.reject(cat, image_id, "bench: not for posting")
            elif state.faces and consent_ids:
                if roll < 0.8:
                    workflow.link_face(cat, image_id, 1, rng.choice(consent_ids))
                else:
                    workflow.set_face(cat, image_id, 1, FaceState.BLUR)
            done += 1
        for consent_id in rng.sample(consent_ids, len(consent_ids) // 40):
            cat.withdraw_consent(consent_id, now.date(), "bench: withdrawn")
    return done


# --- one measured run (in its own process, so nothing is warm) ------------------------------------------


class _Heartbeat:
    """A 5 ms QTimer whose lateness between two resets is the longest stall of the GUI event loop."""

    def __init__(self, app: QApplication) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.app = app
        self.clock = QElapsedTimer()
        self.clock.start()
        self.last = 0.0
        self.max = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self.last:
            self.max = max(self.max, now - self.last - 5)
        self.last = now

    def reset(self) -> None:
        self.last, self.max = self.clock.nsecsElapsed() / 1e6, 0.0

    def spin(self, done: Callable[[], bool], timeout_s: float = PAGE_TIMEOUT_S) -> bool:
        """Run the event loop until `done()`; the heartbeat keeps measuring the stalls in between."""
        from PySide6.QtCore import QEventLoop

        deadline = time.perf_counter() + timeout_s
        while not done():
            if time.perf_counter() > deadline:
                return False
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.002)
        return True


def _show_window(
    app: QApplication, catalogue_path: Path, results: dict[str, float]
) -> tuple[Catalogue, MainWindow]:
    """Import the window's modules, then open the catalogue and show the window painted, timing both;
    returns (catalogue, window)."""
    from consentdesk.core.store import Catalogue

    start = time.perf_counter()
    from consentdesk.ui.shell.main_window import MainWindow

    results["python imports (not the window's)"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    catalogue = Catalogue.open(catalogue_path, create=False)
    window = MainWindow(catalogue)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    window.repaint()
    results["window shown"] = (time.perf_counter() - start) * 1000
    return catalogue, window


def _measure_pages(
    window: MainWindow, heart: _Heartbeat, pages: list[str] | None, results: dict[str, float]
) -> None:
    """Each chosen page in turn: time to its first rows, and the longest stall while it loads."""
    for row in range(window.nav.count()):
        title = window.nav.item(row).text()
        if pages and not any(p.lower() in title.lower() for p in pages):
            continue
        page = window.stack.widget(row)
        heart.spin(lambda: False, 0.05)  # settle: stalls from earlier pages do not count here
        heart.reset()
        t = time.perf_counter()
        window.nav.setCurrentRow(row)
        ok = heart.spin(_first_rows(page))
        heart.app.processEvents()
        results[f"{title}: first rows"] = (time.perf_counter() - t) * 1000 if ok else float("nan")
        heart.spin(lambda: False, 0.2)  # what the page does just after (thumbnails, more rows)
        results[f"{title}: longest stall"] = heart.max


def measure(catalogue_path: Path, pages: list[str] | None = None) -> dict[str, float]:
    """Start the real window on `catalogue_path`, show every page in turn (or only those whose title
    contains one of `pages`, case-insensitive), return timings in ms."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, SRC)
    from consentdesk.qt_env import prepare_qt_environment

    prepare_qt_environment()
    from PySide6.QtWidgets import QApplication

    from consentdesk.ui.kit import workers
    from consentdesk.ui.kit.style import apply_style

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    results: dict[str, float] = {}
    heart = _Heartbeat(app)
    catalogue, window = _show_window(app, catalogue_path, results)
    heart.timer.start()
    heart.spin(lambda: False, 0.3)
    heart.reset()
    heart.spin(lambda: False, 1.0)  # nothing to do: what the machine itself adds (other processes, timers)
    results["idle 1 s (noise floor): longest stall"] = heart.max
    _measure_pages(window, heart, pages, results)
    heart.timer.stop()
    results["peak memory, MB (not ms)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.close()
    workers.wait_for_all()
    catalogue.close()
    return results


def _first_rows(page):
    """When a page has its first rows: the page contract's `is_loaded`; before it existed, pages loaded
    synchronously except the Library, whose model filled from a worker."""
    loaded = getattr(page, "is_loaded", None)
    if callable(loaded):
        return loaded
    model = getattr(page, "model", None)
    if model is not None and getattr(page, "TITLE", "") == "Library":
        return lambda: model.rowCount() > 0
    return lambda: True


def _run_child(catalogue_path: Path, pages: list[str]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=SRC, CONSENTDESK_HOME=str(OUT / "window-home"))
    only = [arg for p in pages for arg in ("--pages", p)]
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(catalogue_path), *only],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="100,000 photos, 20,000 releases, 5,000 decisions"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--pages",
        action="append",
        default=[],
        metavar="TEXT",
        help="measure only pages whose title contains TEXT (repeatable; default: every page)",
    )
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.pages)))
        return 0
    big_size = FULL if args.full else DEFAULT
    small = build_catalogue(OUT / "window-{}-{}-{}.sqlite".format(*SMALL), *SMALL)
    big = build_catalogue(OUT / "window-{}-{}-{}.sqlite".format(*big_size), *big_size)
    if args.build_only:
        return 0
    medians = {}
    for name, path in (("small", small), ("big", big)):
        runs = [_run_child(path, args.pages) for _ in range(args.runs)]
        medians[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\nplatform {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}, {os.cpu_count()} CPUs, "
          f"median of {args.runs} runs; small = {SMALL[0]} photos / {SMALL[1]} releases / {SMALL[2]} decisions, "
          f"big = {big_size[0]} / {big_size[1]} / {big_size[2]}")  # fmt: skip
    print(f"{'measure':<44} {'small ms':>10} {'big ms':>10} {'big/small':>10}")
    for key, small_ms in medians["small"].items():
        big_ms = medians["big"].get(key, float("nan"))
        ratio = big_ms / small_ms if small_ms > 1 else float("nan")
        print(f"{key:<44} {small_ms:>10.0f} {big_ms:>10.0f} {ratio:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
