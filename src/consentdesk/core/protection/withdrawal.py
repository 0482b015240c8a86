"""Withdrawal: record it, and list every image and export that must come down.

Clearance is computed from face links plus consent status, so once the withdrawal is stored every image
linked to the person is blocked for every channel at once; nothing here has to "un-approve" images. What
people need on top is the take-down list: which images, which channels they went to, which exported files
and when, so the social media team can remove the posts.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from consentdesk.core.pdf.reports import write_takedown_pdf
from consentdesk.core.protection.clips import person_spans
from consentdesk.core.store import Catalogue
from consentdesk.core.values import TakedownItem, TakedownList

CSV_HEADER = (
    "consent_id",
    "image_id",
    "image_path",
    "faces",
    "approval_id",
    "approved_at",
    "posting_date",
    "channels",
    "export_path",
    "export_sha256",
    "kind",
    "seen",
)


def takedown_list(catalogue: Catalogue, consent_id: str) -> TakedownList:
    """Every image linked to the consent now, and every image with an approved copy that relied on it
    (after an erasure there are no links left, but the copies may still be posted), with its approvals
    (exports, channels, dates, and whether their take-down is recorded)."""
    consent = catalogue.get_consent(consent_id)
    linked = catalogue.images_linked_to(consent_id)
    image_ids = sorted({*linked, *catalogue.images_approved_with(consent_id)})
    images = catalogue.images_by_id(image_ids)
    approvals = catalogue.approvals_of(image_ids)
    clips = catalogue.clip_ids(image_ids)  # one query; only clips have their tracks read
    items = [
        TakedownItem(
            images[i],
            tuple(linked.get(i, ())),
            tuple(approvals[i]),
            person_spans(catalogue, i, linked.get(i, ())) if i in clips else (),
            i in clips,
        )
        for i in image_ids
        if i in images
    ]
    return TakedownList(consent, tuple(items))


def withdraw(catalogue: Catalogue, consent_id: str, reason: str, on: date | None = None) -> TakedownList:
    """Record the withdrawal (effective `on`, default today) and return the take-down list."""
    catalogue.withdraw_consent(consent_id, on or date.today(), reason)
    return takedown_list(catalogue, consent_id)


def csv_rows(takedown: TakedownList) -> list[dict[str, str]]:
    """One row per export (or one row for an image never exported), in CSV_HEADER's columns; for a clip,
    `seen` says when the person is on screen (what to look for when taking a post down)."""
    rows = []
    for item in takedown.items:
        base = {
            "consent_id": takedown.consent.id,
            "image_id": str(item.image.id),
            "image_path": item.image.path,
            "faces": " ".join(str(n) for n in item.face_numbers),
            "kind": "clip" if item.is_clip else "photo",
            "seen": item.seen_words,
        }
        empty = dict.fromkeys(CSV_HEADER[4:-2], "")
        if not item.approvals:
            rows.append(base | empty)
        for a in item.approvals:
            rows.append(
                base
                | {
                    "approval_id": a.id,
                    "approved_at": a.approved_at,
                    "posting_date": a.posting_date,
                    "channels": " ".join(a.channels),
                    "export_path": a.export_path,
                    "export_sha256": a.export_sha256,
                }
            )
    return rows


def write_takedown_csv(takedown: TakedownList, out: Path) -> Path:
    with Path(out).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_HEADER)
        writer.writeheader()
        writer.writerows(csv_rows(takedown))
    return Path(out)


def write_takedown_report(takedown: TakedownList, folder: Path) -> tuple[Path, Path]:
    """Write `takedown-<id>.pdf` and `.csv` into `folder` (created if needed); return both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pdf = write_takedown_pdf(takedown, folder / f"takedown-{takedown.consent.id}.pdf")
    csv_path = write_takedown_csv(takedown, folder / f"takedown-{takedown.consent.id}.csv")
    return pdf, csv_path
