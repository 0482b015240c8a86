"""Re-check: the carry-over plan as a pure function, and the real thing on a real catalogue and real models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from skimage import data
from tests.data.builders import _font

from consentdesk.cli import main
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.review.recheck import plan, recheck_image
from consentdesk.core.store import Catalogue
from consentdesk.core.values import (
    Analysis,
    Box,
    Face,
    FaceReview,
    FaceState,
    Finding,
    FindingKind,
    FindingReview,
    FindingState,
    ImageState,
    Severity,
    StoredAnalysis,
    StoredFace,
    StoredFinding,
)
from consentdesk.core.vision.analyse import ANALYSER_VERSION

K = FindingKind


def _old_state() -> ImageState:
    faces = (
        FaceReview(11, 1, Box(100, 100, 80, 100), 0.9, FaceState.BLUR),
        FaceReview(12, 2, Box(600, 120, 80, 100), 0.9, FaceState.NOT_A_PERSON),
        FaceReview(13, 3, Box(900, 500, 40, 50), 0.7),  # never decided
    )
    findings = (
        FindingReview(21, 1, K.NHS_NUMBER, Severity.HIGH, Box(50, 600, 300, 40), "94", FindingState.REDACT),
        FindingReview(
            22, 2, K.TEXT, Severity.MEDIUM, Box(50, 660, 200, 40), "", FindingState.DISMISSED, "a poster"
        ),
        FindingReview(23, 3, K.SCREEN, Severity.MEDIUM, Box(700, 600, 300, 200), "", FindingState.REDACT),
    )
    return ImageState(1, 5, None, faces, findings)


def _new_analysis() -> StoredAnalysis:
    faces = (
        StoredFace(31, 1, Box(104, 96, 82, 104), 0.92),  # face 1, moved a little
        StoredFace(32, 2, Box(900, 505, 42, 48), 0.71),  # the undecided face
        StoredFace(33, 3, Box(1500, 100, 80, 90), 0.8),  # a face the old analyser missed
    )  # old face 2 is gone
    findings = (
        StoredFinding(41, 1, K.NHS_NUMBER, Severity.HIGH, Box(52, 598, 290, 44), "94"),
        StoredFinding(
            42, 2, K.PERSON_NAME, Severity.HIGH, Box(50, 660, 200, 40), "A"
        ),  # same place, new kind
        StoredFinding(43, 3, K.SCREEN, Severity.MEDIUM, Box(690, 590, 330, 220), ""),
    )
    return StoredAnalysis(6, 1, "v2", "now", None, faces, findings)


def test_plan_carries_decisions_by_place_and_kind():
    c = plan(_old_state(), _new_analysis())
    assert [(o.face_id, n.id) for o, n in c.faces] == [(11, 31)]
    assert sorted((o.finding_id, n.id) for o, n in c.findings) == [(21, 41), (23, 43)]
    assert [f.id for f in c.new_faces] == [33]  # the undecided face matched: still open, not "new"
    assert [f.id for f in c.new_findings] == [42]  # a name where text was dismissed needs a new decision
    assert [f.face_id for f in c.gone_faces] == [12]
    assert [f.finding_id for f in c.gone_findings] == [22]
    assert c.changed


def test_plan_is_one_to_one():
    old = ImageState(1, 5, None, (FaceReview(1, 1, Box(0, 0, 100, 100), 0.9, FaceState.BLUR),))
    new = StoredAnalysis(
        6,
        1,
        "v2",
        "now",
        None,
        (StoredFace(2, 1, Box(5, 5, 95, 95), 0.9), StoredFace(3, 2, Box(0, 0, 90, 90), 0.9)),
        (),
    )
    c = plan(old, new)
    assert len(c.faces) == 1 and len(c.new_faces) == 1


def test_plan_on_identical_analysis_changes_nothing():
    old = _old_state()
    same = StoredAnalysis(
        6,
        1,
        "v2",
        "now",
        None,
        tuple(StoredFace(f.face_id + 100, f.n, f.box, f.score) for f in old.faces),
        tuple(
            StoredFinding(f.finding_id + 100, f.n, f.kind, f.severity, f.box, f.text) for f in old.findings
        ),
    )
    c = plan(old, same)
    assert not c.changed and len(c.faces) == 2 and len(c.findings) == 3


# ------------------------------------------------------------------ real catalogue, real models


def _label_photo(path: Path, with_label: bool = True, second_person: bool = False) -> None:
    scene = Image.fromarray(data.astronaut()).resize((2000, 2000))
    if with_label:
        draw = ImageDraw.Draw(scene)
        draw.rectangle([1100, 1400, 1950, 1600], fill="white")
        draw.text((1130, 1440), "NHS No: 943 476 5919", fill="black", font=_font(56))
    if second_person:
        head = Image.fromarray(data.astronaut()).crop((120, 10, 330, 250)).resize((420, 480))
        scene.paste(head, (60, 1450))
    scene.save(path, quality=92)


@pytest.fixture
def catalogue_with_photo(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    _label_photo(shoot / "a.jpg")
    catalogue = Catalogue.open(str(tmp_path / "cat.sqlite"))
    (image_id,) = import_paths(catalogue, [str(shoot)], workers=1).added
    state = catalogue.review_state(image_id)
    assert state.faces and any(f.kind is K.NHS_NUMBER for f in state.findings)
    for face in state.faces:
        catalogue.add_face_decision(image_id, face, FaceState.BLUR, None)
    for finding in state.findings:
        catalogue.add_finding_decision(image_id, finding, FindingState.REDACT, None)
    yield catalogue, image_id, shoot / "a.jpg"
    catalogue.close()


def test_recheck_of_an_unchanged_photo_keeps_every_decision(catalogue_with_photo):
    catalogue, image_id, _ = catalogue_with_photo
    before = catalogue.review_state(image_id)
    result = recheck_image(catalogue, image_id)
    after = catalogue.review_state(image_id)
    assert result.error is None and not result.carried.changed
    assert after.analysis_id != before.analysis_id  # a new analysis, with new rows ...
    assert [f.state for f in after.faces] == [FaceState.BLUR] * len(before.faces)  # ... and the decisions
    assert all(f.state is FindingState.REDACT for f in after.findings)
    assert any(e.action == "review.face" for e in catalogue.audit_entries(f"image:{image_id}")[-3:])


def test_recheck_lists_new_and_gone_items_and_leaves_new_ones_open(catalogue_with_photo):
    catalogue, image_id, path = catalogue_with_photo
    _label_photo(path, with_label=False, second_person=True)  # the file changed on disk since the import
    result = recheck_image(catalogue, image_id)
    after = catalogue.review_state(image_id)
    assert result.carried.new_faces and any(f.kind is K.NHS_NUMBER for f in result.carried.gone_findings)
    new_ids = {f.id for f in result.carried.new_faces}
    assert all(f.state is FaceState.UNRESOLVED for f in after.faces if f.face_id in new_ids)
    assert any(f.state is FaceState.BLUR for f in after.faces)  # the astronaut's decision was kept
    text = "\n".join(result.lines())
    assert "needs a decision" in text and "no longer found" in text and "943" not in text


def test_recheck_of_a_missing_file_keeps_the_current_analysis(catalogue_with_photo, tmp_path):
    catalogue, image_id, path = catalogue_with_photo
    shutil.move(path, tmp_path / "moved.jpg")
    before = catalogue.current_analysis(image_id)
    result = recheck_image(catalogue, image_id)
    assert result.error and catalogue.current_analysis(image_id).id == before.id


def test_cli_recheck_outdated(catalogue_with_photo, capsys):
    catalogue, image_id, _ = catalogue_with_photo
    db = catalogue.locator
    assert main(["--catalog", db, "recheck", "--outdated"]) == 0
    assert "Nothing to re-check" in capsys.readouterr().out
    # store an analysis from an "older analyser" (same boxes), then decide on it
    current = catalogue.current_analysis(image_id)
    old = Analysis(
        path="",
        width=2000,
        height=2000,
        faces=tuple(Face(f.box, f.score) for f in current.faces),
        findings=tuple(Finding(f.kind, f.box, f.text, f.severity) for f in current.findings),
        analyser_version="consentdesk-vision 0.9",
    )
    catalogue.save_analysis(image_id, old)
    for face in catalogue.review_state(image_id).faces:
        catalogue.add_face_decision(image_id, face, FaceState.NOT_A_PERSON, None)
    assert [i.id for i in catalogue.images_analysed_by_others(ANALYSER_VERSION)] == [image_id]
    assert main(["--catalog", db, "recheck", "--outdated", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"before": "consentdesk-vision 0.9"' in out
    assert catalogue.images_analysed_by_others(ANALYSER_VERSION) == []
    assert all(f.state is FaceState.NOT_A_PERSON for f in catalogue.review_state(image_id).faces)
    assert main(["--catalog", db, "recheck", "999"]) == 2
