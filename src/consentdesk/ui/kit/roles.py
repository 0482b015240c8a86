"""Showing each person only what their role may do on a team register.

Actions and buttons carry the capability they need (`tag`); `apply_roles` hides the ones the signed-in
person's roles do not allow. This only mirrors the server: a hidden action would be refused there anyway,
with a message naming the role it needs. On a desk catalogue everything is shown.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QWidget

from consentdesk.core.store import Catalogue, team
from consentdesk.ui.kit.busy import in_catalogue
from consentdesk.ui.kit.workers import run_task

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


def window_roles(widget: QWidget) -> set[str] | None:
    """The roles mirrored by the window `widget` sits in (the main window's `roles`), None if not known yet."""
    current: QWidget | None = widget
    while current is not None:
        roles = getattr(current, "roles", None)
        if isinstance(roles, set):
            return roles
        current = current.parentWidget()
    return None


def apply_window_roles(widget: QWidget, catalogue: Catalogue) -> None:
    """Hide what the signed-in person may not do in a dialog opened from the window (a record's view):
    with the window's roles when it knows them, else nothing role-bound is shown until the server says."""
    if not catalogue.is_team_register:
        apply_roles(widget, set(team.ROLES))
        return
    roles = window_roles(widget)
    if roles is not None:
        apply_roles(widget, roles)
        return
    apply_roles(widget, set())
    run_task(
        in_catalogue(catalogue, lambda cat, _c: team.my_roles(cat)),
        lambda mine: apply_roles(widget, mine),
        owner=widget,
    )
