"""The approving computer looks at the clip copy it is about to approve, as it does at a photo: a face where
a blurred person is, or in no person track, refuses the approval and leaves no file."""

from __future__ import annotations

from datetime import date

import pytest
from tests.data.clip_cases import add_clip, checked_clip, track_of  # noqa: F401 - a fixture
from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.review import clip_export, workflow
from consentdesk.core.review.clip_export import Redaction, export_clip
from consentdesk.core.review.clip_face_check import faces_left
from consentdesk.core.review.export import ExportError, approve
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState, FindingState


def _numbered(analysis):
    return list(enumerate(analysis.face_tracks, start=1))


def test_a_clean_copy_passes_and_an_uncleaned_one_shows_every_face(checked_clip, tmp_path):  # noqa: F811
    tracks = _numbered(checked_clip.analysis)
    clean, raw = tmp_path / "clean.mp4", tmp_path / "raw.mp4"
    export_clip(checked_clip.path, clean, [Redaction(t) for _n, t in tracks])
    export_clip(checked_clip.path, raw, [])
    assert faces_left(clean, tracks, []) == []
    left = faces_left(raw, tracks, [])  # as if the mosaic had missed: each blurred person is found
    assert {f.blurred for f in left} == {n for n, _t in tracks}
    unaccounted = faces_left(raw, [], [])  # as if the check had missed everyone: no track accounts for them
    assert unaccounted and all(f.blurred is None for f in unaccounted)
    assert "in no person track" in unaccounted[0].words()
    assert faces_left(raw, [], [t for _n, t in tracks]) == []  # everyone linked: their faces are fine


def _cleared(cat: Catalogue, clip) -> int:  # noqa: ANN001
    image = add_clip(cat, clip)
    person = add_person(cat, "Walker Consenting")
    workflow.link_face(cat, image, track_of(cat, image, clip.truth, person=1), person.id)
    for face in workflow.image_state(cat, image).faces:
        if face.state is FaceState.UNRESOLVED:
            workflow.set_face(cat, image, face.n, FaceState.BLUR)
    for finding in workflow.image_state(cat, image).findings:
        workflow.set_finding(cat, image, finding.n, FindingState.REDACT)
    return image


def test_approve_refuses_a_clip_copy_with_a_blurred_persons_face_and_leaves_nothing(
    checked_clip, tmp_path, monkeypatch  # noqa: F811
):
    out = tmp_path / "out"
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        image = _cleared(cat, checked_clip)
        monkeypatch.setattr(clip_export, "destroy_yuv", lambda *_args: None)  # a mosaic that does nothing
        with pytest.raises(ExportError, match=r"face check of the clip copy found \d+ face\(s\).*is blurred"):
            approve(cat, image, ["instagram"], out, on=date.today())
        assert list(out.iterdir()) == [] and cat.review_approvals(image) == []
        monkeypatch.undo()
        calls: list[float] = []
        result = approve(cat, image, ["instagram"], out, on=date.today(), progress=calls.append)
        assert result.path.exists() and calls == sorted(calls) and calls[-1] == pytest.approx(1.0)


def test_the_mosaic_itself_is_not_taken_for_a_face(tmp_path):
    """Every frame around the one where the 4-block mosaic of a generated clip (seed 3: a walker's face
    whole inside its region) was taken for a face by the int8 model; bench/mosaic_faces.py --clips counts
    every frame of six such clips."""
    from tests.data.clip_builder import ClipSpec, write_clip

    from consentdesk.core.media.video import ClipReader
    from consentdesk.core.review.clip_face_check import _judge
    from consentdesk.core.values import Box
    from consentdesk.core.vision.analyse import default_analyser
    from consentdesk.core.vision.clip_analysis import ClipAnalyser, ClipConfig

    src, copy = tmp_path / "walker.mp4", tmp_path / "copy.mp4"
    write_clip(src, ClipSpec(seconds=6.0, size=(640, 360), seed=3))
    tracks = _numbered(ClipAnalyser(ClipConfig()).analyse(src))
    export_clip(src, copy, [Redaction(t) for _n, t in tracks])
    detect, left = default_analyser().faces.detect, []
    with ClipReader(copy) as reader:
        for frame in reader.frames(None):
            if not 4.9 <= frame.t <= 5.5:
                continue
            rgb = frame.array(ClipConfig().face_side)
            k = reader.info.width / rgb.shape[1]
            for face in detect(rgb):
                b = face.box
                box = Box(round(b.x * k), round(b.y * k), max(1, round(b.w * k)), max(1, round(b.h * k)))
                if _judge(box, frame.t, tracks, []):
                    left.append((frame.t, box, face.score))
    assert left == []
