"""Decisions about many faces at once (a crowd), through `review.workflow`, on both engines."""

from __future__ import annotations

import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face, write_crowd_photo

from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, ConflictError
from consentdesk.core.values import FaceState


@pytest.fixture
def crowd(catalogue_locator: str, tmp_path):
    photo, boxes = write_crowd_photo(tmp_path / "shoot")
    with Catalogue.open(catalogue_locator) as cat:
        person = add_person(cat, "Front Person")
        image = add_photo(cat, photo, boxes)
        decide_face(cat, image, boxes[0], "linked", person.id)
        decide_face(cat, image, boxes[-1], "not_a_person")
        yield cat, image


def states(cat, image) -> list[FaceState]:
    return [f.state for f in cat.review_state(image).faces]


def test_blur_others_blurs_every_face_not_linked_nor_decided_in_one_action(crowd):
    cat, image = crowd
    before = states(cat, image)
    assert len(before) == 214 and before.count(FaceState.UNRESOLVED) == 212
    blurred = workflow.blur_others(cat, image, seen=cat.review_state(image))
    after = states(cat, image)
    assert len(blurred) == 212 and after.count(FaceState.BLUR) == 212
    assert after.count(FaceState.LINKED) == 1 and after.count(FaceState.NOT_A_PERSON) == 1
    assert [e.action for e in cat.audit_entries(f"image:{image}")].count("review.faces") == 1
    assert workflow.status(cat, image).blockers.unresolved_faces == 0
    assert workflow.blur_others(cat, image) == []  # nobody left


def test_a_bulk_decision_on_a_stale_view_saves_nothing(crowd):
    cat, image = crowd
    seen = cat.review_state(image)
    some = [f.n for f in seen.faces if f.state is FaceState.UNRESOLVED][:5]
    workflow.set_face(cat, image, some[2], FaceState.BLUR)  # someone else, meanwhile
    with pytest.raises(ConflictError, match=f"face {some[2]} of this photo"):
        workflow.set_faces(cat, image, some, FaceState.NOT_A_PERSON, seen=seen)
    now = {f.n: f.state for f in cat.review_state(image).faces}
    assert [now[n] for n in some] == [FaceState.UNRESOLVED] * 2 + [FaceState.BLUR] + [FaceState.UNRESOLVED] * 2
    with pytest.raises(workflow.ReviewError):
        workflow.set_faces(cat, image, [9999], FaceState.BLUR)
