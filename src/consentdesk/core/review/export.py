"""Approval and export: the cleaned copy that may be posted, and the record that it was approved.

Why it is built this way:
- The copy is re-encoded from pixels into a brand-new image object, so nothing of the original file's
  metadata can ride along (GPS, serial numbers, owner name, maker notes, embedded thumbnails, comments,
  old XMP/IPTC). Only the ICC colour profile is passed on, so colours look the same.
- EXIF orientation is applied to the pixels and no Orientation tag is written: the copy is upright in
  every viewer, and face/finding boxes (stored in oriented pixels) land where the reviewer saw them.
- Faces marked "blur" are pixelated and findings marked "redact" are solid-filled with
  `redaction.destroy_regions`: the pixels are replaced, not covered, so nothing can be recovered.
- The file is written to a temporary name in the target folder and moved into place with `os.replace`,
  so a crash never leaves half a file under the final name; existing files are never overwritten, and
  the original photo is only ever read (its SHA-256 is checked against the catalogue first).
- Approving again what was already approved (same date, channels, releases and pixels) writes nothing
  and names the existing copy: two identical "approved" files only invite confusion about which to post.
- Standard XMP is written so DAMs, Lightroom and digiKam can read the release status:
  PLUS ModelReleaseStatus / ModelReleaseID, IPTC Extension PersonInImage, dc:identifier and a
  ConsentDesk namespace with the approval id, channels and posting date.

Data-protection choice: the exported file goes public, so it never carries people's names.
`PersonInImage` and `ModelReleaseID` hold the consent record ids (e.g. CD-7K3M-Q9XJ), which only
someone with access to the ConsentDesk register can resolve to a person.

PLUS ModelReleaseStatus rule (`model_release_status`):
- MR-NAP (not applicable): no identifiable person is left — no faces, or every face is blurred or
  marked "not a person";
- MR-NON (none): identifiable faces, none linked to a release;
- MR-UMR (unlimited): every identifiable face is linked, and every linked release permits every use and
  every channel of its form with no end date;
- MR-LMR (limited or incomplete): everything else — the normal case, as ConsentDesk releases name the
  permitted uses/channels and usually an end date (and some faces may still be unresolved).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image, ImageOps

from consentdesk import __version__
from consentdesk.core import ids
from consentdesk.core.files import TargetExists, atomic_write
from consentdesk.core.forms import FormDefinition
from consentdesk.core.media import imaging
from consentdesk.core.photos import cache
from consentdesk.core.review import policy, workflow
from consentdesk.core.review.redaction import Method, destroy_regions
from consentdesk.core.store import Catalogue
from consentdesk.core.values import (
    ApprovalRecord,
    Box,
    Consent,
    Face,
    FaceState,
    FindingState,
    ImageState,
)

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
MR_UNLIMITED = PLUS_VOCAB + "MR-UMR"
MR_LIMITED = PLUS_VOCAB + "MR-LMR"
MR_NONE = PLUS_VOCAB + "MR-NON"
MR_NOT_APPLICABLE = PLUS_VOCAB + "MR-NAP"

#: XMP namespace for ConsentDesk's own fields (approval id, channels, posting date).
CONSENTDESK_NS = "http://ns.consentdesk.app/xmp/1.0/"
CONSENTDESK_PREFIX = "consentdesk"
JPEG_QUALITY = 92


class ExportError(Exception):
    """The copy could not be made or recorded; nothing was approved. The message says what to do."""


class AlreadyApproved(ExportError):
    """Approving again with nothing changed: the copy made then is the one to post; none is written."""

    def __init__(self, message: str, approval: ApprovalRecord) -> None:
        super().__init__(message)
        self.approval = approval

    @classmethod
    def of(cls, image_id: int, earlier: ApprovalRecord, on: date) -> AlreadyApproved:
        return cls(
            f"image {image_id} was already approved for {', '.join(earlier.channels)} on {on.isoformat()} "
            f"({earlier.id}) and {earlier.export_path} is exactly the copy that would be made now, so no "
            "second copy was written. Post that copy.",
            earlier,
        )


class NotCleared(Exception):
    """The image is not cleared for every channel asked for on the posting date."""

    def __init__(self, clearances: Mapping[str, policy.Clearance]) -> None:
        self.clearances = dict(clearances)
        blocked = [c for c, cl in self.clearances.items() if not cl.cleared]
        super().__init__(f"the image is not cleared for {', '.join(blocked)}")

    @property
    def reasons(self) -> list[str]:
        """Each reason once, across the blocked channels."""
        seen: list[str] = []
        for cl in self.clearances.values():
            seen.extend(r for r in cl.reasons if r not in seen)
        return seen


@dataclass(frozen=True, slots=True)
class ExportResult:
    approval: ApprovalRecord
    path: Path
    sha256: str
    release_status: str


def new_approval_id() -> str:
    """An id people can read aloud, shaped like consent ids but starting AP- so the two never mix."""
    return "AP" + ids.new_id().removeprefix(ids.PREFIX)


def model_release_status(
    state: ImageState,
    consents_by_id: Mapping[str, Consent],
    forms: Mapping[policy.FormKey, FormDefinition],
) -> str:
    """The PLUS ModelReleaseStatus URI for the exported copy (rule in the module docstring)."""
    identifiable = [f for f in state.faces if f.state in (FaceState.LINKED, FaceState.UNRESOLVED)]
    if not identifiable:
        return MR_NOT_APPLICABLE
    linked = [f for f in identifiable if f.state is FaceState.LINKED]
    if not linked:
        return MR_NONE
    if len(linked) < len(identifiable):
        return MR_LIMITED
    for face in linked:
        consent = consents_by_id.get(face.consent_id or "")
        form = forms.get((consent.form_name, consent.form_version)) if consent else None
        if consent is None or form is None or not _unrestricted(consent, form):
            return MR_LIMITED
    return MR_UNLIMITED


def _unrestricted(consent: Consent, form: FormDefinition) -> bool:
    uses = set(consent.answers.get("uses") or [])
    channels = set(consent.answers.get("channels") or [])
    return (
        consent.expires_on is None
        and {u.id for u in form.uses} <= uses
        and {c.id for c in form.channels} <= channels
    )


def render_clean(original: Path, state: ImageState) -> tuple[Image.Image, bytes | None]:
    """The upright, redacted pixels of the original in a fresh image, and the ICC profile to keep.

    Only an RGB profile is kept: the pixels are RGB, and a CMYK or grey profile would misdescribe them.
    """
    try:
        with Image.open(original) as im:
            icc = im.info.get("icc_profile")
            upright = ImageOps.exif_transpose(im)
            rgb = imaging._to_rgb(upright)  # noqa: SLF001 - the same normalisation the analyser saw
            pixels = rgb.tobytes()
            size = rgb.size
    except (OSError, ValueError, SyntaxError) as exc:
        raise ExportError(f"cannot read the original {original}: {exc}") from exc
    clean = Image.frombytes("RGB", size, pixels)  # a new image: no info, no EXIF, no comments
    blur = [f.box for f in state.faces if f.state is FaceState.BLUR]
    redact = [f.box for f in state.findings if f.state is FindingState.REDACT]
    if blur:
        clean = destroy_regions(clean, blur, Method.PIXELATE)
    if redact:
        clean = destroy_regions(clean, redact, Method.FILL)
    clean = Image.frombytes("RGB", clean.size, clean.tobytes())
    if not (isinstance(icc, bytes) and len(icc) > 20 and icc[16:20] == b"RGB "):
        icc = None
    return clean, icc


def xmp_fields(
    approval_id: str, release_status: str, consent_ids: Sequence[str], channels: Sequence[str], on: date
) -> dict[str, object]:
    """The XMP written into an export (ids only, never names; see the module docstring)."""
    fields: dict[str, object] = {
        "Xmp.plus.ModelReleaseStatus": release_status,
        "Xmp.dc.identifier": approval_id,
        "Xmp.xmp.CreatorTool": f"ConsentDesk {__version__}",
        f"Xmp.{CONSENTDESK_PREFIX}.ApprovalID": approval_id,
        f"Xmp.{CONSENTDESK_PREFIX}.Channels": ", ".join(channels),
        f"Xmp.{CONSENTDESK_PREFIX}.PostingDate": on.isoformat(),
    }
    if consent_ids:
        fields["Xmp.plus.ModelReleaseID"] = list(consent_ids)
        fields["Xmp.iptcExt.PersonInImage"] = list(consent_ids)
    return fields


def write_jpeg(image: Image.Image, icc: bytes | None, target: Path, xmp: Mapping[str, object]) -> str:
    """Write `image` as a new JPEG at `target` (never overwriting) with only ICC and `xmp`; returns SHA-256."""
    import pyexiv2

    def build(tmp: Path) -> str:
        tmp.write_bytes(_jpeg_bytes(image, icc))
        pyexiv2.registerNs(CONSENTDESK_NS, CONSENTDESK_PREFIX)
        with pyexiv2.Image(str(tmp)) as meta:
            meta.modify_xmp(dict(xmp))
        return hashlib.sha256(tmp.read_bytes()).hexdigest()

    try:
        return atomic_write(target, build, private=False, replace=False, durable=True)
    except TargetExists:
        raise ExportError(
            f"{target} already exists; ConsentDesk never overwrites files. Choose another folder."
        ) from None
    except OSError as exc:
        raise ExportError(
            f"cannot write the approved copy to {target.parent}: {exc.strerror or exc}"
        ) from exc
    except RuntimeError as exc:  # pyexiv2 reports exiv2 errors as RuntimeError
        raise ExportError(f"cannot write the metadata of the approved copy: {exc}") from exc


def _jpeg_bytes(image: Image.Image, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"quality": JPEG_QUALITY, "optimize": True}
    if icc:
        options["icc_profile"] = icc
    image.save(out, "JPEG", **options)
    return out.getvalue()


def _same_copy(
    earlier: ApprovalRecord,
    image: Image.Image,
    icc: bytes | None,
    channels: Sequence[str],
    on: date,
    consent_ids: Sequence[str],
    release_status: str,
) -> bool:
    """Would a new export repeat `earlier` exactly: same posting date, channels it already covers, same
    releases and release status, and the same pixels? JPEG encoding is deterministic, so the new pixels
    are compared after the same encoding; only the XMP (approval id) would differ."""
    if earlier.posting_date != on or not set(channels) <= set(earlier.channels):
        return False
    if set(earlier.consent_ids) != set(consent_ids):
        return False
    path = Path(earlier.export_path)
    try:
        with Image.open(path) as old:
            old_pixels = old.convert("RGB").tobytes()
        import pyexiv2

        pyexiv2.registerNs(CONSENTDESK_NS, CONSENTDESK_PREFIX)
        with pyexiv2.Image(str(path)) as meta:
            old_status = meta.read_xmp().get("Xmp.plus.ModelReleaseStatus")
    except (OSError, ValueError, RuntimeError):
        return False  # the earlier copy is gone or damaged: a new one is worth making
    if old_status != release_status:
        return False
    with Image.open(io.BytesIO(_jpeg_bytes(image, icc))) as new:
        return new.convert("RGB").tobytes() == old_pixels


#: How much a face found at export must overlap a stored face to be that face (intersection over union),
#: unless one's centre lies inside the other.
SAME_FACE_IOU = 0.3


def _same_face(a: Box, b: Box) -> bool:
    if a.iou(b) >= SAME_FACE_IOU:
        return True
    return any(
        big.x <= small.x + small.w / 2 <= big.x + big.w and big.y <= small.y + small.h / 2 <= big.y + big.h
        for small, big in ((a, b), (b, a))
    )


def faces_unaccounted(
    original: Path, state: ImageState, find: Callable[[Path], Sequence[Face]] | None = None
) -> list[Box]:
    """Faces the face check finds in the file about to be exported that no face of the stored analysis
    covers (whatever was decided about it). Defence in depth: the stored analysis was made on another
    computer, perhaps by an older analyser, and its author could have left faces out; the copy that goes
    public is checked here, on the approving computer, with the same face stage as an import."""
    if find is None:
        from consentdesk.core.vision.analyse import default_analyser

        find = default_analyser().find_faces
    try:
        found = find(original)
    except imaging.ImageError as exc:
        raise ExportError(f"cannot read the original photo to check its faces: {exc}") from exc
    stored = [f.box for f in state.faces]
    return [f.box for f in found if not any(_same_face(f.box, s) for s in stored)]


def _checked_original(catalogue: Catalogue, result: workflow.ReviewStatus) -> Path:
    """The photo to export from, once it is the file that was checked (same SHA-256) and the face check of
    it finds no face the stored analysis leaves out."""
    try:
        original = cache.local_photo(catalogue, result.image)
        current_sha = imaging.sha256_file(original)
    except cache.PhotoUnavailable as exc:
        raise ExportError(str(exc)) from exc
    except imaging.ImageError as exc:
        raise ExportError(f"cannot read the original photo: {exc}") from exc
    if current_sha != result.image.sha256:
        raise ExportError(
            f"{original} changed since it was checked (its content is different); "
            "import the new version and review it again"
        )
    if catalogue.clip_ids([result.image.id]):
        # a clip: the face check of the frames being exported is not made yet (see the video section of
        # the README); the stored tracks are what is destroyed
        return original
    missed = faces_unaccounted(original, result.state)
    if missed:
        image_id = result.image.id
        where = ", ".join(f"{b.w}x{b.h} at ({b.x}, {b.y})" for b in missed[:5])
        raise ExportError(
            f"the face check of the copy about to be exported found {len(missed)} face(s) that the stored "
            f"analysis of image {image_id} does not account for ({where}); nothing was exported. Check the "
            f"photo again (`consentdesk recheck {image_id}`, or Re-check in the Library) and decide about "
            "every face before approving it."
        )
    return original


def approve(
    catalogue: Catalogue,
    image_id: int,
    channels: Sequence[str],
    out_dir: str | os.PathLike[str],
    on: date | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ExportResult:
    """Approve the image for `channels` on the posting date `on` (default today) and export the copy.

    Every channel must be cleared, else `NotCleared` (with the reasons) and nothing is written. Raises
    `policy.UnknownChannel` for an unknown channel and `ExportError` when the copy cannot be made.
    """
    if not channels:
        raise ExportError("choose at least one channel to approve the image for")
    on = on or date.today()
    channels = list(dict.fromkeys(channels))
    result = workflow.status(catalogue, image_id, on, channels)
    if any(not c.cleared for c in result.clearances.values()):
        raise NotCleared(result.clearances)
    original = _checked_original(catalogue, result)
    folder = _output_folder(out_dir)
    forms = workflow.form_definitions(result.consents.values())
    status_uri = model_release_status(result.state, result.consents, forms)
    consent_ids = result.state.linked_consent_ids
    approval_id = new_approval_id()
    clip = catalogue.stored_clip(image_id)
    if clip is not None:  # a clip: its tracks are destroyed frame by frame into a new MP4
        target = folder.resolve() / f"{Path(result.image.path).stem}-approved-{approval_id}.mp4"
        xmp = xmp_fields(approval_id, status_uri, consent_ids, channels, on)
        digest = _export_clip(original, target, result.state, clip, xmp, _share(progress, 0.0, 0.8), cancel)
        _check_clip_copy(target, result.state, clip, _share(progress, 0.8, 1.0), cancel)
        return _record(catalogue, approval_id, image_id, on, channels, target, digest, consent_ids, status_uri)
    target = folder.resolve() / f"{Path(result.image.path).stem}-approved-{approval_id}.jpg"
    image, icc = render_clean(original, result.state)
    for earlier in catalogue.review_approvals(image_id):
        if _same_copy(earlier, image, icc, channels, on, consent_ids, status_uri):
            raise AlreadyApproved.of(image_id, earlier, on)
    digest = write_jpeg(image, icc, target, xmp_fields(approval_id, status_uri, consent_ids, channels, on))
    return _record(catalogue, approval_id, image_id, on, channels, target, digest, consent_ids, status_uri)


def _output_folder(out_dir: str | os.PathLike[str]) -> Path:
    folder = Path(out_dir).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder; choose a folder for the approved copies")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {folder} ({exc.strerror}); choose another one") from exc
    return folder


def _record(catalogue, approval_id, image_id, on, channels, target, digest, consent_ids, status_uri) -> ExportResult:
    try:
        record = catalogue.record_approval(
            approval_id, image_id, on, channels, str(target), digest, consent_ids
        )
    except BaseException:
        target.unlink(missing_ok=True)  # an export without its approval record must not be left around
        raise
    return ExportResult(record, target, digest, status_uri)


def _share(progress: Callable[[float], None] | None, start: float, end: float) -> Callable[[float], None] | None:
    """A step's own 0..1 progress as its share of the whole."""
    if progress is None:
        return None
    return lambda fraction: progress(start + (end - start) * fraction)


def _check_clip_copy(target: Path, state: ImageState, clip, progress, cancel) -> None:  # noqa: ANN001
    """The face check of the clip copy about to be approved (`clip_face_check`), as photos get one: a face
    where a blurred person is, or in no person track, removes the copy and refuses the approval."""
    from consentdesk.core.media.video import Cancelled, ClipError
    from consentdesk.core.review.clip_face_check import faces_left

    tracks = clip.face_tracks
    blurred = [(f.n, tracks[f.n - 1]) for f in state.faces if f.state is FaceState.BLUR and f.n <= len(tracks)]
    shown = [tracks[f.n - 1] for f in state.faces if f.state is not FaceState.BLUR and f.n <= len(tracks)]
    try:
        left = faces_left(target, blurred, shown, progress=progress, cancel=cancel)
    except (ClipError, Cancelled) as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, Cancelled):
            raise
        raise ExportError(f"the approved copy could not be read back to check its faces: {exc}") from exc
    if left:
        target.unlink(missing_ok=True)
        where = "; ".join(f.words() for f in left[:5])
        raise ExportError(
            f"the face check of the clip copy found {len(left)} face(s) where none may be ({where}); nothing "
            "was exported. Check the clip again (Re-check in the Library, or `consentdesk recheck`), look at "
            "those seconds and decide about every person before approving it."
        )


def _export_clip(original: Path, target: Path, state: ImageState, clip, xmp, progress, cancel) -> str:
    """The clip's cleaned copy: every face marked blur and every finding marked redact, as tracks."""
    from consentdesk.core.media.video import ClipError
    from consentdesk.core.review import clip_export

    redactions = [
        clip_export.Redaction(clip.face_tracks[f.n - 1])
        for f in state.faces
        if f.state is FaceState.BLUR and f.n <= len(clip.face_tracks)
    ] + [
        clip_export.Redaction(clip.finding_tracks[f.n - 1], fill=True)
        for f in state.findings
        if f.state is FindingState.REDACT and f.n <= len(clip.finding_tracks)
    ]
    try:
        return clip_export.export_clip(
            original, target, redactions, xmp, {CONSENTDESK_PREFIX: CONSENTDESK_NS}, progress, cancel
        )
    except (clip_export.ExportFailed, ClipError) as exc:
        raise ExportError(str(exc)) from exc
