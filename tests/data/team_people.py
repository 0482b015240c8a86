"""The people of the test team register: five sign-ins in the four roles (see the `team_register` fixture)."""

from __future__ import annotations

PASSWORDS = {
    "pat": "pat-secret-123",
    "paula": "paula-secret-12",
    "rita": "rita-secret-123",
    "dora": "dora-secret-123",
    "adam": "adam-secret-123",
}
ROLES = {"pat": "photographer", "paula": "photographer", "rita": "reviewer", "dora": "dpo", "adam": "admin"}


def url_for(register, name: str) -> str:
    """The address `name` signs in with (their own login role and password)."""
    server, database, _ = register
    return server.url(database, user=name, password=PASSWORDS[name])
