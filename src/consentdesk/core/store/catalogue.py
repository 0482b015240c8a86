"""The catalogue: one object per thread that opens a locator and offers every store operation.

Each concern has its own module (consents, images, review, audit_trail, maintenance); `Catalogue` is their
sum plus opening and upgrading. Callers see dataclasses, never rows or connections, and open a catalogue
only from a locator, so the same code runs on a desk's SQLite file and on a team's PostgreSQL register.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, select

from consentdesk.core.store import locator as locators
from consentdesk.core.store import schema as t
from consentdesk.core.store import states, verify
from consentdesk.core.store.clip_copies import ClipProxyStore
from consentdesk.core.store.consents import ConsentStore
from consentdesk.core.store.dbapi import Db
from consentdesk.core.store.engine import connection_warning, make_engine
from consentdesk.core.store.errors import CatalogueError, explain
from consentdesk.core.store.locator import Locator, LocatorError
from consentdesk.core.store.maintenance import MaintenanceStore
from consentdesk.core.store.migrations import (
    APPLICATION_ID,
    CLIP_STATES_FROM,
    LATEST_VERSION,
    STATES_FROM,
    TEAM_RULES_KEY,
    migrate,
    schema_version,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"


class Catalogue(MaintenanceStore, ConsentStore, ClipProxyStore):
    @classmethod
    def open(cls, where: str | os.PathLike[str] | Locator, *, create: bool = True) -> Catalogue:
        """Open (and, when `create`, start or upgrade) the catalogue at a file path or postgresql:// URL."""
        try:
            locator = locators.parse(where)
        except LocatorError as exc:
            raise CatalogueError(str(exc)) from exc
        if locator.path is not None:
            _prepare_file(locator.path, create)
        engine = make_engine(locator)
        catalogue = cls(locator, engine)
        try:
            catalogue._upgrade(create)
        except sa_exc.DBAPIError as exc:
            engine.dispose()
            raise explain(locator, exc) from exc
        except BaseException:
            engine.dispose()
            raise
        return catalogue

    # --- identity -------------------------------------------------------------------------------------

    @property
    def locator(self) -> str:
        """What opens this same catalogue again; workers use it to open their own connection."""
        return self._locator.text

    @property
    def display_name(self) -> str:
        """A short, password-free name for window titles and labels."""
        return self._locator.display_name

    @property
    def safe_locator(self) -> str:
        """The locator with any password hidden, for messages and tooltips."""
        return self._locator.safe_text

    @property
    def path(self) -> Path | None:
        """The catalogue file of a desk catalogue; None for a team register on a server."""
        return self._locator.path

    @property
    def connection_warning(self) -> str | None:
        """Set when a team register's connection is weaker than verified TLS (shown to the person)."""
        return connection_warning(self._locator)

    @property
    def is_team_register(self) -> bool:
        return self._locator.is_server

    @property
    def schema_version(self) -> int:
        with self._connection() as conn:
            return schema_version(conn)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening ------------------------------------------------------------------------------------

    def _upgrade(self, create: bool) -> None:
        with self._connection() as conn:
            version = schema_version(conn)
            foreign = self._holds_other_data(conn, version)
            owner = self._is_owner(conn) if self.is_team_register and version > 0 else True
        where = self._locator.safe_text
        if foreign:
            kind = "an SQLite database" if self.engine_name == "sqlite" else "a database"
            raise CatalogueError(
                f"{where} is {kind} but not a ConsentDesk catalogue. "
                "Choose a catalogue file, or a new file name to start one."
            )
        if version > LATEST_VERSION:
            raise CatalogueError(
                f"{where} was made by a newer ConsentDesk (catalogue version {version}; this one reads up "
                f"to {LATEST_VERSION}). Update ConsentDesk to open it; nothing was changed."
            )
        if version == LATEST_VERSION:
            if not owner:
                self._require_current_team_rules()
            return
        if version == 0 and not create:
            raise CatalogueError(f"there is no ConsentDesk catalogue at {where}")
        if not owner:
            raise CatalogueError(
                f"the team register at {where} was made by an earlier ConsentDesk (version {version}) and must "
                "be upgraded by its administrator first: `consentdesk team init` run as the register's owner "
                "upgrades it and applies the new rules. Nothing was changed."
            )
        if version > 0 and self.path is not None:
            self._backup_before_upgrade(version)
        with self.transaction() as conn:
            applied = migrate(conn)
            if version == 0:
                self._start_chain()
                # A random chain id: two catalogues never share an audit entry (hash) by coincidence, which
                # is how `catalogue copy` tells entries it already brought in (store/copy.py).
                self.append_audit(
                    "catalogue.created", None, {"schema": LATEST_VERSION, "chain": secrets.token_hex(16)}
                )
                return
            if version < STATES_FROM <= LATEST_VERSION:
                # Records made before entries described their states: their state now, per kind in groups, so
                # a later change to any of them shows (verify.py).
                self.append_audit(
                    verify.SEAL_ACTION, None, {"seal": verify.seal(Db.of(conn)), "schema": STATES_FROM}
                )
            if STATES_FROM <= version < CLIP_STATES_FROM <= LATEST_VERSION:
                self._restate_clips(conn)
            self.append_audit(
                "catalogue.upgraded", None, {"from": version, "to": LATEST_VERSION, "applied": applied}
            )

    def _restate_clips(self, conn) -> None:  # noqa: ANN001 - a SQLAlchemy Connection
        """Clips analysed before their tracks counted in their analysis's state (versions 8 and 9): one entry
        with each one's state as audited then and as computed now, so verification matches both."""
        if restated := states.clip_restatements(Db.of(conn)):
            self.append_audit("clips.restated", None, {"clips": len(restated)}, states=restated)

    def _is_owner(self, conn) -> bool:  # noqa: ANN001 - a SQLAlchemy Connection
        """Whether the person signed in owns the register's tables (only they may change its structure)."""
        return bool(
            conn.exec_driver_sql(
                "SELECT pg_has_role(session_user, tableowner, 'USAGE') FROM pg_tables "
                "WHERE tablename = 'audit' AND schemaname = current_schema()"
            ).scalar()
        )

    def _require_current_team_rules(self) -> None:
        """After an upgrade the register's grants are the old ones until the owner runs `team init` again."""
        with self._connection() as conn:
            rules = conn.execute(select(t.meta.c.value).where(t.meta.c.key == TEAM_RULES_KEY)).scalar()
        if rules is None or int(rules) < LATEST_VERSION:
            raise CatalogueError(
                f"the team register at {self._locator.safe_text} was upgraded to this version of ConsentDesk, "
                "but its administrator has not yet applied the new rules: ask them to run `consentdesk team "
                "init` as the register's owner. Nothing was changed."
            )

    def _holds_other_data(self, conn, version: int) -> bool:  # noqa: ANN001 - a SQLAlchemy Connection
        if self.engine_name == "sqlite":
            app_id = conn.exec_driver_sql("PRAGMA application_id").scalar()
            has_tables = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() > 0
            return bool(has_tables and app_id != APPLICATION_ID)
        return version == 0 and bool(inspect(conn).get_table_names())

    def _backup_before_upgrade(self, version: int) -> None:
        assert self.path is not None
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        if target.exists():
            return
        self.backup_to(target)
        os.chmod(target, 0o600)


def _prepare_file(path: Path, create: bool) -> None:
    """Refuse, with a plain reason, anything that is not a writable catalogue file; create a new one 0600."""
    if path.is_dir():
        raise CatalogueError(f"{path} is a folder; give the path of a catalogue file inside it")
    if not path.exists():
        if not create:
            raise CatalogueError(f"there is no catalogue at {path}")
        if path.parent.exists() and not os.access(path.parent, os.W_OK):
            raise CatalogueError(f"cannot create a catalogue in {path.parent}: the folder is not writable")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(fd)
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise CatalogueError(f"cannot read {path}: {exc.strerror}. Check the file's permissions.") from exc
    if header and header != _SQLITE_MAGIC:
        raise CatalogueError(
            f"{path} is not a ConsentDesk catalogue (it is not an SQLite database). "
            "Choose a catalogue file, or a new file name to start one. The file was not changed."
        )
    mode = path.stat().st_mode
    if not (mode & stat.S_IWUSR) or not os.access(path, os.W_OK):
        raise CatalogueError(
            f"{path} is read-only. Make it writable (or copy it somewhere writable) to open it; "
            "ConsentDesk needs to write to record every action in the audit trail."
        )
