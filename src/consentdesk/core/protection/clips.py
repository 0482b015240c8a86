"""Where a person is in a clip: the tracks linked to them and the seconds each is on screen.

Withdrawal, SAR and erasure treat a clip as the image record it is; what they add for people is *when* the
person appears, so a take-down or a reply to a request can say "seen from 4.0 to 9.5 s" rather than only
"in this clip". Read from the stored tracks (boxes and times), never from the file.
"""

from __future__ import annotations

from consentdesk.core.store import Catalogue, StoredClip
from consentdesk.core.values import ImageState


def person_spans(
    catalogue: Catalogue, image_id: int, numbers: list[int] | tuple[int, ...]
) -> tuple[tuple[int, float, float], ...]:
    """(track number, first second, last second) for each of these person tracks of the clip; () for a
    photo (or a clip whose stored tracks do not reach these numbers)."""
    clip = catalogue.stored_clip(image_id)
    if clip is None:
        return ()
    return spans_in(clip, catalogue.review_state(image_id), numbers)


def spans_in(
    clip: StoredClip, state: ImageState, numbers: list[int] | tuple[int, ...]
) -> tuple[tuple[int, float, float], ...]:
    """`person_spans` from a clip's tracks and review state already read (a SAR copy reads them once for
    both the spans and the copy: a long clip's tracks hold a box for every frame)."""
    # the tracks a reviewer said are the same person as these ("same person as 3") show them too
    joined = [f.n for f in state.faces if f.same_as is not None and f.same_as in numbers]
    spans = []
    for n in sorted({*numbers, *joined}):
        if 1 <= n <= len(clip.face_tracks) and any(p.seen for p in clip.face_tracks[n - 1].points):
            track = clip.face_tracks[n - 1]
            spans.append((n, track.first, track.last))
    return tuple(spans)


def overall_span(spans: tuple[tuple[int, float, float], ...]) -> tuple[float, float] | None:
    """The first and last second over several tracks (the same person in two shots)."""
    if not spans:
        return None
    return min(first for _n, first, _last in spans), max(last for _n, _first, last in spans)
