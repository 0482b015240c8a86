""""Same person as 3" on a clip's person tracks, on both engines: the joined track follows the decision of
the track it joined, the people are counted once, undo gives the track its own decision back, the decision is
in the audit trail with its state, and what makes no sense is refused."""

from __future__ import annotations

from datetime import date

import pytest
from tests.core.store.test_catalogue_clips import _track
from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.protection.clips import overall_span, person_spans
from consentdesk.core.protection.sar import tracks_to_blur
from consentdesk.core.review import policy, workflow
from consentdesk.core.review.recheck import recheck_image
from consentdesk.core.store import Catalogue, NewImage, RefusedError
from consentdesk.core.values import Analysis, Box, ClipInfo, ClipTrack, Face, FaceState, TrackPoint

TODAY = date.today()


@pytest.fixture
def catalogue(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        yield cat


def add_clip(cat: Catalogue, people: int = 4, sha: str = "c" * 64) -> int:
    """A clip whose analysis has `people` person tracks, one after the other (track n from n - 1 s)."""
    tracks = tuple(_track(float(i), 100 + 200 * i) for i in range(people))
    analysis = Analysis(
        path="walk.mp4",
        width=1280,
        height=720,
        faces=tuple(Face(t.best.box, 0.9) for t in tracks),
        findings=(),
        analyser_version="clips-test",
        clip=ClipInfo("walk.mp4", 1280, 720, 8.0, 30.0, 240, "h264", 0, False, None),
        face_tracks=tracks,
        finding_tracks=(),
    )
    record, _ = cat.add_image(
        NewImage(sha256=sha, path="/clips/walk.mp4", file_size=1000, width=1280, height=720), analysis
    )
    return record.id


def summary(cat: Catalogue, clip: int) -> str:
    return workflow.status(cat, clip, TODAY).summary


def test_a_joined_track_follows_the_decision_of_the_track_it_joined_and_counts_once(catalogue: Catalogue):
    clip = add_clip(catalogue)
    assert summary(catalogue, clip).startswith("4 people detected")
    assert workflow.same_person(catalogue, clip, 3, 1) == 1
    state = workflow.image_state(catalogue, clip)
    assert [f.same_as for f in state.faces] == [None, None, 1, None]
    assert summary(catalogue, clip).startswith("3 people detected, 0 with consent — 3 need attention")
    assert policy.blockers(state, {}, {}, TODAY).unresolved_faces == 3

    workflow.set_face(catalogue, clip, 1, FaceState.BLUR)
    state = workflow.image_state(catalogue, clip)
    assert [f.state for f in state.faces][:3] == [FaceState.BLUR, FaceState.UNRESOLVED, FaceState.BLUR]
    person = add_person(catalogue, "Ada Walker")
    workflow.link_face(catalogue, clip, 1, person.id)
    joined = workflow.image_state(catalogue, clip).faces[2]
    assert (joined.state, joined.consent_id) == (FaceState.LINKED, person.id)
    assert summary(catalogue, clip).startswith("3 people detected, 1 with consent")
    # a joined track is decided with the person it joined, not on its own
    with pytest.raises(workflow.ReviewError, match="person 3 is the same person as 1: decide on 1"):
        workflow.set_face(catalogue, clip, 3, FaceState.NOT_A_PERSON)
    with pytest.raises(workflow.ReviewError, match="same person as 1"):
        workflow.link_face(catalogue, clip, 3, person.id)


def test_the_store_itself_refuses_a_decision_on_a_joined_track(catalogue: Catalogue):
    """Not only the workflow: a decision written straight to the store on a joined track (which would be
    ignored while joined and come back unseen on separating) is refused, alone or in a crowd decision."""
    clip = add_clip(catalogue)
    workflow.same_person(catalogue, clip, 3, 1)
    faces = workflow.image_state(catalogue, clip).faces
    with pytest.raises(RefusedError, match="person 3 is the same person as 1"):
        catalogue.add_face_decision(clip, faces[2], FaceState.NOT_A_PERSON, None)
    with pytest.raises(RefusedError, match="person 3 is the same person as 1"):
        catalogue.add_face_decisions(clip, [faces[1], faces[2]], FaceState.BLUR)
    assert {f.state for f in workflow.image_state(catalogue, clip).faces} == {FaceState.UNRESOLVED}
    workflow.separate_person(catalogue, clip, 3)
    catalogue.add_face_decision(clip, faces[2], FaceState.NOT_A_PERSON, None)  # a person of its own again
    assert workflow.image_state(catalogue, clip).faces[2].state is FaceState.NOT_A_PERSON


def test_undo_gives_the_track_its_own_decision_back(catalogue: Catalogue):
    clip = add_clip(catalogue)
    workflow.set_face(catalogue, clip, 4, FaceState.NOT_A_PERSON)
    workflow.same_person(catalogue, clip, 4, 2)
    workflow.set_face(catalogue, clip, 2, FaceState.BLUR)
    assert workflow.image_state(catalogue, clip).faces[3].state is FaceState.BLUR
    workflow.separate_person(catalogue, clip, 4)
    state = workflow.image_state(catalogue, clip)
    assert (state.faces[3].state, state.faces[3].same_as) == (FaceState.NOT_A_PERSON, None)
    assert summary(catalogue, clip).startswith("4 people detected")
    with pytest.raises(workflow.ReviewError, match="nothing to undo"):
        workflow.separate_person(catalogue, clip, 4)


def test_joining_a_joined_track_joins_its_person(catalogue: Catalogue):
    clip = add_clip(catalogue)
    workflow.same_person(catalogue, clip, 2, 1)
    assert workflow.same_person(catalogue, clip, 4, 2) == 1  # 2 is person 1: 4 joins 1
    workflow.same_person(catalogue, clip, 1, 3)  # and person 1 (with 2 and 4) turns out to be 3
    state = workflow.image_state(catalogue, clip)
    assert [f.same_as for f in state.faces] == [3, 3, None, 3]
    assert summary(catalogue, clip).startswith("1 person detected")
    workflow.set_face(catalogue, clip, 3, FaceState.BLUR)
    assert all(f.state is FaceState.BLUR for f in workflow.image_state(catalogue, clip).faces)


def test_what_makes_no_sense_is_refused(catalogue: Catalogue):
    clip = add_clip(catalogue)
    with pytest.raises(workflow.ReviewError, match="already the same person"):
        workflow.same_person(catalogue, clip, 2, 2)
    workflow.same_person(catalogue, clip, 2, 1)
    for n, as_n in ((2, 1), (1, 2)):
        with pytest.raises(workflow.ReviewError, match="already the same person"):
            workflow.same_person(catalogue, clip, n, as_n)
    with pytest.raises(workflow.ReviewError, match="there is no face 9"):
        workflow.same_person(catalogue, clip, 9, 1)
    photo, _ = catalogue.add_image(
        NewImage(sha256="d" * 64, path="/p/x.jpg", file_size=10, width=400, height=300),
        Analysis("x.jpg", 400, 300, (Face(Box(10, 10, 40, 40), 0.9), Face(Box(200, 10, 40, 40), 0.9)), (), "t"),
    )
    with pytest.raises(workflow.ReviewError, match="is a photo"):
        workflow.same_person(catalogue, photo.id, 2, 1)


def test_same_person_decisions_are_audited_with_their_state(catalogue: Catalogue):
    clip = add_clip(catalogue)
    workflow.same_person(catalogue, clip, 3, 1)
    workflow.separate_person(catalogue, clip, 3)
    entries = [e for e in catalogue.audit_entries() if e.action == "review.same_person"]
    assert [(e.details["face"], e.details["same_as"]) for e in entries] == [(3, 1), (3, None)]
    assert all(e.details["states"][0][0] == "track_merge" for e in entries)
    report = catalogue.verify_audit()
    assert report.ok, report.problems


def _reanalysis(cat: Catalogue, clip: int, keep: list[int], shift: int = 4) -> Analysis:
    """The clip as a new check finds it: only the tracks `keep` (by their numbers now), a few pixels off."""
    stored = cat.stored_clip(clip)
    tracks = tuple(
        ClipTrack(tuple(TrackPoint(p.t, Box(p.box.x + shift, p.box.y, p.box.w, p.box.h), p.seen, p.score)
                        for p in stored.face_tracks[n - 1].points), 0)
        for n in keep
    )
    return Analysis(
        path="walk.mp4", width=1280, height=720, faces=tuple(Face(t.best.box, 0.9) for t in tracks), findings=(),
        analyser_version="clips-test 2", clip=ClipInfo("walk.mp4", 1280, 720, 8.0, 30.0, 240, "h264", 0, False, None),
        face_tracks=tracks, finding_tracks=(),
    )


def test_a_recheck_carries_same_person_by_time_and_place_and_says_what_it_dropped(catalogue: Catalogue):
    """3 is 1 and 4 is 2; the new check finds 1, 3 and 4 again (now 1, 2, 3) but not 2: "3 is 1" comes
    along with 1's decision, "4 is 2" cannot be mapped, so it is dropped, said, and 4 needs a decision."""
    clip = add_clip(catalogue)
    workflow.same_person(catalogue, clip, 3, 1)
    workflow.same_person(catalogue, clip, 4, 2)
    workflow.set_face(catalogue, clip, 1, FaceState.BLUR)
    workflow.set_face(catalogue, clip, 2, FaceState.NOT_A_PERSON)
    result = recheck_image(catalogue, clip, analyse=lambda _path: _reanalysis(catalogue, clip, [1, 3, 4]))
    state = workflow.image_state(catalogue, clip)
    assert [(f.same_as, f.state) for f in state.faces] == [
        (None, FaceState.BLUR), (1, FaceState.BLUR), (None, FaceState.UNRESOLVED)
    ]
    assert [f.n for f in result.carried.dropped_joins] == [4] and [f.n for f in result.carried.gone_faces] == [2]
    lines = "\n".join(result.lines())
    assert "person 2 is still the same person as 1" in lines
    assert "person 4 was the same person as 2: not carried over" in lines
    assert summary(catalogue, clip).startswith("2 people detected")
    assert catalogue.verify_audit().ok


def test_a_recheck_matches_tracks_over_their_length_not_by_one_box(catalogue: Catalogue):
    """A track of the new check that is somewhere else is not the old track, however its best box looks."""
    clip = add_clip(catalogue, people=2)
    workflow.set_face(catalogue, clip, 1, FaceState.BLUR)
    result = recheck_image(catalogue, clip, analyse=lambda _path: _reanalysis(catalogue, clip, [1, 2], shift=400))
    assert result.carried.faces == () and len(result.carried.new_faces) == 2
    assert {f.state for f in workflow.image_state(catalogue, clip).faces} == {FaceState.UNRESOLVED}


def test_a_person_joined_to_the_requester_is_theirs_in_a_sar_copy_and_in_the_seconds_seen(catalogue: Catalogue):
    clip = add_clip(catalogue)
    person = add_person(catalogue, "Ada Walker")
    workflow.link_face(catalogue, clip, 1, person.id)
    workflow.same_person(catalogue, clip, 3, 1)
    assert catalogue.images_linked_to(person.id) == {clip: [1]}
    assert tracks_to_blur(catalogue.review_state(clip), person.id) == [2, 4]
    assert [n for n, _first, _last in person_spans(catalogue, clip, [1])] == [1, 3]
    assert overall_span(person_spans(catalogue, clip, [1])) == (0.0, 2.33)
