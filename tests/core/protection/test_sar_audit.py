"""Exporting a subject access bundle is a data-protection officer's action and is audited: the entry
('sar.exported', ids and counts only) commits with the bundle, and on a team register the server refuses it,
and so the bundle, to any other role; the CLI says in one sentence which role is needed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import psycopg
import pytest
from tests.data.lifecycle_fixtures import add_person
from tests.data.team_people import url_for

from consentdesk.cli import main
from consentdesk.core.protection.sar import build_sar_bundle
from consentdesk.core.store import Catalogue, RefusedError

NEEDS_DPO = "it needs the data-protection officer role"


def log_entries(locator: str, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["--catalog", locator, "audit", "log", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_an_exported_bundle_is_in_the_audit_log_with_ids_only(tmp_path: Path, catalogue_locator: str, capsys):
    with Catalogue.open(catalogue_locator) as cat:
        person = add_person(cat, "Zofia Requester", email="zofia@example.org")
    out = tmp_path / "bundle.zip"
    assert main(["--catalog", catalogue_locator, "sar", person.id, "--out", str(out)]) == 0
    assert zipfile.ZipFile(out).testzip() is None
    exported = [e for e in log_entries(catalogue_locator, capsys) if e["action"] == "sar.exported"]
    assert len(exported) == 1 and exported[0]["subject"] == person.id
    text = json.dumps(exported[0])
    assert "Zofia" not in text and "Requester" not in text and "zofia@" not in text and str(out) not in text
    with Catalogue.open(catalogue_locator, create=False) as cat:
        (entry,) = [e for e in cat.audit_entries(person.id) if e.action == "sar.exported"]
        assert entry.details["files"] == 1 and entry.details["photos"] == []
        assert cat.verify_audit().ok


def test_a_bundle_that_cannot_be_written_is_not_recorded(tmp_path: Path, catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        person = add_person(cat, "Nobody Saved")
        with pytest.raises(OSError):
            build_sar_bundle(cat, person.id, tmp_path / "no-such-folder" / "bundle.zip")
        assert not [e for e in cat.audit_entries(person.id) if e.action == "sar.exported"]


def test_only_a_data_protection_officer_exports_from_a_team_register(tmp_path: Path, team_register, capsys):
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Asked For Everything")
    for name in ("pat", "rita"):  # a photographer and a reviewer
        out = tmp_path / f"{name}.zip"
        capsys.readouterr()
        assert main(["--catalog", url_for(team_register, name), "sar", person.id, "--out", str(out)]) == 2
        error = capsys.readouterr().err
        assert NEEDS_DPO in error and "No bundle was written" in error
        assert error.count("\n") == 1 and not out.exists()

    out = tmp_path / "dora.zip"
    assert main(["--catalog", url_for(team_register, "dora"), "sar", person.id, "--out", str(out)]) == 0
    assert out.is_file()
    exported = [
        e for e in log_entries(url_for(team_register, "rita"), capsys) if e["action"] == "sar.exported"
    ]
    assert [(e["actor"], e["subject"]) for e in exported] == [("dora", person.id)]


def test_the_server_refuses_the_export_entry_to_other_roles(tmp_path: Path, team_register):
    """Past the app's own check (a modified client), the server still refuses: the entry, and the bundle
    written in the same action, do not happen."""
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Forged Export")
        written: list[str] = []
        with pytest.raises(RefusedError, match=NEEDS_DPO):
            pat.record_sar_export(person.id, {}, lambda: written.append("bundle"))
        assert written == []
        pat_url = url_for(team_register, "pat")
    with psycopg.connect(pat_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO audit(seq, at, actor, action, subject, details, prev_hash, hash) "
            "SELECT m.value::bigint + 1, 'now', 'pat', 'sar.exported', %s, '{}', h.value, 'y' "
            "FROM meta m, meta h WHERE m.key = 'audit_head_seq' AND h.key = 'audit_head_hash'",
            (person.id,),
        )
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        dora.record_sar_export(person.id, {"photos": []}, lambda: written.append("bundle"))
        assert written == ["bundle"]
        assert [e.actor for e in dora.audit_entries(person.id) if e.action == "sar.exported"] == ["dora"]
        assert dora.verify_audit().ok
