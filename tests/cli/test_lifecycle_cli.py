"""Lifecycle commands as a user runs them: withdraw, erase, expiring, sar, scan, backup, restore, check,
and a hard kill in the middle of an import."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.data.builders import build_test_set
from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face

from consentdesk.core.store import Catalogue

A = [100, 100, 80, 100]


def run(*args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if home:
        env["CONSENTDESK_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "consentdesk", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_withdraw_erase_expiring_and_sar(tmp_path: Path, catalogue_locator: str):
    db = catalogue_locator
    with Catalogue.open(db) as cat:
        person = add_person(cat, "Cli Person")
        image = add_photo(cat, tmp_path / "x.jpg", [A], sha="7" * 64)
        decide_face(cat, image, A, "linked", person.id)
        approve(cat, image, "AP-3", ["website"], "/exports/x-approved.jpg", [person.id])
    c = ("--catalog", str(db))
    sar = run(*c, "sar", person.id, "--out", str(tmp_path / "sar.zip"))
    assert sar.returncode == 0, sar.stderr
    assert "not included" in sar.stdout  # the original photo file does not exist: said, not hidden

    wd = run(
        *c,
        "consent",
        "withdraw",
        person.id.lower(),
        "--reason",
        "changed mind",
        "--report",
        str(tmp_path / "r"),
    )
    assert wd.returncode == 0, wd.stderr
    assert "website" in wd.stdout and "/exports/x-approved.jpg" in wd.stdout
    assert (tmp_path / "r" / f"takedown-{person.id}.pdf").exists()
    again = run(*c, "consent", "withdraw", person.id, "--reason", "x")
    assert again.returncode == 2 and "already withdrawn" in again.stderr

    exp = json.loads(run(*c, "expiring", "--json").stdout)
    assert exp["lost_clearance"][0]["consents"] == [{"consent_id": person.id, "status": "withdrawn"}]

    refused = run(*c, "consent", "erase", person.id)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    erased = run(*c, "consent", "erase", person.id, "--yes")
    assert erased.returncode == 0, erased.stderr
    if not db.startswith("postgresql"):
        assert b"Cli Person" not in Path(db).read_bytes()
    shown = json.loads(run(*c, "consent", "show", person.id, "--json").stdout)
    assert shown["status"] == "erased" and shown["answers"] == {}
    assert "was erased" in run(*c, "sar", person.id, "--out", str(tmp_path / "s2.zip")).stderr


def test_forms_scan_cli(tmp_path: Path, catalogue_locator: str):
    c = ("--catalog", catalogue_locator)
    assert run(*c, "forms", "blank", "--out", str(tmp_path / "blank.pdf")).returncode == 0
    # Scanned without being signed: stored, but the signature page is reported and the command fails.
    unsigned = run(*c, "forms", "scan", str(tmp_path / "blank.pdf"), "--json")
    assert unsigned.returncode == 1, unsigned.stderr
    outcomes = [r["outcome"] for r in json.loads(unsigned.stdout)]
    assert outcomes == ["awaiting entry", "attached, but the signature box looks empty"]
    from tests.data.paper_signing import signed_scans

    scanned = run(*c, "forms", "scan", *map(str, signed_scans(tmp_path / "blank.pdf", tmp_path)), "--json")
    assert scanned.returncode == 0, scanned.stderr
    assert {r["outcome"] for r in json.loads(scanned.stdout)} == {"awaiting entry"}
    listed = run(*c, "forms", "scans")
    assert "awaiting entry" in listed.stdout
    bad = tmp_path / "nothing.png"
    from PIL import Image

    Image.new("RGB", (400, 400), "white").save(bad)
    missing = run(*c, "forms", "scan", str(bad))
    assert missing.returncode == 1 and "no form id found" in missing.stdout


def test_backup_restore_check_relink_and_permissions(tmp_path: Path):
    home = tmp_path / "home"
    photos = tmp_path / "photos"
    photos.mkdir()
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 120, 40)).save(photos / "a.jpg")
    created = run("consent", "list", home=home)  # the CLI creates the default data folder and catalogue
    assert created.returncode == 0, created.stderr
    db = home / "catalogue.sqlite"
    with Catalogue.open(db) as cat:
        add_person(cat, "Backup Person")
        add_photo(cat, photos / "a.jpg", [A])
    assert stat.S_IMODE(home.stat().st_mode) == 0o700 and stat.S_IMODE(db.stat().st_mode) == 0o600

    assert run("check", home=home).returncode == 0
    backup = tmp_path / "b.sqlite"
    assert run("backup", "--out", str(backup), home=home).returncode == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    refused = run("backup", "--out", str(backup), home=home)
    assert refused.returncode == 2 and "--force" in refused.stderr

    with Catalogue.open(db) as cat:
        add_person(cat, "After Backup")
    restored = run("restore", str(backup), home=home)
    assert restored.returncode == 0, restored.stderr
    kept = list(home.glob("catalogue.sqlite.before-restore-*"))
    assert len(kept) == 1
    with Catalogue.open(db) as cat:
        assert [c.full_name for c in cat.list_consents()] == ["Backup Person"]
    with Catalogue.open(kept[0]) as old:
        assert len(old.list_consents()) == 2

    not_ours = tmp_path / "other.sqlite"
    sqlite3.connect(not_ours).execute("CREATE TABLE t(x)").connection.commit()
    bad = run("restore", str(not_ours), home=home)
    assert bad.returncode == 2 and "not a ConsentDesk catalogue" in bad.stderr

    moved = tmp_path / "moved"
    shutil.move(str(photos), moved)
    missing = json.loads(run("check", "--json", home=home).stdout)
    assert missing["ok"] and missing["files"][0]["problem"] == "missing"
    assert run("check", home=home).returncode == 3
    relinked = run("check", "--relink", str(moved), home=home)
    assert relinked.returncode == 0, relinked.stdout
    with Catalogue.open(db) as cat:
        assert cat.list_images()[0].path == str((moved / "a.jpg").resolve())
        assert cat.audit_entries()[-1].action == "image.relinked"


def test_import_killed_midway_loses_nothing_and_resumes(tmp_path: Path):
    shots = tmp_path / "shoot"
    build_test_set(shots, n=8, seed=5, large_every=0)
    (shots / "truth.jsonl").unlink()
    db = tmp_path / "c.sqlite"
    env = dict(os.environ, CONSENTDESK_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "consentdesk", "--catalog", str(db), "import", str(shots), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def committed() -> int:
        if not db.exists():
            return 0
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as ro:
                return ro.execute("SELECT count(*) FROM images").fetchone()[0]
        except sqlite3.OperationalError:  # schema not there yet
            return 0

    deadline = time.monotonic() + 100  # a guard against hanging, not a timing assertion
    while committed() < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as ro:
        before = {r[0] for r in ro.execute("SELECT sha256 FROM images")}
    assert len(before) >= 2

    check = run("--catalog", str(db), "check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["audit"]["problems"] == []
    resumed = run("--catalog", str(db), "import", str(shots), "--workers", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    with Catalogue.open(db) as cat:
        after = [i.sha256 for i in cat.list_images()]
        assert cat.verify_audit().ok
    assert len(after) == len(set(after)) == 8 and before <= set(after)
