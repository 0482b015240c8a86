"""What both ways of copying a catalogue share: the report, the error, and streaming rows in batches.

See `copy.py` for the copy itself and `merge.py` for merging into an existing catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, func, select

from consentdesk.core.store import schema as t
from consentdesk.core.store.errors import CatalogueError

#: Progress callback: (what is being copied, rows done so far in it).
Progress = Callable[[str, int], None]

BATCH = 500
BLOB_BATCH = 50
#: Every table a copy writes, in an order that satisfies their references.
ALL_TABLES = (*t.COPY_ORDER, t.audit, t.audit_copies)


class CopyError(CatalogueError):
    """The copy cannot be made (damaged chain, same catalogue twice, unusable destination); nothing written."""


@dataclass
class TableCount:
    added: int = 0
    present: int = 0
    skipped: int = 0  # not written because a record it depends on is in conflict


@dataclass
class CopyReport:
    """What one copy run did, for the command line and the audit entry. Conflicts name ids only."""

    source: str
    destination: str
    mode: str  # "new" (verbatim into an empty destination) or "merge"
    tables: dict[str, TableCount] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    #: What was copied but is worth knowing (a photo whose working copy could not be carried); ids only.
    notes: list[str] = field(default_factory=list)
    source_chain_entries: int = 0
    source_chain_ok: bool = False
    destination_chain_entries: int = 0
    destination_chain_ok: bool = False

    def count(self, table: str) -> TableCount:
        return self.tables.setdefault(table, TableCount())

    @property
    def ok(self) -> bool:
        return not self.conflicts and self.source_chain_ok and self.destination_chain_ok

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def columns(table: Table) -> list[Any]:
    """The columns a copy writes: all but the ones the database generates."""
    if table is t.consents:
        return [table.c[name] for name in t.CONSENT_WRITABLE]
    return list(table.c)


def stream(conn: Connection, query: Any, size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows in batches of `size`, fetched as they are used (a server-side cursor on PostgreSQL)."""
    result = conn.execute(query.execution_options(yield_per=size))
    for part in result.partitions(size):
        yield [dict(r._mapping) for r in part]


def pages(conn: Connection, query: Any, key: Any, size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows of `query` in batches of `size` ordered by `key`, each batch read after the last one's key:
    safe while the caller writes between batches (no cursor stays open), and memory stays one batch."""
    after = None
    while True:
        page = query.order_by(key).limit(size)
        if after is not None:
            page = page.where(key > after)
        rows = [dict(r._mapping) for r in conn.execute(page)]
        if not rows:
            return
        yield rows
        after = rows[-1][key.name]


def count_rows(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def batch_size(table: Table) -> int:
    return BLOB_BATCH if "data" in table.c else BATCH
