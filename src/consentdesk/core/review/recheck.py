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
    ClipTrack,
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
    # a clip's "same person as": (old joined track, its new track, the new track of the person it joined)
    joins: tuple[tuple[FaceReview, StoredFace, StoredFace], ...] = ()
    dropped_joins: tuple[FaceReview, ...] = ()  # joined tracks whose track or person is not found again

    @property
    def changed(self) -> bool:
        return bool(
            self.new_faces or self.new_findings or self.gone_faces or self.gone_findings or self.dropped_joins
        )


@dataclass(frozen=True, slots=True)
class ClipTracks:
    """A clip's person and finding tracks before and after a re-check (each in face / finding order)."""

    old_faces: Sequence[ClipTrack]
    new_faces: Sequence[ClipTrack]
    old_findings: Sequence[ClipTrack]
    new_findings: Sequence[ClipTrack]


#: Share of two tracks' instants where both are on screen with overlapping boxes for them to be one track.
TRACK_MATCH = 0.5
#: Box overlap (IoU) at one instant for two tracks to be in the same place then.
TRACK_IOU = 0.3


def track_overlap(a: ClipTrack, b: ClipTrack) -> float:
    """How much two tracks are the same thing: over every instant either was seen at, the share where both
    are on screen in the same place (boxes interpolated between points). Time and place only, as tracks are
    made: nothing about how a face looks."""
    from consentdesk.core.review.clip_export import box_at

    times = sorted({round(t, 3) for t in (*a.seen_times, *b.seen_times)})
    if not times or a.shot != b.shot or a.last < b.first or b.last < a.first:
        return 0.0
    same = 0
    for t in times:
        ra, rb = box_at(a.points, t, margin=0, lead=0), box_at(b.points, t, margin=0, lead=0)
        if ra is not None and rb is not None:
            ix = max(0.0, min(ra[2], rb[2]) - max(ra[0], rb[0]))
            iy = max(0.0, min(ra[3], rb[3]) - max(ra[1], rb[1]))
            union = (ra[2] - ra[0]) * (ra[3] - ra[1]) + (rb[2] - rb[0]) * (rb[3] - rb[1]) - ix * iy
            same += union > 0 and ix * iy / union >= TRACK_IOU
    return same / len(times)


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


def _match(old: Sequence, new: Sequence, threshold: float, compatible, overlap=_overlap) -> dict[int, int]:
    """Greedy one-to-one matching, best overlap first (boxes by default, or a clip's tracks with
    `track_overlap`): {old index: new index}."""
    pairs = sorted(
        ((overlap(o, n), i, j) for i, o in enumerate(old) for j, n in enumerate(new) if compatible(i, j)),
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


def plan(old: ImageState, new: StoredAnalysis, tracks: ClipTracks | None = None) -> CarryOver:
    """Which decisions of `old` carry over to `new`, which new items need a decision, which went away.

    A matched item whose old decision was still unresolved is neither carried nor new: it simply stays
    open. Only decided items are carried. A clip's tracks (`tracks`) are matched by time and place over
    their whole length, not by one box; its "same person as" joins are carried when both tracks are found
    again, else dropped and listed (never guessed: the track then needs a decision of its own), and a
    joined track's decision, which was its person's, is not carried as its own.
    """
    if tracks is not None:
        faces, findings = (tracks.old_faces, tracks.new_faces), (tracks.old_findings, tracks.new_findings)
        face_min, finding_min, overlap = TRACK_MATCH, TRACK_MATCH, track_overlap
    else:
        faces = ([f.box for f in old.faces], [f.box for f in new.faces])
        findings = ([f.box for f in old.findings], [f.box for f in new.findings])
        face_min, finding_min, overlap = FACE_IOU, FINDING_IOU, _overlap
    fm = _match(*faces, face_min, lambda i, j: True, overlap)
    km = _match(*findings, finding_min, lambda i, j: old.findings[i].kind == new.findings[j].kind, overlap)
    matched_faces, matched_findings = set(fm.values()), set(km.values())
    joins, dropped = _joins(old, new, fm)
    return CarryOver(
        faces=tuple(
            (old.faces[i], new.faces[j])
            for i, j in fm.items()
            if old.faces[i].state is not FaceState.UNRESOLVED and old.faces[i].same_as is None
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
        joins=joins,
        dropped_joins=dropped,
    )


def _joins(old: ImageState, new: StoredAnalysis, fm: dict[int, int]):  # noqa: ANN202
    """The joins that carry (both tracks found again, and not onto one new track) and those dropped."""
    index = {f.n: i for i, f in enumerate(old.faces)}
    joins, dropped = [], []
    for i, face in enumerate(old.faces):
        if face.same_as is None:
            continue
        j, k = fm.get(i), fm.get(index.get(face.same_as, -1))
        if j is None or k is None or j == k:
            dropped.append(face)
        else:
            joins.append((face, new.faces[j], new.faces[k]))
    return tuple(joins), tuple(dropped)


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
        out += [f"  person {now.n} is still the same person as {as_now.n}" for _was, now, as_now in c.joins]
        out += [
            f"  person {f.n} was the same person as {f.same_as}: not carried over (the check no longer finds "
            "both tracks); decide on it, or say again who it is"
            for f in c.dropped_joins
        ]
        if not c.changed:
            out.append("  nothing new or gone")
        return out


def recheck_image(
    catalogue: Catalogue, image_id: int, analyse: Callable[[str], Analysis] | None = None
) -> RecheckResult:
    """Analyse the image (or clip) again, store the new analysis, and re-add the decisions that still apply.

    A file that cannot be read is reported and its current analysis kept (a re-check never makes a
    checked photo unreadable in the catalogue).
    """
    image = catalogue.get_image(image_id)
    analyse = analyse or _analyser_for(image.path)[0]
    old = catalogue.review_state(image_id)
    before = catalogue.current_analysis(image_id)
    old_version = before.analyser_version if before else None
    old_clip = catalogue.stored_clip(image_id)
    analysis = analyse(image.path)
    if analysis.error:
        return RecheckResult(image_id, image.path, old_version, None, error=analysis.error)
    stored = catalogue.save_analysis(image_id, analysis)
    new_clip = catalogue.stored_clip(image_id)
    tracks = None
    if old_clip is not None and new_clip is not None:
        tracks = ClipTracks(old_clip.face_tracks, new_clip.face_tracks, old_clip.finding_tracks, new_clip.finding_tracks)
    carry = plan(old, stored, tracks)
    new_state = catalogue.review_state(image_id)
    faces = {f.face_id: f for f in new_state.faces}
    findings = {f.finding_id: f for f in new_state.findings}
    for was, now in carry.faces:
        catalogue.add_face_decision(image_id, faces[now.id], was.state, was.consent_id)
    for was, now in carry.findings:
        catalogue.add_finding_decision(image_id, findings[now.id], was.state, was.reason)
    for _was, now, as_now in carry.joins:  # after the decisions: a joined track takes none of its own
        catalogue.add_track_merge(image_id, faces[now.id], faces[as_now.id])
    return RecheckResult(image_id, image.path, old_version, stored.analyser_version, carry)


def _analyser_for(path: str) -> tuple[Callable[[str], Analysis], str]:
    """The check a fresh analysis of this file runs (the clip analyser for a clip) and the version it records."""
    from consentdesk.core.media.kinds import is_clip_path

    if is_clip_path(path):
        from consentdesk.core.vision.clip_analysis import CLIP_ANALYSER_VERSION, analyse_clip

        return analyse_clip, CLIP_ANALYSER_VERSION
    from consentdesk.core.vision.analyse import ANALYSER_VERSION, analyse_path

    return analyse_path, ANALYSER_VERSION


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
    return _analyser_for(image.path)[1]
