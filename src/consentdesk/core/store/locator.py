"""Where a catalogue lives: a file path (the embedded SQLite default) or a `postgresql://` URL (a team register).

Everything that opens a catalogue (window, workers, command line) passes one of these strings around, never a
bare path or a raw connection, so a worker thread reaches the same register as the window that started it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Environment variable naming the catalogue when --catalog is not given.
CATALOG_ENV = "CONSENTDESK_CATALOG"
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class LocatorError(ValueError):
    """The text names no catalogue ConsentDesk can open; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Locator:
    """A parsed catalogue locator. Exactly one of `path` and `url` is set."""

    text: str
    path: Path | None = None
    url: str | None = None

    @property
    def is_server(self) -> bool:
        return self.url is not None

    @property
    def engine(self) -> str:
        return "postgresql" if self.is_server else "sqlite"

    @property
    def display_name(self) -> str:
        """Short, password-free name for titles: the file name, or 'database on host'."""
        if self.path is not None:
            return self.path.name
        parts = urlsplit(self.url or "")
        database = parts.path.lstrip("/") or "postgres"
        host = parts.hostname or "local server"
        return f"{database} on {host}"

    @property
    def safe_text(self) -> str:
        """The locator with any password replaced, for messages, logs and settings."""
        if self.path is not None:
            return str(self.path)
        return redact_password(self.url or "")

    def __str__(self) -> str:
        return self.text


def with_password(url: str, password: str) -> str:
    """`url` with `password` as a connection parameter; kept in memory only, never written anywhere."""
    if not password:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "password"] + [("password", password)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def without_password(url: str) -> str:
    """`url` with any password taken out (what may be remembered on disk: the person types it again)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if parts.password is None and not any(k == "password" for k, _ in pairs):
        return url  # as the person wrote it
    query = urlencode([(k, v) for k, v in pairs if k != "password"], safe="/")
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", "@", 1)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact_password(url: str) -> str:
    """`url` fit to show: a password written in it (`user:secret@host`) becomes `***`; one the app added
    as a parameter (the sign-in's password box) is left out, since the person never wrote it there."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "password" for k, _ in query):
        url = urlunsplit(
            parts._replace(query=urlencode([(k, v) for k, v in query if k != "password"], safe="/"))
        )
        parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def parse(text: str | os.PathLike[str] | Locator) -> Locator:
    """Read a locator: `postgresql://user@host/db?sslmode=…` or a file path (with ~ expanded)."""
    if isinstance(text, Locator):
        return text
    raw = os.fspath(text).strip()
    if not raw:
        raise LocatorError("no catalogue given: name a catalogue file or a postgresql:// address")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in _PG_SCHEMES:
        parts = urlsplit(raw)
        if not parts.path.strip("/") and not parts.hostname and "host=" not in parts.query:
            raise LocatorError(
                f"{redact_password(raw)} names no database; write it as postgresql://USER@HOST/DATABASE"
            )
        return Locator(raw, url=raw)
    if scheme:
        raise LocatorError(
            f"{redact_password(raw)} is not a catalogue ConsentDesk can open: give a file path for a "
            "catalogue on this computer, or a postgresql:// address for a team register"
        )
    path = Path(raw).expanduser()
    return Locator(str(path), path=path)
