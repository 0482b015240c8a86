"""An import killed outright (`kill -9`, a crash) must not leave its worker processes running: each holds
the models (over half a gigabyte) and would go on checking photos for nobody."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.data.photo_files import photograph

SCRIPT = """
import sys, threading, time, multiprocessing
from tests.data.slow_checker import slow
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.store import Catalogue

cat = Catalogue.open(sys.argv[1])
threading.Thread(target=import_paths, args=(cat, [sys.argv[2]]), kwargs={"checker": slow, "workers": 2},
                 daemon=True).start()
while len(multiprocessing.active_children()) < 2:
    time.sleep(0.1)
time.sleep(1.0)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status waits to be collected


def test_workers_end_when_the_import_is_killed(tmp_path: Path):
    folder = tmp_path / "card"
    for n in range(4):
        photograph(folder, f"p{n}.jpg", (40 * n, 90, 200))
    root = Path(__file__).parents[3]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]))
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "c.sqlite"), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
    )
    try:
        line = parent.stdout.readline()
        workers = [int(p) for p in line.split()]
        assert len(workers) >= 2 and all(_running(p) for p in workers), line
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_running(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_running(p) for p in workers), "workers outlived the killed import"
    finally:
        if parent.poll() is None:
            parent.kill()
