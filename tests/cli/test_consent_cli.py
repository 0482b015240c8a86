"""The consent and audit commands as a user runs them: a real `consentdesk` process and a real file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from consentdesk import paths
from consentdesk.cli import main

EXAMPLES = paths.forms_dir() / "examples"


def run(*args: str, env_home: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if env_home:
        env["CONSENTDESK_HOME"] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "consentdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def write_json(tmp_path: Path, name: str, mutate) -> Path:
    data = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    mutate(data)
    for field, file_name in data.get("files", {}).items():
        data["files"][field] = str(EXAMPLES / file_name)
    path = tmp_path / f"{name}-edited.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_add_list_show_and_verify(catalogue_locator: str):
    cat = catalogue_locator
    added = run("--catalog", cat, "consent", "add", "--json", str(EXAMPLES / "adult.json"))
    assert added.returncode == 0, added.stderr
    consent_id = added.stdout.strip()
    listed = run("--catalog", cat, "consent", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [consent_id]
    assert rows[0]["answers"]["full_name"] == "Siân O'Brien-Ærø"
    assert rows[0]["effective_status"] == "active"
    shown = run("--catalog", cat, "consent", "show", consent_id.lower())
    assert "Manchester Donor Centre" in shown.stdout
    verified = run("--catalog", cat, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_default_catalogue_lives_in_the_data_folder(tmp_path: Path):
    result = run("consent", "add", "--json", str(EXAMPLES / "minor.json"), env_home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "catalogue.sqlite").exists()


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("ConsentDesk ")


@pytest.mark.parametrize(
    ("mutate", "field", "phrase"),
    [
        (lambda d: d["answers"].pop("full_name"), "full_name", "is required"),
        (lambda d: d["answers"].update(shoe_size="9"), "shoe_size", "is not a field"),
        (lambda d: d["answers"].update(date_of_birth="12/04/1986"), "date_of_birth", "YYYY-MM-DD"),
        (lambda d: d["answers"].update(date_of_birth="2015-01-01"), "guardian_name", "under 18"),
    ],
    ids=["missing-required", "unknown-field", "bad-date", "minor-without-guardian"],
)
def test_bad_consent_json_names_the_field_and_writes_nothing(tmp_path: Path, mutate, field, phrase):
    cat = tmp_path / "c.sqlite"
    result = run(
        "--catalog", str(cat), "consent", "add", "--json", str(write_json(tmp_path, "adult", mutate))
    )
    assert result.returncode == 2
    assert field in result.stderr and phrase in result.stderr
    assert "Traceback" not in result.stderr
    assert run("--catalog", str(cat), "consent", "list", "--json").stdout.strip() == "[]"


def test_ten_megabyte_signature_is_refused(tmp_path: Path):
    big = tmp_path / "big.png"
    big.write_bytes((EXAMPLES / "signature-adult.png").read_bytes() + b"\0" * 10_000_000)
    data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    data["files"]["signature"] = str(big)
    doc = tmp_path / "d.json"
    doc.write_text(json.dumps(data), encoding="utf-8")
    cat = tmp_path / "c.sqlite"
    assert main(["--catalog", str(cat), "consent", "add", "--json", str(doc)]) == 2
    assert main(["--catalog", str(cat), "consent", "list", "--json"]) == 0
    conn = sqlite3.connect(cat)
    assert conn.execute("SELECT count(*) FROM consents").fetchone()[0] == 0


def test_consent_from_stdin_and_malformed_json(tmp_path: Path):
    cat = str(tmp_path / "c.sqlite")
    data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    data["files"]["signature"] = str(EXAMPLES / "signature-adult.png")
    ok = run("--catalog", cat, "consent", "add", "--json", "-", stdin=json.dumps(data))
    assert ok.returncode == 0, ok.stderr
    bad = run("--catalog", cat, "consent", "add", "--json", "-", stdin="{not json")
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr


def test_unusable_catalogue_files_get_a_message_not_a_traceback(tmp_path: Path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database", encoding="utf-8")
    result = run("--catalog", str(text), "consent", "list")
    assert result.returncode == 2 and "not an SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert text.read_text(encoding="utf-8") == "not a database"


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="sqlite3 command-line tool not installed")
def test_audit_verify_fails_after_an_edit_with_sqlite3(tmp_path: Path):
    cat = str(tmp_path / "c.sqlite")
    assert run("--catalog", cat, "consent", "add", "--json", str(EXAMPLES / "adult.json")).returncode == 0
    assert run("--catalog", cat, "audit", "verify").returncode == 0
    blocked = subprocess.run(
        ["sqlite3", cat, "UPDATE audit SET actor = 'mallory' WHERE seq = 2"], capture_output=True, text=True
    )
    assert "append-only" in blocked.stderr
    subprocess.run(
        [
            "sqlite3",
            cat,
            "DROP TRIGGER audit_append_only_update; UPDATE audit SET actor = 'mallory' WHERE seq = 2;",
        ],
        check=True,
    )
    result = run("--catalog", cat, "audit", "verify")  # since the last verification: the guard is gone
    assert result.returncode == 1
    assert "audit_append_only_update is missing" in result.stdout
    result = run("--catalog", cat, "audit", "verify", "--full")  # and the whole trail names the entry
    assert result.returncode == 1
    assert "entry 2" in result.stdout and "edited" in result.stdout
