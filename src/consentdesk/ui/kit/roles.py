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

#: What each capability lets a person do, in words (the roles that have it are `team.CAPABILITIES`).
CAPABILITY_WORDS = {  # (what you may do, what it is called)
    "record": ("record releases and paper forms", "recording releases and paper forms"),
    "import": ("import photos", "importing photos"),
    "review": ("review, approve and reject photos", "reviewing, approving and rejecting photos"),
    "takedown": ("record take-downs", "recording take-downs"),
    "withdraw": ("withdraw releases", "withdrawing releases"),
    "protect": (
        "export subject access bundles, erase people and back up the catalogue",
        "subject access bundles, erasure and backups",
    ),
    "people": ("add people and set their roles and passwords", "people and their roles"),
}
ROLE_NAMES = {
    "photographer": "photographers",
    "reviewer": "reviewers (the social media team)",
    "dpo": "the data-protection officer",
    "admin": "administrators",
}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def role_summary(roles: set[str]) -> str:
    """What these roles may do, and who the rest is for, in words (the server decides; this only tells
    the person before they try, so nobody is offered what the register would refuse)."""
    if set(team.ROLES) <= roles:  # a desk catalogue, or the register's owner
        return "You may do everything here."
    if not roles:
        return "You have no ConsentDesk role yet: ask your administrator."
    may = [verb for capability, (verb, _noun) in CAPABILITY_WORDS.items() if team.allowed(roles, capability)]
    by_roles: dict[tuple[str, ...], list[str]] = {}
    for capability, (_verb, noun) in CAPABILITY_WORDS.items():
        if not team.allowed(roles, capability):
            by_roles.setdefault(team.CAPABILITIES[capability], []).append(noun)
    text = f"You may {_and(may)}." if may else "You may look at everything, not change it."
    for who, what in by_roles.items():
        text += f" {_and(what)[:1].upper()}{_and(what)[1:]}: {_and([ROLE_NAMES[r] for r in who])}."
    return text


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
