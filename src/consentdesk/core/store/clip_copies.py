"""Clips' proxies on a team register (migration 11): how a clip is shared without its original.

A photo's working copy is the photo itself (`photo_files`). A clip's original can be hundreds of megabytes
and stays on the computer it was imported from; the register keeps, by the original's SHA-256 (content
addressed, like photos), a low-resolution proxy (`core/media/proxy.py`) that a reviewer's computer fetches
first and reviews from. Export and subject access bundles still need the original.

The rules, as for every write on a register (docs/threat-model.md):
- `cd_store_clip_proxy` is the only way in: the caller's role (photographer, for clips they imported or of
  their shoots; reviewer; DPO), a clip's current analysis (not a photo), a clip nobody erased was shown in, an
  MP4 of proxy size and shape, one proxy per clip (never replaced); the server computes the proxy's hash and
  writes the audit entry ('clip.proxy_stored', ids and numbers only).
- Photographers read the proxies of the clips they see (row-level security, team.py); the administrator none.
- Guards: stored proxies are never changed. Erasure drops the proxies of every clip it blocks: a trigger on
  the erasure's "rejected" review (both engines), so `cd_erase_consent` itself is unchanged.
- A proxy does not decide what is posted (export reads the original and its stored tracks), so it carries no
  record state; it is the importer's claim, in the trail under their name.
"""


from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, text

from consentdesk.core.store import schema as t
from consentdesk.core.store.audit_trail import AuditStore
from consentdesk.core.store.base import utc_now
from consentdesk.core.store.images import CHUNK


@dataclass(frozen=True, slots=True)
class StoredProxy:
    """A clip's proxy as the register keeps it."""

    sha256: str  # the original clip's
    proxy_sha256: str
    width: int
    height: int
    data: bytes


class ClipProxyStore(AuditStore):
    """The register's clip proxies (see the module docstring)."""

    def store_clip_proxy(self, sha256: str, data: bytes, width: int, height: int) -> bool:
        """Keep `data` as the proxy of the clip whose original has this SHA-256; False if it has one."""
        with self.transaction(needs="photographer") as conn:
            if self._server_rules:
                return bool(
                    conn.execute(
                        text("SELECT cd_store_clip_proxy(:sha, :data, :w, :h)"),
                        {"sha": sha256, "data": data, "w": width, "h": height},
                    ).scalar()
                )
            return self._store_proxy_here(sha256, data, width, height)

    def _store_proxy_here(self, sha256: str, data: bytes, width: int, height: int) -> bool:
        conn = self._require_action()
        p = t.clip_proxies
        if conn.execute(select(p.c.sha256).where(p.c.sha256 == sha256)).first() is not None:
            return False
        image = conn.execute(select(t.images.c.id).where(t.images.c.sha256 == sha256)).scalar_one()
        digest = hashlib.sha256(data).hexdigest()
        conn.execute(
            insert(p).values(
                sha256=sha256, proxy_sha256=digest, width=width, height=height, data=data,
                stored_at=utc_now(), stored_by=self.actor,
            )
        )
        details = {"proxy_sha256": digest, "width": width, "height": height, "bytes": len(data)}
        self.append_audit("clip.proxy_stored", f"image:{image}", details)
        return True

    def clip_proxy(self, sha256: str, *, with_data: bool = True) -> StoredProxy | None:
        """The register's proxy of the clip with this content, if it keeps one (its bytes only when asked:
        a computer that has it cached checks the hash, one small read)."""
        p = t.clip_proxies
        columns = [p.c.sha256, p.c.proxy_sha256, p.c.width, p.c.height, *([p.c.data] if with_data else [])]
        with self._connection() as conn:
            row = conn.execute(select(*columns).where(p.c.sha256 == sha256)).first()
        if row is None:
            return None
        data = bytes(row.data) if with_data else b""
        return StoredProxy(row.sha256, row.proxy_sha256, int(row.width), int(row.height), data)

    def stored_proxy_shas(self, shas: Iterable[str]) -> set[str]:
        """Which of these clips the register still keeps a proxy of (for pruning this computer's cache)."""
        wanted = sorted(set(shas))
        p = t.clip_proxies
        held: set[str] = set()
        with self._snapshot() as conn:
            for start in range(0, len(wanted), CHUNK):
                held.update(conn.execute(select(p.c.sha256).where(p.c.sha256.in_(wanted[start : start + CHUNK]))).scalars())
        return held
