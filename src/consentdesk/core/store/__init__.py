"""The store: the only code that knows SQL. One `Catalogue` opened from a locator, on SQLite or PostgreSQL.

Modules by concern: `consents` (release records, form ids, paper scans, search), `images` (shoots, photos,
analyses), `review` (decisions, approvals, queues), `audit_trail` (the hash chain), `maintenance` (erasure,
compaction, backup, checks); `catalogue` joins them and opens/upgrades; `migrations` holds the DDL history;
`locator`, `engine` and `errors` deal with where a catalogue is and what its engine says; `verify`, `states`
and `guards` check the trail and the records (on the driver's own connection, `dbapi`).

`Catalogue` and the record types load on first use (they bring SQLAlchemy), so a command that only checks
the trail of a desk catalogue (`verify.verify_file`) starts without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from consentdesk.core.store.errors import CatalogueError, ConflictError, RefusedError
from consentdesk.core.store.locator import CATALOG_ENV, Locator, LocatorError, parse

if TYPE_CHECKING:
    from consentdesk.core.store.catalogue import Catalogue
    from consentdesk.core.store.consents import ConsentQuery, NewConsent
    from consentdesk.core.store.images import NewImage, StoredClip

_LAZY = {"Catalogue": "catalogue", "ConsentQuery": "consents", "NewConsent": "consents", "NewImage": "images", "StoredClip": "images"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CATALOG_ENV",
    "Catalogue",
    "CatalogueError",
    "ConflictError",
    "ConsentQuery",
    "Locator",
    "LocatorError",
    "NewConsent",
    "NewImage",
    "StoredClip",
    "RefusedError",
    "parse",
]
