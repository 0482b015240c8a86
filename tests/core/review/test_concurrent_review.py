"""Two reviewers on the same photo never lose each other's work: a decision made on a stale view is refused
with a clear message, on both engines."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo

from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, ConflictError
from consentdesk.core.values import FaceState, FindingState

A = [100, 100, 80, 100]


def test_a_decision_on_a_stale_view_is_refused(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as setup:
        ann, bob = add_person(setup, "Ann Example"), add_person(setup, "Bob Example")
        image = add_photo(setup, tmp_path / "x.jpg", [A], findings=[[10, 500, 200, 30]], sha="8" * 64)
    with Catalogue.open(catalogue_locator) as first, Catalogue.open(catalogue_locator) as second:
        first_view = workflow.image_state(first, image)
        second_view = workflow.image_state(second, image)
        workflow.link_face(second, image, 1, ann.id, seen=second_view)
        with pytest.raises(
            ConflictError,
            match=r"face 1 of this photo \(id \d+\) was just changed .*it is now linked to " + ann.id,
        ):
            workflow.link_face(first, image, 1, bob.id, seen=first_view)
        with pytest.raises(ConflictError):
            workflow.set_face(first, image, 1, FaceState.BLUR, seen=first_view)
        assert workflow.image_state(first, image).faces[0].consent_id == ann.id  # the first decision stands
        reloaded = workflow.image_state(first, image)
        workflow.set_face(first, image, 1, FaceState.BLUR, seen=reloaded)  # on the fresh view it goes through
        workflow.set_finding(second, image, 1, FindingState.REDACT, seen=second_view)
        with pytest.raises(ConflictError, match="finding F1"):
            workflow.set_finding(first, image, 1, FindingState.DISMISSED, "harmless", seen=first_view)
        assert first.verify_audit().ok


def test_two_reviewers_at_once_give_one_winner_and_one_clear_refusal(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as setup:
        people = [add_person(setup, "Ann Example"), add_person(setup, "Bob Example")]
        image = add_photo(setup, tmp_path / "x.jpg", [A], sha="9" * 64)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def reviewer(person_index: int) -> None:
        with Catalogue.open(catalogue_locator) as cat:
            view = workflow.image_state(cat, image)
            start.wait()
            try:
                workflow.link_face(cat, image, 1, people[person_index].id, seen=view)
                outcomes.append("linked")
            except ConflictError as exc:
                outcomes.append("refused: " + str(exc))

    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["linked", "refused"]
    assert "was just changed" in next(o for o in outcomes if o.startswith("refused"))
    with Catalogue.open(catalogue_locator) as cat:
        assert cat.review_state(image).faces[0].state == "linked"
        assert cat.verify_audit().ok


def test_a_withdrawal_by_one_person_blocks_the_photo_for_everyone(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as reviewer, Catalogue.open(catalogue_locator) as officer:
        ann = add_person(reviewer, "Ann Example")
        image = add_photo(reviewer, tmp_path / "x.jpg", [A], sha="a" * 64)
        workflow.link_face(reviewer, image, 1, ann.id)
        assert workflow.status(reviewer, image, channels=["website"]).clearances["website"].cleared
        officer.withdraw_consent(ann.id, ann.signed_at.date(), "asked by phone")
        after = workflow.status(reviewer, image, channels=["website"])
        assert not after.clearances["website"].cleared
