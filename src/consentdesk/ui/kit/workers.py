"""The one way the UI runs work off the GUI thread.

`run_task(fn, on_done, on_error)` runs a plain function from the core in Qt's thread pool and delivers
its result (or exception) back on the GUI thread through a queued signal, so widgets are only ever
touched from the GUI thread. Long jobs get a `TaskControl` for cooperative cancellation and progress:
the core functions take a `progress` callable and a `threading.Event`, never a Qt object.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

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
        try:
            result = self.fn(self.control)
        except BaseException as exc:  # delivered to the GUI thread, shown to the user there
            self._emit(self.control.failed, exc)
        else:
            self._emit(self.control.finished, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        """Nothing may escape QRunnable.run (Qt aborts the process), not even at shutdown when the
        receiving objects are already gone."""
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


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
) -> TaskControl:
    """Run `fn(control)` on a worker thread; callbacks run on the GUI thread.

    `long` jobs (an import, a re-check, a bundle, a backup: seconds to minutes) run on a pool of their
    own, so however many are under way, a photo's status, a page's rows and the change watcher never
    queue behind them on the (two-thread, on two cores) interactive pool.

    With `owner` (the dialog or widget the callbacks update), callbacks are dropped once it is deleted:
    a window closed while its read was on its way must not be touched afterwards.
    """
    control = TaskControl()
    _running.add(control)

    def finish(_: Any = None) -> None:
        _running.discard(control)

    def guarded(callback: Callable[[Any], None]) -> Callable[[Any], None]:
        if owner is None:
            return callback
        return lambda value: callback(value) if shiboken6.isValid(owner) else None

    if on_progress:
        control.progress.connect(guarded(on_progress))
    if on_done:
        control.finished.connect(guarded(on_done))
    if on_error:
        control.failed.connect(guarded(on_error))
    control.finished.connect(finish)
    control.failed.connect(finish)
    pool = pool or (long_jobs_pool() if long else QThreadPool.globalInstance())
    pool.start(_Runnable(fn, control))
    return control


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
