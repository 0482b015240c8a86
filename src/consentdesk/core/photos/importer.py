"""Importing a shoot: find images, skip ones already catalogued, analyse the rest, store each at once.

Why this shape:
- Analysis runs in worker processes (both cores; the models are not thread-safe to share and the GIL
  would serialise the Python parts), while this process is the catalogue's only writer.
- Each image is committed with its analysis as soon as it is done, so a crash or power cut loses only
  the images still in flight, and a re-run skips what is already in (SHA-256 de-duplication).
- Progress and cancellation are plain callables/events, so the CLI, the GUI worker and tests drive it
  the same way without Qt.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from consentdesk.core.media import imaging, video
from consentdesk.core.media.discovery import Skipped, find_images
from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.photos.checking import (
    _STOP,
    CheckedFile,
    _checked_safely,
    _init_worker,
    check_file,
    file_sha256,
)
from consentdesk.core.store import Catalogue, CatalogueError, NewImage
from consentdesk.core.values import Analysis


@dataclass(slots=True)
class ImportProgress:
    done: int
    total: int
    added: int
    duplicates: int
    errors: int
    current: str
    elapsed: float

    @property
    def eta_seconds(self) -> float | None:
        if self.done == 0:
            return None
        return self.elapsed / self.done * (self.total - self.done)


@dataclass(slots=True)
class ImportReport:
    added: list[int] = field(default_factory=list)  # image ids
    duplicates: list[str] = field(default_factory=list)  # paths already in the catalogue
    errors: list[Skipped] = field(default_factory=list)  # images that could not be read or analysed
    skipped: list[Skipped] = field(default_factory=list)  # not images by name, unreadable folders
    cancelled: bool = False
    shoot_id: int | None = None
    #: Why the import stopped before the end (the catalogue could not be written, e.g. a full disk),
    #: in words that say what to do; None when it ran to the end or was cancelled.
    stopped: str | None = None
    #: Clips added to a team register whose proxy could not be made (reviewers elsewhere cannot see them
    #: until `consentdesk catalogue share-clips` is run where the originals are), with the reason.
    unshared: list[Skipped] = field(default_factory=list)


ProgressCallback = Callable[[ImportProgress], None]

def _shoot_name(paths: list[str]) -> str:
    first = Path(paths[0]).expanduser()
    return first.name if first.is_dir() else first.parent.name or str(first)


def _working_copy(catalogue: Catalogue, path: str, sha256: str) -> bytes | None:
    """The file's bytes for a register that keeps working copies (None for a desk catalogue, and for a
    clip: its original stays here and the register gets its proxy, see `clip_sharing`). A file that
    changed since it was checked is not stored: its analysis would describe other pixels."""
    if not catalogue.keeps_photo_copies or is_clip_path(path) or catalogue.find_image_by_sha(sha256):
        return None
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"{path} changed while it was being imported; import it again")
    return data


def _new_image(info: imaging.ImageInfo) -> NewImage:
    """The catalogue row for a checked file (raises OSError if the file went away meanwhile)."""
    return NewImage(
        sha256=info.sha256,
        path=str(Path(info.path).resolve()),
        file_size=Path(info.path).stat().st_size,
        width=info.width,
        height=info.height,
        captured_at=info.captured_at.isoformat() if info.captured_at else None,
        camera=info.camera_model,
    )


def _stop_message(path: str | None, exc: Exception) -> str:
    """What stopped the import and what to do; each photo is saved whole or not at all, so a re-run
    after freeing space (or once the register answers again) simply carries on (photos already added are
    recognised and skipped)."""
    what = f"{Path(path).name} could not be saved" if path else "the import could not start"
    cause = str(exc) if isinstance(exc, (CatalogueError, OSError)) else f"{type(exc).__name__}: {exc}"
    lost = isinstance(exc, CatalogueError) and ("team register" in str(exc) or "server" in str(exc))
    fix = "When the team register answers again, import" if lost else "Free some disk space (or check the disk), then import"
    return (
        f"{what}: the catalogue could not be written ({cause}). The import stopped; photos added "
        f"before it are kept whole. {fix} the same folder again: photos already in the catalogue are skipped."
    )


def import_paths(
    catalogue: Catalogue,
    paths: Iterable[str],
    *,
    workers: int = 2,
    shoot_name: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    checker: Callable[[str], CheckedFile] = check_file,
) -> ImportReport:
    """Import every photo under `paths`: find them, skip known ones, check the rest, store each at once.

    The worker processes start at the first file not yet in the catalogue, while the rest are still
    being hashed to skip the known ones: each worker imports and loads the models (about a second of CPU)
    while this process reads the card, instead of after it (and none starts for a card already in)."""
    paths = [str(p) for p in paths]
    report = ImportReport()
    cancel = cancel or threading.Event()
    files = _found_files(paths, report)
    with contextlib.ExitStack() as stack:
        pool = None
        if workers > 1 and len(files) > 1:
            pool = stack.enter_context(_WorkerPool(workers, warm=checker is check_file))
        try:
            todo = _new_files(catalogue, files, report, pool.start if pool else None)
        except CatalogueError as exc:  # the register went away (or the file cannot be read) before the start
            report.stopped = _stop_message(None, exc)
            return report
        if todo:
            try:
                report.shoot_id = catalogue.create_shoot(shoot_name or _shoot_name(paths), paths[0])
            except Exception as exc:  # noqa: BLE001 - as for add_image in _Storer
                report.stopped = _stop_message(None, exc)
                return report
        store = _Storer(catalogue, report, len(todo), progress)
        if checker is check_file and catalogue.keeps_photo_copies:  # a register: clips' proxies made by the checker
            checker = functools.partial(check_file, proxy=True)
        if pool is not None and todo:
            _check_in_workers(todo, checker, store, cancel, pool)
        else:
            _check_here(todo, checker, store, cancel)
    return report


def _found_files(paths: list[str], report: ImportReport) -> list[Path]:
    """The photos and clips under `paths` by name and content; what is not one goes into the report."""
    found: list[Skipped] = []
    files = list(find_images(paths, found))
    report.errors.extend(s for s in found if s.is_unreadable_photo)
    report.skipped.extend(s for s in found if not s.is_unreadable_photo)
    return files


def _new_files(
    catalogue: Catalogue, files: list[Path], report: ImportReport, on_new: Callable[[], None] | None = None
) -> list[str]:
    """The files not yet in the catalogue (by SHA-256, also within this batch); what cannot be read or is
    already known goes into the report. `on_new` is called at the first new file (to start the workers)."""
    known = catalogue.known_hashes()
    todo: list[str] = []
    seen: set[str] = set()
    for f in files:
        try:
            digest = file_sha256(f)
        except OSError as exc:
            report.errors.append(Skipped(str(f), f"cannot read the file ({exc.strerror})"))
            continue
        if digest in known or digest in seen:
            report.duplicates.append(str(f))
        else:
            if on_new is not None and not todo:
                on_new()
            seen.add(digest)
            todo.append(str(f))
    return todo


class _Storer:
    """Stores each checked file as it arrives (this process is the catalogue's only writer) and reports
    progress; a catalogue that cannot be written stops the import (`report.stopped`)."""

    def __init__(
        self, catalogue: Catalogue, report: ImportReport, total: int, progress: ProgressCallback | None
    ) -> None:
        self.catalogue, self.report, self.total, self.progress = catalogue, report, total, progress
        self.done = 0
        self.started = time.monotonic()

    def __call__(self, checked: CheckedFile) -> None:
        self.done += 1
        if self.report.stopped:
            return
        if checked.info is None or checked.analysis.error:
            self.report.errors.append(Skipped(checked.path, checked.analysis.error or "could not be read"))
        elif not self._add(checked):
            return
        if self.progress:
            r = self.report
            self.progress(
                ImportProgress(
                    self.done,
                    self.total,
                    len(r.added),
                    len(r.duplicates),
                    len(r.errors),
                    checked.path,
                    time.monotonic() - self.started,
                )
            )

    def _add(self, checked: CheckedFile) -> bool:
        """Add one photo with its analysis; False when the catalogue could not be written (import stops)."""
        assert checked.info is not None
        try:
            new = _new_image(checked.info)
            copy = _working_copy(self.catalogue, checked.info.path, checked.info.sha256)
        except OSError as exc:
            why = f"the file could not be read again to store it ({exc.strerror or exc})"
            self.report.errors.append(Skipped(checked.path, why))
            return True
        except CatalogueError as exc:  # asking the register whether it has the photo: it went away
            self.report.stopped = _stop_message(checked.path, exc)
            return False
        try:
            record, added = self.catalogue.add_image(new, checked.analysis, self.report.shoot_id, data=copy)
        except Exception as exc:  # noqa: BLE001 - CatalogueError, or an engine error the store let through
            self.report.stopped = _stop_message(checked.path, exc)
            return False
        if added:
            self.report.added.append(record.id)
            if checked.analysis.clip is not None and self.catalogue.keeps_photo_copies:
                self._share(record, checked)
        else:
            self.report.duplicates.append(checked.path)
        return True

    def _share(self, record, checked: CheckedFile) -> None:  # noqa: ANN001 - an ImageRecord
        """A new clip on a team register: its proxy, so reviewers elsewhere can review it (made by the
        worker; here only when a checker did not make one)."""
        from consentdesk.core.photos.clip_sharing import share_clip

        try:
            if checked.proxy_error:
                raise video.ClipError(checked.proxy_error)
            if checked.proxy is not None:
                self.catalogue.store_clip_proxy(record.sha256, *checked.proxy)
            else:
                share_clip(self.catalogue, record)
        except (video.ClipError, CatalogueError) as exc:
            why = f"imported, but not shared with reviewers elsewhere: {exc}"
            self.report.unshared.append(Skipped(checked.path, why))


def _check_here(
    todo: list[str], checker: Callable[[str], CheckedFile], store: _Storer, cancel: threading.Event
) -> None:
    """One photo (or one worker asked for): check in this process, one file after another."""
    token = _STOP.set(cancel)
    try:
        for path in todo:
            if store.report.stopped:
                break
            if cancel.is_set():
                store.report.cancelled = True
                break
            try:
                store(_checked_safely(checker, path))
            except video.Cancelled:  # a clip stopped half-way: nothing of it is kept
                store.report.cancelled = True
                break
    finally:
        _STOP.reset(token)


class _WorkerPool:
    """The import's worker processes, every one started at once by `start` (not each at its first photo),
    with the models loaded when `warm` (the real check; a test's checker needs none); the cancel as they
    see it is `stop` (a clip's analysis asks between frames). Leaving shuts the pool down; a pool that was
    given no photo is not waited for while its workers load the models."""

    def __init__(self, workers: int, warm: bool) -> None:
        self.context = multiprocessing.get_context("spawn")  # fork + onnxruntime threads can deadlock
        self.workers, self.warm, self.used = workers, warm, False
        self.stop = self.context.Event()
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=self.context, initializer=_init_worker, initargs=(1, self.stop, self.warm)
            )
            for _ in range(self.workers):  # the pool starts a process per task while none is idle: all now
                self.pool.submit(os.getpid)
        return self.pool

    def __enter__(self) -> _WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=self.used, cancel_futures=True)

    def submit(self, checker: Callable[[str], CheckedFile], path: str) -> Future[CheckedFile]:
        self.used = True
        return self.start().submit(checker, path)

    def shutdown_now(self) -> None:
        """Drop the photos not yet started and wait for the ones being checked."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _check_in_workers(
    todo: list[str],
    checker: Callable[[str], CheckedFile],
    store: _Storer,
    cancel: threading.Event,
    pool: _WorkerPool,
) -> None:
    """Check in the worker processes, a few files ahead of the writer, storing each as it finishes."""
    report = store.report
    pending: dict[Future[CheckedFile], str] = {}
    queue = iter(todo)
    exhausted = False
    while True:
        while not exhausted and not cancel.is_set() and not report.stopped and len(pending) < pool.workers * 2:
            nxt = next(queue, None)
            if nxt is None:
                exhausted = True
            else:
                pending[pool.submit(checker, nxt)] = nxt
        if not pending:
            break
        finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        for future in finished:
            checked = _result_of(future, pending.pop(future))
            if checked is None:  # a clip stopped half-way by the cancel
                report.cancelled = True
            else:
                store(checked)
        if report.stopped:
            pool.shutdown_now()  # the catalogue cannot take more: stop now
            break
        if cancel.is_set() and not pool.stop.is_set():
            report.cancelled = report.cancelled or not exhausted
            exhausted = True  # let in-flight photos finish and be stored; submit nothing more
            pool.stop.set()  # ... but a clip half-way through stops now


def _result_of(future: Future[CheckedFile], path: str) -> CheckedFile | None:
    """A crashed worker becomes that file's error; the batch goes on. None: a clip stopped by a cancel."""
    try:
        return future.result()
    except video.Cancelled:
        return None
    except Exception as exc:
        return CheckedFile(path, None, Analysis(path=path, error=f"analysis failed ({exc})"))
