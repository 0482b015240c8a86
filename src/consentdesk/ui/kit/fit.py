"""Sizing a small dialog around its wrapped text, so no sentence is ever cut off.

Qt sizes a top-level window from its layout's minimum size, which ignores how tall word-wrapped labels
become at the window's width; `resize(w, 0)` then clips them (the erasure warning lost its last lines,
the withdrawal's buttons covered the reason box). `fit_to_width` asks the layout for its height at that
width instead, and is called again whenever text appears (an error under a field).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def fit_to_width(dialog: QWidget, width: int) -> None:
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    width = max(width, layout.minimumSize().width())
    height = layout.heightForWidth(width) if layout.hasHeightForWidth() else -1
    height = max(height, layout.minimumSize().height(), layout.sizeHint().height() if height < 0 else 0)
    dialog.setMinimumSize(width, height)
    dialog.resize(width, max(height, dialog.height() if dialog.width() == width else 0))
