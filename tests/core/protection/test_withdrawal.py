"""Withdrawal blocks every linked image at once and yields a take-down list; expiry dashboard."""

from __future__ import annotations

import csv
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face

from consentdesk.core.protection.expiry import expiry_dashboard
from consentdesk.core.protection.withdrawal import CSV_HEADER, takedown_list, withdraw, write_takedown_report
from consentdesk.core.store import Catalogue

A, B = [100, 100, 80, 100], [600, 100, 80, 100]


@pytest.fixture
def cat(tmp_path: Path):
    with Catalogue.open(tmp_path / "cat.sqlite") as c:
        yield c


def two_photos(cat: Catalogue, tmp_path: Path, alice: str, bob: str) -> tuple[int, int]:
    one = add_photo(cat, tmp_path / "one.jpg", [A, B], sha="1" * 64)
    two = add_photo(cat, tmp_path / "two.jpg", [A], sha="2" * 64)
    decide_face(cat, one, A, "linked", alice)
    decide_face(cat, one, B, "linked", bob)
    decide_face(cat, two, A, "linked", alice)
    approve(cat, one, "AP-1", ["instagram", "facebook"], "/exports/one-approved.jpg", [alice, bob])
    return one, two


def test_withdrawal_lists_every_linked_image_with_exports(cat: Catalogue, tmp_path: Path):
    alice, bob = add_person(cat, "Alice Example"), add_person(cat, "Bob Other")
    one, two = two_photos(cat, tmp_path, alice.id, bob.id)
    assert expiry_dashboard(cat).blocked == ()  # sanity: nothing lapsed before

    takedown = withdraw(cat, alice.id, "no longer wishes to appear", date.today())
    assert [i.image.id for i in takedown.items] == [one, two]
    assert takedown.items[0].channels == ("facebook", "instagram")
    assert takedown.items[0].approvals[0].export_path == "/exports/one-approved.jpg"
    assert [i.image.id for i in takedown.exported] == [one]
    assert cat.get_consent(alice.id).withdrawal_reason == "no longer wishes to appear"
    # blocked at once: both images now show up as having lost clearance, for the right reason
    blocked = expiry_dashboard(cat).blocked
    assert [(b.image.id, b.reasons) for b in blocked] == [
        (one, ((alice.id, "withdrawn"),)),
        (two, ((alice.id, "withdrawn"),)),
    ]
    # the audit entry holds no free text (the reason stays in consent_events, which erasure blanks)
    entry = cat.audit_entries(alice.id)[-1]
    assert entry.action == "consent.withdrawn" and "wishes" not in str(entry.details)


def test_a_newer_decision_replaces_the_link(cat: Catalogue, tmp_path: Path):
    alice = add_person(cat, "Alice Example")
    image = add_photo(cat, tmp_path / "x.jpg", [A], sha="3" * 64)
    decide_face(cat, image, A, "linked", alice.id)
    decide_face(cat, image, A, "blur")
    assert takedown_list(cat, alice.id).items == ()


def test_takedown_report_pdf_and_csv(cat: Catalogue, tmp_path: Path):
    alice, bob = add_person(cat, "Alice Example"), add_person(cat, "Bob Other")
    two_photos(cat, tmp_path, alice.id, bob.id)
    takedown = withdraw(cat, alice.id, "moved away")
    pdf, csv_path = write_takedown_report(takedown, tmp_path / "report")
    assert pdf.name == f"takedown-{alice.id}.pdf" and csv_path.name == f"takedown-{alice.id}.csv"
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert tuple(rows[0]) == CSV_HEADER
    assert {r["channels"] for r in rows} == {"facebook instagram", ""}
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Take-down list" in text and "one-approved.jpg" in text and alice.id in text
    assert "Alice" not in text  # ids only: the team needs images and posts, not the name
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "takedown")], check=True)


def test_expiring_soon_and_expired_links(cat: Catalogue, tmp_path: Path):
    soon = add_person(cat, "Soon Ending", signed_days_ago=365 * 2 - 10)  # 2-year consent, ~10 days left
    later = add_person(cat, "Much Later")
    image = add_photo(cat, tmp_path / "x.jpg", [A], sha="4" * 64)
    decide_face(cat, image, A, "linked", soon.id)
    dash = expiry_dashboard(cat, days=30)
    assert [e.consent.id for e in dash.expiring] == [soon.id]
    assert 0 <= dash.expiring[0].days_left <= 30 and dash.expiring[0].linked_images == 1
    assert later.id not in str(dash.to_json()) and "Soon Ending" not in str(dash.to_json())
    # on the day after its end date the linked image has lost clearance
    after = soon.expires_on + timedelta(days=1)
    lapsed = expiry_dashboard(cat, days=30, today=after)
    assert [(b.image.id, b.reasons) for b in lapsed.blocked] == [(image, ((soon.id, "expired"),))]
