"""Shoots, imported images and their analyses (the stored result of each background check).

Every analysis is kept; the newest one per image is the current one. What a finding read from the photo is
stored only masked (`minimise.mask_finding_text`), so the catalogue never holds the personal data it found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from consentdesk.core.minimise import mask_finding_text
from consentdesk.core.store import schema as t
from consentdesk.core.store.audit_trail import AuditStore
from consentdesk.core.store.base import utc_now
from consentdesk.core.values import (
    Analysis,
    Box,
    ClipInfo,
    ClipTrack,
    FindingKind,
    ImageRecord,
    Severity,
    StoredAnalysis,
    StoredFace,
    StoredFinding,
    reading_order,
)


@dataclass(frozen=True, slots=True)
class StoredClip:
    """A clip's facts and the tracks of its current analysis, in the order of its faces and findings
    (`face_tracks[n - 1]` is face n's track)."""

    analysis_id: int
    info: ClipInfo
    face_tracks: tuple[ClipTrack, ...]
    finding_tracks: tuple[ClipTrack, ...]


@dataclass(frozen=True, slots=True)
class NewImage:
    """What the importer learnt about a file before adding it."""

    sha256: str
    path: str
    file_size: int
    width: int
    height: int
    captured_at: str | None = None
    camera: str | None = None


def current_analysis_id(image_id: Any) -> Any:
    """The newest analysis of an image, as a scalar subquery (an index seek on analyses(image_id, id))."""
    a = t.analyses.alias("cur")
    return select(func.max(a.c.id)).where(a.c.image_id == image_id).scalar_subquery()


#: The order photos are listed in: by shoot, then capture (or import) time; matches the images_order index.
IMAGE_ORDER = (
    t.images.c.shoot_id,
    func.coalesce(t.images.c.captured_at, t.images.c.imported_at),
    t.images.c.id,
)


class ImageStore(AuditStore):
    def create_shoot(self, name: str, source: str) -> int:
        with self.transaction(needs="photographer") as conn:
            if self._server_rules:
                return int(
                    conn.execute(text("SELECT cd_create_shoot(:n, :s)"), {"n": name, "s": source}).scalar_one()
                )
            shoot_id = conn.execute(
                insert(t.shoots)
                .values(name=name, source=source, created_at=utc_now())
                .returning(t.shoots.c.id)
            ).scalar_one()
            self.append_audit("shoot.created", f"shoot:{shoot_id}", {"name": name})
        return int(shoot_id)

    def shoots(self) -> list[dict[str, Any]]:
        s, i = t.shoots, t.images
        sql = (
            select(s, func.count(i.c.id).label("images"))
            .select_from(s.outerjoin(i, i.c.shoot_id == s.c.id))
            .group_by(s.c.id, s.c.name, s.c.source, s.c.created_at, s.c.created_by)
            .order_by(s.c.created_at.desc(), s.c.id.desc())
        )
        with self._connection() as conn:
            return [dict(r._mapping) for r in conn.execute(sql)]

    def find_image_by_sha(self, sha256: str) -> ImageRecord | None:
        with self._connection() as conn:
            row = conn.execute(select(t.images).where(t.images.c.sha256 == sha256)).first()
        return _image_from_row(row._mapping) if row else None

    def known_hashes(self) -> set[str]:
        with self._connection() as conn:
            return set(conn.execute(select(t.images.c.sha256)).scalars())

    def get_image(self, image_id: int) -> ImageRecord:
        with self._connection() as conn:
            row = conn.execute(select(t.images).where(t.images.c.id == image_id)).first()
        if row is None:
            raise KeyError(image_id)
        return _image_from_row(row._mapping)

    def images_by_id(self, image_ids: list[int]) -> dict[int, ImageRecord]:
        """Several images in as few queries as possible (lists that name many photos)."""
        found: dict[int, ImageRecord] = {}
        wanted = sorted(set(image_ids))
        with self._connection() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for row in conn.execute(select(t.images).where(t.images.c.id.in_(chunk))):
                    found[row.id] = _image_from_row(row._mapping)
        return found

    def list_images(
        self, shoot_id: int | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ImageRecord]:
        sql = select(t.images).order_by(*IMAGE_ORDER).offset(offset)
        if shoot_id is not None:
            sql = sql.where(t.images.c.shoot_id == shoot_id)
        if limit is not None:
            sql = sql.limit(limit)
        with self._connection() as conn:
            return [_image_from_row(r._mapping) for r in conn.execute(sql)]

    def count_images(self, shoot_id: int | None = None) -> int:
        sql = select(func.count()).select_from(t.images)
        if shoot_id is not None:
            sql = sql.where(t.images.c.shoot_id == shoot_id)
        with self._connection() as conn:
            return int(conn.execute(sql).scalar_one())

    @property
    def keeps_photo_copies(self) -> bool:
        """A team register keeps a working copy of each photo (others may not see the original's folder)."""
        return self._locator.is_server

    def add_image(
        self, new: NewImage, analysis: Analysis, shoot_id: int | None = None, *, data: bytes | None = None
    ) -> tuple[ImageRecord, bool]:
        """Add an image and its first analysis in one transaction; a known file (same SHA-256) is not added
        again. Returns the record and whether it was new. `data`, the file's bytes, is kept as the
        register's working copy (see `keeps_photo_copies`)."""
        with self.transaction(needs="photographer") as conn:
            existing = self.find_image_by_sha(new.sha256)
            if existing:
                return existing, False
            if self._server_rules:
                image_id, added = self._import_on_server(conn, new, analysis, shoot_id, data)
                if not added:
                    return self.get_image(image_id), False
            else:
                image_id = self._import_here(conn, new, analysis, shoot_id, data)
        return self.get_image(image_id), True

    def _import_on_server(
        self, conn: Connection, new: NewImage, analysis: Analysis, shoot_id: int | None, data: bytes | None
    ) -> tuple[int, bool]:
        """The server's `cd_import_photo`: the photo, its first analysis and working copy, and the entry."""
        image_id, added = conn.execute(
            text(
                "SELECT image_id, added FROM cd_import_photo(:sha, :path, :size, :width, :height, "
                ":captured, :camera, :shoot, CAST(:analysis AS jsonb), :data)"
            ),
            {
                "sha": new.sha256,
                "path": new.path,
                "size": new.file_size,
                "width": new.width,
                "height": new.height,
                "captured": new.captured_at,
                "camera": new.camera,
                "shoot": shoot_id,
                "analysis": json.dumps(analysis_payload(analysis), ensure_ascii=False),
                "data": data,
            },
        ).one()
        return int(image_id), bool(added)

    def _import_here(
        self, conn: Connection, new: NewImage, analysis: Analysis, shoot_id: int | None, data: bytes | None
    ) -> int:
        image_id = conn.execute(
            insert(t.images)
            .values(
                sha256=new.sha256,
                path=new.path,
                file_size=new.file_size,
                width=new.width,
                height=new.height,
                captured_at=new.captured_at,
                camera=new.camera,
                shoot_id=shoot_id,
                imported_at=utc_now(),
                imported_by=self.actor,
            )
            .returning(t.images.c.id)
        ).scalar_one()
        analysis_id = self._insert_analysis(int(image_id), analysis)
        if data is not None:
            self._store_photo_file(new.sha256, data)
        self.append_audit(
            "image.imported",
            f"image:{image_id}",
            {
                "sha256": new.sha256,
                "faces": len(analysis.faces),
                "findings": len(analysis.findings),
                "analyser": analysis.analyser_version,
                "error": bool(analysis.error),
            },
            states=[self._made("image", image_id), self._made("analysis", analysis_id)],
        )
        return int(image_id)

    def save_analysis(self, image_id: int, analysis: Analysis) -> StoredAnalysis:
        """Store a re-check as a new analysis; earlier ones stay as they were."""
        with self.transaction(needs="reviewer") as conn:
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_recheck_photo(:image, CAST(:analysis AS jsonb))"),
                    {"image": image_id, "analysis": json.dumps(analysis_payload(analysis), ensure_ascii=False)},
                )
            else:
                analysis_id = self._insert_analysis(image_id, analysis)
                self.append_audit(
                    "image.reanalysed",
                    f"image:{image_id}",
                    {
                        "faces": len(analysis.faces),
                        "findings": len(analysis.findings),
                        "analyser": analysis.analyser_version,
                    },
                    states=[self._made("analysis", analysis_id)],
                )
            stored = self.current_analysis(image_id)
        assert stored is not None
        return stored

    def _insert_analysis(self, image_id: int, analysis: Analysis) -> int:
        conn = self._require_action()
        analysis_id = int(
            conn.execute(
                insert(t.analyses)
                .values(
                    image_id=image_id,
                    analyser_version=analysis.analyser_version,
                    analysed_at=utc_now(),
                    error=analysis.error,
                    timings=json.dumps(analysis.timings),
                )
                .returning(t.analyses.c.id)
            ).scalar_one()
        )
        faces = list(analysis.faces)
        order = _numbering(analysis)
        face_rows = [
            dict(
                zip("xywh", faces[i].box.as_list(), strict=True),
                analysis_id=analysis_id,
                n=n,
                score=float(faces[i].score),
            )
            for n, i in enumerate(order([f.box for f in faces]), start=1)
        ]
        if face_rows:
            conn.execute(insert(t.faces), face_rows)
        findings = list(analysis.findings)
        finding_rows = [
            dict(
                zip("xywh", findings[i].box.as_list(), strict=True),
                analysis_id=analysis_id,
                n=n,
                kind=str(findings[i].kind),
                severity=str(findings[i].severity),
                text=mask_finding_text(findings[i].kind, findings[i].text),
            )
            for n, i in enumerate(order([f.box for f in findings]), start=1)
        ]
        if finding_rows:
            conn.execute(insert(t.findings), finding_rows)
        if analysis.clip is not None:
            conn.execute(
                insert(t.clip_analyses).values(
                    analysis_id=analysis_id,
                    clip=json.dumps(analysis.clip.to_json()),
                    face_tracks=json.dumps([[tr.shot, tr.to_rows()] for tr in analysis.face_tracks]),
                    finding_tracks=json.dumps([[tr.shot, tr.to_rows()] for tr in analysis.finding_tracks]),
                )
            )
        return analysis_id

    def stored_clip(self, image_id: int) -> StoredClip | None:
        """The clip facts and tracks of an image's current analysis; None for a photo."""
        c = t.clip_analyses
        with self._snapshot() as conn:
            row = conn.execute(select(c).where(c.c.analysis_id == current_analysis_id(image_id))).first()
        if row is None:
            return None
        return StoredClip(
            int(row.analysis_id),
            ClipInfo(**json.loads(row.clip)),
            tuple(ClipTrack.from_rows(rows, shot) for shot, rows in json.loads(row.face_tracks)),
            tuple(ClipTrack.from_rows(rows, shot) for shot, rows in json.loads(row.finding_tracks)),
        )

    def clip_ids(self, image_ids: Sequence[int]) -> set[int]:
        """Which of these images are clips (their current analysis is a clip's)."""
        if not image_ids:
            return set()
        a, c = t.analyses, t.clip_analyses
        with self._snapshot() as conn:
            rows = conn.execute(
                select(a.c.image_id)
                .join(c, c.c.analysis_id == a.c.id)
                .where(a.c.image_id.in_(list(image_ids)), a.c.id == current_analysis_id(a.c.image_id))
            )
            return {int(r[0]) for r in rows}

    def current_analysis(self, image_id: int) -> StoredAnalysis | None:
        with self._snapshot() as conn:
            return read_current_analyses(conn, [image_id]).get(image_id)

    def images_analysed_by_others(self, *current_versions: str) -> list[ImageRecord]:
        """Images whose current analysis came from none of these analyser versions (the photo and the clip
        analyser's: candidates for a re-check)."""
        i, a = t.images, t.analyses
        sql = (
            select(i)
            .select_from(i.join(a, a.c.id == current_analysis_id(i.c.id)))
            .where(a.c.analyser_version.not_in(current_versions))
            .order_by(i.c.id)
        )
        with self._connection() as conn:
            return [_image_from_row(r._mapping) for r in conn.execute(sql)]

    def _store_photo_file(self, sha256: str, data: bytes) -> None:
        conn = self._require_action()
        known = conn.execute(select(t.photo_files.c.sha256).where(t.photo_files.c.sha256 == sha256)).first()
        if known is None:
            conn.execute(
                insert(t.photo_files).values(
                    sha256=sha256, data=data, stored_at=utc_now(), stored_by=self.actor
                )
            )

    def photo_file(self, sha256: str) -> bytes | None:
        """The register's working copy of the photo with this content, if it keeps one."""
        with self._connection() as conn:
            data = conn.execute(select(t.photo_files.c.data).where(t.photo_files.c.sha256 == sha256)).scalar()
        return bytes(data) if data is not None else None

    def stored_photo_shas(self, shas: Iterable[str]) -> set[str]:
        """Which of these photos the register still holds a working copy of. A computer asks this about
        everything it has cached (a few IN lists, one snapshot), so copies of an erased person's photos
        can be dropped from every computer, not only the one that ran the erasure."""
        wanted = sorted(set(shas))
        held: set[str] = set()
        if not wanted:
            return held
        sha = t.photo_files.c.sha256
        with self._snapshot() as conn:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                held.update(str(s) for s in conn.execute(select(sha).where(sha.in_(chunk))).scalars())
        return held

    def update_image_path(self, image_id: int, new_path: str) -> None:
        """Record where an image's file is now (found by its SHA-256 after it was moved)."""
        with self.transaction(needs="dpo") as conn:
            if self._server_rules:
                conn.execute(text("SELECT cd_relink_photo(:image, :path)"), {"image": image_id, "path": new_path})
                return
            old = self.get_image(image_id)
            conn.execute(update(t.images).where(t.images.c.id == image_id).values(path=new_path))
            self.append_audit("image.relinked", f"image:{image_id}", {"sha256": old.sha256})


def analysis_payload(analysis: Analysis) -> dict[str, Any]:
    """An analysis as the server's import and re-check functions take it: faces and findings in reading
    order (the server numbers them in the order given), finding text already masked."""
    faces = list(analysis.faces)
    findings = list(analysis.findings)
    order = _numbering(analysis)
    clip = (
        {
            "clip": analysis.clip.to_json(),
            "face_tracks": [[tr.shot, tr.to_rows()] for tr in analysis.face_tracks],
            "finding_tracks": [[tr.shot, tr.to_rows()] for tr in analysis.finding_tracks],
        }
        if analysis.clip is not None
        else {}
    )
    return clip | {
        "analyser_version": analysis.analyser_version,
        "error": analysis.error,
        "timings": analysis.timings,
        "faces": [
            {**dict(zip("xywh", faces[i].box.as_list(), strict=True)), "score": float(faces[i].score)}
            for i in order([f.box for f in faces])
        ],
        "findings": [
            {
                **dict(zip("xywh", findings[i].box.as_list(), strict=True)),
                "kind": str(findings[i].kind),
                "severity": str(findings[i].severity),
                "text": mask_finding_text(findings[i].kind, findings[i].text),
            }
            for i in order([f.box for f in findings])
        ],
    }


def _numbering(analysis: Analysis):
    """A clip's tracks are numbered in the order they first appear (the analyser's order), a photo's faces
    and findings in reading order."""
    return (lambda boxes: list(range(len(boxes)))) if analysis.clip is not None else reading_order


#: Ids per IN (...) list when reading many photos at once (well under every engine's parameter limit).
CHUNK = 500


def read_current_analyses(conn: Connection, image_ids: Sequence[int]) -> dict[int, StoredAnalysis]:
    """The newest analysis of each image, read on `conn` in three queries however many images there are.

    Callers read it in the same snapshot as the decisions about those images, so a page of photos costs a
    handful of queries on one connection rather than several checkouts per photo shown.
    """
    a, cur = t.analyses, t.analyses.alias("cur")
    found: dict[int, StoredAnalysis] = {}
    wanted = sorted(set(image_ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        newest = select(func.max(cur.c.id)).where(cur.c.image_id.in_(chunk)).group_by(cur.c.image_id)
        rows = conn.execute(select(a).where(a.c.id.in_(newest))).all()
        if not rows:
            continue
        analysis_ids = [r.id for r in rows]
        faces: dict[int, list[StoredFace]] = {i: [] for i in analysis_ids}
        for r in conn.execute(
            select(t.faces)
            .where(t.faces.c.analysis_id.in_(analysis_ids))
            .order_by(t.faces.c.analysis_id, t.faces.c.n)
        ):
            faces[r.analysis_id].append(StoredFace(r.id, r.n, Box(r.x, r.y, r.w, r.h), r.score))
        findings: dict[int, list[StoredFinding]] = {i: [] for i in analysis_ids}
        for r in conn.execute(
            select(t.findings)
            .where(t.findings.c.analysis_id.in_(analysis_ids))
            .order_by(t.findings.c.analysis_id, t.findings.c.n)
        ):
            findings[r.analysis_id].append(
                StoredFinding(
                    r.id, r.n, FindingKind(r.kind), Severity(r.severity), Box(r.x, r.y, r.w, r.h), r.text
                )
            )
        for r in rows:
            found[r.image_id] = StoredAnalysis(
                r.id,
                r.image_id,
                r.analyser_version,
                r.analysed_at,
                r.error,
                tuple(faces[r.id]),
                tuple(findings[r.id]),
            )
    return found


def _image_from_row(row: Any) -> ImageRecord:
    return ImageRecord(
        id=row["id"],
        sha256=row["sha256"],
        path=row["path"],
        file_size=row["file_size"],
        width=row["width"],
        height=row["height"],
        captured_at=row["captured_at"],
        camera=row["camera"],
        shoot_id=row["shoot_id"],
        imported_at=row["imported_at"],
    )
