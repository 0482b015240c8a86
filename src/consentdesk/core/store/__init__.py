"""The store: the only code that knows SQL. One `Catalogue` opened from a locator, on SQLite or PostgreSQL.

Modules by concern: `consents` (release records, form ids, paper scans, search), `images` (shoots, photos,
analyses), `review` (decisions, approvals, queues), `audit_trail` (the hash chain), `maintenance` (erasure,
compaction, backup, checks); `catalogue` joins them and opens/upgrades; `migrations` holds the DDL history;
`locator`, `engine` and `errors` deal with where a catalogue is and what its engine says.
"""

from consentdesk.core.store.catalogue import Catalogue
from consentdesk.core.store.consents import ConsentQuery, NewConsent
from consentdesk.core.store.errors import CatalogueError, ConflictError, RefusedError
from consentdesk.core.store.images import NewImage, StoredClip
from consentdesk.core.store.locator import CATALOG_ENV, Locator, LocatorError, parse

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
