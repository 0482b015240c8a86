"""Take-downs and a crowd's decisions on the team register: the server decides who may record them, in
whose name, and that a take-down is never changed; what an approval relied on is kept by the server itself;
and a take-down removed or forged behind ConsentDesk shows in `audit verify`. Through ConsentDesk and plain
SQL, as each person with their own password could."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from tests.core.store.test_tampering import Tamper
from tests.data.lifecycle_fixtures import add_person, add_photo
from tests.data.team_people import url_for

from consentdesk.core.protection.withdrawal import withdraw
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, RefusedError
from consentdesk.core.values import FaceState

FACES = [[10, 10, 50, 50], [200, 10, 50, 50], [400, 10, 50, 50]]


@pytest.fixture
def approved(team_register, tmp_path: Path):
    """Pat's photo and release; Rita links face 1, approves relying on it; the release is then withdrawn."""
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Photographed Person")
        image = add_photo(pat, tmp_path / "x.jpg", FACES, sha="3" * 64)
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        face = rita.review_state(image).faces[0]
        rita.add_face_decision(image, face, FaceState.LINKED, person.id)
        rita.record_approval("AP-9", image, date.today(), ["website"], "/exports/x.jpg", "e" * 64, [person.id])
        withdraw(rita, person.id, "asked")
    return team_register, image, person.id


def sql(register, name: str, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url_for(register, name), autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def refused_to(register, names, *statements: str) -> None:
    """Each person's plain SQL writing the table directly is refused by the server."""
    for name in names:
        for statement in statements:
            with pytest.raises(psycopg.Error):
                sql(register, name, statement)


def test_the_server_keeps_what_each_approval_relied_on(approved):
    register, _image, consent_id = approved
    _server, _database, admin_url = register
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute("SELECT approval_id, consent_id FROM approval_consents").fetchall()
    assert rows == [("AP-9", consent_id)]  # filled by the server from the approval itself
    # nobody writes these rows, so nobody can forge or hide one
    refused_to(
        register,
        ("pat", "rita", "dora"),
        "INSERT INTO approval_consents VALUES ('AP-9', 'CD-FAKE-0000')",
        "DELETE FROM approval_consents",
    )


def test_only_reviewers_and_the_officer_record_a_take_down_in_their_own_name_once(approved):
    register, image, _consent = approved
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        assert workflow.status(pat, image).badge().words == "Take down"  # a photographer sees it too
        with pytest.raises(RefusedError, match="needs the reviewer"):
            workflow.record_takedown(pat, image)
    refused_to(register, ("pat", "rita", "dora"), "INSERT INTO takedowns VALUES ('AP-9', '2026-01-01', 'someone')")
    with pytest.raises(psycopg.Error, match="permission denied"):
        sql(register, "pat", "SELECT cd_record_takedown('AP-9')")
    sql(register, "dora", "SELECT cd_record_takedown('AP-9')")  # the officer, through the server's rule
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        (approval,) = rita.review_approvals(image)
        assert approval.taken_down.recorded_by == "dora"  # the server wrote who really did it
        assert workflow.status(rita, image).badge().words != "Take down"
        entry = rita.audit_entries(f"image:{image}")[-1]
        assert entry.actor == "dora" and entry.action == "approval.taken_down"
        assert rita.verify_audit().ok  # the approval's new state is the one its entry describes
    with pytest.raises(psycopg.Error, match="already recorded by dora"):
        sql(register, "rita", "SELECT cd_record_takedown('AP-9')")
    refused_to(register, ("rita", "dora"), "UPDATE takedowns SET recorded_by = 'someone'", "DELETE FROM takedowns")


def test_a_take_down_removed_or_forged_behind_consentdesk_shows(approved):
    register, image, _consent = approved
    _server, _database, admin_url = register
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        workflow.record_takedown(rita, image)
    with Catalogue.open(admin_url) as owner:  # the one superpower: the register's owner, with plain SQL
        tamper = Tamper(owner)
        tamper.run("DELETE FROM takedowns", without=(("takedowns_append_only", "takedowns"),))
        tamper.close()
        report = owner.verify_audit()
        assert not report.ok
        assert any("approval AP-9 differs from its last audited state" in p for p in report.problems), report.problems


def test_a_crowd_decision_goes_through_the_server_for_reviewers_only(approved):
    register, image, _consent = approved
    with Catalogue.open(url_for(register, "rita"), create=False) as rita:
        blurred = workflow.blur_others(rita, image, seen=rita.review_state(image))
        assert blurred == [2, 3]
        entry = rita.audit_entries(f"image:{image}")[-1]
        assert entry.action == "review.faces" and entry.actor == "rita" and entry.details["faces"] == [2, 3]
        assert rita.verify_audit().ok
        face_ids = [f.face_id for f in rita.review_state(image).faces]
    with (
        Catalogue.open(url_for(register, "pat"), create=False) as pat,
        pytest.raises(RefusedError, match="needs the reviewer"),
    ):
        workflow.set_faces(pat, image, [2, 3], FaceState.UNRESOLVED)
    with pytest.raises(psycopg.Error, match="each named once|current analysis"):
        sql(register, "rita", "SELECT cd_decide_faces(%s, %s, 'blur')", (image, [face_ids[1], face_ids[1]]))
    with pytest.raises(psycopg.Error, match="links name a release"):
        sql(register, "rita", "SELECT cd_decide_faces(%s, %s, 'linked')", (image, face_ids[1:]))
