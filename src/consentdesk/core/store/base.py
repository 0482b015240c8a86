"""What every part of the store shares: the engine, the one open transaction, and error translation.

Each user action is one transaction that also appends its audit entry (`transaction()`); reads outside an
action check a pooled connection out for just that read, so a server that went away is noticed and
reconnected on the next action rather than poisoning the object for good.

A `Catalogue` may be shared by threads: the open action is kept per thread, and the engine's pool is
thread-safe, so the app's workers use the window's catalogue and its warm connections instead of opening
(and, on a team register, authenticating) a new one for every key pressed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from consentdesk.core.store import audit_chain
from consentdesk.core.store.audit_chain import utc_now  # noqa: F401 - the store's one clock, imported from here
from consentdesk.core.store.engine import WRITE_INTENT
from consentdesk.core.store.errors import CatalogueError, explain
from consentdesk.core.store.locator import Locator

#: Text with a lone surrogate (half of a UTF-16 pair: a bad paste, bytes that were not UTF-8) cannot be stored
#: or searched for by either engine.
BROKEN_TEXT = (
    "the text given holds a broken character (half of a character pair, from a bad copy and paste or bytes "
    "that are not UTF-8 text); type it again."
)




class StoreBase:
    """Connection handling shared by the store's parts (mixed into `Catalogue`)."""

    def __init__(self, locator: Locator, engine: Engine) -> None:
        self._locator = locator
        self._engine = engine
        self._per_thread = threading.local()
        self._actor: str | None = None

    @property
    def _active(self) -> Connection | None:
        """This thread's open action (another thread's action is none of its business)."""
        return getattr(self._per_thread, "connection", None)

    @_active.setter
    def _active(self, connection: Connection | None) -> None:
        self._per_thread.connection = connection

    @property
    def engine_name(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._locator.engine

    @property
    def actor(self) -> str:
        """Who is acting: the server's session user on a team register, the OS user on a desk catalogue."""
        if self._actor is None:
            if self._locator.is_server:
                with self._connection() as conn:
                    self._actor = str(conn.exec_driver_sql("SELECT session_user").scalar())
            else:
                self._actor = audit_chain.current_actor()
        return self._actor

    @contextmanager
    def transaction(self, needs: str | None = None) -> Iterator[Connection]:
        """One user action: all of it is saved, with its audit entry, or none of it.

        `needs` names the team role the action belongs to, so a refusal by the server can say which role
        the person would need (the server decides; this only words the answer).
        """
        if self._active is not None:
            yield self._active
            return
        try:
            conn = self._engine.connect()
            conn.info[WRITE_INTENT] = True
            conn.begin()
        except sa_exc.DBAPIError as exc:
            raise explain(self._locator, exc) from exc
        self._active = conn
        try:
            yield conn
            conn.commit()
        except sa_exc.DBAPIError as exc:
            _quietly_rollback(conn)
            raise explain(self._locator, exc, needs=needs) from exc
        except UnicodeEncodeError as exc:
            _quietly_rollback(conn)
            raise CatalogueError(BROKEN_TEXT + " Nothing was saved.") from exc
        except BaseException:
            _quietly_rollback(conn)
            raise
        finally:
            self._active = None
            conn.info.pop(WRITE_INTENT, None)
            conn.close()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """The open action's connection, or a pooled one for a read."""
        if self._active is not None:
            yield self._active
            return
        try:
            with self._engine.connect() as conn:
                yield conn
                conn.rollback()
        except sa_exc.DBAPIError as exc:
            raise explain(self._locator, exc) from exc
        except UnicodeEncodeError as exc:
            raise CatalogueError(BROKEN_TEXT) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read-only connection whose reads all see one moment (several queries that must agree)."""
        if self._active is not None:
            yield self._active
            return
        try:
            with self._engine.connect() as conn:
                if self._locator.is_server:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                yield conn
                conn.rollback()
        except sa_exc.DBAPIError as exc:
            raise explain(self._locator, exc) from exc

    def _in_transaction(self) -> bool:
        return self._active is not None

    def _require_action(self) -> Connection:
        if self._active is None:
            raise CatalogueError("internal error: a change was attempted outside an action")
        return self._active


def _quietly_rollback(conn: Connection) -> None:
    # When the connection is gone the server discards the transaction with it.
    with contextlib.suppress(sa_exc.DBAPIError):
        conn.rollback()
