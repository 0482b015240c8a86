"""Images and analyses in a real catalogue: de-duplication, immutable analyses, re-checks, masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.data.raw_sql import REFUSED, raw_connection

from consentdesk.core.minimise import mask_finding_text
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import Analysis, Box, Face, Finding, FindingKind, Severity, reading_order


@pytest.fixture
def catalogue(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        yield cat


def analysis(version="test-1", faces=(), findings=()) -> Analysis:
    return Analysis(
        path="x.jpg",
        width=4000,
        height=3000,
        faces=tuple(faces),
        findings=tuple(findings),
        analyser_version=version,
    )


def new_image(sha="a" * 64) -> NewImage:
    return NewImage(sha256=sha, path="/photos/x.jpg", file_size=123, width=4000, height=3000, camera="X100")


def test_reading_order_numbers_rows_left_to_right():
    boxes = [Box(900, 105, 80, 80), Box(100, 100, 80, 80), Box(500, 95, 80, 80), Box(300, 600, 80, 80)]
    assert reading_order(boxes) == [1, 2, 0, 3]


def test_add_image_stores_numbered_faces_and_masked_findings(catalogue: Catalogue):
    faces = [Face(Box(800, 100, 50, 50), 0.9), Face(Box(100, 110, 60, 60), 0.8)]
    findings = [Finding(FindingKind.NHS_NUMBER, Box(10, 2000, 300, 40), "943 476 5919", Severity.HIGH)]
    shoot = catalogue.create_shoot("Leeds 2026-11-20", "/photos")
    record, added = catalogue.add_image(new_image(), analysis(faces=faces, findings=findings), shoot)
    assert added and record.shoot_id == shoot
    stored = catalogue.current_analysis(record.id)
    assert [(f.n, f.box.x) for f in stored.faces] == [(1, 100), (2, 800)]
    assert stored.findings[0].kind is FindingKind.NHS_NUMBER
    assert stored.findings[0].text == "94• ••• ••19"
    if catalogue.path is not None:
        assert b"943 476 5919" not in Path(catalogue.path).read_bytes()
    assert catalogue.shoots()[0]["images"] == 1


def test_same_file_is_not_added_twice(catalogue: Catalogue):
    first, added = catalogue.add_image(new_image(), analysis())
    again, added_again = catalogue.add_image(new_image(), analysis())
    assert added and not added_again and first.id == again.id
    assert len(catalogue.list_images()) == 1


def test_recheck_keeps_the_old_analysis(catalogue: Catalogue):
    record, _ = catalogue.add_image(new_image(), analysis("old"))
    assert [i.id for i in catalogue.images_analysed_by_others("new")] == [record.id]
    old_id = catalogue.current_analysis(record.id).id
    newer = catalogue.save_analysis(record.id, analysis("new", faces=[Face(Box(1, 1, 9, 9), 0.7)]))
    assert newer.id != old_id and len(newer.faces) == 1
    assert catalogue.images_analysed_by_others("new") == []
    # a clip's analysis is current when it is the clip analyser's: both versions count as current
    assert catalogue.images_analysed_by_others("photos 2", "new") == []
    assert [i.id for i in catalogue.images_analysed_by_others("photos 2", "clips 2")] == [record.id]
    conn = raw_connection(catalogue)
    try:
        with pytest.raises(REFUSED, match="never edited"):
            conn.execute("UPDATE analyses SET error = 'x'")
        with pytest.raises(REFUSED, match="never edited"):
            conn.execute("UPDATE faces SET x = 0")
    finally:
        conn.close()
    assert catalogue.verify_audit().ok


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (FindingKind.PERSON_NAME, "Jane  Smith", "J••• S••••"),
        (FindingKind.POSTCODE, "LS1 4AP", "L•• ••P"),
        (FindingKind.TEXT, "Give blood today", ""),  # harmless text is not kept at all
        (FindingKind.EMAIL, "a.b@nhs.net", "a.•••••••et"),
    ],
)
def test_masking(kind, text, expected):
    assert mask_finding_text(kind, text) == expected


def test_reading_order_is_the_rule_the_readme_documents():
    """Side by side, the right-hand person standing higher is still 2; a face whose centre is below the
    row's faces starts the next row, even when it is further left."""
    left, right_higher = Box(100, 140, 100, 100), Box(400, 100, 100, 100)
    lower_left = Box(20, 260, 100, 100)
    assert reading_order([right_higher, lower_left, left]) == [2, 0, 1]


def test_a_small_face_further_back_does_not_split_a_row_of_people_side_by_side():
    """Four people in a line (found by the QA session: the second from the left was numbered 4): a small
    face of someone further back starts the row, and the others are level with the row it spans."""
    boxes = [Box(100, 119, 90, 119), Box(289, 158, 46, 66), Box(511, 113, 91, 116), Box(760, 125, 37, 46)]
    assert reading_order(boxes) == [0, 1, 2, 3]
    back_row = [Box(100, 100, 60, 60), Box(300, 110, 60, 60)]
    front_row = [Box(50, 300, 90, 90), Box(260, 290, 90, 90)]
    assert reading_order([*front_row, *back_row]) == [2, 3, 0, 1]  # two rows stay two rows


def test_to_verify_list_and_many_review_states_agree_with_one_at_a_time(catalogue: Catalogue):
    from datetime import date

    from consentdesk.core.values import FaceState, FindingState

    faces = [Face(Box(100 + 300 * i, 100, 120, 150), 0.9) for i in range(3)]
    findings = [Finding(FindingKind.NHS_NUMBER, Box(10, 2000, 300, 40), "943 476 5919", Severity.HIGH)]
    shoot = catalogue.create_shoot("Leeds", "/photos")
    ids = [
        catalogue.add_image(new_image(str(n) * 64), analysis(faces=faces, findings=findings), shoot)[0].id
        for n in range(6)
    ]
    plain, decided, rejected, reopened, approved, rejected_again = ids
    state = catalogue.review_state(decided)
    catalogue.add_face_decision(decided, state.faces[0], FaceState.BLUR, None)
    catalogue.add_face_decision(decided, state.faces[0], FaceState.NOT_A_PERSON, None)  # the newest wins
    catalogue.add_finding_decision(decided, state.findings[0], FindingState.DISMISSED, "a poster")
    catalogue.add_image_review(rejected, "rejected", "eyes closed")
    catalogue.add_image_review(reopened, "rejected", "eyes closed")
    catalogue.add_image_review(reopened, "open", None)
    catalogue.add_image_review(rejected_again, "open", None)
    catalogue.add_image_review(rejected_again, "rejected", "blurred")
    catalogue.record_approval("AP-1", approved, date(2026, 11, 2), ["website"], "/out/a.jpg", "e" * 64, [])

    assert [i.id for i in catalogue.images_to_verify()] == [plain, decided, reopened]
    assert [i.id for i in catalogue.images_to_verify(limit=2, offset=1)] == [decided, reopened]
    assert catalogue.count_images_to_verify() == 3

    states = catalogue.review_states([*ids, 10_000_000])
    assert states == {i: catalogue.review_state(i) for i in ids}
    assert states[decided].faces[0].state is FaceState.NOT_A_PERSON
    assert states[decided].findings[0].state is FindingState.DISMISSED
    assert states[rejected].rejected and not states[reopened].rejected
    assert states[rejected_again].rejection_reason == "blurred"
    with pytest.raises(KeyError):
        catalogue.review_state(10_000_000)
