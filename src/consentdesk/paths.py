"""Where things live.

The same code runs from a source checkout, an installed wheel and a PyInstaller bundle; each puts
`forms/` and `resources/` somewhere else, so every lookup goes through this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from consentdesk import APP_NAME

_PACKAGE_DIR = Path(__file__).resolve().parent
#: Set to a folder to keep all user data there (tests, portable installs).
HOME_ENV = "CONSENTDESK_HOME"


def _bundled(name: str) -> Path:
    """Find a data folder shipped with the app: PyInstaller bundle, wheel, or source checkout."""
    candidates = []
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / name)
    candidates.append(_PACKAGE_DIR / "_bundled" / name)
    candidates.append(_PACKAGE_DIR.parents[1] / name)  # src/consentdesk -> repo root
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ConsentDesk's {name}/ folder is missing; reinstall the application.")


def forms_dir() -> Path:
    return _bundled("forms")


def resources_dir() -> Path:
    return _bundled("resources")


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def data_dir() -> Path:
    """The user's private data folder, created readable by the user only."""
    override = os.environ.get(HOME_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def default_catalogue_path() -> Path:
    return data_dir() / "catalogue.sqlite"


#: Names the catalogue (a file path or a postgresql:// URL) when none is given on the command line.
CATALOG_ENV = "CONSENTDESK_CATALOG"


def catalogue_locator(explicit: str | None = None, remembered: str | None = None) -> str:
    """Which catalogue to open: --catalog, else $CONSENTDESK_CATALOG, else the one the app last opened,
    else the desk catalogue in the user's data folder."""
    for candidate in (explicit, os.environ.get(CATALOG_ENV), remembered):
        if candidate and candidate.strip():
            return candidate.strip()
    return str(default_catalogue_path())


def cache_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    path = (
        Path(override) / "cache" if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
