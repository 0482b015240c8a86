"""Helpers that walk real widget trees the way assistive technology and keyboard users meet them."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


def accessible_name(widget: QWidget) -> str:
    """What a screen reader announces as the control's name (Qt's own fallbacks included)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name) if interface is not None else ""


def accessible_description(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Description) if interface is not None else ""


def focusable_controls(root: QWidget) -> Iterator[QWidget]:
    """Every control Tab can reach inside `root`: shown, enabled, taking Tab focus, not a part of a
    composite control (a spin box's or combo box's own line edit)."""
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or not widget.isEnabled():
            continue
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or widget.focusProxy() is not None:
            continue
        parent = widget.parentWidget()
        if isinstance(parent, (QAbstractSpinBox, QComboBox)):
            continue
        yield widget


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName() or getattr(widget, 'text', lambda: '')()!r})"


def labelled_by(widget: QWidget) -> list[QWidget]:
    """The widgets an assistive technology is told label `widget` (Qt's Label relation: a buddy)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    if interface is None:
        return []
    found = []
    for other, relation in interface.relations(QAccessible.RelationFlag.Label):
        if relation & QAccessible.RelationFlag.Label and isinstance(other.object(), QWidget):
            found.append(other.object())
    return found
