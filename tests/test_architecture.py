"""The architecture's rules, as import-linter contracts (pyproject.toml), checked on every test run.

The first test checks the real tree. The second plants one forbidden import in a copy of the tree and
proves the contracts catch it and name the import, so the check cannot pass vacuously.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=source_root,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_a_planted_forbidden_import_is_caught_and_named(tmp_path):
    shutil.copytree(
        ROOT / "src" / "consentdesk", tmp_path / "consentdesk", ignore=shutil.ignore_patterns("__pycache__")
    )
    values = tmp_path / "consentdesk" / "core" / "values.py"
    values.write_text(values.read_text() + "\nfrom PySide6 import QtCore  # planted\n")
    policy = tmp_path / "consentdesk" / "core" / "review" / "policy.py"
    policy.write_text(policy.read_text() + "\nimport sqlite3  # planted\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "The core never imports Qt, the UI, the CLI or the app BROKEN" in result.stdout
    assert "consentdesk.core.values -> PySide6" in result.stdout
    assert "Only core.store talks to a database driver BROKEN" in result.stdout
    assert "consentdesk.core.review.policy -> sqlite3" in result.stdout
