"""The real-display path: the app starts on Xvfb with the xcb platform even after `import cv2`.

opencv-python points QT_QPA_PLATFORM_PLUGIN_PATH (and QT_QPA_FONTDIR) at its bundled Qt 5 on import.
Depending on the Qt build this stops PySide6 loading the xcb plugin; with PySide6 6.12 here Qt 6 skips
the Qt 5 plugin and still starts, so the test also checks that start-up removed cv2's paths from the
environment every later process inherits (it fails if `prepare_qt_environment` is not called).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(
        not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
    ),
]

SCRIPT = """
import cv2, rapidocr_onnxruntime
import os, sys
assert 'cv2' in os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH', ''), 'cv2 did not set the plugin path'
from consentdesk.app import run
code = run(sys.argv[1], [])
# Whatever this Qt build does with cv2's Qt 5 paths, none may survive start-up: worker processes and
# anything launched later inherit this environment.
leaked = [k for k in ('QT_QPA_PLATFORM_PLUGIN_PATH', 'QT_QPA_FONTDIR') if 'cv2' in os.environ.get(k, '')]
if leaked:
    print('cv2 Qt paths still set after start-up:', leaked, file=sys.stderr)
    raise SystemExit(3)
raise SystemExit(code)
"""


def _free_display() -> int:
    for n in range(150, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free display")


@pytest.fixture
def xvfb_display():
    display = _free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not Path(f"/tmp/.X11-unix/X{display}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield f":{display}"
    server.terminate()
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        server.kill()


def test_app_shows_a_real_x_window_after_importing_cv2(xvfb_display, tmp_path):
    env = dict(os.environ)
    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        env.pop(name, None)
    env.update(
        DISPLAY=xvfb_display,
        QT_QPA_PLATFORM="xcb",
        CONSENTDESK_QUIT_AFTER_MS="2500",
        CONSENTDESK_HOME=str(tmp_path / "home"),
    )
    catalog = tmp_path / "register.sqlite"
    app = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(catalog)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        try:
            found = subprocess.run(
                ["xdotool", "search", "--sync", "--onlyvisible", "--name", "ConsentDesk"],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
        except subprocess.TimeoutExpired:
            app.kill()
            out, err = app.communicate()
            pytest.fail(f"no visible ConsentDesk window within 30 s (exit {app.returncode})\n{out}\n{err}")
        out, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, f"exit {app.returncode}\nstdout: {out}\nstderr: {err}"
    assert "ConsentDesk window shown" in out
    assert found.returncode == 0 and found.stdout.strip(), f"no visible ConsentDesk window: {found.stderr}"
