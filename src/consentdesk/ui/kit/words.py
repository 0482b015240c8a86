"""The words the UI uses for what a catalogue item is: a photo or a clip, one place for every text.

Why: clips are image records (their people are the record's faces), so every screen that shows a photo
also shows clips; a text that says "photo" for a clip tells the person the wrong thing about what they
are approving, exporting or sending. Texts ask here instead of writing "photo" themselves.
"""

from __future__ import annotations


def item_word(is_clip: bool) -> str:
    """"clip" or "photo"."""
    return "clip" if is_clip else "photo"


def items_word(n: int, is_clip: bool) -> str:
    """"1 clip", "3 photos"…"""
    word = item_word(is_clip)
    return f"{n} {word}{'' if n == 1 else 's'}"


def face_word(is_clip: bool, n: int = 1) -> str:
    """What a numbered face is called: a clip's faces are person tracks, so "person"/"people" there and
    "face"/"faces" on a photo."""
    if is_clip:
        return "person" if n == 1 else "people"
    return "face" if n == 1 else "faces"


def photos_and_clips(photos: int, clips: int) -> str:
    """"3 photos", "1 clip", "2 photos and 1 clip" (a count of none is left out unless both are none)."""
    parts = [items_word(photos, False)] * bool(photos or not clips) + [items_word(clips, True)] * bool(clips)
    return " and ".join(parts)


def approved_copies(n: int) -> str:
    """"1 approved copy", "3 approved copies": an image's approved (exported) copies, as take-downs count them."""
    return f"{n} approved cop{'y' if n == 1 else 'ies'}"
