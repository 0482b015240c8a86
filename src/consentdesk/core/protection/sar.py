"""Subject access request (SAR): one zip with everything held about one person and nothing about others.

Contents: the consent record as JSON, its stored files (signatures, reference photo), the completed
release form PDF, scans of their paper form, a readable summary PDF, every photo they are linked to with
every *other* face pixelated (linked to someone else, unresolved, blurred or marked not a person, all
alike) and every finding blanked, and the audit entries about them with other people's record ids
replaced. Photos are re-encoded from pixels, so no camera metadata travels with them.

Clips the person appears in (a track linked to their release) are re-encoded with the same export that
approves clips (`clip_export`): every other person track pixelated and every finding track filled, on every
frame, no metadata of the original. They are written to a private folder beside the bundle and streamed into
the zip (stored, not compressed again), so memory stays flat however long the clip; the summary says when
the person is seen in each. A clip that cannot be read (missing, changed since it was checked, damaged) is
listed with the reason and the bundle goes on.

Exporting a bundle is a data-protection officer's action: it is recorded in the audit trail ('sar.exported',
ids and counts only) in the same transaction that puts the bundle in place, and on a team register the
server refuses that entry (and so the bundle) to other roles. The app asks for the role first, so a
photographer is told before any personal data is gathered.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image

from consentdesk.core.files import atomic_write
from consentdesk.core.ids import PREFIX
from consentdesk.core.media import imaging
from consentdesk.core.media.video import Cancelled, ClipError
from consentdesk.core.pdf.release_form import write_completed_form
from consentdesk.core.pdf.reports import write_sar_summary_pdf
from consentdesk.core.photos import cache
from consentdesk.core.protection.clips import overall_span, spans_in
from consentdesk.core.review.clip_export import ExportFailed, Redaction, export_clip
from consentdesk.core.review.redaction import Method, destroy_regions
from consentdesk.core.store import Catalogue, StoredClip, team
from consentdesk.core.store.errors import refused
from consentdesk.core.values import (
    Box,
    ClipTrack,
    Consent,
    ConsentStatus,
    ImageState,
    SarContents,
    SarImage,
    TrackPoint,
)

OTHER_PERSON = "[another person]"
_ID_PATTERN = re.compile(rf"{PREFIX}-[0-9A-Z]{{4}}-[0-9A-Z]{{4}}")


class SarError(Exception):
    """The bundle cannot be made; the message says why and what to do."""


def redact_other_ids(value: Any, keep: str) -> Any:
    """Replace every record id except `keep` in strings anywhere inside a JSON-like value."""
    if isinstance(value, str):
        return _ID_PATTERN.sub(lambda m: m.group(0) if m.group(0) == keep else OTHER_PERSON, value)
    if isinstance(value, list):
        return [redact_other_ids(v, keep) for v in value]
    if isinstance(value, dict):
        return {k: redact_other_ids(v, keep) for k, v in value.items()}
    return value


def redacted_photo(catalogue: Catalogue, image_id: int, consent_id: str) -> bytes:
    """The photo as JPEG with all faces not linked to `consent_id` pixelated and all findings filled.

    Raises SarError when the file is missing or no longer the file that was checked (the stored face
    boxes would then not match its pixels, so redaction could miss someone).
    """
    record = catalogue.get_image(image_id)
    try:
        loaded = imaging.load(cache.local_photo(catalogue, record))
    except cache.PhotoUnavailable as exc:
        raise SarError(str(exc)) from exc
    except imaging.ImageError as exc:
        raise SarError(f"the photo file cannot be read ({exc})") from exc
    if loaded.info.sha256 != record.sha256:
        raise SarError("the photo file changed since it was checked; run `consentdesk check --relink`")
    others: list[Box] = [
        f.box
        for f in catalogue.review_state(image_id).faces
        if not (f.state == "linked" and f.consent_id == consent_id)
    ]
    analysis = catalogue.current_analysis(image_id)
    findings = [f.box for f in analysis.findings] if analysis else []
    picture = Image.fromarray(loaded.rgb)
    picture = destroy_regions(picture, others, Method.PIXELATE)
    picture = destroy_regions(picture, findings, Method.FILL, pad=0.05)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90)  # a fresh file: no EXIF, GPS or XMP from the original
    return buf.getvalue()


def redacted_clip(
    catalogue: Catalogue,
    image_id: int,
    consent_id: str,
    target: Path,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    read: tuple[StoredClip, ImageState] | None = None,
) -> bool:
    """Write the clip to `target` (an .mp4) with every person track not linked to `consent_id` pixelated
    and every finding track filled, on every frame; returns whether it was made from the team register's
    low-resolution proxy (the original is not on this computer). Raises SarError when neither can be read
    or the original is no longer the file that was checked, `Cancelled` when cancelled. `read`: the clip's
    tracks and review state when the caller has them already."""
    record = catalogue.get_image(image_id)
    clip, state = read or (catalogue.stored_clip(image_id), catalogue.review_state(image_id))
    assert clip is not None
    source, scale = _clip_source(catalogue, record)
    others = [
        Redaction(_scaled(clip.face_tracks[n - 1], scale))
        for n in tracks_to_blur(state, consent_id)
        if n <= len(clip.face_tracks)
    ]
    findings = [Redaction(_scaled(track, scale), fill=True) for track in clip.finding_tracks]
    try:
        export_clip(source, target, others + findings, progress=progress, cancel=cancel)
    except (ClipError, ExportFailed) as exc:
        raise SarError(f"the clip could not be copied with the others blurred: {exc}") from exc
    return scale != 1.0


def _read_clip(catalogue: Catalogue, image_id: int) -> tuple[StoredClip, ImageState] | None:
    clip = catalogue.stored_clip(image_id)
    return None if clip is None else (clip, catalogue.review_state(image_id))


def tracks_to_blur(state, consent_id: str) -> list[int]:  # noqa: ANN001 - an ImageState
    """The person tracks of a clip a SAR copy pixelates: all but the requester's, where a track joined to
    the requester's linked track ("same person as") is theirs too (its state is its person's)."""
    return [f.n for f in state.faces if not (f.state == "linked" and f.consent_id == consent_id)]


def _clip_source(catalogue: Catalogue, record) -> tuple[Path, float]:  # noqa: ANN001 - an ImageRecord
    """The clip's original when it is here (checked against its hash), else the register's proxy with the
    factor that maps the stored tracks onto it."""
    try:
        original = cache.local_photo(catalogue, record)
        if imaging.sha256_file(original) != record.sha256:
            raise SarError("the clip file changed since it was checked; run `consentdesk check --relink`")
        return original, 1.0
    except cache.PhotoUnavailable as exc:
        if not catalogue.keeps_photo_copies:
            raise SarError(str(exc)) from exc
        try:
            proxy = cache.local_clip(catalogue, record)
        except cache.PhotoUnavailable:
            raise SarError(str(exc)) from exc
        return proxy.path, proxy.scale
    except imaging.ImageError as exc:
        raise SarError(f"the clip file cannot be read ({exc})") from exc


def _scaled(track: ClipTrack, k: float) -> ClipTrack:
    if k == 1.0:
        return track
    points = tuple(
        TrackPoint(p.t, Box(round(p.box.x * k), round(p.box.y * k), round(p.box.w * k) + 1, round(p.box.h * k) + 1),
                   p.seen, p.score)
        for p in track.points
    )
    return ClipTrack(points, track.shot)


class _Steps:
    """Progress over the bundle's photos and clips (a clip's share moves with its frames) and cancel."""

    def __init__(self, total: int, progress: Callable[[float], None] | None, cancel) -> None:
        self.total, self.progress, self.cancel, self.done = max(total, 1), progress, cancel, 0

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled()

    def within(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(1.0, (self.done + fraction) / self.total) * 0.95)

    def next(self) -> None:
        self.done += 1
        self.within(0.0)


def _suffix(mime: str) -> str:
    return {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}.get(mime, ".bin")


def build_sar_bundle(
    catalogue: Catalogue,
    consent_id: str,
    out: Path,
    today: date | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SarContents:
    """Write the SAR zip for one consent record to `out` (atomically, readable by the owner only).

    `progress(fraction)` is called as photos and clips are added; `cancel()` returning True stops the work
    (raises `Cancelled`) and leaves no bundle and no audit entry."""
    consent = _record_to_export(catalogue, consent_id)
    contents = SarContents(consent)
    members: dict[str, bytes | Path] = {}  # a Path: a clip written beside the bundle, streamed in
    out = Path(out)
    # the clips' cleaned copies are written beside the bundle (same disk, room for them), privately (0700)
    with tempfile.TemporaryDirectory(prefix=".consentdesk-sar-", dir=out.parent) as tmp:
        _add_record(catalogue, contents, members)
        _add_photos(catalogue, contents, members, Path(tmp), progress, cancel)
        _add_audit_entries(catalogue, contents, members)
        _add_documents(catalogue, contents, members, today)
        _write_recorded(catalogue, contents, members, out)
    if progress is not None:
        progress(1.0)
    return contents


def _record_to_export(catalogue: Catalogue, consent_id: str) -> Consent:
    """The record, once it is clear a bundle may be made: by a data-protection officer, of a record that
    still holds personal data."""
    if catalogue.is_team_register and not team.allowed(team.my_roles(catalogue), "protect"):
        raise refused("dpo")  # the server would refuse the bundle's audit entry: say so before gathering
    consent = catalogue.get_consent(consent_id)
    if consent.status is ConsentStatus.ERASED:
        raise SarError(
            f"record {consent_id} was erased: nothing is held about the person apart from the record id and "
            "the dates in the audit trail. Say so in the reply to the request."
        )
    return consent


def _add_record(catalogue: Catalogue, contents: SarContents, members: dict[str, bytes | Path]) -> None:
    """The record as JSON, its stored files (signatures, reference photo) and its paper form's scans."""
    cid = contents.consent.id
    members[f"consent/{cid}.json"] = json.dumps(
        contents.consent.to_json(), ensure_ascii=False, indent=2
    ).encode()
    for field_id in ("signature", "guardian_signature", "reference_photo"):
        stored = catalogue.consent_file(cid, field_id)
        if stored:
            mime, data = stored
            members[f"consent/{cid}-{field_id}{_suffix(mime)}"] = data
            contents.files.append(field_id)
    for scan in catalogue.paper_scans(cid):
        members[f"paper-form/{cid}-scan-{scan.id}-page-{scan.page}{_suffix(scan.mime)}"] = (
            catalogue.paper_scan_data(scan.id)
        )
        contents.scans.append(scan)


def _add_photos(
    catalogue: Catalogue,
    contents: SarContents,
    members: dict[str, bytes | Path],
    tmp: Path,
    progress: Callable[[float], None] | None,
    cancel: Callable[[], bool] | None,
) -> None:
    """Every photo and clip the person is linked to, with everyone else pixelated; one that cannot be read
    is listed with the reason instead and the bundle goes on."""
    cid = contents.consent.id
    linked = catalogue.images_linked_to(cid)
    clips = catalogue.clip_ids(list(linked))
    approved = catalogue.approvals_of(list(linked))  # one query per 500 photos, not one per photo
    steps = _Steps(len(linked), progress, cancel)
    for image_id, numbers in linked.items():
        steps.check()
        record = catalogue.get_image(image_id)
        approvals = tuple(approved[image_id])
        # a clip's tracks and review state are read once, for the seconds seen and for the copy
        read = _read_clip(catalogue, image_id) if image_id in clips else None
        seen = overall_span(spans_in(*read, numbers)) if read else None
        name = f"clips/clip-{image_id}.mp4" if image_id in clips else f"photos/photo-{image_id}.jpg"
        try:
            low = False
            if image_id in clips:
                target = tmp / f"clip-{image_id}.mp4"
                low = redacted_clip(catalogue, image_id, cid, target, steps.within, steps.check, read=read)
                members[name] = target
            else:
                members[name] = redacted_photo(catalogue, image_id, cid)
            contents.images.append(SarImage(image_id, record.captured_at, approvals, name, seen=seen, low_resolution=low))
        except SarError as exc:
            contents.images.append(SarImage(image_id, record.captured_at, approvals, None, str(exc), seen))
        steps.next()


def _add_audit_entries(
    catalogue: Catalogue, contents: SarContents, members: dict[str, bytes | Path]
) -> None:
    """The audit entries about the person, with other people's record ids replaced."""
    cid = contents.consent.id
    entries = catalogue.audit_entries_mentioning(cid)
    contents.audit_entries = len(entries)
    audit_json = [
        redact_other_ids(
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "details": e.details,
            },
            cid,
        )
        for e in entries
    ]
    members["audit.json"] = json.dumps(audit_json, ensure_ascii=False, indent=2).encode()


def _add_documents(
    catalogue: Catalogue, contents: SarContents, members: dict[str, bytes | Path], today: date | None
) -> None:
    """The completed release form and the readable summary (which lists every file in the bundle)."""
    cid = contents.consent.id
    with tempfile.TemporaryDirectory(prefix="consentdesk-sar-") as tmp:
        form_pdf = write_completed_form(catalogue, contents.consent, Path(tmp) / "form.pdf")
        members[f"consent/{cid}-release-form.pdf"] = form_pdf.read_bytes()
        contents.names = sorted([*members, "summary.pdf"])
        summary = write_sar_summary_pdf(contents, Path(tmp) / "summary.pdf", today)
        members["summary.pdf"] = summary.read_bytes()


def _write_recorded(
    catalogue: Catalogue, contents: SarContents, members: dict[str, bytes | Path], out: Path
) -> None:
    """Put the zip in place in the same transaction as its audit entry ('sar.exported', ids and counts
    only): if the entry is refused or fails, the bundle does not stay either."""

    def build(tmp_zip: Path) -> None:
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(members):
                member = members[name]
                if isinstance(member, Path):  # a clip: streamed from its file, already compressed
                    zf.write(member, name, compress_type=zipfile.ZIP_STORED)
                else:
                    zf.writestr(name, member)

    written = False

    def write() -> None:
        nonlocal written
        atomic_write(out, build)
        written = True

    details = {
        "photos": [i.image_id for i in contents.images if i.bundle_name],
        "photos_left_out": [i.image_id for i in contents.images if not i.bundle_name],
        "files": len(contents.files),
        "scans": len(contents.scans),
        "audit_entries": contents.audit_entries,
    }
    try:
        catalogue.record_sar_export(contents.consent.id, details, write)
    except BaseException:
        if written:  # the export was not recorded, so the bundle does not stay either
            out.unlink(missing_ok=True)
        raise
