"""What the library page shows about each image, gathered off the GUI thread.

Plain Python (no Qt): these functions run in `run_task` workers, each with its own `Catalogue`
connection (SQLite connections never cross threads), and return frozen values the GUI only displays.
The wording and the rules come from `core.review` / `core.policy`; this module only picks what to show.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.photos import cache
from consentdesk.core.review import policy, workflow
from consentdesk.core.review.recheck import current_analyser
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ApprovalRecord, ImageRecord
from consentdesk.ui.kit.lazy_rows import Loaded, Loader, shrink
from consentdesk.ui.kit.words import approved_copies, face_word, item_word

#: Badge states, in the words shown on the badge (colour is never the only cue); the rule is `policy.badge`.
STATE_WORDS = {b.value: b.words for b in policy.Badge}


def clock(seconds: float) -> str:
    """A clip's length or a time in it as people read it: 0:42, 1:05:09."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """One image in the grid: its record, the badge and the one-line summary."""

    image: ImageRecord
    state: str  # a key of STATE_WORDS
    faces: int
    items: int  # confidential findings (the severities the rules block on)
    summary: str
    cleared_channels: tuple[str, ...] = ()
    outdated: bool = False  # checked by an older analyser version: a re-check may find more
    clip_seconds: float | None = None  # a clip's length; None for a photo

    @property
    def clip_words(self) -> str:
        """"Clip · 0:42" for a clip (said on its card and to screen readers), "" for a photo."""
        return "" if self.clip_seconds is None else f"Clip · {clock(self.clip_seconds)}"

    @property
    def image_id(self) -> int:
        return self.image.id

    @property
    def name(self) -> str:
        return Path(self.image.path).name

    @property
    def badge_text(self) -> str:
        if self.state == "unreadable":
            return STATE_WORDS["unreadable"]
        faces = f"{self.faces} {face_word(self.clip_seconds is not None, self.faces)}"
        items = "1 item" if self.items == 1 else f"{self.items} items"
        return f"{faces} · {items}" + (" · older check" if self.outdated else "")

    @property
    def needs_attention(self) -> bool:
        return policy.Badge(self.state).needs_attention


@dataclass(frozen=True, slots=True)
class PreviewBox:
    kind: str  # "face" or "finding"
    n: int
    x: int
    y: int
    w: int
    h: int
    label: str
    state: str


@dataclass(frozen=True, slots=True)
class PreviewData:
    """Everything the preview pane shows for one image, decoded at screen size (rgb may be None)."""

    row: LibraryRow
    boxes: tuple[PreviewBox, ...]
    findings_text: str
    channels_text: str
    reasons: tuple[str, ...]
    rgb: Any = None  # numpy array, or None when the file could not be decoded
    original_size: tuple[int, int] = (0, 0)
    load_error: str | None = None
    approvals: tuple[ApprovalRecord, ...] = ()  # its approved copies, for "Record take-down…"
    to_take_down: tuple[str, ...] = ()  # ids of the approvals whose copies must come down


def _findings_sentence(status: workflow.ReviewStatus) -> str:
    """e.g. "confidential items found: NHS number, barcode" (kinds once each, in reading order); how many
    are still to resolve is already in the summary before it."""
    kinds: list[str] = []
    for finding in status.state.findings:
        if finding.severity in policy.BLOCKING_SEVERITIES:
            words = policy.kind_words(finding.kind)
            if words not in kinds:
                kinds.append(words)
    return f"confidential items found: {', '.join(kinds)}" if kinds else "no confidential items found"


def row_for(catalogue: Catalogue, image: ImageRecord) -> LibraryRow:
    status = workflow.status(catalogue, image.id)
    state = status.state
    confidential = sum(f.severity in policy.BLOCKING_SEVERITIES for f in state.findings)
    kind = status.badge().value
    what = item_word(is_clip_path(image.path))
    if kind == policy.Badge.TAKE_DOWN:
        n = len(status.takedown)
        summary = (
            f"Take down: {approved_copies(n)} of this {what} relied on a release that "
            "no longer covers it. Take the posts down, delete the exported copies, then record it. "
            f"{status.summary}; {_findings_sentence(status)}"
        )
    elif kind == policy.Badge.UNREADABLE:
        summary = state.analysis_error or f"This {what} has not been checked yet: import it again."
        summary = f"Could not be read: {summary}. Fix or replace the file and import it again."
    else:
        summary = f"{status.summary}; {_findings_sentence(status)}"
    analysis = catalogue.current_analysis(image.id)
    outdated = analysis is not None and analysis.analyser_version != current_analyser(image)
    if outdated:
        summary += ". Checked by an older analyser version: re-check it to use the current one"
    return LibraryRow(
        image=image,
        state=kind,
        faces=len(state.faces),
        items=confidential,
        summary=summary,
        cleared_channels=tuple(status.cleared_channels),
        outdated=outdated,
        clip_seconds=_clip_seconds(catalogue, image),
    )


def _clip_seconds(catalogue: Catalogue, image: ImageRecord) -> float | None:
    if not is_clip_path(image.path):
        return None
    clip = catalogue.stored_clip(image.id)
    return clip.info.duration if clip is not None else None


@dataclass(frozen=True, slots=True)
class LibraryListing:
    """What a load of the grid learnt besides its rows: every id in order (for the review's next and
    previous), the shoots for the filter, and the number of photos in the catalogue."""

    ids: tuple[int, ...]
    shoots: list[dict[str, Any]]
    total: int
    exact: bool  # False: the attention filter has not scanned every photo yet, `total` is a bound


def _rows_from(
    catalogue: Catalogue, ids: Sequence[int], start: int, limit: int, attention_only: bool
) -> tuple[list[LibraryRow], int]:
    """Up to `limit` rows from ids[start:], only those needing attention if asked; and where it stopped."""
    rows: list[LibraryRow] = []
    pos = start
    while pos < len(ids) and len(rows) < limit:
        try:
            row = row_for(catalogue, catalogue.get_image(ids[pos]))
        except KeyError:
            row = None  # removed since the ids were read
        pos += 1
        if row is not None and (row.needs_attention or not attention_only):
            rows.append(row)
    return rows, pos


def library_loader(catalogue_path: str, shoot_id: int | None, attention_only: bool) -> Loader:
    """The grid's loader (runs in a worker): the ids in grid order once per load, rows a page at a time.

    The "needs attention" filter is not in the store yet, so its pages are found by scanning forward
    from where the previous page stopped. Store methods that would make this flat:
    `list_images(limit, offset, filters)` with a needs-attention filter, `count_images(filters)`."""

    def load(want: int) -> Loaded:
        with Catalogue.open(catalogue_path, create=False) as catalogue:
            images = catalogue.list_images(shoot_id)
            ids = tuple(image.id for image in images)
            shrink(images)
            shoots = catalogue.shoots()
            if shoot_id is None:
                total = len(ids)
            else:
                everything = catalogue.list_images()
                total = len(everything)
                shrink(everything)
            first, stopped = _rows_from(catalogue, ids, 0, want, attention_only)
        resume = {len(first): stopped}  # filtered offset -> position in ids where the scan goes on
        lock = threading.Lock()

        def fetch(offset: int, limit: int) -> list[LibraryRow]:
            with lock:
                start = resume.get(offset)
            with Catalogue.open(catalogue_path, create=False) as catalogue:
                if start is None:  # not the page after the last one: scan from the start
                    skipped, start = _rows_from(catalogue, ids, 0, offset, attention_only)
                rows, stopped = _rows_from(catalogue, ids, start, limit, attention_only)
            with lock:
                resume[offset + len(rows)] = stopped
            return rows

        exact = not attention_only or stopped >= len(ids)
        count = len(first) if exact and attention_only else len(ids)
        return Loaded(count, first, fetch, LibraryListing(ids, shoots, total, exact))

    return load


def preview_for(catalogue_path: str, image_id: int, max_side: int = 1600) -> PreviewData:
    """The image's boxes and summary, and its pixels decoded at screen size. Runs in a worker."""
    from consentdesk.core.media import imaging, video

    with Catalogue.open(catalogue_path, create=False) as catalogue:
        image = catalogue.get_image(image_id)
        row = row_for(catalogue, image)
        status = workflow.status(catalogue, image_id)
    state = status.state
    boxes = [
        PreviewBox("face", f.n, f.box.x, f.box.y, f.box.w, f.box.h, str(f.n), status.face_state(f))
        for f in state.faces
    ] + [
        PreviewBox(
            "finding",
            f.n,
            f.box.x,
            f.box.y,
            f.box.w,
            f.box.h,
            f"F{f.n}",  # numbered like the review; the kinds are in the summary below the photo
            status.finding_state(f),
        )
        for f in state.findings
    ]
    cleared = status.cleared_channels
    if row.state == "take_down":
        channels = "Take down: " + "; ".join(
            f"{', '.join(a.channels) or 'no channel'} (approval {a.id})" for a in status.to_take_down
        )
    elif row.state == "rejected":
        channels = f"Rejected: {state.rejection_reason or 'not to be posted'}"
    elif cleared:
        channels = "Cleared for: " + ", ".join(cleared)
    else:
        channels = "Not cleared for any channel yet"
    reasons = (*status.takedown, *status.common_reasons())
    rgb, size, error = None, (image.width, image.height), None
    try:
        if row.clip_seconds is not None:  # a clip: its poster frame; the tracks' boxes are in review
            rgb, boxes = video.poster_frame(cache.local_photo(catalogue, image), max_side), []
        else:
            loaded = imaging.load(cache.local_photo(catalogue, image), max_side=max_side)
            rgb = loaded.rgb
            size = (loaded.info.width, loaded.info.height)
    except (imaging.ImageError, cache.PhotoUnavailable, video.ClipError) as exc:
        error = str(exc)
    return PreviewData(
        row=row,
        boxes=tuple(boxes),
        findings_text=_findings_sentence(status),
        channels_text=channels,
        reasons=reasons,
        rgb=rgb,
        original_size=size,
        load_error=error,
        approvals=status.approvals,
        to_take_down=tuple(a.id for a in status.to_take_down),
    )
