"""Showing each person only what their role may do on a team register.

Actions and buttons carry the capability they need (`tag`); `apply_roles` hides the ones the signed-in
person's roles do not allow. This only mirrors the server: a hidden action would be refused there anyway,
with a message naming the role it needs. On a desk catalogue everything is shown.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QWidget

from consentdesk.core.store import team

PROPERTY = "needsCapability"


def tag(item: QAction | QAbstractButton, capability: str) -> None:
    assert capability in team.CAPABILITIES, capability
    item.setProperty(PROPERTY, capability)


def apply_roles(root: QWidget, roles: set[str]) -> list[str]:
    """Hide what `roles` may not do; returns the texts hidden (for the status bar and tests)."""
    hidden = []
    for item in [*root.findChildren(QAction), *root.findChildren(QAbstractButton)]:
        capability = item.property(PROPERTY)
        if not capability:
            continue
        ok = team.allowed(roles, capability)
        item.setVisible(ok)
        if isinstance(item, QAction):
            item.setEnabled(ok)
        if not ok:
            hidden.append(item.text())
    return hidden
