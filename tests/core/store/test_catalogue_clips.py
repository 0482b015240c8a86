"""Clips in a real catalogue (both engines): their facts and tracks stored with the analysis, tracks
numbered by first appearance, decisions on tracks as on faces."""

from __future__ import annotations

import pytest
from tests.core.store.test_tampering import Tamper

from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import (
    Analysis,
    Box,
    ClipInfo,
    ClipTrack,
    Face,
    FaceState,
    Finding,
    FindingKind,
    Severity,
    TrackPoint,
)


@pytest.fixture
def catalogue(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        yield cat


def _track(t0: float, x: int, shot: int = 0) -> ClipTrack:
    return ClipTrack(
        (
            TrackPoint(t0, Box(x, 100, 60, 80), True, 0.9),
            TrackPoint(t0 + 0.1, Box(x + 5, 100, 60, 80), False),
            TrackPoint(t0 + 0.33, Box(x + 15, 100, 60, 80), True, 0.8),
        ),
        shot,
    )


def clip_analysis() -> Analysis:
    # the person on the right appears first: clips number people by first appearance, not reading order
    first, second = _track(0.0, 900), _track(2.0, 100, shot=1)
    label = _track(1.0, 500)
    return Analysis(
        path="reel.mp4",
        width=1280,
        height=720,
        faces=(Face(first.best.box, 0.9), Face(second.best.box, 0.9)),
        findings=(Finding(FindingKind.NHS_NUMBER, label.best.box, "943 476 5919", Severity.HIGH),),
        analyser_version="clips-test",
        clip=ClipInfo("reel.mp4", 1280, 720, 6.0, 30.0, 180, "h264", 0, True, "aac"),
        face_tracks=(first, second),
        finding_tracks=(label,),
    )


def test_a_clips_tracks_are_stored_with_its_analysis_and_numbered_by_first_appearance(catalogue: Catalogue):
    record, added = catalogue.add_image(
        NewImage(sha256="c" * 64, path="/clips/reel.mp4", file_size=1000, width=1280, height=720),
        clip_analysis(),
    )
    assert added
    stored = catalogue.stored_clip(record.id)
    assert stored is not None and stored.info.duration == 6.0 and stored.info.has_audio
    assert [t.first for t in stored.face_tracks] == [0.0, 2.0]
    assert [t.shot for t in stored.face_tracks] == [0, 1]
    assert stored.face_tracks[0].points[1] == TrackPoint(0.1, Box(905, 100, 60, 80), False)
    state = workflow.image_state(catalogue, record.id)
    assert [f.box.x for f in state.faces] == [900, 100]  # face 1 is the person seen first (on the right)
    assert "5919" not in state.findings[0].text or "943" not in state.findings[0].text  # masked
    assert catalogue.clip_ids([record.id]) == {record.id}
    # decisions on tracks are decisions on faces
    workflow.set_face(catalogue, record.id, 2, FaceState.BLUR)
    assert workflow.image_state(catalogue, record.id).faces[1].state is FaceState.BLUR


def test_a_photo_has_no_clip(catalogue: Catalogue):
    record, _ = catalogue.add_image(
        NewImage(sha256="d" * 64, path="/photos/x.jpg", file_size=10, width=400, height=300),
        Analysis(path="x.jpg", width=400, height=300, analyser_version="t"),
    )
    assert catalogue.stored_clip(record.id) is None
    assert catalogue.clip_ids([record.id]) == set()


def add_clip_record(cat: Catalogue) -> int:
    record, _ = cat.add_image(
        NewImage(sha256="c" * 64, path="/clips/reel.mp4", file_size=1000, width=1280, height=720), clip_analysis()
    )
    return record.id


def test_an_edited_track_shows_in_the_audit_verification(catalogue: Catalogue):
    clip = add_clip_record(catalogue)
    assert catalogue.verify_audit().ok
    analysis = catalogue.stored_clip(clip).analysis_id
    tamper = Tamper(catalogue)  # someone with the file (or the register's owner) lifts the guard for one edit
    tamper.run(
        f"UPDATE clip_analyses SET face_tracks = '[]' WHERE analysis_id = {analysis}",
        without=(("clip_analyses_immutable", "clip_analyses"),),
    )
    tamper.close()
    report = catalogue.verify_audit()
    assert not report.ok
    assert any(f"analysis {analysis} differs from its last audited state" in p for p in report.problems), report.problems


def test_clips_analysed_before_their_tracks_counted_are_restated_at_the_upgrade(catalogue_locator: str, monkeypatch):
    """A catalogue of versions 8-9 audited a clip's analysis without its clip row; the upgrade to 10 says
    what each one's state was and now is, so the trail verifies and a later edit of the tracks shows."""
    from consentdesk.core.store import catalogue as catalogue_module
    from consentdesk.core.store import migrations, states

    with monkeypatch.context() as old:  # ConsentDesk as it was at version 9
        old.setattr(catalogue_module, "LATEST_VERSION", 9)
        old.setattr(catalogue_module, "migrate", lambda conn: migrations.migrate(conn, 9))
        old.setattr(states, "_with_clips", lambda _db, _ids, digests: digests)
        with Catalogue.open(catalogue_locator) as cat:
            clip = add_clip_record(cat)
    with Catalogue.open(catalogue_locator) as cat:
        entries = [e for e in cat.audit_entries() if e.action == "clips.restated"]
        assert [e.details["clips"] for e in entries] == [1]
        before, after = entries[0].details["states"][0][2:]
        assert before != after
        report = cat.verify_audit()
        assert report.ok, report.problems
        assert cat.stored_clip(clip) is not None
