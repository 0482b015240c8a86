"""Turning database failures into one sentence a person can act on.

Both engines raise their own exception types with their own texts; this is the one place that reads them,
so the rest of the app sees `CatalogueError` with a message that says what happened and what to do.
"""

from __future__ import annotations

from consentdesk.core.store.locator import Locator


class CatalogueError(Exception):
    """The catalogue cannot be opened or written; the message says why and what to do."""


class ConflictError(CatalogueError):
    """Someone else changed what this action was based on; reload and decide again."""


class PasswordRequired(CatalogueError):
    """The server wants a (right) password for this person; ask for it and try again."""


class RefusedError(CatalogueError):
    """The database refused the action (a rule it enforces, or a role that lacks the right)."""


#: How the roles are named to people (core/store/team.py creates them).
ROLE_WORDS = {
    "photographer": "photographer",
    "reviewer": "reviewer (social media team)",
    "dpo": "data-protection officer",
    "admin": "administrator",
}


def refused(needs: str) -> RefusedError:
    """The one sentence for an action the person's team role does not allow (by the server or, before any
    work is done, by the app asking which roles the person has)."""
    return RefusedError(
        f"the team register refused this: it needs the {ROLE_WORDS.get(needs, needs)} role, which "
        "you do not have. Ask your administrator if you should."
    )


def explain(locator: Locator, error: BaseException, needs: str | None = None) -> CatalogueError:
    """One plain sentence for `error`, which happened while using the catalogue at `locator`; `needs` is
    the role the refused action belongs to, if known."""
    where = locator.safe_text
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    lowered = str(original).lower()
    if locator.is_server:
        if needs and (
            "permission denied" in lowered
            or "row-level security" in lowered
            or getattr(original, "sqlstate", None) == "42501"
        ):
            return refused(needs)
        return _explain_server(where, lowered, text, error)
    if "readonly" in lowered or "read-only" in lowered:
        return CatalogueError(f"{where} cannot be written (read-only file or folder). Check its permissions.")
    if "disk is full" in lowered or "database or disk is full" in lowered or "disk i/o error" in lowered:
        return CatalogueError(
            f"the disk holding {where} is full; free some space and try again. Nothing was saved."
        )
    if "locked" in lowered or "busy" in lowered:
        return CatalogueError(
            f"{where} is busy in another ConsentDesk window or program; close it and try again."
        )
    if "not a database" in lowered or "malformed" in lowered:
        return CatalogueError(
            f"{where} is damaged or not a ConsentDesk catalogue ({text}). Restore it from a backup."
        )
    if "unable to open" in lowered:
        return CatalogueError(f"cannot open {where}: check that the folder exists and you may write to it.")
    if _integrity(error):
        return RefusedError(f"the catalogue refused this change: {text}")
    return CatalogueError(f"{where}: {text}")


def _sign_in_problem(where: str, lowered: str) -> CatalogueError | None:
    """Why the server would not let this person in, if that is what it said."""
    if "no password supplied" in lowered:
        return PasswordRequired(f"the team register at {where} needs your password.")
    if "not permitted to log in" in lowered:
        return CatalogueError(
            f"the team register at {where} does not let this user sign in (their access was removed or "
            "suspended); ask your administrator."
        )
    if "password authentication failed" in lowered:
        return PasswordRequired(
            f"the team register at {where} refused the user name or password; check them and sign in again."
        )
    return None


def _explain_server(where: str, lowered: str, text: str, error: BaseException) -> CatalogueError:
    refused_sign_in = _sign_in_problem(where, lowered)
    if refused_sign_in is not None:
        return refused_sign_in
    if "does not exist" in lowered and "database" in lowered:
        return CatalogueError(
            f"there is no database named in {where}; check the address with your administrator."
        )
    if "role" in lowered and "does not exist" in lowered:
        return CatalogueError(
            f"the team register at {where} does not know this user; ask your administrator to add you."
        )
    if "certificate" in lowered or "ssl" in lowered:
        return CatalogueError(
            f"the secure connection to {where} could not be verified ({text}); ask your administrator for the "
            "server's certificate settings."
        )
    if "permission denied" in lowered or "insufficient_privilege" in lowered or "must be owner" in lowered:
        return RefusedError(f"the team register refused this action for your role ({text}).")
    if (
        "connection refused" in lowered
        or "could not connect" in lowered
        or "connection failed" in lowered
        or "no such file or directory" in lowered
        or "could not translate host name" in lowered
        or "timeout" in lowered
    ):
        return CatalogueError(
            f"cannot reach the team register at {where}: the server is not answering. Check the network or ask "
            "your administrator whether it is running."
        )
    if (
        "server closed the connection" in lowered
        or "terminating connection" in lowered
        or "connection is closed" in lowered
        or "consuming input failed" in lowered
        or "the connection is lost" in lowered
        or getattr(error, "connection_invalidated", False)
    ):
        return CatalogueError(
            f"the connection to the team register at {where} was lost; nothing of this action was saved. "
            "Check the network and try again."
        )
    if "could not serialize" in lowered or "deadlock" in lowered:
        return ConflictError("someone else changed the same records at the same moment; try again.")
    if "images_sha256_key" in lowered:
        return RefusedError(
            "this photo is already in the team register (imported by someone else, so it is not among your "
            "photos); a reviewer can find it there. Nothing was added."
        )
    if _integrity(error) or "raise_exception" in lowered:
        return RefusedError(f"the team register refused this change: {text}")
    if "invalid dsn" in lowered or "invalid connection option" in lowered or "missing" in lowered:
        return CatalogueError(f"{where} is not a usable postgresql:// address ({text}).")
    return CatalogueError(f"the team register at {where} reported a problem: {text}")


def _integrity(error: BaseException) -> bool:
    from sqlalchemy import exc as sa_exc  # loaded by then: the error came through SQLAlchemy

    return isinstance(error, sa_exc.IntegrityError)
