"""Erasure leaves no personal data in the catalogue file or its WAL, blocks the images, keeps a tombstone."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face

from consentdesk.core.protection.erasure import erase
from consentdesk.core.protection.expiry import expiry_dashboard
from consentdesk.core.store import Catalogue, CatalogueError
from consentdesk.core.values import ConsentStatus

A, B = [100, 100, 80, 100], [600, 100, 80, 100]
NAME = "Erin Forgetme-Żółć"
EMAIL = "erin.forgetme@example.org"


def raw_bytes(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def contains(data: bytes, text: str) -> bool:
    return any(text.encode(enc) in data for enc in ("utf-8", "utf-16-le", "utf-16-be"))


def test_erasure_removes_personal_data_from_file_and_wal(tmp_path: Path):
    db = tmp_path / "cat.sqlite"
    with Catalogue.open(db) as cat:
        erin = add_person(cat, NAME, email=EMAIL)
        keep = add_person(cat, "Kept Person")
        image = add_photo(cat, tmp_path / "x.jpg", [A, B], sha="5" * 64)
        decide_face(cat, image, A, "blur")  # an older decision must not come back after the link is removed
        decide_face(cat, image, A, "linked", erin.id)
        decide_face(cat, image, B, "linked", keep.id)
        cat.withdraw_consent(erin.id, erin.signed_at.date(), f"asked by {NAME} on the phone")
        assert contains(raw_bytes(db), NAME) and contains(raw_bytes(db), EMAIL)  # sanity: present before

        report = erase(cat, erin.id)
        assert report.compacted
        assert report.counts.images_blocked == (image,) and report.counts.files_removed == 1

        tomb = cat.get_consent(erin.id)
        assert tomb.status is ConsentStatus.ERASED and tomb.answers == {} and not tomb.has_signature
        assert tomb.withdrawal_reason is None
        assert cat.images_linked_to(erin.id) == {}
        states = {tuple(f.box.as_list()): f.state for f in cat.review_state(image).faces}
        assert states == {tuple(A): "unresolved", tuple(B): "linked"}
        assert [b.image.id for b in expiry_dashboard(cat).blocked] == []  # no link left to a lapsed consent
        entry = cat.audit_entries(erin.id)[-1]
        assert entry.action == "consent.erased" and not contains(str(entry.details).encode(), "Erin")
        assert cat.verify_audit().ok
        with pytest.raises(CatalogueError, match="already erased"):
            erase(cat, erin.id)
        assert cat.get_consent(keep.id).full_name == "Kept Person"

        data = raw_bytes(db)
        for needle in (NAME, "Forgetme", EMAIL):
            assert not contains(data, needle), needle
        assert contains(data, "Kept Person")
    data = raw_bytes(db)  # and after closing
    assert not contains(data, "Forgetme")


def test_audit_trail_never_holds_names(tmp_path: Path):
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        person = add_person(cat, "Audit Probe", email="probe@example.org")
        cat.withdraw_consent(person.id, person.signed_at.date(), "Audit Probe changed their mind")
        for entry in cat.audit_entries():
            assert "Probe" not in str(entry.details) and "probe@" not in str(entry.details)
