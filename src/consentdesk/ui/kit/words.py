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
