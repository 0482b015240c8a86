"""Which files are clips, told from their names alone.

Why a module of its own: the store and the list commands need to know whether an item is a clip, and must
not load the decoder and numpy (media/video.py) to find out (a `queue` answers at once: tests/cli/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

CLIP_SUFFIXES = frozenset({".mp4", ".mov", ".m4v"})


def is_clip_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in CLIP_SUFFIXES
