"""app.run end to end, in a child process (it owns its QApplication and event loop)."""

from __future__ import annotations

import os
import subprocess
import sys

from consentdesk import app

SCRIPT = "import sys; from consentdesk.app import run; raise SystemExit(run(sys.argv[1], []))"


def _run(catalog, home) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONSENTDESK_HOME=str(home))
    env[app.QUIT_AFTER_ENV] = "100"
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(catalog)], env=env, capture_output=True, text=True, timeout=60
    )


def test_bad_catalogue_is_explained_and_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "photo.sqlite"
    bad.write_bytes(b"\xff\xd8 not a database")
    result = _run(bad, tmp_path / "home")
    assert result.returncode == 2
    assert "not a ConsentDesk catalogue" in result.stderr
    assert "Traceback" not in result.stderr
    assert app.SHOWN_LINE not in result.stdout


def test_run_shows_window_and_quits(tmp_path):
    result = _run(tmp_path / "new.sqlite", tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert app.SHOWN_LINE in result.stdout
    assert (tmp_path / "new.sqlite").exists()
