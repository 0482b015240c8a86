"""The attacker's view of clips on a team register (docs/threat-model.md, "what a new table or write must do"):
a photographer with psql and their own password forging a clip's analysis or tracks, or saying two tracks of
someone else's clip are one person; a reviewer's "same person" call crafted to get round its rules; the owner
editing a clip's tracks behind ConsentDesk. Each is refused, or shows in the audit verification.

(test_attacks.py tries every table and every function of another role on its own register, clips' included.)
"""

from __future__ import annotations

import json

import psycopg
import pytest
from tests.core.review.test_same_person import add_clip
from tests.core.store.test_catalogue_clips import clip_analysis
from tests.data.raw_sql import REFUSED
from tests.data.team_people import url_for

from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, RefusedError
from consentdesk.core.store.images import analysis_payload
from consentdesk.core.values import FaceState


@pytest.fixture(scope="module")
def register(pg_server):
    """A register after `team init` where Pat and Paula each imported a clip and Rita joined two of Pat's
    tracks; yields (register, facts)."""
    from tests.data.team_people import PASSWORDS, ROLES

    from consentdesk.core.store import team

    database = pg_server.new_database("clips")
    with Catalogue.open(pg_server.url(database)) as owner:
        team.init(owner)
        for name, role in ROLES.items():
            team.add_user(owner, name, role, PASSWORDS[name])
    reg = (pg_server, database, None)
    facts: dict = {}
    with Catalogue.open(url_for(reg, "pat"), create=False) as pat:
        facts["pat_clip"] = add_clip(pat, sha="1" * 64)
    with Catalogue.open(url_for(reg, "paula"), create=False) as paula:
        facts["paula_clip"] = add_clip(paula, sha="2" * 64)
    with Catalogue.open(url_for(reg, "rita"), create=False) as rita:
        workflow.same_person(rita, facts["pat_clip"], 3, 1)
        facts["pat_faces"] = [f.face_id for f in rita.review_state(facts["pat_clip"]).faces]
        facts["paula_faces"] = [f.face_id for f in rita.review_state(facts["paula_clip"]).faces]
    yield reg, facts
    with pg_server.admin() as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        for name in ROLES:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def connect(register, name: str) -> psycopg.Connection:
    return psycopg.connect(url_for(register[0], name), autocommit=True)


def rows(register, table: str) -> str:
    (server, database, _), _facts = register
    with server.admin(database) as conn:
        return conn.execute(f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t").fetchone()[0]


def state(register) -> tuple[str, ...]:
    return tuple(rows(register, t) for t in ("clip_analyses", "track_merges", "analyses", "faces", "audit"))


def clip_payload(**changes) -> str:
    payload = analysis_payload(clip_analysis())
    payload.update(changes)
    return json.dumps(payload)


IMPORT = "SELECT * FROM cd_import_photo(%s, '/c.mp4', 1000, 1280, 720, NULL, NULL, NULL, %s::jsonb, NULL)"


def test_a_photographer_cannot_write_a_clips_rows_or_join_its_tracks(register):
    before = state(register)
    facts = register[1]
    with connect(register, "pat") as conn:
        for statement in (
            "INSERT INTO clip_analyses(analysis_id, clip, face_tracks, finding_tracks) VALUES (1, '{}', '[]', '[]')",
            "UPDATE clip_analyses SET face_tracks = '[]'",
            "DELETE FROM clip_analyses",
            "TRUNCATE clip_analyses",
            f"INSERT INTO track_merges(image_id, face_id, same_as, decided_at, decided_by) VALUES ({facts['pat_clip']}, 1, 2, 'x', 'rita')",
            "DELETE FROM track_merges",
            f"SELECT cd_merge_tracks({facts['paula_clip']}, {facts['paula_faces'][1]}, {facts['paula_faces'][0]})",
            f"SELECT cd_merge_tracks({facts['pat_clip']}, {facts['pat_faces'][2]}, NULL)",  # undo on their own clip
            f"SELECT cd_insert_analysis({facts['pat_clip']}, '{{}}'::jsonb)",
            f"SELECT cd_recheck_photo({facts['pat_clip']}, '{{}}'::jsonb)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert state(register) == before


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"face_tracks": [[0, [[0.0, 100, 100, 60, 80, 1]]]]}, "one track for each face"),
        ({"clip": {**clip_analysis().clip.to_json(), "width": 4000}}, "size (that of the clip imported)"),
        ({"clip": {**clip_analysis().clip.to_json(), "duration": 0}}, "duration"),
        ({"face_tracks": [[0, [[0.0, 5000, 100, 60, 80, 1]]], [0, [[1.0, 10, 10, 60, 80, 1]]]]}, "box inside the frame"),
        ({"face_tracks": [[0, [[99.0, 100, 100, 60, 80, 1]]], [0, [[1.0, 10, 10, 60, 80, 1]]]]}, "inside the clip's duration"),
        ({"face_tracks": [[0, [[0.0, 100, 100, 60, 80, 2]]], [0, [[1.0, 10, 10, 60, 80, 1]]]]}, "each track of a clip"),
        ({"face_tracks": [[0, []], [0, [[1.0, 10, 10, 60, 80, 1]]]]}, "each track of a clip"),
        ({"face_tracks": [[0, [["0", 100, 100, 60, 80, 1]]], [0, [[1.0, 10, 10, 60, 80, 1]]]]}, "each track of a clip"),
        ({"face_tracks": "[]"}, "each track of a clip"),
    ],
)
def test_a_forged_clip_analysis_is_refused_at_import(register, changes, words):
    before = state(register)
    with connect(register, "pat") as conn, pytest.raises(psycopg.errors.RestrictViolation) as caught:
        conn.execute(IMPORT, ("9" * 64, clip_payload(**changes)))
    assert words in str(caught.value)
    assert state(register) == before


def test_a_well_formed_clip_is_taken_from_the_same_payload(register):
    with connect(register, "paula") as conn:
        image, added = conn.execute(IMPORT, ("8" * 64, clip_payload())).fetchone()
    assert added
    with Catalogue.open(url_for(register[0], "rita"), create=False) as rita:
        assert rita.stored_clip(image).face_tracks[0].points[1].seen is False
        assert rita.verify_audit().ok


def test_a_reviewers_same_person_call_keeps_to_the_rules(register):
    before = state(register)
    facts = register[1]
    pat, paula = facts["pat_faces"], facts["paula_faces"]
    clip = facts["pat_clip"]
    calls = [
        ((clip, paula[1], pat[0]), "is not a person track of the current analysis"),  # another clip's track
        ((clip, pat[1], paula[0]), "is not a person track of the current analysis"),  # joining another clip's
        ((clip, pat[1], pat[1]), "as itself"),
        ((clip, pat[1], pat[2]), "already the same person as another track"),  # 3 is 1: join 1, never 3
        ((clip, None, pat[0]), "is not a person track"),
        ((999999, pat[1], pat[0]), "is not a person track"),
    ]
    with connect(register, "rita") as conn:
        for args, words in calls:
            with pytest.raises(psycopg.errors.RestrictViolation) as caught:
                conn.execute("SELECT cd_merge_tracks(%s, %s, %s)", args)
            assert words in str(caught.value), (args, str(caught.value))
    assert state(register) == before


def test_a_reviewer_cannot_decide_on_a_track_joined_to_another(register):
    """Track 3 of Pat's clip is the same person as 1: a decision on 3 itself (alone, or in a crowd decision)
    would be ignored while joined and come back unseen on separating. The server refuses it; 1 is decided."""
    facts = register[1]
    clip, pat = facts["pat_clip"], facts["pat_faces"]
    before = (*state(register), rows(register, "face_decisions"))
    with connect(register, "rita") as conn:
        for statement, args in (
            ("SELECT cd_decide_face(%s, %s, 'not_a_person', NULL)", (clip, pat[2])),
            ("SELECT cd_decide_face(%s, %s, 'unresolved', NULL)", (clip, pat[2])),
            ("SELECT cd_decide_faces(%s, %s, 'blur')", (clip, [pat[1], pat[2]])),
        ):
            with pytest.raises(psycopg.errors.RestrictViolation, match="the same person as"):
                conn.execute(statement, args)
    assert (*state(register), rows(register, "face_decisions")) == before
    with Catalogue.open(url_for(register[0], "rita"), create=False) as rita:
        faces = rita.review_state(clip).faces
        with pytest.raises(RefusedError, match="person 3 is the same person as 1"):
            rita.add_face_decision(clip, faces[2], FaceState.BLUR, None)
        rita.add_face_decision(clip, faces[0], FaceState.BLUR, None)
        assert [f.state for f in workflow.image_state(rita, clip).faces][:3] == [FaceState.BLUR, FaceState.UNRESOLVED, FaceState.BLUR]
        assert rita.verify_audit().ok


def test_a_photo_has_no_tracks_to_join(register):
    with Catalogue.open(url_for(register[0], "pat"), create=False) as pat:
        photo, _ = pat.add_image(*_photo())
    with Catalogue.open(url_for(register[0], "rita"), create=False) as rita:
        faces = [f.face_id for f in rita.review_state(photo.id).faces]
    with connect(register, "rita") as conn, pytest.raises(psycopg.errors.RestrictViolation, match="is a photo"):
        conn.execute("SELECT cd_merge_tracks(%s, %s, %s)", (photo.id, faces[1], faces[0]))


def _photo():
    from consentdesk.core.store import NewImage
    from consentdesk.core.values import Analysis, Box, Face

    faces = (Face(Box(10, 10, 40, 40), 0.9), Face(Box(200, 10, 40, 40), 0.9))
    return NewImage("7" * 64, "/p.jpg", 10, 400, 300), Analysis("p.jpg", 400, 300, faces, (), "t")


def test_a_photographer_reads_only_their_own_clips_rows(register):
    facts = register[1]
    with connect(register, "pat") as conn:
        analyses = {r[0] for r in conn.execute("SELECT id FROM analyses WHERE image_id = %s", (facts["pat_clip"],))}
        assert {r[0] for r in conn.execute("SELECT analysis_id FROM clip_analyses")} == analyses
        assert [r[0] for r in conn.execute("SELECT image_id FROM track_merges")] == [facts["pat_clip"]]
    with connect(register, "paula") as conn:
        assert conn.execute("SELECT count(*) FROM track_merges").fetchone() == (0,)
        assert facts["pat_clip"] not in {r[0] for r in conn.execute("SELECT a.image_id FROM clip_analyses c JOIN analyses a ON a.id = c.analysis_id")}
    with connect(register, "adam") as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM clip_analyses) + (SELECT count(*) FROM track_merges)").fetchone() == (0,)


def test_the_owner_cannot_edit_a_clips_tracks_or_joins_and_a_lifted_guard_shows(register):
    (server, database, _), facts = register
    with server.admin(database) as conn:
        for statement in (
            "UPDATE clip_analyses SET face_tracks = '[]'",
            "DELETE FROM clip_analyses",
            "TRUNCATE clip_analyses CASCADE",
            "UPDATE track_merges SET same_as = NULL",
            "DELETE FROM track_merges",
            "TRUNCATE track_merges",
        ):
            with pytest.raises(REFUSED), conn.transaction():
                conn.execute(statement)
    # Lifting the guard for one edit (only the owner can) leaves the edit in plain view.
    with server.admin(database) as conn:
        conn.execute("ALTER TABLE clip_analyses DISABLE TRIGGER clip_analyses_immutable")
        conn.execute("UPDATE clip_analyses SET face_tracks = '[]' WHERE analysis_id = (SELECT max(id) FROM analyses WHERE image_id = %s)", (facts["pat_clip"],))
        conn.execute("ALTER TABLE track_merges DISABLE TRIGGER track_merges_immutable")
        conn.execute("UPDATE track_merges SET same_as = NULL")
    with Catalogue.open(url_for(register[0], "rita"), create=False) as rita:
        report = rita.verify_audit()
    assert not report.ok
    assert any("analysis" in p and "differs from its last audited state" in p for p in report.problems), report.problems
    assert any("same-person decision" in p and "differs" in p for p in report.problems), report.problems
    assert any("clip_analyses_immutable" in p and "disabled" in p for p in report.problems), report.problems
