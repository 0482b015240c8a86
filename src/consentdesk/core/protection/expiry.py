"""Expiry: consents running out soon and images that have lost clearance, for the dashboard.

Expiry is derived from each record's end date on the day asked about (never stored), so this is a
read-only view that is right on any day without a nightly job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from consentdesk.core.store import Catalogue, ConsentQuery
from consentdesk.core.values import Consent, ImageRecord


@dataclass(frozen=True, slots=True)
class ExpiringConsent:
    consent: Consent
    days_left: int
    linked_images: int


@dataclass(frozen=True, slots=True)
class BlockedImage:
    """An image linked to at least one consent that no longer covers it, or with an approved copy out
    there that relied on one (until its take-down is recorded), and why."""

    image: ImageRecord
    reasons: tuple[tuple[str, str], ...]  # (consent id, withdrawn | erased | expired)
    take_down: tuple[str, ...] = ()  # ids of the approvals whose copies must come down
    is_clip: bool = False  # a clip is blocked and taken down like a photo; the page says which it is


def lost_clearance(catalogue: Catalogue, today: date) -> list[tuple[int, tuple[tuple[str, str], ...], tuple[str, ...]]]:
    """(image id, lapsed releases, approvals to take down) for every photo that lost clearance on
    `today`: a face linked to a lapsed release, or a copy out there that relied on one. By image id."""
    reasons: dict[int, dict[tuple[str, str], None]] = {}
    due: dict[int, dict[str, None]] = {}
    for lapsed in catalogue.lapsed_links(today):
        reasons.setdefault(lapsed.image_id, {})[(lapsed.consent_id, lapsed.status)] = None
    for copy in catalogue.lapsed_approvals(today):
        reasons.setdefault(copy.image_id, {})[(copy.consent_id, copy.status)] = None
        due.setdefault(copy.image_id, {})[copy.approval_id] = None
    return [(i, tuple(reasons[i]), tuple(due.get(i, ()))) for i in sorted(reasons)]


@dataclass(frozen=True, slots=True)
class ExpiryDashboard:
    today: date
    days: int
    expiring: tuple[ExpiringConsent, ...]
    blocked: tuple[BlockedImage, ...]

    def to_json(self) -> dict[str, Any]:
        """Ids, dates and statuses only: the dashboard JSON is meant for scripts, not for sharing names."""
        return {
            "today": self.today.isoformat(),
            "days": self.days,
            "expiring": [
                {
                    "consent_id": e.consent.id,
                    "expires_on": e.consent.expires_on.isoformat() if e.consent.expires_on else None,
                    "days_left": e.days_left,
                    "linked_images": e.linked_images,
                }
                for e in self.expiring
            ],
            "lost_clearance": [
                {
                    "image_id": b.image.id,
                    "path": b.image.path,
                    "kind": "clip" if b.is_clip else "photo",
                    "consents": [{"consent_id": c, "status": s} for c, s in b.reasons],
                    "take_down": list(b.take_down),
                }
                for b in self.blocked
            ],
        }


def expiry_dashboard(catalogue: Catalogue, days: int = 30, today: date | None = None) -> ExpiryDashboard:
    """Active consents ending within `days` of `today`, and images linked to lapsed consents."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    today = today or date.today()
    soon = [
        c
        for c in catalogue.list_consents(
            ConsentQuery(expiring_before=today + timedelta(days=days), today=today)
        )
        if c.expires_on is not None
    ]
    linked = catalogue.linked_image_counts([c.id for c in soon])  # one query, not one per consent
    expiring = tuple(
        sorted(
            (ExpiringConsent(c, (c.expires_on - today).days, linked[c.id]) for c in soon),
            key=lambda e: (e.days_left, e.consent.id),
        )
    )
    blocked = tuple(blocked_images(catalogue, lost_clearance(catalogue, today)))
    return ExpiryDashboard(today, days, expiring, blocked)


def blocked_images(
    catalogue: Catalogue, lost: list[tuple[int, tuple[tuple[str, str], ...], tuple[str, ...]]]
) -> list[BlockedImage]:
    """Rows for these `lost_clearance` entries, saying which are clips: two queries for the whole page; an
    image deleted meanwhile is left out. The Expiry page can page through `lost_clearance` with this."""
    ids = [i for i, _r, _d in lost]
    images, clips = catalogue.images_by_id(ids), catalogue.clip_ids(ids)
    return [BlockedImage(images[i], r, d, i in clips) for i, r, d in lost if i in images]
