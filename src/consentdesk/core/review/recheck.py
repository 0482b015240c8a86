"""Re-check a photo with the current analyser and carry over the review decisions that still apply.

Why: importing a photo again is skipped as a duplicate, and a new analyser version would otherwise
reset every decision (decisions belong to the face/finding rows of one analysis). A re-check stores a
new analysis (earlier ones are kept) and re-adds each decision for the new row that is the same thing:
the same face by box overlap, the same finding by kind and place. Anything without a match needs a
decision; anything that disappeared is listed. The matching is a pure function (`plan`) so it is
tested without models or a database; `recheck_image` applies it through the Catalogue's public methods,
which write the audit entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from consentdesk.core.values import (
    Analysis,
    Box,
    FaceReview,
    FaceState,
    FindingReview,
    FindingState,
    ImageRecord,
    ImageState,
    StoredAnalysis,
    StoredFace,
    StoredFinding,
)

if TYPE_CHECKING:
    from consentdesk.core.store import Catalogue

#: Minimum box overlap (intersection over union) for two faces to be the same face.
FACE_IOU = 0.35
#: Minimum overlap for two findings of the same kind to be the same finding. Lower than faces:
#: text boxes change more between OCR versions (a line read whole, or split in two).
FINDING_IOU = 0.25


@dataclass(frozen=True, slots=True)
class CarryOver:
    """What a re-check changes: decisions to re-add on the new rows, new rows, rows that went away."""

    faces: tuple[tuple[FaceReview, StoredFace], ...] = ()  # (old face with its decision, new face)
    findings: tuple[tuple[FindingReview, StoredFinding], ...] = ()
    new_faces: tuple[StoredFace, ...] = ()  # no earlier face there: needs a decision
    new_findings: tuple[StoredFinding, ...] = ()
    gone_faces: tuple[FaceReview, ...] = ()  # no longer found
    gone_findings: tuple[FindingReview, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.new_faces or self.new_findings or self.gone_faces or self.gone_findings)


def _overlap(a: Box, b: Box) -> float:
    """IoU, or 1.0 when one box's centre lies inside the other and they are of comparable size
    (a text line read in two parts is still the same place)."""
    iou = a.iou(b)
    if iou:
        small, big = (a, b) if a.area <= b.area else (b, a)
        cx, cy = small.x + small.w / 2, small.y + small.h / 2
        inside = big.x <= cx <= big.x + big.w and big.y <= cy <= big.y + big.h
        if inside and small.area >= 0.15 * big.area:
            return max(iou, 0.5)
    return iou


def _match(old: Sequence[Box], new: Sequence[Box], threshold: float, compatible) -> dict[int, int]:
    """Greedy one-to-one matching, best overlap first: {old index: new index}."""
    pairs = sorted(
        ((_overlap(o, n), i, j) for i, o in enumerate(old) for j, n in enumerate(new) if compatible(i, j)),
        reverse=True,
    )
    out: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score < threshold:
            break
        if i not in out and j not in used:
            out[i] = j
            used.add(j)
    return out


def plan(old: ImageState, new: StoredAnalysis) -> CarryOver:
    """Which decisions of `old` carry over to `new`, which new items need a decision, which went away.

    A matched item whose old decision was still unresolved is neither carried nor new: it simply stays
    open. Only decided items are carried.
    """
    fm = _match([f.box for f in old.faces], [f.box for f in new.faces], FACE_IOU, lambda i, j: True)
    km = _match(
        [f.box for f in old.findings],
        [f.box for f in new.findings],
        FINDING_IOU,
        lambda i, j: old.findings[i].kind == new.findings[j].kind,
    )
    matched_faces, matched_findings = set(fm.values()), set(km.values())
    return CarryOver(
        faces=tuple(
            (old.faces[i], new.faces[j])
            for i, j in fm.items()
            if old.faces[i].state is not FaceState.UNRESOLVED
        ),
        findings=tuple(
            (old.findings[i], new.findings[j])
            for i, j in km.items()
            if old.findings[i].state is not FindingState.UNRESOLVED
        ),
        new_faces=tuple(f for j, f in enumerate(new.faces) if j not in matched_faces),
        new_findings=tuple(f for j, f in enumerate(new.findings) if j not in matched_findings),
        gone_faces=tuple(f for i, f in enumerate(old.faces) if i not in fm),
        gone_findings=tuple(f for i, f in enumerate(old.findings) if i not in km),
    )


@dataclass(frozen=True, slots=True)
class RecheckResult:
    """The outcome for one image, in words a reviewer can act on."""

    image_id: int
    path: str
    old_version: str | None
    new_version: str | None
    carried: CarryOver = field(default_factory=CarryOver)
    error: str | None = None

    def lines(self) -> list[str]:
        """What changed, one plain line each (kinds and numbers only: no personal data)."""
        from consentdesk.core.review.policy import kind_words

        name = Path(self.path).name
        if self.error:
            return [f"{name}: not re-checked: {self.error}. Check the file is where it was imported from."]
        c = self.carried
        out = [f"{name}: re-checked; {len(c.faces)} face and {len(c.findings)} finding decisions kept"]
        out += [f"  new face {f.n}: needs a decision" for f in c.new_faces]
        out += [f"  new finding {f.n} ({kind_words(f.kind)}): needs a decision" for f in c.new_findings]
        out += [f"  face {f.n} is no longer found" for f in c.gone_faces]
        out += [f"  finding {f.n} ({kind_words(f.kind)}) is no longer found" for f in c.gone_findings]
        if not c.changed:
            out.append("  nothing new or gone")
        return out


def recheck_image(
    catalogue: Catalogue, image_id: int, analyse: Callable[[str], Analysis] | None = None
) -> RecheckResult:
    """Analyse the image again, store the new analysis, and re-add the decisions that still apply.

    A file that cannot be read is reported and its current analysis kept (a re-check never makes a
    checked photo unreadable in the catalogue).
    """
    if analyse is None:
        from consentdesk.core.vision.analyse import analyse_path as analyse
    image = catalogue.get_image(image_id)
    old = catalogue.review_state(image_id)
    before = catalogue.current_analysis(image_id)
    old_version = before.analyser_version if before else None
    analysis = analyse(image.path)
    if analysis.error:
        return RecheckResult(image_id, image.path, old_version, None, error=analysis.error)
    stored = catalogue.save_analysis(image_id, analysis)
    carry = plan(old, stored)
    new_state = catalogue.review_state(image_id)
    faces = {f.face_id: f for f in new_state.faces}
    findings = {f.finding_id: f for f in new_state.findings}
    for was, now in carry.faces:
        catalogue.add_face_decision(image_id, faces[now.id], was.state, was.consent_id)
    for was, now in carry.findings:
        catalogue.add_finding_decision(image_id, findings[now.id], was.state, was.reason)
    return RecheckResult(image_id, image.path, old_version, stored.analyser_version, carry)


def images_to_recheck(
    catalogue: Catalogue, ids: Sequence[int] = (), *, all_images: bool = False, outdated: bool = False
) -> list[ImageRecord]:
    """The image records a re-check covers: given ids, every image, or those checked by an older analyser."""
    if all_images:
        return catalogue.list_images()
    if outdated:
        from consentdesk.core.vision.analyse import ANALYSER_VERSION
        from consentdesk.core.vision.clip_analysis import CLIP_ANALYSER_VERSION

        return catalogue.images_analysed_by_others(ANALYSER_VERSION, CLIP_ANALYSER_VERSION)
    return [catalogue.get_image(i) for i in ids]


def current_analyser(image: ImageRecord) -> str:
    """The version a fresh check of this image would record (the clip analyser's for a clip): an analysis
    by any other version is outdated."""
    from consentdesk.core.media.video import is_clip_path

    if is_clip_path(image.path):
        from consentdesk.core.vision.clip_analysis import CLIP_ANALYSER_VERSION

        return CLIP_ANALYSER_VERSION
    from consentdesk.core.vision.analyse import ANALYSER_VERSION

    return ANALYSER_VERSION
