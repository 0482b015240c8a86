"""Take-downs on the team register: the server decides who may record one, in whose name, and that it is
never changed; what an approval relied on is kept by the server itself. Through ConsentDesk and plain SQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo
from tests.data.team_people import url_for

from consentdesk.core.protection.withdrawal import withdraw
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, RefusedError
from consentdesk.core.values import FaceState


@pytest.fixture
def approved(team_register, tmp_path: Path):
    """Pat's photo, linked by Rita to Pat's release and approved by her; the release then withdrawn."""
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Photographed Person")
        image = add_photo(pat, tmp_path / "x.jpg", [[10, 10, 50, 50]], sha="3" * 64)
    with Catalogue.open(url_for(team_register, "rita"), create=False) as rita:
        face = rita.review_state(image).faces[0]
        rita.add_face_decision(image, face, FaceState.LINKED, person.id)
        rita.record_approval("AP-9", image, date.today(), ["website"], "/exports/x.jpg", "e" * 64, [person.id])
        withdraw(rita, person.id, "asked")
    return team_register, image, person.id


def sql(register, name: str, statement: str, params: tuple = ()) -> None:
    with psycopg.connect(url_for(register, name), autocommit=True) as conn:
        conn.execute(statement, params)


def test_the_server_keeps_what_each_approval_relied_on(approved):
    register, _image, consent_id = approved
    _server, _database, admin_url = register
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute("SELECT approval_id, consent_id FROM approval_consents").fetchall()
    assert rows == [("AP-9", consent_id)]  # filled by the server from the approval itself
    for name in ("pat", "rita", "dora"):  # nobody writes these rows, so nobody can forge or hide one
        with pytest.raises(psycopg.Error):
            sql(register, name, "INSERT INTO approval_consents VALUES ('AP-9', 'CD-FAKE-0000')")
        with pytest.raises(psycopg.Error):
            sql(register, name, "DELETE FROM approval_consents")


def test_only_reviewers_and_the_officer_record_a_take_down_in_their_own_name(approved):
    register, image, _consent = approved
    with Catalogue.open(url_for(register, "pat"), create=False) as pat:
        assert workflow.status(pat, image).badge().words == "Take down"  # a photographer sees it too
        with pytest.raises(RefusedError, match="needs the reviewer"):
            workflow.record_takedown(pat, image)
    with pytest.raises(psycopg.Error):
        sql(register, "pat", "INSERT INTO takedowns VALUES ('AP-9', '2026-01-01', 'pat')")
    sql(register, "rita", "INSERT INTO takedowns VALUES ('AP-9', '2026-01-01', 'dora')")  # another name
    with Catalogue.open(url_for(register, "dora"), create=False) as dora:
        (approval,) = dora.review_approvals(image)
        assert approval.taken_down.recorded_by == "rita"  # the server wrote who really did it
        assert workflow.status(dora, image).badge().words != "Take down"
    for name in ("rita", "dora"):
        with pytest.raises(psycopg.Error):
            sql(register, name, "UPDATE takedowns SET recorded_by = 'someone'")
        with pytest.raises(psycopg.Error):
            sql(register, name, "DELETE FROM takedowns")
