"""Review decisions and approvals: what people decided about each face, finding and photo.

Decisions are only ever added; which one counts is the domain's rule ("the newest wins",
`values.newest_by`), applied in Python for one photo and, for questions across the whole register, by
the one SQL form of it below (`_newest_face_decisions`), so both read the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    distinct,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union,
)

from consentdesk.core import values
from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.store import schema as t
from consentdesk.core.store.base import utc_now
from consentdesk.core.store.errors import CatalogueError, ConflictError, RefusedError
from consentdesk.core.store.images import (
    CHUNK,
    IMAGE_ORDER,
    ImageStore,
    _image_from_row,
    current_analysis_id,
    read_current_analyses,
)
from consentdesk.core.values import ImageRecord, LapsedLink, StoredAnalysis

_IMAGE_LOCK_CLASS = 0x4344  # advisory-lock namespace for "decisions about photo N"


@functools.cache  # built once: SQLAlchemy constructs are immutable, building them is not free
def _newest_face_decisions() -> Any:
    """Each face's newest decision (its current state), as a subquery over face_decisions."""
    d = t.face_decisions
    newer = t.face_decisions.alias("newer")
    return (
        select(d)
        .where(~exists().where(newer.c.face_id == d.c.face_id, newer.c.id > d.c.id))
        .subquery("newest")
    )


@functools.cache  # built once: SQLAlchemy constructs are immutable, building them is not free
def _current_links() -> Any:
    """(image, face, consent) for faces of each image's current analysis whose newest decision links them."""
    n = _newest_face_decisions()
    f, a = t.faces, t.analyses
    return (
        select(a.c.image_id, f.c.id.label("face_id"), f.c.n, n.c.consent_id)
        .select_from(n.join(f, f.c.id == n.c.face_id).join(a, a.c.id == f.c.analysis_id))
        .where(n.c.state == "linked", a.c.id == current_analysis_id(a.c.image_id))
    )


@functools.cache  # built once: SQLAlchemy constructs are immutable, building them is not free
def _excluded_from_verify() -> Any:
    """Ids of images out of the "To verify" list: approved (a copy not recorded as taken down), or
    rejected by their newest review.

    Both tables are small next to `images`, so the set is built once and each image is checked against it
    (a hashed or materialised lookup), instead of two correlated index probes per image of the register.
    """
    r, newer = t.image_reviews, t.image_reviews.alias("newer")
    rejected = select(r.c.image_id).where(
        r.c.state == "rejected", ~exists().where(newer.c.image_id == r.c.image_id, newer.c.id > r.c.id)
    )
    live = select(t.approvals.c.image_id).where(t.approvals.c.id.not_in(select(t.takedowns.c.approval_id)))
    return union(live, rejected)


def _lapsed_consents(today: date) -> Any:
    """Ids of the releases that cover nothing on `today`: withdrawn, erased, or past their end date (from
    the status/end-date index alone; the same test as `Consent.effective_status`)."""
    c = t.consents
    lapsed = or_(c.c.status != "active", and_(c.c.expires_on.is_not(None), c.c.expires_on < today.isoformat()))
    return select(c.c.id).where(lapsed)


def _approvals_to_take_down(today: date) -> Any:
    """Ids of approvals not recorded as taken down that relied on a release lapsed on `today`: the
    candidates `review.policy.takedown_reasons` judges (found from the few lapsed releases, by index)."""
    ac = t.approval_consents
    return select(ac.c.approval_id).where(
        ac.c.consent_id.in_(_lapsed_consents(today)), ac.c.approval_id.not_in(select(t.takedowns.c.approval_id))
    )


def _to_verify_filter(today: date) -> list[Any]:
    """Not approved nor rejected; or approved, with a copy that must come down (it stays on the list, as
    "Take down", until its take-down is recorded, even when an erasure rejected it)."""
    due = select(t.approvals.c.image_id).where(t.approvals.c.id.in_(_approvals_to_take_down(today)))
    return [or_(t.images.c.id.not_in(_excluded_from_verify()), t.images.c.id.in_(due))]


class ReviewStore(ImageStore):
    def review_state(self, image_id: int) -> values.ImageState:
        """The image's current analysis with the newest decision for each face and finding.

        Decisions belong to the face/finding rows of one analysis, so a re-analysis starts unresolved.
        """
        states = self.review_states([image_id])
        if image_id not in states:
            raise KeyError(image_id)
        return states[image_id]

    def review_states(self, image_ids: Sequence[int]) -> dict[int, values.ImageState]:
        """`review_state` of many images (a page of the queue) in one snapshot and seven queries per 500
        images, instead of seven per image; ids of images not in the catalogue are left out."""
        r, fd, nd, tm = t.image_reviews, t.face_decisions, t.finding_decisions, t.track_merges
        wanted = sorted(set(image_ids))
        known: list[int] = []
        clips: set[int] = set()
        reviews: list[Any] = []
        face_rows: list[Any] = []
        finding_rows: list[Any] = []
        merge_rows: list[Any] = []
        with self._snapshot() as conn:  # one connection and one moment for the photos and their decisions
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                for row in conn.execute(select(t.images.c.id, t.images.c.path).where(t.images.c.id.in_(chunk))):
                    known.append(row.id)
                    if is_clip_path(row.path):
                        clips.add(row.id)
                reviews += conn.execute(
                    select(r.c.id, r.c.image_id, r.c.state, r.c.reason).where(r.c.image_id.in_(chunk))
                ).all()
                face_rows += conn.execute(
                    select(fd.c.id, fd.c.face_id, fd.c.state, fd.c.consent_id).where(fd.c.image_id.in_(chunk))
                ).all()
                finding_rows += conn.execute(
                    select(nd.c.id, nd.c.finding_id, nd.c.state, nd.c.reason).where(nd.c.image_id.in_(chunk))
                ).all()
                merge_rows += conn.execute(
                    select(tm.c.id, tm.c.face_id, tm.c.same_as).where(tm.c.image_id.in_(chunk))
                ).all()
            analyses = read_current_analyses(conn, known)
        review_now = values.newest_by(reviews, key=lambda row: row.image_id)
        # Face and finding ids are unique across images, so one pass finds every image's current decisions.
        face_now = values.newest_by(face_rows, key=lambda row: row.face_id)
        finding_now = values.newest_by(finding_rows, key=lambda row: row.finding_id)
        joined = {f: row.same_as for f, row in values.newest_by(merge_rows, key=lambda row: row.face_id).items()}
        return {
            image_id: dataclasses.replace(
                _image_state(image_id, analyses.get(image_id), review_now.get(image_id), (face_now, joined), finding_now),
                is_clip=image_id in clips,
            )
            for image_id in known
        }

    def _lock_image(self, conn: Connection, image_id: int) -> None:
        """Decisions about one photo happen one at a time (SQLite's write lock does it for a desk)."""
        if self.engine_name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_IMAGE_LOCK_CLASS, image_id)))

    def _check_not_stale(
        self, conn: Connection, image_id: int, seen: values.FaceReview | values.FindingReview
    ) -> None:
        """Refuse a decision made on a view that someone else has changed since (the newest decision, or the
        analysis it belongs to, is not what the person saw)."""
        is_face = isinstance(seen, values.FaceReview)
        table = t.face_decisions if is_face else t.finding_decisions
        target = table.c.face_id if is_face else table.c.finding_id
        target_id = seen.face_id if is_face else seen.finding_id
        what = f"face {seen.n}" if is_face else f"finding F{seen.n}"
        items = t.faces if is_face else t.findings
        current_analysis = conn.execute(select(items.c.analysis_id).where(items.c.id == target_id)).scalar()
        newest_analysis = conn.execute(select(current_analysis_id(image_id))).scalar()
        if current_analysis != newest_analysis:
            raise ConflictError(
                f"this photo (id {image_id}) was checked again by someone else since you opened it, so {what} "
                "may have changed; the photo has been reloaded: please decide again."
            )
        extra = table.c.consent_id if is_face else table.c.reason
        newest = conn.execute(
            select(table.c.state, extra, table.c.decided_by)
            .where(target == target_id)
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
        now_state = newest[0] if newest else "unresolved"
        now_extra = newest[1] if newest else None
        seen_extra = seen.consent_id if is_face else seen.reason
        if (now_state, now_extra if is_face else None) != (str(seen.state), seen_extra if is_face else None):
            now = values.STATE_WORDS.get(now_state, now_state)
            if is_face and now_extra:
                now = f"{now} to {now_extra}"
            raise ConflictError(
                f"{what} of this photo (id {image_id}) was just changed by "
                f"{newest[2] if newest else 'someone'}: it is now {now}. The photo has been reloaded; "
                "please decide again."
            )

    def add_face_decision(
        self,
        image_id: int,
        face: values.FaceReview,
        state: values.FaceState,
        consent_id: str | None,
        *,
        seen: values.FaceReview | None = None,
    ) -> None:
        """Append a decision for one face (the newest wins); audited with ids only, never names. With `seen`
        (the face as the person's screen showed it), a decision on a stale view is refused."""
        with self.transaction(needs="reviewer") as conn:
            self._lock_image(conn, image_id)
            if seen is not None:
                self._check_not_stale(conn, image_id, seen)
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_decide_face(:image, :face, :state, :consent)"),
                    {"image": image_id, "face": face.face_id, "state": str(state), "consent": consent_id},
                )
                return
            _refuse_joined(conn, [face])
            decision = self._insert_face_decision(conn, image_id, face, state, consent_id, utc_now())
            self.append_audit(
                "review.face",
                f"image:{image_id}",
                {"face": face.n, "face_id": face.face_id, "state": str(state), "consent": consent_id},
                states=[self._made("face_decision", decision)],
            )

    def add_track_merge(
        self,
        image_id: int,
        face: values.FaceReview,
        same_as: values.FaceReview | None,
        *,
        seen: values.FaceReview | None = None,
    ) -> None:
        """Record that person track `face` of a clip is the person of track `same_as` (None: a person of its
        own again); audited with numbers and ids only. With `seen`, refused when someone else joined or
        separated this track since the person's screen showed it."""
        with self.transaction(needs="reviewer") as conn:
            self._lock_image(conn, image_id)
            if seen is not None:
                self._check_merge_not_stale(conn, image_id, seen)
            target = same_as.face_id if same_as else None
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_merge_tracks(:image, :face, :same_as)"),
                    {"image": image_id, "face": face.face_id, "same_as": target},
                )
                return
            decision = conn.execute(
                insert(t.track_merges)
                .values(
                    image_id=image_id, face_id=face.face_id, same_as=target, decided_at=utc_now(), decided_by=self.actor
                )
                .returning(t.track_merges.c.id)
            ).scalar_one()
            self.append_audit(
                "review.same_person",
                f"image:{image_id}",
                {"face": face.n, "face_id": face.face_id, "same_as": same_as.n if same_as else None, "same_as_id": target},
                states=[self._made("track_merge", decision)],
            )

    def _check_merge_not_stale(self, conn: Connection, image_id: int, seen: values.FaceReview) -> None:
        newest_analysis = conn.execute(select(current_analysis_id(image_id))).scalar()
        analysis = conn.execute(select(t.faces.c.analysis_id).where(t.faces.c.id == seen.face_id)).scalar()
        joined = conn.execute(
            select(t.track_merges.c.same_as, t.track_merges.c.decided_by)
            .where(t.track_merges.c.face_id == seen.face_id)
            .order_by(t.track_merges.c.id.desc())
            .limit(1)
        ).first()
        if analysis != newest_analysis or (joined is not None and joined[0] is not None) != (seen.same_as is not None):
            raise ConflictError(
                f"person {seen.n} of this clip (id {image_id}) was just changed by "
                f"{joined[1] if joined else 'someone'}. The clip has been reloaded; please decide again."
            )

    def add_face_decisions(
        self,
        image_id: int,
        faces: Sequence[values.FaceReview],
        state: values.FaceState,
        *,
        check_seen: bool = False,
    ) -> None:
        """The same decision (blur, not a person, unresolved) for many faces of one photo, as one action
        with one audit entry (ids and numbers only): a crowd of 200 is one save, not 200. With
        `check_seen`, `faces` are as the person's screen showed them, and the whole decision is refused if
        someone else changed any of them since (nothing is saved then)."""
        if state is values.FaceState.LINKED:
            raise ValueError("links name a release each: use add_face_decision")
        if not faces:
            return
        with self.transaction(needs="reviewer") as conn:
            self._lock_image(conn, image_id)
            if check_seen:
                self._check_faces_not_stale(conn, image_id, faces)
            if self._server_rules:  # the server checks and writes them, and its own audit entry
                conn.execute(
                    text("SELECT cd_decide_faces(:image, :faces, :state)"),
                    {"image": image_id, "faces": [f.face_id for f in faces], "state": str(state)},
                )
                return
            _refuse_joined(conn, faces)
            now = utc_now()
            made = [self._insert_face_decision(conn, image_id, face, state, None, now) for face in faces]
            self.append_audit(
                "review.faces",
                f"image:{image_id}",
                {
                    "faces": sorted(f.n for f in faces),
                    "face_ids": [f.face_id for f in faces],
                    "state": str(state),
                },
                states=[self._made("face_decision", decision) for decision in made],
            )

    def _insert_face_decision(
        self,
        conn: Connection,
        image_id: int,
        face: values.FaceReview,
        state: values.FaceState,
        consent_id: str | None,
        at: str,
    ) -> int:
        """One face decision row in this person's name (the SQLite path; the server writes its own)."""
        return conn.execute(
            insert(t.face_decisions)
            .values(
                image_id=image_id,
                face_id=face.face_id,
                state=str(state),
                consent_id=consent_id,
                decided_at=at,
                decided_by=self.actor,
            )
            .returning(t.face_decisions.c.id)
        ).scalar_one()

    def _check_faces_not_stale(
        self, conn: Connection, image_id: int, seen: Sequence[values.FaceReview]
    ) -> None:
        """`_check_not_stale` for many faces in three queries: the newest analysis, and each face's newest
        decision, must be what the person saw."""
        ids = [f.face_id for f in seen]
        newest_analysis = conn.execute(select(current_analysis_id(image_id))).scalar()
        analyses = set(conn.execute(select(t.faces.c.analysis_id).where(t.faces.c.id.in_(ids))).scalars())
        if analyses != {newest_analysis}:
            raise ConflictError(
                f"this photo (id {image_id}) was checked again by someone else since you opened it, so its "
                "faces may have changed; the photo has been reloaded: please decide again."
            )
        fd = t.face_decisions
        rows = conn.execute(
            select(fd.c.id, fd.c.face_id, fd.c.state, fd.c.consent_id, fd.c.decided_by).where(fd.c.face_id.in_(ids))
        ).all()
        newest = values.newest_by(rows, key=lambda row: row.face_id)
        for face in seen:
            row = newest.get(face.face_id)
            now = (row.state, row.consent_id) if row is not None else ("unresolved", None)
            if now != (str(face.state), face.consent_id):
                words = values.STATE_WORDS.get(now[0], now[0]) + (f" to {now[1]}" if now[1] else "")
                raise ConflictError(
                    f"face {face.n} of this photo (id {image_id}) was just changed by "
                    f"{row.decided_by if row is not None else 'someone'}: it is now {words}. The photo has "
                    "been reloaded; please decide again."
                )

    def add_finding_decision(
        self,
        image_id: int,
        finding: values.FindingReview,
        state: values.FindingState,
        reason: str | None,
        *,
        seen: values.FindingReview | None = None,
    ) -> None:
        """Append a decision for one finding. The reason stays in the catalogue, not in the audit details,
        because reviewers may quote the personal data they dismissed. `seen` as for faces."""
        with self.transaction(needs="reviewer") as conn:
            self._lock_image(conn, image_id)
            if seen is not None:
                self._check_not_stale(conn, image_id, seen)
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_decide_finding(:image, :finding, :state, :reason)"),
                    {"image": image_id, "finding": finding.finding_id, "state": str(state), "reason": reason},
                )
                return
            decision = conn.execute(
                insert(t.finding_decisions)
                .values(
                    image_id=image_id,
                    finding_id=finding.finding_id,
                    state=str(state),
                    reason=reason,
                    decided_at=utc_now(),
                    decided_by=self.actor,
                )
                .returning(t.finding_decisions.c.id)
            ).scalar_one()
            self.append_audit(
                "review.finding",
                f"image:{image_id}",
                {
                    "finding": finding.n,
                    "finding_id": finding.finding_id,
                    "kind": str(finding.kind),
                    "state": str(state),
                    "reason_given": bool(reason),
                },
                states=[self._made("finding_decision", decision)],
            )

    def add_image_review(self, image_id: int, state: str, reason: str | None) -> None:
        """Reject an image ('rejected') or undo a rejection ('open')."""
        with self.transaction(needs="reviewer") as conn:
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_review_photo(:image, :state, :reason)"),
                    {"image": image_id, "state": state, "reason": reason},
                )
                return
            decision = conn.execute(
                insert(t.image_reviews)
                .values(
                    image_id=image_id, state=state, reason=reason, decided_at=utc_now(), decided_by=self.actor
                )
                .returning(t.image_reviews.c.id)
            ).scalar_one()
            self.append_audit(
                "review.image",
                f"image:{image_id}",
                {"state": state, "reason_given": bool(reason)},
                states=[self._made("image_review", decision)],
            )

    def record_approval(
        self,
        approval_id: str,
        image_id: int,
        posting_date: date,
        channels: list[str],
        export_path: str,
        export_sha256: str,
        consent_ids: list[str],
    ) -> values.ApprovalRecord:
        """Store an approval and its channels with one audit entry (who, when, channels, file and hash)."""
        with self.transaction(needs="reviewer") as conn:
            if self._server_rules:
                conn.execute(
                    text(
                        "SELECT cd_record_approval(:id, :image, :posting, :channels, :path, :sha, :consents)"
                    ),
                    {
                        "id": approval_id,
                        "image": image_id,
                        "posting": posting_date.isoformat(),
                        "channels": list(channels),
                        "path": export_path,
                        "sha": export_sha256,
                        "consents": list(consent_ids),
                    },
                )
                return next(a for a in self.review_approvals(image_id) if a.id == approval_id)
            conn.execute(
                insert(t.approvals).values(
                    id=approval_id,
                    image_id=image_id,
                    approved_at=utc_now(),
                    approved_by=self.actor,
                    posting_date=posting_date.isoformat(),
                    export_path=export_path,
                    export_sha256=export_sha256,
                    consent_ids=json.dumps(consent_ids),
                )
            )
            if channels:
                conn.execute(
                    insert(t.approval_channels),
                    [{"approval_id": approval_id, "channel": c} for c in channels],
                )
            self.append_audit(
                "image.approved",
                f"image:{image_id}",
                {
                    "approval": approval_id,
                    "channels": channels,
                    "posting_date": posting_date.isoformat(),
                    "export_path": export_path,
                    "export_sha256": export_sha256,
                    "consents": consent_ids,
                },
                states=[self._made("approval", approval_id)],
            )
            return next(a for a in self.review_approvals(image_id) if a.id == approval_id)

    def review_approvals(self, image_id: int | None = None) -> list[values.ApprovalRecord]:
        """Approvals of one image (or all), oldest first, with their channels and recorded take-down."""
        return self._approvals(None if image_id is None else [image_id])

    def approvals_of(self, image_ids: Sequence[int]) -> dict[int, list[values.ApprovalRecord]]:
        """`review_approvals` of many images (a page of a list) in one query per 500 images."""
        found: dict[int, list[values.ApprovalRecord]] = {i: [] for i in image_ids}
        wanted = sorted(set(image_ids))
        for start in range(0, len(wanted), CHUNK):
            for approval in self._approvals(wanted[start : start + CHUNK]):
                found[approval.image_id].append(approval)
        return found

    def _approvals(self, image_ids: list[int] | None) -> list[values.ApprovalRecord]:
        a, c, k = t.approvals, t.approval_channels, t.takedowns
        channels = (
            select(func.aggregate_strings(c.c.channel, ","))
            .where(c.c.approval_id == a.c.id)
            .scalar_subquery()
        )
        sql = (
            select(a, channels.label("channels"), k.c.recorded_at, k.c.recorded_by)
            .select_from(a.outerjoin(k, k.c.approval_id == a.c.id))
            .order_by(a.c.approved_at, a.c.id)
        )
        if image_ids is not None:
            sql = sql.where(a.c.image_id.in_(image_ids))
        with self._connection() as conn:
            return [_approval_from_row(r) for r in conn.execute(sql)]

    def lapsed_approvals(self, today: date) -> list[values.LapsedApproval]:
        """Approved copies not recorded as taken down that relied on a release lapsed on `today`
        (withdrawn, erased or past its end date), whatever the photo's faces are linked to now: the
        candidates `review.policy.takedowns` judges. Found from the lapsed releases, by index."""
        a, ac, c = t.approvals, t.approval_consents, t.consents
        status = case((c.c.status != "active", c.c.status), else_=literal("expired"))
        sql = (
            select(a.c.id, a.c.image_id, c.c.id, status)
            .select_from(a.join(ac, ac.c.approval_id == a.c.id).join(c, c.c.id == ac.c.consent_id))
            .where(c.c.id.in_(_lapsed_consents(today)), a.c.id.not_in(select(t.takedowns.c.approval_id)))
            .order_by(a.c.image_id, a.c.id, c.c.id)
        )
        with self._connection() as conn:
            return [values.LapsedApproval(*row) for row in conn.execute(sql)]

    def images_approved_with(self, consent_id: str) -> list[int]:
        """Ids of the photos with an approved copy that relied on this release (taken down or not)."""
        a, ac = t.approvals, t.approval_consents
        sql = (
            select(a.c.image_id)
            .distinct()
            .select_from(a.join(ac, ac.c.approval_id == a.c.id))
            .where(ac.c.consent_id == consent_id)
            .order_by(a.c.image_id)
        )
        with self._connection() as conn:
            return list(conn.execute(sql).scalars())

    def record_takedown(self, approval_id: str) -> values.TakenDown:
        """Record that every export and post of one approval was removed: its copy is no longer live, and
        the photo stops saying "Take down" once none of its copies is. Audited with ids only; recorded
        once (the database refuses a change or a second record)."""
        a, k = t.approvals, t.takedowns
        with self.transaction(needs="reviewer") as conn:
            approval = conn.execute(select(a.c.image_id).where(a.c.id == approval_id)).first()
            if approval is None:
                raise CatalogueError(f"there is no approval {approval_id}; `consentdesk status IMAGE` lists them")
            self._lock_image(conn, approval.image_id)
            done = conn.execute(select(k).where(k.c.approval_id == approval_id)).first()
            if done is not None:
                raise ConflictError(
                    f"the take-down of approval {approval_id} was already recorded by {done.recorded_by} "
                    f"at {done.recorded_at[:16].replace('T', ' ')}"
                )
            if self._server_rules:  # the server checks the role, writes who and when, and audits it
                conn.execute(text("SELECT cd_record_takedown(:approval)"), {"approval": approval_id})
            else:
                before = self._state("approval", approval_id)
                conn.execute(
                    insert(k).values(approval_id=approval_id, recorded_at=utc_now(), recorded_by=self.actor)
                )
                self.append_audit(
                    "approval.taken_down",
                    f"image:{approval.image_id}",
                    {"approval": approval_id},
                    states=[self._changed("approval", approval_id, before)],
                )
            row = conn.execute(select(k).where(k.c.approval_id == approval_id)).one()
        return values.TakenDown(row.approval_id, row.recorded_at, row.recorded_by)

    def images_to_verify(
        self, *, limit: int | None = None, offset: int = 0, today: date | None = None
    ) -> list[ImageRecord]:
        """Images neither approved nor rejected (newest review decides), and approved ones with a copy to
        take down on `today` (default: today), by shoot and capture date."""
        where = _to_verify_filter(today or date.today())
        sql = select(t.images).where(*where).order_by(*IMAGE_ORDER).offset(offset)
        if limit is not None:
            sql = sql.limit(limit)
        with self._connection() as conn:
            return [_image_from_row(r._mapping) for r in conn.execute(sql)]

    def image_ids_to_verify(self, today: date | None = None) -> list[int]:
        """The ids of `images_to_verify()`, in its order: what a list needs to page through and to walk
        next/previous, without building a record for every photo."""
        sql = select(t.images.c.id).where(*_to_verify_filter(today or date.today())).order_by(*IMAGE_ORDER)
        with self._connection() as conn:
            return list(conn.execute(sql).scalars())

    def count_images_to_verify(self, today: date | None = None) -> int:
        sql = select(func.count()).select_from(t.images).where(*_to_verify_filter(today or date.today()))
        with self._connection() as conn:
            return int(conn.execute(sql).scalar_one())

    def consents_linked_in_shoot(self, shoot_id: int) -> dict[str, int]:
        """Consent id -> number of the shoot's photos whose current analysis links a face to it."""
        links = _current_links().subquery("links")
        photos = func.count(distinct(links.c.image_id))
        sql = (
            select(links.c.consent_id, photos.label("photos"))
            .select_from(links.join(t.images, t.images.c.id == links.c.image_id))
            .where(t.images.c.shoot_id == shoot_id)
            .group_by(links.c.consent_id)
            .order_by(photos.desc(), links.c.consent_id)
        )
        with self._connection() as conn:
            return {r.consent_id: r.photos for r in conn.execute(sql)}

    def images_linked_to(self, consent_id: str) -> dict[int, list[int]]:
        """Image id -> face numbers currently linked to this consent (current analyses only)."""
        links = _current_links().subquery("links")
        sql = (
            select(links.c.image_id, links.c.n)
            .where(links.c.consent_id == consent_id)
            .order_by(links.c.image_id, links.c.n)
        )
        linked: dict[int, list[int]] = {}
        with self._connection() as conn:
            for image_id, n in conn.execute(sql):
                linked.setdefault(image_id, []).append(n)
        return linked

    def linked_image_counts(self, consent_ids: list[str]) -> dict[str, int]:
        """Consent id -> how many photos currently link a face to it, for many consents in one query."""
        if not consent_ids:
            return {}
        links = _current_links().subquery("links")
        sql = (
            select(links.c.consent_id, func.count(distinct(links.c.image_id)))
            .where(links.c.consent_id.in_(sorted(set(consent_ids))))
            .group_by(links.c.consent_id)
        )
        with self._connection() as conn:
            counts = dict(conn.execute(sql).all())
        return {cid: counts.get(cid, 0) for cid in consent_ids}

    def lapsed_links(self, today: date) -> list[LapsedLink]:
        """Current face links to consents that are withdrawn, erased or past their end date on `today`.

        The lapsed consents are listed first (from the status/end-date index alone) and only their links are
        followed, rather than following every link and then reading each consent to drop most of them.
        """
        c = t.consents
        links = _current_links().subquery("links")
        status = case((c.c.status != "active", c.c.status), else_=literal("expired"))
        sql = (
            select(links.c.image_id, c.c.id, status)
            .distinct()
            .select_from(links.join(c, c.c.id == links.c.consent_id))
            .where(links.c.consent_id.in_(_lapsed_consents(today)))
            .order_by(links.c.image_id, c.c.id)
        )
        with self._connection() as conn:
            return [LapsedLink(image_id, consent_id, st) for image_id, consent_id, st in conn.execute(sql)]


def _approval_from_row(r: Any) -> values.ApprovalRecord:
    return values.ApprovalRecord(
        id=r.id,
        image_id=r.image_id,
        approved_at=r.approved_at,
        approved_by=r.approved_by,
        posting_date=date.fromisoformat(r.posting_date),
        export_path=r.export_path,
        export_sha256=r.export_sha256,
        consent_ids=tuple(json.loads(r.consent_ids)),
        channels=tuple(sorted(r.channels.split(","))) if r.channels else (),
        taken_down=values.TakenDown(r.id, r.recorded_at, r.recorded_by) if r.recorded_at else None,
    )


def _image_state(
    image_id: int,
    analysis: StoredAnalysis | None,
    review: Any,
    face_decisions: tuple[dict[int, Any], dict[int, int | None]],
    finding_now: dict[int, Any],
) -> values.ImageState:
    """One image's state from its current analysis, newest review and the current decisions (for faces:
    the newest decision and the newest "same person as" of each)."""
    rejected = review is not None and review.state == "rejected"
    reason = review.reason if rejected else None
    if analysis is None:
        return values.ImageState(image_id, None, None, rejected=rejected, rejection_reason=reason)
    faces = _face_reviews(analysis, *face_decisions)
    findings = tuple(
        values.FindingReview(
            f.id,
            f.n,
            f.kind,
            f.severity,
            f.box,
            f.text,
            values.FindingState(finding_now[f.id].state)
            if f.id in finding_now
            else values.FindingState.UNRESOLVED,
            finding_now[f.id].reason if f.id in finding_now else None,
        )
        for f in analysis.findings
    )
    return values.ImageState(image_id, analysis.id, analysis.error, faces, findings, rejected, reason)


def _face_reviews(
    analysis: StoredAnalysis, face_now: dict[int, Any], joined: dict[int, int | None]
) -> tuple[values.FaceReview, ...]:
    """Each face with its decision; a clip's track joined to another follows the first track of that person
    (joins are followed to the end, so "5 is 3" and "3 is 1" make 5 follow 1)."""
    by_id = {f.id: f for f in analysis.faces}
    out = []
    for face in analysis.faces:
        root, walked = face.id, {face.id}
        while joined.get(root) in by_id and joined[root] not in walked:  # a merge into another analysis: ignored
            root = joined[root]
            walked.add(root)
        decision = face_now.get(root)
        out.append(
            values.FaceReview(
                face.id,
                face.n,
                face.box,
                face.score,
                values.FaceState(decision.state) if decision else values.FaceState.UNRESOLVED,
                decision.consent_id if decision else None,
                by_id[root].n if root != face.id else None,
            )
        )
    return tuple(out)


def _refuse_joined(conn: Connection, faces: Sequence[values.FaceReview]) -> None:
    """No decision of its own for a track joined to another ("same person as 3"): it follows that track's,
    and one recorded on it would come back unseen the day it is separated. The register's server refuses
    it the same way (`cd_decide_face`, migration 12); this is the desk catalogue's refusal."""
    tm, ids = t.track_merges, [f.face_id for f in faces]
    rows = conn.execute(select(tm.c.id, tm.c.face_id, tm.c.same_as).where(tm.c.face_id.in_(ids))).all()
    newest = values.newest_by(rows, key=lambda row: row.face_id)
    for face in faces:
        row = newest.get(face.face_id)
        if row is not None and row.same_as is not None:
            as_n = conn.execute(select(t.faces.c.n).where(t.faces.c.id == row.same_as)).scalar()
            raise RefusedError(
                f"person {face.n} is the same person as {as_n}: decide on that track, or make it a separate "
                "person again first"
            )
