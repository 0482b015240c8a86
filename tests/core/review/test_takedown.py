"""Badges that tell the truth: an approved photo whose release lapsed says "Take down" until someone records
that its copies came down, through the public functions the app and the command line call, on both engines.

A copy out there shows the people it showed when it was approved, so withdrawal, expiry and erasure of a
release it relied on each make it due; an erasure (which removes the person's face links and rejects the
photo) must not hide it. Recording the take-down is audited and append-only.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError
from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face

from consentdesk.core.protection import erasure
from consentdesk.core.protection.expiry import expiry_dashboard
from consentdesk.core.protection.withdrawal import takedown_list, withdraw
from consentdesk.core.review import policy, workflow
from consentdesk.core.store import Catalogue, CatalogueError

A, B = [100, 100, 80, 100], [600, 100, 80, 100]


@pytest.fixture
def cat(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as c:
        yield c


def approved_photo(cat: Catalogue, tmp_path: Path, *, duration: str = "2y", signed_days_ago: int = 0):
    """A photo with Alice linked and Bob blurred, approved and exported for Instagram relying on Alice."""
    alice = add_person(cat, "Alice Example", duration=duration, signed_days_ago=signed_days_ago)
    image = add_photo(cat, tmp_path / "group.jpg", [A, B], sha="a" * 64)
    decide_face(cat, image, A, "linked", alice.id)
    decide_face(cat, image, B, "blur")
    approve(cat, image, "AP-1", ["instagram"], "/exports/group-instagram.jpg", [alice.id])
    return alice, image


def test_an_approved_photo_is_approved_until_its_release_lapses(cat, tmp_path):
    alice, image = approved_photo(cat, tmp_path)
    status = workflow.status(cat, image)
    assert status.takedown == () and status.badge() is policy.Badge.APPROVED
    assert workflow.image_badge(cat, image) is policy.Badge.APPROVED
    assert image not in cat.image_ids_to_verify()  # a live approval keeps it off the list

    withdraw(cat, alice.id, "asked by phone")
    status = workflow.status(cat, image)
    assert status.badge() is policy.Badge.TAKE_DOWN and status.badge().words == "Take down"
    assert [a.id for a in status.to_take_down] == ["AP-1"]
    (reason,) = status.takedown
    assert reason.startswith("Approval AP-1 (instagram, approved ") and f"{alice.id} (withdrawn)" in reason
    assert "Alice" not in reason  # ids, never names
    items = workflow.queue(cat)
    assert [(i.image.id, i.badge) for i in items] == [(image, policy.Badge.TAKE_DOWN)]  # back on the list


def test_recording_the_take_down_ends_it_and_is_audited_once(cat, tmp_path):
    alice, image = approved_photo(cat, tmp_path)
    withdraw(cat, alice.id, "asked by phone")
    (done,) = workflow.record_takedown(cat, image)
    assert done.approval_id == "AP-1" and done.recorded_by == cat.actor
    status = workflow.status(cat, image)
    assert status.takedown == () and not status.approvals[0].live
    assert status.badge() is policy.Badge.ATTENTION  # linked to a withdrawn release: not "Approved" either
    entry = cat.audit_entries(f"image:{image}")[-1]
    assert entry.action == "approval.taken_down" and entry.details["approval"] == "AP-1"
    assert [s[:2] for s in entry.details["states"]] == [["approval", "AP-1"]]  # its new state, audited
    assert cat.verify_audit().ok
    with pytest.raises(workflow.ReviewError, match="no approved copy of image"):
        workflow.record_takedown(cat, image)  # nothing left to take down
    with pytest.raises(workflow.ReviewError, match="not a live approval"):
        workflow.record_takedown(cat, image, ["AP-1"])
    with pytest.raises(CatalogueError, match="already recorded"):
        cat.record_takedown("AP-1")
    assert len([e for e in cat.audit_entries(f"image:{image}") if e.action == "approval.taken_down"]) == 1


def test_erasure_keeps_the_take_down_item_without_the_person(cat, tmp_path):
    alice, image = approved_photo(cat, tmp_path)
    withdraw(cat, alice.id, "asked by phone")
    erasure.erase(cat, alice.id)
    status = workflow.status(cat, image)
    assert status.state.rejected  # erasure blocks the photo for review, as before ...
    assert status.badge() is policy.Badge.TAKE_DOWN  # ... but the copy out there still says so first
    assert f"{alice.id} (erased)" in status.takedown[0]
    assert [i.image.id for i in workflow.queue(cat)] == [image]
    (blocked,) = expiry_dashboard(cat).blocked
    assert blocked.image.id == image and blocked.reasons == ((alice.id, "erased"),)
    assert blocked.take_down == ("AP-1",)
    listing = takedown_list(cat, alice.id)
    assert [(i.image.id, i.face_numbers, [a.id for a in i.approvals]) for i in listing.items] == [
        (image, (), ["AP-1"])
    ]
    assert listing.consent.answers == {}  # the item is kept, the person's data is not

    workflow.record_takedown(cat, image)
    assert workflow.status(cat, image).badge() is policy.Badge.REJECTED
    assert expiry_dashboard(cat).blocked == ()  # nothing is out there any more
    assert workflow.queue(cat) == []


def test_an_expired_release_makes_its_copies_due_on_the_day_after_it_ends(cat, tmp_path):
    alice, image = approved_photo(cat, tmp_path, duration="1y", signed_days_ago=300)
    end = alice.expires_on
    assert workflow.status(cat, image, on=end).badge() is policy.Badge.APPROVED
    later = end + timedelta(days=1)
    assert workflow.status(cat, image, on=later).badge() is policy.Badge.TAKE_DOWN
    assert image in cat.image_ids_to_verify(later) and image not in cat.image_ids_to_verify(end)
    assert [a.approval_id for a in cat.lapsed_approvals(later)] == ["AP-1"]
    assert cat.lapsed_approvals(date.today()) == []


def test_a_copy_taken_down_by_hand_cannot_be_changed_or_removed(cat, tmp_path):
    alice, image = approved_photo(cat, tmp_path)
    withdraw(cat, alice.id, "asked")
    workflow.record_takedown(cat, image)
    for statement in ("UPDATE takedowns SET recorded_by = 'someone'", "DELETE FROM takedowns",
                      "DELETE FROM approval_consents"):
        with pytest.raises(DBAPIError), cat._engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert not workflow.status(cat, image).approvals[0].live


def test_a_catalogue_copy_carries_recorded_take_downs_both_ways(cat, tmp_path):
    """A laptop's day handed in (merge) or a desk joining the register (verbatim): a take-down recorded on
    one side is recorded on the other, and what the approval relied on is kept by the destination itself."""
    from consentdesk.core.store.copy import copy_between

    alice, image = approved_photo(cat, tmp_path)
    withdraw(cat, alice.id, "asked")
    workflow.record_takedown(cat, image)
    fresh = tmp_path / "copy.sqlite"
    report = copy_between(cat.locator, fresh)
    assert report.mode == "new" and report.tables["takedowns"].added == 1
    merged = tmp_path / "merged.sqlite"
    with Catalogue.open(merged):
        pass  # an existing, empty catalogue with its own chain: the copy merges into it
    again = copy_between(cat.locator, merged)
    assert again.mode == "merge" and again.tables["takedowns"].added == 1
    for copy in (fresh, merged):
        with Catalogue.open(copy) as other:
            (copied,) = [i for i in other.list_images() if i.sha256 == "a" * 64]
            status = workflow.status(other, copied.id)
            assert status.badge() is not policy.Badge.TAKE_DOWN and not status.approvals[0].live
            assert [a.approval_id for a in other.lapsed_approvals(date.today())] == []
            assert other.verify_audit().ok, other.verify_audit().problems  # the copy says what it holds
    assert copy_between(cat.locator, merged).tables["takedowns"].present == 1  # twice adds nothing


def test_a_clip_approved_then_withdrawn_says_take_down_like_a_photo(cat, tmp_path):
    """Clips are image records: the same rule, the same lists (`images` rows, `queue`, `expiring`)."""
    from tests.core.store.test_catalogue_clips import clip_analysis

    from consentdesk.core.store import NewImage
    from consentdesk.core.values import FaceState, FindingState

    alice = add_person(cat, "Alice Example")
    record, _ = cat.add_image(
        NewImage(sha256="d" * 64, path=str(tmp_path / "reel.mp4"), file_size=1000, width=1280, height=720),
        clip_analysis(),
    )
    clip = record.id
    assert cat.clip_ids([clip]) == {clip}
    workflow.link_face(cat, clip, 1, alice.id)
    workflow.set_face(cat, clip, 2, FaceState.BLUR)
    workflow.set_finding(cat, clip, 1, FindingState.REDACT)
    approve(cat, clip, "AP-9", ["website"], str(tmp_path / "reel-approved-AP-9.mp4"), [alice.id])
    assert workflow.image_badge(cat, clip) is policy.Badge.APPROVED

    withdraw(cat, alice.id, "asked in person")
    (row,) = workflow.image_rows(cat, [cat.get_image(clip)])
    assert row.badge is policy.Badge.TAKE_DOWN
    assert [(i.image.id, i.badge) for i in workflow.queue(cat)] == [(clip, policy.Badge.TAKE_DOWN)]
    (blocked,) = expiry_dashboard(cat).blocked
    assert blocked.image.id == clip and blocked.take_down == ("AP-9",)

    workflow.record_takedown(cat, clip)  # then it is a clip like any other whose release was withdrawn
    assert workflow.image_badge(cat, clip) is policy.Badge.ATTENTION
    assert [(i.image.id, i.badge) for i in workflow.queue(cat)] == [(clip, policy.Badge.ATTENTION)]
