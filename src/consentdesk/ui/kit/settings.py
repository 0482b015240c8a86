"""The one access point for the app's settings (an INI file in the user data folder).

Tests set CONSENTDESK_HOME, so they never read or write a real user's settings. Passwords are never
stored here: a remembered team register is kept without its password.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from consentdesk import paths
from consentdesk.core.store.locator import LocatorError, parse, without_password

CATALOGUE_KEY = "catalogue/last_opened"


def settings() -> QSettings:
    """ConsentDesk's settings file, in the user data folder."""
    return QSettings(str(paths.data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def remembered_catalogue() -> str | None:
    value = settings().value(CATALOGUE_KEY, "", str)
    return value or None


def remember_catalogue(locator: str) -> None:
    """Keep the catalogue last opened, to open it again at the next start; a team register's address is
    kept without its password (the person is asked for it again)."""
    try:
        parsed = parse(locator)
    except LocatorError:
        return
    settings().setValue(CATALOGUE_KEY, without_password(parsed.text) if parsed.is_server else parsed.text)
