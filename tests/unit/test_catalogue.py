"""The catalogue against a real SQLite file: transactions, immutability, migrations, bad files."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from consentdesk import paths
from consentdesk.core import migrations
from consentdesk.core.catalogue import Catalogue, CatalogueError, ConsentQuery
from consentdesk.core.consents import ConsentInvalid, add_months, parse_consent_json, record_consent
from consentdesk.core.forms import FormDefinitionError
from consentdesk.core.model import ConsentStatus

EXAMPLES = paths.forms_dir() / "examples"


def add_example(catalogue: Catalogue, name: str, **answer_overrides):
    doc = parse_consent_json((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"), EXAMPLES)
    doc.submission.answers.update(answer_overrides)
    return record_consent(catalogue, doc.form, doc.submission, source="cli", form_id=doc.form_id)


@pytest.fixture
def catalogue(tmp_path: Path):
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        yield cat


def test_new_catalogue_is_private_and_audited(tmp_path: Path):
    path = tmp_path / "sub" / "new.sqlite"
    with Catalogue.open(path) as cat:
        assert cat.schema_version == migrations.LATEST_VERSION
        assert [e.action for e in cat.audit_entries()] == ["catalogue.created"]
    assert (path.stat().st_mode & 0o777) == 0o600


def test_record_round_trips_with_files(catalogue: Catalogue):
    consent = add_example(catalogue, "adult")
    again = catalogue.get_consent(consent.id)
    assert again == consent
    assert consent.full_name == "Siân O'Brien-Ærø"
    assert consent.form_version == 1 and consent.has_signature and not consent.has_guardian_signature
    assert consent.expires_on == add_months(consent.signed_at.date(), 24)
    mime, data = catalogue.consent_file(consent.id, "signature")
    assert mime == "image/png" and data == (EXAMPLES / "signature-adult.png").read_bytes()
    assert catalogue.form_id_state(consent.id) == "used"
    assert [e.subject for e in catalogue.audit_entries(consent.id)] == [consent.id]


def test_invalid_submission_writes_nothing(catalogue: Catalogue):
    with pytest.raises(ConsentInvalid) as err:
        add_example(catalogue, "minor", guardian_name="")
    assert [e.field for e in err.value.errors] == ["guardian_name"]
    assert catalogue.list_consents() == []
    assert len(catalogue.audit_entries()) == 1


def test_signed_records_cannot_be_edited_or_deleted(catalogue: Catalogue):
    consent = add_example(catalogue, "adult")
    conn = catalogue._conn
    with pytest.raises(sqlite3.IntegrityError, match="cannot be edited"):
        conn.execute("UPDATE consents SET answers = '{}' WHERE id = ?", (consent.id,))
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM consents WHERE id = ?", (consent.id,))
    with pytest.raises(sqlite3.IntegrityError, match="cannot be edited"):
        conn.execute("UPDATE consent_files SET data = x'00'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")


def test_withdrawal_is_an_event_and_audited(catalogue: Catalogue):
    consent = add_example(catalogue, "adult")
    withdrawn = catalogue.withdraw_consent(consent.id, date(2026, 12, 1), "Asked by phone")
    assert withdrawn.status is ConsentStatus.WITHDRAWN
    assert withdrawn.withdrawn_on == date(2026, 12, 1)
    assert withdrawn.answers == consent.answers
    assert catalogue.audit_entries(consent.id)[-1].action == "consent.withdrawn"
    with pytest.raises(CatalogueError, match="already withdrawn"):
        catalogue.withdraw_consent(consent.id, date(2026, 12, 2), "again")
    with pytest.raises(ValueError, match="reason"):
        catalogue.withdraw_consent(add_example(catalogue, "minor").id, date.today(), "  ")


def test_register_search_and_filters(catalogue: Catalogue):
    adult = add_example(catalogue, "adult")
    minor = add_example(catalogue, "minor")
    staff = add_example(
        catalogue, "adult", full_name="Öykü Çelik", role="staff", location="Leeds Donor Centre"
    )
    catalogue.withdraw_consent(staff.id, date.today(), "left the organisation")

    def ids(**kw):
        return {c.id for c in catalogue.list_consents(ConsentQuery(**kw))}

    assert ids(text="siân") == {adult.id}
    assert ids(text=minor.id) == {minor.id}
    assert ids(location="Leeds Donor Centre") == {minor.id, staff.id}
    assert ids(role="staff") == {staff.id}
    assert ids(status=ConsentStatus.WITHDRAWN) == {staff.id}
    assert ids(status=ConsentStatus.ACTIVE) == {adult.id, minor.id}
    soon = minor.expires_on + timedelta(days=1)
    assert ids(expiring_before=soon) == {minor.id}
    later = minor.expires_on + timedelta(days=1)
    assert ids(status=ConsentStatus.EXPIRED, today=later) == {minor.id}
    assert catalogue.locations() == ["Leeds Donor Centre", "Manchester Donor Centre"]


def test_paper_form_id_is_used_once(catalogue: Catalogue):
    reserved = catalogue.reserve_form_ids(3)
    assert len(set(reserved)) == 3
    assert all(catalogue.form_id_state(i) == "reserved" for i in reserved)
    doc = parse_consent_json((EXAMPLES / "adult.json").read_text(encoding="utf-8"), EXAMPLES)
    consent = record_consent(catalogue, doc.form, doc.submission, source="paper", form_id=reserved[0])
    assert consent.id == reserved[0]
    with pytest.raises(CatalogueError, match="already has a signed record"):
        record_consent(catalogue, doc.form, doc.submission, source="paper", form_id=reserved[0])
    with pytest.raises(CatalogueError, match="never issued"):
        record_consent(catalogue, doc.form, doc.submission, source="paper", form_id="CD-0000-0000")
    assert len(catalogue.list_consents()) == 1


def test_failed_action_rolls_back_with_its_audit_entry(catalogue: Catalogue):
    before = len(catalogue.audit_entries())
    with pytest.raises(RuntimeError), catalogue.transaction():
        catalogue.append_audit("test.action", None, {})
        raise RuntimeError("power cut")
    assert len(catalogue.audit_entries()) == before
    assert catalogue.verify_audit().ok


# --- opening bad files --------------------------------------------------------------------------------


def test_text_file_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not an SQLite database"):
        Catalogue.open(path)
    assert path.read_text(encoding="utf-8") == "shopping list"


def test_other_sqlite_database_is_refused(tmp_path: Path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(CatalogueError, match="not a ConsentDesk catalogue"):
        Catalogue.open(path)


def test_read_only_file_is_refused(tmp_path: Path):
    path = tmp_path / "ro.sqlite"
    Catalogue.open(path).close()
    before = path.read_bytes()
    os.chmod(path, 0o400)
    with pytest.raises(CatalogueError, match="read-only"):
        Catalogue.open(path)
    assert path.read_bytes() == before


def test_newer_catalogue_is_refused_unchanged(tmp_path: Path):
    path = tmp_path / "future.sqlite"
    Catalogue.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CatalogueError, match="newer ConsentDesk"):
        Catalogue.open(path)
    assert path.read_bytes() == before


def test_folder_and_missing_file(tmp_path: Path):
    with pytest.raises(CatalogueError, match="is a folder"):
        Catalogue.open(tmp_path)
    with pytest.raises(CatalogueError, match="no catalogue"):
        Catalogue.open(tmp_path / "missing.sqlite", create=False)


def test_older_catalogue_upgrades_and_keeps_data(tmp_path: Path):
    """A catalogue written at schema version 1 opens in this version, upgraded, with its records."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    migrations.migrate(conn, target=1)
    conn.execute("INSERT INTO meta VALUES ('audit_head_seq', '0'), ('audit_head_hash', ?)", ("0" * 64,))
    conn.execute("INSERT INTO form_ids VALUES ('CD-TEST-0001', '2025-01-01T00:00:00+00:00', 'old', 'b')")
    answers = {"full_name": "Old Record", "role": "donor", "location": "Oxford"}
    conn.execute(
        "INSERT INTO consents(id, form_name, form_version, answers, signed_at, expires_on, created_at, created_by, source)"
        " VALUES ('CD-TEST-0001', 'model_release', 1, ?, '2025-01-01T10:00:00+00:00', NULL, '2025-01-01', 'old', 'cli')",
        (json.dumps(answers),),
    )
    conn.execute("COMMIT")
    conn.close()
    with Catalogue.open(path) as cat:
        assert cat.schema_version == migrations.LATEST_VERSION
        old = cat.get_consent("CD-TEST-0001")
        assert old.full_name == "Old Record" and old.signed_at == datetime.fromisoformat(
            "2025-01-01T10:00:00+00:00"
        )
        if migrations.LATEST_VERSION > 1:
            assert cat.audit_entries()[-1].action == "catalogue.upgraded"
            assert (tmp_path / "old.sqlite.v1.bak").exists()
        assert cat.verify_audit().ok


def test_a_version_in_quotes_is_named_not_reported_missing():
    raw = json.loads((paths.forms_dir() / "examples" / "adult.json").read_text(encoding="utf-8"))
    raw["version"] = "1"
    with pytest.raises(ConsentInvalid) as err:
        parse_consent_json(json.dumps(raw), paths.forms_dir() / "examples")
    message = str(err.value)
    assert "version" in message and "whole number" in message and "not installed" not in message
    raw["version"] = 7
    with pytest.raises(FormDefinitionError, match="version 7 is not installed; installed versions: 1"):
        parse_consent_json(json.dumps(raw), paths.forms_dir() / "examples")
