"""`consentdesk audit verify` as a person runs it: a desk catalogue of this version is checked without loading
SQLAlchemy (a quick start: bench/audit_verify.py), with the same findings as a check through the store, and
from the last checkpoint onwards unless --full."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.data.lifecycle_fixtures import add_person, add_photo

from consentdesk.cli import main
from consentdesk.core.store import Catalogue
from consentdesk.core.store.verify import verify_file


def desk(tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite"
    with Catalogue.open(path) as cat:
        add_person(cat, "Some Person")
        add_photo(cat, tmp_path / "p.jpg", [[10, 10, 50, 50]], sha="a" * 64)
    return path


def test_a_desk_catalogue_is_checked_without_sqlalchemy(tmp_path: Path):
    path = desk(tmp_path)
    root = Path(__file__).parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]))
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "consentdesk", "--catalog", str(path), "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Audit trail intact" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")}
    assert "sqlalchemy" not in imported and "psycopg" not in imported


def test_the_quick_check_finds_what_the_store_finds(tmp_path: Path, capsys):
    path = desk(tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER consents_immutable")
    conn.execute("UPDATE consents SET expires_on = '2099-01-01'")
    conn.execute("INSERT INTO analyses(image_id, analyser_version, analysed_at, timings) VALUES (1, 'x', 'x', '{}')")
    conn.close()
    quick = verify_file(path)
    with Catalogue.open(path, create=False) as cat:
        through_the_store = cat.verify_audit()
    assert quick is not None and not quick.ok
    assert quick.problems == through_the_store.problems and quick.records == through_the_store.records
    assert main(["--catalog", str(path), "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "consents_immutable is missing" in out and "analysis 2 is not in the audit trail" in out


def test_an_older_catalogue_is_opened_the_usual_way_and_upgraded(tmp_path: Path, capsys):
    path = tmp_path / "old.sqlite"
    path.write_bytes((Path(__file__).parents[1] / "data" / "catalogue-v4.sqlite").read_bytes())
    assert verify_file(path) is None  # not this version: the quick path steps aside
    assert main(["--catalog", str(path), "audit", "verify"]) == 0
    assert "Audit trail intact" in capsys.readouterr().out
    assert verify_file(path) is not None  # upgraded by opening it
