"""Run a screenshot script on a real X server: start Xvfb, re-run the script inside it on the xcb platform.

Shared by the scripts in this folder so each only says what to show. The inner run sees
CONSENTDESK_SHOTS_INNER=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

INNER = "CONSENTDESK_SHOTS_INNER"


def free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def is_inner() -> bool:
    return bool(os.environ.get(INNER))


def rerun_under_xvfb(script: str, screen: str = "1440x1000x24") -> int:
    """Start Xvfb and run `script` again inside it; return its exit code."""
    display = free_display()
    xvfb = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", screen, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb", **{INNER: "1"})
        return subprocess.call([sys.executable, script], env=env)
    finally:
        xvfb.terminate()
        xvfb.wait(5)
