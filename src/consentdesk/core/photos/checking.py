"""What an import worker process runs: one file's facts and check, and the worker's set-up.

Why apart from `importer`: a worker process imports the module of the function it runs, and `importer`
also holds the storing side (the catalogue, SQLAlchemy), which a worker never uses; importing it cost each
worker ~0.3 s CPU before its first photo. The storing side imports what it needs from here.
"""

from __future__ import annotations

import contextvars
import hashlib
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from consentdesk.core.media import imaging, video
from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.values import Analysis


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """What a worker sends back for one file: its facts (None if unreadable) and its analysis."""

    path: str
    info: imaging.ImageInfo | None
    analysis: Analysis
    #: A clip's proxy for a team register, made in the worker (data, width, height), or why it could not be.
    proxy: tuple[bytes, int, int] | None = None
    proxy_error: str | None = None


#: The import's cancel event as the checker sees it (this thread's, or a worker process's copy): a clip's
#: analysis takes minutes, so it asks between frames instead of running to its end after a cancel.
_STOP: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("import_stop", default=None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: str, proxy: bool = False) -> CheckedFile:
    """Worker entry point (runs in a child process): read the file's facts and analyse it from one read
    and one decode of the file (and for a clip going to a team register, `proxy`, make its proxy there too)."""
    from consentdesk.core.vision.analyse import check_path

    if is_clip_path(path):
        checked = check_clip(path)
        return _with_proxy(checked) if proxy and checked.info is not None and not checked.analysis.error else checked
    info, analysis = check_path(path)
    return CheckedFile(path, info, analysis)


def check_clip(path: str) -> CheckedFile:
    """A clip's facts (upright size, content hash) and its check; a damaged clip is an error record."""
    from consentdesk.core.vision.clip_analysis import analyse_clip

    try:
        clip = video.probe(path)
        digest = file_sha256(Path(path))
    except video.ClipError as exc:
        return CheckedFile(path, None, Analysis(path=path, error=str(exc)))
    except OSError as exc:
        return CheckedFile(path, None, Analysis(path=path, error=f"cannot read the file ({exc.strerror or exc})"))
    info = imaging.ImageInfo(path, clip.width, clip.height, clip.container.upper(), digest)
    stop = _STOP.get()
    return CheckedFile(path, info, analyse_clip(path, cancel=stop.is_set if stop is not None else None))


def _with_proxy(checked: CheckedFile) -> CheckedFile:
    """The checked clip with its proxy, made here in the worker: in the storing process it held up the
    progress of every other file for as long as a clip's re-encoding takes."""
    import dataclasses
    import tempfile

    from consentdesk.core.media.proxy import make_proxy

    stop = _STOP.get()
    try:
        with tempfile.TemporaryDirectory(prefix="consentdesk-proxy-") as tmp:
            made = make_proxy(checked.path, Path(tmp) / "proxy.mp4", cancel=stop.is_set if stop is not None else None)
            return dataclasses.replace(checked, proxy=(made.path.read_bytes(), made.width, made.height))
    except (video.ClipError, OSError) as exc:
        return dataclasses.replace(checked, proxy_error=str(exc))


def _checked_safely(checker: Callable[[str], CheckedFile], path: str) -> CheckedFile:
    """A decoder or model crash on one file becomes that file's error; the batch goes on."""
    try:
        return checker(path)
    except video.Cancelled:
        raise
    except Exception as exc:
        return CheckedFile(path, None, Analysis(path=path, error=f"analysis failed ({exc})"))


def _end_with_parent() -> None:
    """A worker never outlives the import that started it (the import killed with `kill -9`, or crashed):
    on Linux the kernel kills it when its parent dies (PR_SET_PDEATHSIG); everywhere a watchdog thread
    ends it once the parent is gone, within a second."""
    import contextlib
    import os
    import signal

    started_by = multiprocessing.parent_process()
    parent = started_by.pid if started_by is not None and started_by.pid else os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _init_worker(threads: int, stop: threading.Event | None = None, warm: bool = False) -> None:
    """One model set per process and one thread each, so two workers use two cores without contention;
    `stop` is the import's cancel, shared with the parent, for a clip's analysis to ask. `warm` loads the
    models now: the pool starts while the importing process still hashes the files, so a worker is ready
    when its first photo comes instead of loading them then (a checker that needs no model asks for none)."""
    import contextlib
    import os

    _end_with_parent()
    _STOP.set(stop)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    with contextlib.suppress(AttributeError, OSError):
        os.nice(
            5
        )  # analysis yields to the window and the user's other work; throughput is unchanged when idle
    from consentdesk.core.vision import analyse

    analyse._default = analyse.Analyser(analyse.AnalyserConfig(threads=threads))
    if warm:  # a model that cannot load is left to the first photo, which reports it as its error (an
        # initializer that raises would break the pool, and every photo with it)
        with contextlib.suppress(Exception):
            analyse._default.load_models()
