"""What the bench scripts share: the one way they time a piece of work (the median of several runs, in
milliseconds), and the throwaway places they run in (a PostgreSQL cluster, an app home of their own).

The scripts import it as `from timing import ...`: Python puts bench/ on the path when it runs one of them.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.data.pg_server import PgServer


def median_ms(job: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        job()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@contextmanager
def scratch_home(prefix: str) -> Iterator[Path]:
    """A temporary folder whose `home/` is the app's home (CONSENTDESK_HOME) for this run, so no cache or
    catalogue of a real user is touched or reused; removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["CONSENTDESK_HOME"] = str(work / "home")
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def throwaway_server() -> Iterator[PgServer]:
    """A PostgreSQL cluster of its own (tests/data/pg_server.py; the script puts the repository root on the
    path), stopped afterwards whatever happens."""
    from tests.data.pg_server import start_server

    server = start_server()
    try:
        yield server
    finally:
        server.stop()
