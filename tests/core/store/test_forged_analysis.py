"""The forged-analysis attack, end to end on a real register: a photographer with plain SQL tries to make a
photo look cleared. An analysis for someone else's photo is refused outright; their own photo imported with a
made-up analysis is accepted (it is their import, on the record in their name) and even looks cleared, but
the export checks the faces of the copy it is about to write and refuses, until the photo is re-checked and
every face decided. The old analysis stays in the trail, which still verifies."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from tests.data.lifecycle_fixtures import add_photo
from tests.data.team_people import PASSWORDS

from consentdesk.core.review import export, recheck, workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState, FindingState

FORGED = json.dumps({"analyser_version": "forged", "error": None, "faces": [], "findings": []})


def test_a_forged_analysis_never_lets_a_face_out(team_register, tmp_path: Path, monkeypatch):
    """Pat tries to make a photo look cleared: an analysis for Paula's photo is refused outright; his own
    photo imported with a made-up empty analysis is accepted (it is his import, in his name), looks
    cleared, and the export refuses it because the face check of the copy finds the faces."""
    from tests.data.builders import build_image

    server, database, _ = team_register
    pat_url = server.url(database, user="pat", password=PASSWORDS["pat"])
    picture, truth = build_image(3, (1200, 900), 0)
    assert len(truth.faces) >= 2
    path = tmp_path / "group.jpg"
    picture.save(path, quality=90)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with Catalogue.open(server.url(database, user="paula", password=PASSWORDS["paula"]), create=False) as paula:
        theirs = add_photo(paula, tmp_path / "p.jpg", [[500, 500, 90, 90]], sha="d" * 64)
    forged = FORGED
    with psycopg.connect(pat_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO analyses(image_id, analyser_version, analysed_at, timings) "
                "VALUES (%s, 'forged', '2099-01-01T00:00:00+00:00', '{}')",
                (theirs,),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT cd_recheck_photo(%s, %s::jsonb)", (theirs, forged))
        with pytest.raises(psycopg.errors.RestrictViolation, match="already in the team register"):
            conn.execute(
                "SELECT * FROM cd_import_photo(%s, '/x', 1, 10, 10, NULL, NULL, NULL, %s::jsonb, NULL)",
                ("d" * 64, forged),
            )
        image_id, added = conn.execute(
            "SELECT * FROM cd_import_photo(%s, %s, %s, 1200, 900, NULL, NULL, NULL, %s::jsonb, %s)",
            (sha, str(path), len(data), forged, data),
        ).fetchone()
        assert added
    rita_url = server.url(database, user="rita", password=PASSWORDS["rita"])
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "reviewer-computer"))
    with Catalogue.open(rita_url, create=False) as rita:
        imported = next(e for e in rita.audit_entries() if e.action == "image.imported" and e.subject == f"image:{image_id}")
        assert imported.actor == "pat" and imported.details["analyser"] == "forged"  # on the record, in his name
        status = workflow.status(rita, image_id, date.today(), ["instagram"])
        assert status.clearances["instagram"].cleared  # the forgery fools the clearance...
        with pytest.raises(export.ExportError, match="face check of the copy about to be exported found"):
            export.approve(rita, image_id, ["instagram"], tmp_path / "exports")  # ...not the export
        assert not list((tmp_path / "exports").glob("*.jpg")) and rita.review_approvals(image_id) == []
        # The reviewer re-checks the photo (the forged analysis stays in the trail) and decides each face.
        changes = recheck.recheck_image(rita, image_id)
        assert changes.error is None and len(changes.carried.new_faces) >= 2
        for face in rita.review_state(image_id).faces:
            rita.add_face_decision(image_id, face, FaceState.BLUR, None)
        for finding in rita.review_state(image_id).findings:
            rita.add_finding_decision(image_id, finding, FindingState.REDACT, None)
        result = export.approve(rita, image_id, ["instagram"], tmp_path / "exports")
        assert result.path.is_file()
        analyses = [e for e in rita.audit_entries() if e.subject == f"image:{image_id}" and e.action in ("image.imported", "image.reanalysed")]
        assert [e.actor for e in analyses] == ["pat", "rita"]
        assert rita.verify_audit().ok
