"""Release records: form ids, signed consents with their files, status events, paper scans, and search.

Records are never edited once signed (the database refuses it); a withdrawal or erasure is a new event row
plus a status change. Expiry is a domain rule (`Consent.effective_status`), applied here only as the
date comparison the register's status filter needs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, text, update

from consentdesk.core import ids
from consentdesk.core.store import schema as t
from consentdesk.core.store import text_search
from consentdesk.core.store.audit_trail import AuditStore
from consentdesk.core.store.base import utc_now
from consentdesk.core.store.errors import CatalogueError
from consentdesk.core.store.migrations import consent_search_key
from consentdesk.core.values import Consent, ConsentStatus, PaperScan


@dataclass(frozen=True, slots=True)
class ConsentQuery:
    """Filters for the register. Text matches name, id, location or photographer, ignoring case and accents."""

    text: str = ""
    status: ConsentStatus | None = None
    role: str | None = None
    location: str | None = None
    expiring_before: date | None = None
    today: date | None = None


@dataclass(frozen=True, slots=True)
class NewConsent:
    """A validated submission ready to store (see `consent.releases.record_consent`)."""

    form_name: str
    form_version: int
    answers: dict[str, Any]
    files: dict[str, tuple[str, bytes]]  # field id -> (mime, data)
    signed_at: datetime
    expires_on: date | None
    source: str
    form_id: str | None = None  # a pre-printed paper form id to use; a new id is issued when None


def _latest_event(column: ColumnElement, kind: str) -> Any:
    e = t.consent_events.alias("e")
    return (
        select(getattr(e.c, column.name))
        .where(e.c.consent_id == t.consents.c.id, e.c.kind == kind)
        .order_by(e.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


@functools.cache  # built once: SQLAlchemy constructs are immutable, building them is not free
def _consent_select() -> Any:
    c, f = t.consents, t.consent_files
    return select(
        c.c.id,
        c.c.form_name,
        c.c.form_version,
        c.c.answers,
        c.c.signed_at,
        c.c.expires_on,
        c.c.created_by,
        c.c.status,
        c.c.source,
        select(func.aggregate_strings(f.c.field, ","))
        .where(f.c.consent_id == c.c.id)
        .scalar_subquery()
        .label("file_fields"),
        _latest_event(t.consent_events.c.effective_on, "withdrawn").label("withdrawn_on"),
        _latest_event(t.consent_events.c.reason, "withdrawn").label("withdrawal_reason"),
    )


def _consent_filters(query: ConsentQuery) -> list[ColumnElement[bool]]:
    c = t.consents.c
    today = (query.today or date.today()).isoformat()
    where: list[ColumnElement[bool]] = []
    wanted = text_search.needle(query.text)
    if wanted:
        where.append(c.search_key.contains(wanted, autoescape=True))
    if query.status is ConsentStatus.EXPIRED:
        where.append(and_(c.status == "active", c.expires_on.is_not(None), c.expires_on < today))
    elif query.status is ConsentStatus.ACTIVE:
        where.append(and_(c.status == "active", or_(c.expires_on.is_(None), c.expires_on >= today)))
    elif query.status is not None:
        where.append(c.status == str(query.status))
    if query.role:
        where.append(c.role == query.role)
    if query.location:
        where.append(c.location == query.location)
    if query.expiring_before:
        where.append(
            and_(
                c.status == "active",
                c.expires_on.is_not(None),
                c.expires_on >= today,
                c.expires_on <= query.expiring_before.isoformat(),
            )
        )
    return where


class ConsentStore(AuditStore):
    # --- form ids ----------------------------------------------------------------------------------

    def _issue_form_ids(self, count: int, batch: str) -> list[str]:
        conn = self._require_action()
        issued: list[str] = []
        now, actor = utc_now(), self.actor
        while len(issued) < count:
            candidates = [ids.new_id() for _ in range(count - len(issued))]
            taken = set(
                conn.execute(select(t.form_ids.c.id).where(t.form_ids.c.id.in_(candidates))).scalars()
            )
            fresh = [c for c in dict.fromkeys(candidates) if c not in taken]  # astronomically rare clash
            if fresh:
                conn.execute(
                    insert(t.form_ids),
                    [{"id": c, "reserved_at": now, "reserved_by": actor, "batch": batch} for c in fresh],
                )
            issued += fresh
        return issued

    def reserve_form_ids(self, count: int) -> list[str]:
        """Pre-allocate ids for printed blank forms so each paper form can be matched back by its QR code."""
        if not 1 <= count <= 10_000:
            raise ValueError("between 1 and 10,000 form ids can be reserved at once")
        with self.transaction(needs="photographer") as conn:
            batch = ids.new_id()
            if self._server_rules:
                issued = list(dict.fromkeys(ids.new_id() for _ in range(count)))
                while len(issued) < count:  # astronomically rare: two equal random ids in one batch
                    issued = list(dict.fromkeys([*issued, ids.new_id()]))
                conn.execute(text("SELECT cd_reserve_form_ids(:ids, :batch)"), {"ids": issued, "batch": batch})
                return issued
            issued = self._issue_form_ids(count, batch)
            self.append_audit(
                "form_ids.reserved",
                None,
                {"count": count, "batch": batch, "first": issued[0], "last": issued[-1]},
            )
        return issued

    def form_id_state(self, form_id: str) -> str:
        """'unknown', 'reserved' (printed, not yet entered) or 'used' (a record exists)."""
        query = (
            select(t.form_ids.c.id, t.consents.c.id.label("consent"))
            .select_from(t.form_ids.outerjoin(t.consents, t.consents.c.id == t.form_ids.c.id))
            .where(t.form_ids.c.id == form_id)
        )
        with self._connection() as conn:
            row = conn.execute(query).first()
        if row is None:
            return "unknown"
        return "used" if row.consent else "reserved"

    # --- consents ----------------------------------------------------------------------------------

    def add_consent(self, new: NewConsent) -> Consent:
        with self.transaction(needs="photographer") as conn:
            if self._server_rules:
                return self._sign_on_server(conn, new)
            if new.form_id:
                state = self.form_id_state(new.form_id)
                if state == "unknown":
                    raise CatalogueError(
                        f"form id {new.form_id} was never issued by this catalogue; check the number"
                    )
                if state == "used":
                    raise CatalogueError(f"form id {new.form_id} already has a signed record")
                consent_id = new.form_id
            else:
                consent_id = self._issue_form_ids(1, "screen")[0]
            conn.execute(
                insert(t.consents).values(
                    id=consent_id,
                    form_name=new.form_name,
                    form_version=new.form_version,
                    answers=json.dumps(new.answers, ensure_ascii=False, sort_keys=True),
                    signed_at=new.signed_at.isoformat(timespec="seconds"),
                    expires_on=new.expires_on.isoformat() if new.expires_on else None,
                    created_at=utc_now(),
                    created_by=self.actor,
                    source=new.source,
                    status="active",
                    search_key=consent_search_key(consent_id, new.answers),
                )
            )
            if new.files:
                conn.execute(
                    insert(t.consent_files),
                    [
                        {
                            "consent_id": consent_id,
                            "field": field_id,
                            "mime": mime,
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "data": data,
                        }
                        for field_id, (mime, data) in new.files.items()
                    ],
                )
            self.append_audit(
                "consent.signed",
                consent_id,
                {
                    "form": f"{new.form_name}@v{new.form_version}",
                    "source": new.source,
                    "expires_on": new.expires_on.isoformat() if new.expires_on else None,
                    "files": sorted(new.files),
                },
                states=[self._made("consent", consent_id)],
            )
        return self.get_consent(consent_id)

    def _sign_on_server(self, conn: Any, new: NewConsent) -> Consent:
        """A new release through the server's `cd_sign_consent`, which checks the form id, fills in who and
        when, hashes the files and writes the audit entry."""
        consent_id = new.form_id or ids.new_id()
        fields = sorted(new.files)
        conn.execute(
            text(
                "SELECT cd_sign_consent(:id, :paper, :form, :version, :answers, :signed_at, :expires_on, "
                ":source, :search_key, :fields, :mimes, :data)"
            ),
            {
                "id": consent_id,
                "paper": bool(new.form_id),
                "form": new.form_name,
                "version": new.form_version,
                "answers": json.dumps(new.answers, ensure_ascii=False, sort_keys=True),
                "signed_at": new.signed_at.isoformat(timespec="seconds"),
                "expires_on": new.expires_on.isoformat() if new.expires_on else None,
                "source": new.source,
                "search_key": consent_search_key(consent_id, new.answers),
                "fields": fields,
                "mimes": [new.files[f][0] for f in fields],
                "data": [new.files[f][1] for f in fields],
            },
        )
        return self.get_consent(consent_id)

    def get_consent(self, consent_id: str) -> Consent:
        with self._connection() as conn:
            row = conn.execute(_consent_select().where(t.consents.c.id == consent_id)).first()
        if row is None:
            raise KeyError(consent_id)
        return _consent_from_row(row._mapping)

    def find_consent(self, consent_id: str) -> Consent | None:
        try:
            return self.get_consent(consent_id)
        except KeyError:
            return None

    def list_consents(
        self, query: ConsentQuery | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Consent]:
        """Records matching `query`, newest signature first; `limit`/`offset` page through them.

        A page is chosen from the filtered ids first and only its rows get their files and events looked
        up: SQLite works out every selected column before sorting, so one query would look them up for
        every match (thousands of expired records) to show fifty.
        """
        where = _consent_filters(query or ConsentQuery())
        order = (t.consents.c.signed_at.desc(), t.consents.c.id)
        if limit is None:
            sql = _consent_select().where(*where).order_by(*order).offset(offset)
        else:
            page = select(t.consents.c.id).where(*where).order_by(*order).offset(offset).limit(limit)
            sql = _consent_select().where(t.consents.c.id.in_(page)).order_by(*order)
        with self._connection() as conn:
            return [_consent_from_row(r._mapping) for r in conn.execute(sql)]

    def count_consents(self, query: ConsentQuery | None = None) -> int:
        sql = select(func.count()).select_from(t.consents).where(*_consent_filters(query or ConsentQuery()))
        with self._connection() as conn:
            return int(conn.execute(sql).scalar_one())

    def consents_by_id(self, consent_ids: list[str] | set[str] | tuple[str, ...]) -> dict[str, Consent]:
        """Several records in one query (review pages show many faces' consents at once)."""
        wanted = sorted(set(consent_ids))
        if not wanted:
            return {}
        with self._connection() as conn:
            rows = conn.execute(_consent_select().where(t.consents.c.id.in_(wanted))).all()
        return {r.id: _consent_from_row(r._mapping) for r in rows}

    def consent_file(self, consent_id: str, field_id: str) -> tuple[str, bytes] | None:
        f = t.consent_files.c
        with self._connection() as conn:
            row = conn.execute(
                select(f.mime, f.data).where(f.consent_id == consent_id, f.field == field_id)
            ).first()
        return (row.mime, bytes(row.data)) if row else None

    def locations(self) -> list[str]:
        c = t.consents.c
        sql = select(c.location).where(c.location.is_not(None)).distinct().order_by(c.location)
        with self._connection() as conn:
            return list(conn.execute(sql).scalars())

    def withdraw_consent(self, consent_id: str, effective_on: date, reason: str) -> Consent:
        """Record a withdrawal as an event; the signed record itself stays as signed."""
        reason = reason.strip()
        if not reason:
            raise ValueError("a reason for the withdrawal is required")
        with self.transaction(needs="reviewer") as conn:
            if self._server_rules:
                conn.execute(
                    text("SELECT cd_withdraw_consent(:id, :on, :reason)"),
                    {"id": consent_id, "on": effective_on.isoformat(), "reason": reason},
                )
                return self.get_consent(consent_id)
            consent = self.get_consent(consent_id)
            if consent.status is not ConsentStatus.ACTIVE:
                raise CatalogueError(f"consent {consent_id} is already {consent.status}")
            before = self._state("consent", consent_id)
            conn.execute(
                insert(t.consent_events).values(
                    consent_id=consent_id,
                    kind="withdrawn",
                    effective_on=effective_on.isoformat(),
                    reason=reason,
                    recorded_at=utc_now(),
                    recorded_by=self.actor,
                )
            )
            conn.execute(update(t.consents).where(t.consents.c.id == consent_id).values(status="withdrawn"))
            self.append_audit(
                "consent.withdrawn",
                consent_id,
                {"effective_on": effective_on.isoformat()},
                states=[self._changed("consent", consent_id, before)],
            )
        return self.get_consent(consent_id)

    def consents_of_day(self, day: date) -> list[Consent]:
        """Consents signed on `day`, or whose session date is `day` (paper forms entered later)."""
        c = t.consents.c
        start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
        sql = (
            _consent_select()
            .where(or_(and_(c.signed_at >= start, c.signed_at < end), c.session_date == day.isoformat()))
            .order_by(c.signed_at, c.id)
        )
        with self._connection() as conn:
            return [_consent_from_row(r._mapping) for r in conn.execute(sql)]

    # --- paper scans ---------------------------------------------------------------------------------

    def add_paper_scan(
        self,
        form_id: str,
        page: int,
        source_name: str,
        mime: str,
        data: bytes,
        details: dict[str, Any] | None = None,
    ) -> tuple[PaperScan, bool]:
        """Attach one scanned page to a form id issued by this catalogue; the same bytes are kept once.
        `details` (ids and outcomes, never personal data) go into the audit entry, e.g. the signature check."""
        digest = hashlib.sha256(data).hexdigest()
        s = t.paper_scans.c
        with self.transaction(needs="photographer") as conn:
            if self._server_rules:
                boxes = (details or {}).get("signature_boxes")
                scan_id, added = conn.execute(
                    text(
                        "SELECT scan_id, added FROM cd_attach_scan(:form, :page, :name, :mime, :data, "
                        "CAST(:boxes AS jsonb))"
                    ),
                    {
                        "form": form_id,
                        "page": page,
                        "name": source_name,
                        "mime": mime,
                        "data": data,
                        "boxes": None if boxes is None else json.dumps(boxes),
                    },
                ).one()
                return self._paper_scan(int(scan_id)), bool(added)
            existing = conn.execute(select(s.id).where(s.form_id == form_id, s.sha256 == digest)).scalar()
            if existing is not None:
                return self._paper_scan(int(existing)), False
            scan = dict(form_id=form_id, page=page, source_name=source_name, mime=mime, sha256=digest, data=data)
            scan_id = conn.execute(
                insert(t.paper_scans).values(**scan, scanned_at=utc_now(), scanned_by=self.actor).returning(s.id)
            ).scalar_one()
            self.append_audit(
                "paper_scan.attached",
                form_id,
                {
                    "scan": scan_id,
                    "page": page,
                    "sha256": digest,
                    "state": self.form_id_state(form_id),
                    **(details or {}),
                },
                states=[self._made("scan", scan_id)],
            )
        return self._paper_scan(int(scan_id)), True

    @staticmethod
    def _paper_scan_select() -> Any:
        s = t.paper_scans.c
        return select(
            s.id,
            s.form_id,
            s.page,
            s.source_name,
            s.mime,
            s.sha256,
            s.scanned_at,
            s.scanned_by,
            t.consents.c.id.label("consent_id"),
        ).select_from(t.paper_scans.outerjoin(t.consents, t.consents.c.id == s.form_id))

    def _paper_scan(self, scan_id: int) -> PaperScan:
        with self._connection() as conn:
            row = conn.execute(self._paper_scan_select().where(t.paper_scans.c.id == scan_id)).one()
        return PaperScan(*row)

    def paper_scans(self, form_id: str | None = None, *, awaiting_entry: bool = False) -> list[PaperScan]:
        """Scans of one form id (or all); `awaiting_entry` keeps only forms with no record entered yet."""
        s = t.paper_scans.c
        sql = self._paper_scan_select()
        if form_id:
            sql = sql.where(s.form_id == form_id)
        if awaiting_entry:
            sql = sql.where(t.consents.c.id.is_(None))
        with self._connection() as conn:
            return [PaperScan(*r) for r in conn.execute(sql.order_by(s.form_id, s.page, s.id))]

    def paper_scan_data(self, scan_id: int) -> bytes:
        with self._connection() as conn:
            data = conn.execute(select(t.paper_scans.c.data).where(t.paper_scans.c.id == scan_id)).scalar()
        if data is None:
            raise KeyError(scan_id)
        return bytes(data)


def _consent_from_row(row: Any) -> Consent:
    files = set((row["file_fields"] or "").split(","))
    withdrawn_on = row["withdrawn_on"]
    return Consent(
        id=row["id"],
        form_name=row["form_name"],
        form_version=row["form_version"],
        answers=json.loads(row["answers"]),
        signed_at=datetime.fromisoformat(row["signed_at"]),
        expires_on=date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
        created_by=row["created_by"],
        status=ConsentStatus(row["status"]),
        withdrawn_on=date.fromisoformat(withdrawn_on) if withdrawn_on else None,
        withdrawal_reason=row["withdrawal_reason"],
        has_signature="signature" in files,
        has_guardian_signature="guardian_signature" in files,
        has_reference_photo="reference_photo" in files,
        source=row["source"],
    )
