"""Carrying photos' working copies when a catalogue is copied into one that keeps them (a team register).

Why: a laptop that worked offline keeps no copies (its photos are on its own drive), so without this the
register would receive photos it cannot show anyone. The copy runs where the originals are, so a photo it
adds to the register gets its bytes from the source's own working copy when the source has one (a register
copied into another), else from the original file, read here and accepted only when it is exactly the
file that was imported (size and SHA-256). Copies are content-addressed, so nothing is stored twice, and a
photo already in the destination gets nothing: a register that lost a photo's copy to an erasure must
not have it brought back by an old laptop. Nothing is carried for a photo of someone erased (in the source,
or in the destination: the caller names those) either. What could not be carried is counted as "not copied" and explained in the report's
notes, by photo id and hash prefix only.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.media.video import ClipError
from consentdesk.core.store import schema as t
from consentdesk.core.store.base import utc_now
from consentdesk.core.store.copy_rows import CopyReport
from consentdesk.core.store.maintenance import ERASED_IMAGE_REASON


def carry_photo_files(
    sconn: Connection,
    dconn: Connection,
    added: Iterable[tuple[dict[str, Any], int]],
    report: CopyReport,
    actor: str,
    withheld: Iterable[int] = (),
) -> None:
    """Give each photo just added to the destination (source image row, id here) its working copy there.

    `withheld` are source image ids that must not get one (they show a person erased in the destination).
    One photo's bytes are in memory at a time, however many photos there are. A clip gets its proxy, not
    its original (see `clip_copies`): the source's, or one made here from the original."""
    pf = t.photo_files
    count = report.count("photo_files")
    rows = list(added)
    shas = sorted({row["sha256"] for row, _ in rows})
    if not shas:
        return
    withheld = set(withheld) | _erased_people_shown(sconn, [row["id"] for row, _ in rows])
    there = set(dconn.execute(select(pf.c.sha256).where(pf.c.sha256.in_(shas))).scalars())
    in_source = set(sconn.execute(select(pf.c.sha256).where(pf.c.sha256.in_(shas))).scalars())
    for row, here in rows:
        sha = row["sha256"]
        if row["id"] in withheld:
            report.count("clip_proxies" if is_clip_path(row["path"]) else "photo_files").skipped += 1
            report.notes.append(
                f"photo {here} (sha256 {sha[:12]}…): no working copy was given to it, because it shows a person "
                "who was erased"
            )
            continue
        if is_clip_path(row["path"]):
            _carry_clip_proxy(sconn, dconn, row, here, report, actor)
            continue
        if sha in there:
            count.present += 1
            continue
        values = _from_source(sconn, sha) if sha in in_source else None
        if values is None:
            data = _original(row)
            values = (
                None
                if data is None
                else {"sha256": sha, "data": data, "stored_at": utc_now(), "stored_by": actor}
            )
        if values is None:
            count.skipped += 1
            report.notes.append(
                f"photo {here} (sha256 {sha[:12]}…): its original could not be read on this computer (or has "
                "changed since it was imported), so the destination holds no working copy of it; others can see "
                "it only where the original is"
            )
            continue
        dconn.execute(insert(pf).values(**values))
        there.add(sha)
        count.added += 1


def _erased_people_shown(sconn: Connection, image_ids: list[int]) -> set[int]:
    """Source photos that showed a person erased there (erasure rejects each of them with its reason)."""
    r = t.image_reviews
    query = select(r.c.image_id).where(r.c.image_id.in_(image_ids), r.c.reason == ERASED_IMAGE_REASON)
    return set(sconn.execute(query).scalars())


def _from_source(sconn: Connection, sha: str) -> dict[str, Any] | None:
    """The source's own copy (who stored it and when travel with it), if it is intact."""
    row = sconn.execute(select(t.photo_files).where(t.photo_files.c.sha256 == sha)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    values["data"] = bytes(values["data"])
    return values if hashlib.sha256(values["data"]).hexdigest() == sha else None


def _original(image: dict[str, Any]) -> bytes | None:
    """The original file's bytes if it is where it was imported from and unchanged; None otherwise."""
    path = Path(image["path"])
    with contextlib.suppress(OSError):
        if path.is_file() and path.stat().st_size == image["file_size"]:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == image["sha256"]:
                return data
    return None


def _carry_clip_proxy(
    sconn: Connection, dconn: Connection, row: dict[str, Any], here: int, report: CopyReport, actor: str
) -> None:
    """A clip added to the destination gets the source's proxy, or one made from its original here."""
    p, sha = t.clip_proxies, row["sha256"]
    count = report.count("clip_proxies")
    if dconn.execute(select(p.c.sha256).where(p.c.sha256 == sha)).first() is not None:
        count.present += 1
        return
    found = sconn.execute(select(p).where(p.c.sha256 == sha)).first()
    values = dict(found._mapping) if found is not None else _proxy_from_original(row, report, here)
    if values is None:
        count.skipped += 1
        return
    values.setdefault("stored_at", utc_now())
    values.setdefault("stored_by", actor)
    dconn.execute(insert(p).values(**values))
    count.added += 1


def _proxy_from_original(row: dict[str, Any], report: CopyReport, here: int) -> dict[str, Any] | None:
    """A proxy made from the clip's original on this computer (only if it is the file imported)."""
    import tempfile

    from consentdesk.core.media.imaging import ImageError, sha256_file
    from consentdesk.core.media.proxy import make_proxy

    path = Path(row["path"])
    try:
        if not path.is_file() or path.stat().st_size != row["file_size"] or sha256_file(path) != row["sha256"]:
            raise ClipError("its original is not on this computer (or has changed since it was imported)")
        with tempfile.TemporaryDirectory(prefix="consentdesk-proxy-") as tmp:
            proxy = make_proxy(path, Path(tmp) / "proxy.mp4")
            data = proxy.path.read_bytes()
    except (ClipError, ImageError, OSError) as exc:
        report.notes.append(
            f"clip {here} (sha256 {row['sha256'][:12]}…): no proxy was given to it ({exc}); run `consentdesk "
            "catalogue share-clips` where its original is, so others can review it"
        )
        return None
    return {"sha256": row["sha256"], "proxy_sha256": proxy.sha256, "width": proxy.width, "height": proxy.height,
            "data": data}

