"""Labels in the style sheet's text roles, and the title-and-hint block every page and dialog starts with.

The roles ("pageTitle", "title", "sectionTitle", "eyebrow", "hint", "error"…) are styled in style.qss;
a label says which one it is, never its own font or colour, so contrast is checked in one place.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

from consentdesk.ui.kit import spacing


def text_label(text: str, role: str = "", *, wrap: bool = True, name: str = "") -> QLabel:
    """A label in one of the style sheet's text roles ("title", "hint", "eyebrow", "error"…)."""
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


def title_and_hint(
    title: str | QLabel, hint: str | QLabel | None = None, *, role: str = "title", eyebrow: str = ""
) -> QVBoxLayout:
    """A title with an optional eyebrow above and a hint under it, tightly stacked (dialogs and pages)."""
    box = spacing.vbox(spacing=spacing.TIGHT)
    if eyebrow:
        box.addWidget(text_label(eyebrow, "eyebrow", wrap=False))
    box.addWidget(title if isinstance(title, QLabel) else text_label(title, role))
    if hint is not None:
        box.addWidget(hint if isinstance(hint, QLabel) else text_label(hint, "hint"))
    return box
