"""The one way the UI runs work off the GUI thread.

`run_task(fn, on_done, on_error)` runs a plain function from the core in Qt's thread pool and delivers
its result (or exception) back on the GUI thread through a queued signal, so widgets are only ever
touched from the GUI thread. Long jobs get a `TaskControl` for cooperative cancellation and progress:
the core functions take a `progress` callable and a `threading.Event`, never a Qt object.

`latest=` keeps only the newest answer of a stream of requests (the photo to preview while arrowing
through a grid, the search typed so far, a photo's status after each decision): see `Latest`.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from consentdesk import support_log

#: A task taking at least this long is written to the support log with its time (seconds).
SLOW_TASK = 0.5
_log = support_log.get("ui.workers")

#: How long a busy worker may hold Python's interpreter lock before the GUI thread gets it (seconds).
#: Qt calls into Python for every cell it paints (model `data()`); with the default 5 ms each of those
#: calls can wait 5 ms while a worker computes rows, and a table's repaint stalls for hundreds of ms.
GIL_SWITCH_INTERVAL = 0.0005
sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))


class TaskControl(QObject):
    """Handed to a running task: `report(...)` emits `progress` on the GUI thread; `cancel()` asks it to stop."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()

    def report(self, value: Any) -> None:
        self.progress.emit(value)

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskControl], Any], control: TaskControl) -> None:
        super().__init__()
        self.fn = fn
        self.control = control
        self.setAutoDelete(True)

    def run(self) -> None:
        started = time.perf_counter()
        try:
            result = self.fn(self.control)
        except BaseException as exc:  # delivered to the GUI thread, shown to the user there
            took = time.perf_counter() - started
            _log.warning("task %s failed after %.3f s", _task_name(self.fn), took, exc_info=exc)
            self._emit(self.control.failed, exc)
        else:
            took = time.perf_counter() - started
            if took >= SLOW_TASK:
                _log.info("task %s took %.3f s", _task_name(self.fn), took)
            self._emit(self.control.finished, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        """Nothing may escape QRunnable.run (Qt aborts the process), not even at shutdown when the
        receiving objects are already gone."""
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


def _task_name(fn: Callable[..., Any]) -> support_log.Label:
    """The task's function as the code names it (module and qualified name): never its arguments."""
    inner = getattr(fn, "func", fn)  # functools.partial
    return support_log.label(f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', type(inner).__name__)}")


class Latest:
    """A stream of requests of which only the newest answer counts.

    Why: a person moves on faster than workers answer (arrows through a grid, types a search, makes a
    second decision before the first is saved); an older answer arriving late must not overwrite the
    newer one on screen. Pass the stream to `run_task(..., latest=stream)`: each task started that way
    supersedes the ones before it, and their callbacks are dropped. `ticket()` is the current request's
    ticket, for follow-up work that belongs to it (its next page); `drop()` supersedes everything on its
    way (another catalogue was opened)."""

    def __init__(self) -> None:
        self._number = 0

    def next(self) -> Ticket:
        self._number += 1
        return Ticket(self, self._number)

    def ticket(self) -> Ticket:
        return Ticket(self, self._number)

    def drop(self) -> None:
        self._number += 1

    def is_current(self, ticket: Ticket) -> bool:
        return ticket.stream is self and ticket.number == self._number


@dataclass(frozen=True, slots=True, eq=False)
class Ticket:
    """One request of a `Latest` stream; its answer counts while no newer request was made."""

    stream: Latest
    number: int

    @property
    def current(self) -> bool:
        return self.stream.is_current(self)


#: Tasks started and not yet finished, so their controls are not garbage-collected mid-flight.
_running: set[TaskControl] = set()


def run_task(
    fn: Callable[[TaskControl], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
    long: bool = False,
    latest: Latest | Ticket | None = None,
    on_settled: Callable[[Any], None] | None = None,
) -> TaskControl:
    """Run `fn(control)` on a worker thread; callbacks run on the GUI thread.

    `long` jobs (an import, a re-check, a bundle, a backup: seconds to minutes) run on a pool of their
    own, so however many are under way, a photo's status, a page's rows and the change watcher never
    queue behind them on the (two-thread, on two cores) interactive pool.

    With `owner` (the dialog or widget the callbacks update), callbacks are dropped once it is deleted:
    a window closed while its read was on its way must not be touched afterwards.

    With `latest` (a `Latest` stream, or a `Ticket` of one for follow-up work), progress, result and
    error are delivered only while no newer request of that stream was made. `on_settled(result or
    exception)` runs after them in any case (also for a superseded answer, never for a deleted owner):
    the bookkeeping of work in flight.
    """
    control = TaskControl()
    _running.add(control)
    ticket = latest.next() if isinstance(latest, Latest) else latest
    for signal, callback in (
        (control.progress, on_progress),
        (control.finished, on_done),
        (control.failed, on_error),
    ):
        if callback is not None:
            signal.connect(_deliver(callback, owner, ticket))
    if on_settled is not None:
        settled = _deliver(on_settled, owner, None)
        control.finished.connect(settled)
        control.failed.connect(settled)
    control.finished.connect(lambda _value: _running.discard(control))
    control.failed.connect(lambda _value: _running.discard(control))
    pool = pool or (long_jobs_pool() if long else QThreadPool.globalInstance())
    pool.start(_Runnable(fn, control))
    return control


def _deliver(
    callback: Callable[[Any], None], owner: QObject | None, ticket: Ticket | None
) -> Callable[[Any], None]:
    """`callback`, or a wrapper that drops the call once `owner` is deleted or `ticket` superseded.

    A bound method of a QObject is its own owner: Qt drops a signal's call to it once the object is
    gone, and the wrapper (needed for the ticket) must not call into a deleted object either."""
    if owner is None and isinstance(getattr(callback, "__self__", None), QObject):
        owner = callback.__self__  # type: ignore[attr-defined]
    if ticket is None and owner is None:
        return callback
    if ticket is None and owner is getattr(callback, "__self__", None):
        return callback  # Qt itself drops calls to a deleted object's method

    def deliver(value: Any) -> None:
        if (owner is None or shiboken6.isValid(owner)) and (ticket is None or ticket.current):
            callback(value)

    return deliver


_long_pool: QThreadPool | None = None


def long_jobs_pool() -> QThreadPool:
    global _long_pool
    if _long_pool is None:
        _long_pool = QThreadPool()
        _long_pool.setMaxThreadCount(2)  # a third long job waits its turn behind its busy note
    return _long_pool


_paused = 0
_paused_lock = threading.Lock()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a worker builds many short-lived rows.

    Why: a full collection walks every live object while holding the interpreter lock, so one that
    starts in a worker listing 100,000 records freezes the GUI for 100-300 ms. The rows are freed by
    reference counting when the worker drops them; collections resume when the last such worker ends.
    """
    global _paused
    with _paused_lock:
        _paused += 1
        if _paused == 1:
            gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0:
                gc.enable()


def idle() -> bool:
    """True when every task started has finished and its callbacks have run on the GUI thread."""
    return not _running


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Ask every running task to stop and block until the pool is idle (on quit and between tests), so no
    worker is still running while Python shuts down."""
    for control in list(_running):
        control.cancel()
    long_done = long_jobs_pool().waitForDone(timeout_ms)
    return QThreadPool.globalInstance().waitForDone(timeout_ms) and long_done
