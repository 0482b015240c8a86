"""The team register on a real PostgreSQL server: people sign in as themselves and the server enforces
what each role may do, through ConsentDesk and through plain SQL alike."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo
from tests.data.team_people import ROLES, url_for

from consentdesk.cli import main
from consentdesk.core.protection.erasure import erase
from consentdesk.core.store import Catalogue, RefusedError
from consentdesk.core.values import FaceState, FindingState


@pytest.fixture
def register(team_register):
    return team_register


def test_each_person_acts_in_their_own_name(register, tmp_path: Path):
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        person = add_person(pat, "Photographed Person")
        image = add_photo(pat, tmp_path / "x.jpg", [[10, 10, 50, 50]], sha="1" * 64)
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        face = rita.review_state(image).faces[0]
        rita.add_face_decision(image, face, FaceState.LINKED, person.id)
        assert rita.get_consent(person.id).created_by == "pat"
        actors = {e.action: e.actor for e in rita.audit_entries()}
        assert actors["consent.signed"] == "pat" and actors["image.imported"] == "pat"
        assert actors["review.face"] == "rita" and rita.verify_audit().ok


def test_photographer_cannot_review_approve_or_erase(register, tmp_path: Path):
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        person = add_person(pat, "Someone")
        image = add_photo(pat, tmp_path / "x.jpg", [[10, 10, 50, 50]], sha="2" * 64)
        face = pat.review_state(image).faces[0]
        with pytest.raises(RefusedError, match="needs the reviewer"):
            pat.add_face_decision(image, face, FaceState.LINKED, person.id)
        with pytest.raises(RefusedError, match="needs the reviewer"):
            pat.record_approval("AP-1", image, date.today(), ["website"], "/x.jpg", "e" * 64, [])
        with pytest.raises(RefusedError, match="needs the data-protection officer"):
            erase(pat, person.id)
        assert pat.get_consent(person.id).full_name == "Someone"  # nothing half-done
        with pytest.raises(RefusedError, match="photographer sees only their own entries"):
            pat.verify_audit()
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        assert rita.verify_audit().ok


def test_plain_sql_as_a_photographer_is_refused_by_permissions(register, tmp_path: Path):
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        image = add_photo(pat, tmp_path / "x.jpg", [[10, 10, 50, 50]], sha="3" * 64)
    with psycopg.connect(url_for(register, "pat"), autocommit=True) as conn:
        for statement in (
            "INSERT INTO approvals(id, image_id, approved_at, approved_by, posting_date, export_path, "
            f"export_sha256, consent_ids) VALUES ('AP-X', {image}, 'now', 'pat', '2026-01-01', '/x', 'e', '[]')",
            "INSERT INTO face_decisions(image_id, face_id, state, decided_at, decided_by) "
            f"VALUES ({image}, 1, 'blur', 'now', 'pat')",
            "UPDATE meta SET value = '0' WHERE key = 'audit_head_seq'",
            "DELETE FROM consent_files",
            "UPDATE consents SET status = 'withdrawn'",
            "DROP TRIGGER audit_append_only ON audit",
            "INSERT INTO audit(seq, at, actor, action, subject, details, prev_hash, hash) "
            "SELECT value::bigint + 1, 'now', 'rita', 'forged', NULL, '{}', 'x', 'y' FROM meta "
            "WHERE key = 'audit_head_seq'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_photographers_see_only_their_own_shoots(register, tmp_path: Path):
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        shoot = pat.create_shoot("Leeds", "/pat")
        mine = add_photo(pat, tmp_path / "a.jpg", [[10, 10, 50, 50]], sha="4" * 64)
        assert pat.list_images() != []
    with Catalogue.open(url_for(register, "paula"), create=False) as paula:
        assert paula.list_images() == [] and paula.count_images() == 0
        with pytest.raises(KeyError):
            paula.get_image(mine)
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        assert [i.id for i in rita.list_images()] == [mine]
        assert shoot in {s["id"] for s in rita.shoots()}


def test_dpo_erases_and_the_administrator_finishes_compaction(register, tmp_path: Path):
    _, _, admin_url = register
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        person = add_person(pat, "Erase Me")
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        rita.withdraw_consent(person.id, date.today(), "asked")  # reviewers record withdrawals
    with Catalogue.open(url_for(register, "dora"), create=False) as dora:
        report = erase(dora, person.id)
        assert dora.get_consent(person.id).answers == {}
        assert not report.compacted and "administrator" in (report.advice or "")
    with Catalogue.open(admin_url, create=False) as admin:
        assert admin.compact()


def test_team_commands_and_audit_log(register, capsys, monkeypatch):
    """The admin role (not the register's owner) adds, re-roles, re-passwords and removes people; nobody
    else can; a removed person is told they may not sign in (not that the server is down)."""
    import io

    _, _, owner_url = register
    adam = url_for(register, "adam")
    assert main(["--catalog", adam, "team", "users", "--json"]) == 0
    people = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert {n: p["roles"] for n, p in people.items() if n in ROLES} == {n: [r] for n, r in ROLES.items()}
    monkeypatch.setattr("sys.stdin", io.StringIO("eve-first-pass-1\n"))
    assert main(["--catalog", adam, "team", "add-user", "eve", "--role", "reviewer", "--password-stdin"]) == 0
    assert "eve can now sign in as a reviewer" in capsys.readouterr().out
    assert main(["--catalog", adam, "team", "set-role", "paula", "reviewer"]) == 0
    assert main(["--catalog", adam, "team", "remove-user", "dora"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("pat-new-pass-1234\n"))
    assert main(["--catalog", adam, "team", "set-password", "pat", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["--catalog", adam, "team", "users", "--json"]) == 0
    people = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert people["paula"]["roles"] == ["reviewer"] and people["eve"]["roles"] == ["reviewer"]
    assert people["dora"]["can_sign_in"] is False
    assert main(["--catalog", url_for(register, "dora"), "consent", "list"]) == 2
    assert "does not let this user sign in" in capsys.readouterr().err
    server, database, _ = register
    new_pat = server.url(database, user="pat", password="pat-new-pass-1234")
    assert main(["--catalog", new_pat, "consent", "list"]) == 0
    assert main(["--catalog", url_for(register, "pat"), "consent", "list"]) == 2  # the old password is gone
    capsys.readouterr()
    for who, command in (
        ("rita", ["add-user", "mallory", "--role", "admin", "--no-password"]),
        ("pat", ["set-role", "pat", "reviewer"]),
        ("adam", ["set-role", "adam", "dpo"]),  # not their own role
        ("adam", ["remove-user", "adam"]),
    ):
        assert main(["--catalog", new_pat if who == "pat" else url_for(register, who), "team", *command]) == 2
        err = capsys.readouterr().err
        assert "administrator" in err, err
    assert main(["--catalog", owner_url, "audit", "log", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"time", "actor", "action"} <= set(lines[0])
    assert [entry["action"] for entry in lines].count("team.user_added") == len(ROLES) + 1
    assert [(e["actor"], e["action"], e["subject"]) for e in lines[-4:]] == [
        ("adam", "team.user_added", "user:eve"),
        ("adam", "team.role_changed", "user:paula"),
        ("adam", "team.user_removed", "user:dora"),
        ("adam", "team.password_set", "user:pat"),
    ]


def test_team_commands_refuse_a_catalogue_file(tmp_path: Path, capsys):
    Catalogue.open(tmp_path / "c.sqlite").close()
    assert main(["--catalog", str(tmp_path / "c.sqlite"), "team", "users"]) == 2
    assert "team register" in capsys.readouterr().err


def test_a_photo_imported_by_a_photographer_is_reviewed_and_exported_elsewhere(
    register, tmp_path: Path, monkeypatch
):
    """The photographer's folder is gone afterwards and the reviewer works on another computer (its own
    data folder): the register's working copy is what the reviewer sees, approves and exports."""
    import shutil

    from tests.data.builders import build_image

    from consentdesk.core.photos.cache import local_photo
    from consentdesk.core.photos.importer import import_paths
    from consentdesk.core.review import export, workflow

    shoot = tmp_path / "card"
    shoot.mkdir()
    picture, _truth = build_image(3, (1200, 900), 0)
    picture.save(shoot / "session.jpg", quality=90)
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        person = add_person(pat, "Shared Photo Person")
        report = import_paths(pat, [shoot], workers=1)
        (image_id,) = report.added
    shutil.rmtree(shoot)  # the memory card went home with the photographer

    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-computer"))
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        image = rita.get_image(image_id)
        copy = local_photo(rita, image)
        assert copy.is_file() and copy != Path(image.path) and (copy.stat().st_mode & 0o777) == 0o600
        state = workflow.image_state(rita, image_id)
        for face in state.faces:
            workflow.set_face(rita, image_id, face.n, FaceState.BLUR)
        workflow.link_face(rita, image_id, 1, person.id)
        for finding in state.findings:
            workflow.set_finding(rita, image_id, finding.n, FindingState.REDACT)
        result = export.approve(rita, image_id, ["website"], tmp_path / "exports")
        assert result.path.is_file() and result.path.name.startswith("session-approved-")

    with Catalogue.open(url_for(register, "dora"), create=False) as dora:
        erase(dora, person.id)
        assert dora.photo_file(image.sha256) is None  # erasure removes the register's copy of their photos
    assert not copy.exists()  # and this computer's cached copy
