"""The support log: what a desk sends when something goes wrong, and never anything about a person.

Where: `logs/consentdesk.log` in the user's data folder (`paths.data_dir()`), rotated at 1 MB with five
older files kept. What: each command with its exit code and duration, worker tasks that took long or
failed, and every unexpected error as its type and the lines of code it passed through. `--verbose`
mirrors the same lines to the terminal.

Why it cannot hold personal data: lines are written by a formatter that lets through only what the code
itself wrote: the message template, numbers, and strings marked with `label()` (command names, task
names, exception types). Any other value (a path, a name typed by someone, text read from a photo, an
exception's message, an SQL statement) becomes "[withheld]", and tracebacks keep file, line and function
but drop the exception's message. Only ConsentDesk's own loggers ("consentdesk.*") write to it, so a
library's log (which may quote SQL parameters) never reaches the file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from consentdesk import __version__, paths

LOGGER = "consentdesk"
FILE_NAME = "consentdesk.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
WITHHELD = "[withheld]"
_STARTED = time.perf_counter()  # about when the program started: the command line imports this first

# Until `setup()` runs (library use, tests), nothing is written anywhere, not even warnings to stderr.
logging.getLogger(LOGGER).addHandler(logging.NullHandler())

_lock = threading.Lock()
_file_handler: logging.FileHandler | None = None
_terminal_handler: logging.Handler | None = None


class Label(str):
    """A string written by the code, not typed or read from a file: safe to log as it is."""


def label(text: object) -> Label:
    return Label(str(text))


def _safe(value: object) -> object:
    if isinstance(value, (bool, int, float, Label)) or value is None:
        return value
    return WITHHELD


def _frames(tb: TracebackType | None) -> str:
    """'  file:line in function' for each frame, paths from the package (or library) folder down."""
    lines = []
    for frame in traceback.extract_tb(tb):
        parts = Path(frame.filename).parts
        for anchor in ("consentdesk", "site-packages"):
            if anchor in parts:
                parts = parts[parts.index(anchor) + (anchor == "site-packages") :]
                break
        else:
            parts = parts[-2:]
        lines.append(f"    {'/'.join(parts)}:{frame.lineno} in {frame.name}")
    return "\n".join(lines)


class PrivacyFormatter(logging.Formatter):
    """Formats a record keeping only numbers and `Label`s among its arguments, and exceptions as their
    type and frames, never their message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(process)d] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        template = record.msg if isinstance(record.msg, str) else WITHHELD
        args = record.args
        if isinstance(args, dict):
            args = {k: _safe(v) for k, v in args.items()}
        elif args:
            args = tuple(_safe(a) for a in args)
        try:
            message = template % args if args else template
        except (TypeError, ValueError):
            message = template
        clean = logging.makeLogRecord(
            {"created": record.created, "msecs": record.msecs, "levelname": record.levelname,
             "process": record.process, "msg": message}
        )  # fmt: skip
        line = super().format(clean)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _exc, tb = record.exc_info
            line += f"\n  {kind.__module__}.{kind.__qualname__} (message withheld)\n{_frames(tb)}"
        return line


class _TerminalHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (it may have been replaced since set-up)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def log_path() -> Path:
    return paths.data_dir() / "logs" / FILE_NAME


def _wanted_file() -> Path | None:
    try:
        return log_path()
    except OSError:
        return None


def setup(verbose: bool = False) -> Path | None:
    """Send ConsentDesk's log to the support log file (and, `verbose`, to stderr too). Returns the file,
    or None when it cannot be written (a read-only home): the app works on without it."""
    global _file_handler, _terminal_handler
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # never into a root logger someone else configured
    with _lock:
        wanted = _wanted_file()
        if _file_handler is not None and wanted is not None and _file_handler.baseFilename != str(wanted):
            logger.removeHandler(_file_handler)  # the data folder changed (CONSENTDESK_HOME, tests)
            _file_handler.close()
            _file_handler = None
        if _file_handler is None:
            try:
                path = log_path()
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                handler = logging.handlers.RotatingFileHandler(
                    path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
                os.chmod(path, 0o600)
            except OSError:
                handler = None
            if handler is not None:
                handler.setFormatter(PrivacyFormatter())
                logger.addHandler(handler)
                _file_handler = handler
                logger.info("ConsentDesk %s started (Python %s)", label(__version__), label(sys.version.split()[0]))
        if verbose and _terminal_handler is None:
            _terminal_handler = _TerminalHandler()
            _terminal_handler.setFormatter(PrivacyFormatter())
            logger.addHandler(_terminal_handler)
        elif not verbose and _terminal_handler is not None:
            logger.removeHandler(_terminal_handler)
            _terminal_handler = None
    _install_exception_hooks()
    return Path(_file_handler.baseFilename) if _file_handler is not None else None


def since_start() -> float:
    return time.perf_counter() - _STARTED


def get(name: str) -> logging.Logger:
    """The logger for one part of the app, e.g. get("cli"), get("ui.workers")."""
    return logging.getLogger(f"{LOGGER}.{name}")


@contextmanager
def timed(logger: logging.Logger, what: str, slow: float = 0.0) -> Iterator[None]:
    """Log how long the block took (at INFO when it took at least `slow` seconds, else DEBUG) and, if it
    raised, the error's type and frames. `what` is code's own wording, never data."""
    start = time.perf_counter()
    try:
        yield
    except Exception:
        logger.warning("%s failed after %.3f s", label(what), time.perf_counter() - start, exc_info=True)
        raise
    took = time.perf_counter() - start
    logger.log(logging.INFO if took >= slow else logging.DEBUG, "%s took %.3f s", label(what), took)


_hooks_installed = False


def _install_exception_hooks() -> None:
    """Errors nobody caught (a Qt slot, a thread) are logged as type and frames, then handled as before."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    logger = get("errors")
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook

    def hook(kind, value, tb) -> None:  # noqa: ANN001 - sys.excepthook's signature
        logger.error("unexpected error", exc_info=(kind, value, tb))
        previous_hook(kind, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        logger.error("unexpected error in a thread", exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous_thread_hook(args)

    sys.excepthook = hook
    threading.excepthook = thread_hook
