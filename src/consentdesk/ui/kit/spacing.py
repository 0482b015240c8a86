"""The app's spacing, in one place: every page, dialog, band, bar and card takes its margins from here.

Why: the same margins were typed into a dozen files and had drifted apart (a page at 24 px, the next at
28; dialogs at 20, 22 or 24). Margins are (left, top, right, bottom) in device-independent pixels; Qt
scales them at high DPI.
"""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLayout, QVBoxLayout, QWidget

Margins = tuple[int, int, int, int]

NONE: Margins = (0, 0, 0, 0)
#: A navigation page, around its header, filter bar and content.
PAGE: Margins = (28, 22, 28, 16)
#: The review screen: the photo gets as much room as it can.
REVIEW: Margins = (20, 14, 20, 14)
#: A dialog without bands (a question, a short form, a report).
DIALOG: Margins = (24, 20, 24, 16)
#: The white header band at the top of a larger dialog (title, eyebrow, hint, badge).
BAND: Margins = (28, 18, 28, 16)
#: The white footer band with a larger dialog's buttons.
FOOTER: Margins = (24, 12, 24, 12)
#: The scrolling body between a dialog's bands.
BODY: Margins = (24, 20, 24, 24)
#: A filter bar (search, filters, counts) under a page's header.
BAR: Margins = (12, 8, 12, 8)
#: A card (a form section, a record's section) inside a body.
CARD: Margins = (20, 16, 20, 18)
#: A panel inside a page (the library's preview text, the import strip, the review's side).
PANEL: Margins = (14, 12, 14, 12)

#: Between a title and the hint under it.
TIGHT = 2
#: Between controls in a row or rows of a form.
GAP = 10
#: Between the blocks of a page or a dialog (header, bar, content).
BLOCK = 12
#: Between cards.
SECTION = 16


def _box(box: QBoxLayout, margins: Margins, spacing: int | None) -> QBoxLayout:
    box.setContentsMargins(*margins)
    if spacing is not None:
        box.setSpacing(spacing)
    return box


def vbox(parent: QWidget | None = None, margins: Margins = NONE, spacing: int | None = None) -> QVBoxLayout:
    """A vertical layout (set on `parent` when given) with these margins and spacing."""
    box = QVBoxLayout(parent) if parent is not None else QVBoxLayout()
    _box(box, margins, spacing)
    return box


def hbox(parent: QWidget | None = None, margins: Margins = NONE, spacing: int | None = None) -> QHBoxLayout:
    """A horizontal layout (set on `parent` when given) with these margins and spacing."""
    box = QHBoxLayout(parent) if parent is not None else QHBoxLayout()
    _box(box, margins, spacing)
    return box


def set_margins(layout: QLayout, margins: Margins) -> None:
    layout.setContentsMargins(*margins)
