"""The catalogue on both engines (a real SQLite file and a real PostgreSQL database): transactions,
immutability enforced by the database itself, search, migrations, bad files."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from tests.data.raw_sql import REFUSED, raw_connection

from consentdesk import paths
from consentdesk.core.consent.releases import ConsentInvalid, add_months, parse_consent_json, record_consent
from consentdesk.core.forms import FormDefinitionError
from consentdesk.core.store import Catalogue, CatalogueError, ConsentQuery, migrations
from consentdesk.core.values import ConsentStatus

EXAMPLES = paths.forms_dir() / "examples"


def add_example(catalogue: Catalogue, name: str, **answer_overrides):
    doc = parse_consent_json((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"), EXAMPLES)
    doc.submission.answers.update(answer_overrides)
    return record_consent(catalogue, doc.form, doc.submission, source="cli", form_id=doc.form_id)


@pytest.fixture
def catalogue(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
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
    conn = raw_connection(catalogue)
    quoted = f"'{consent.id}'"
    try:
        with pytest.raises(REFUSED, match="cannot be edited"):
            conn.execute(f"UPDATE consents SET answers = '{{}}' WHERE id = {quoted}")
        with pytest.raises(REFUSED, match="cannot be edited"):
            conn.execute(f"UPDATE consents SET search_key = 'x' WHERE id = {quoted}")
        with pytest.raises(REFUSED, match="never deleted"):
            conn.execute(f"DELETE FROM consents WHERE id = {quoted}")
        with pytest.raises(REFUSED, match="cannot be edited"):
            conn.execute("UPDATE consent_files SET mime = 'x'")
        with pytest.raises(REFUSED, match="removed only by erasure"):
            conn.execute("DELETE FROM consent_files")
        with pytest.raises(REFUSED, match="append-only"):
            conn.execute("DELETE FROM audit")
        with pytest.raises(REFUSED, match="append-only"):
            conn.execute("UPDATE audit SET actor = 'someone else'")
    finally:
        conn.close()
    assert catalogue.get_consent(consent.id) == consent
    assert catalogue.verify_audit().ok


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
    assert ids(text="SIAN") == {adult.id}
    assert ids(text="oyku") == ids(text="ÖYKÜ") == ids(text="öykü") == ids(text="Çelik") == {staff.id}
    assert ids(text="aero") == ids(text="ærø") == {adult.id}  # transliterated too
    assert ids(text="100%") == set()  # LIKE wildcards are text, not patterns
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


def test_search_in_other_scripts_and_paging(catalogue: Catalogue):
    olga = add_example(catalogue, "adult", full_name="Ольга Смирнова")
    wang = add_example(catalogue, "adult", full_name="王芳")
    greek = add_example(catalogue, "adult", full_name="Ελένη Παπαδοπούλου")

    def ids(text):
        return {c.id for c in catalogue.list_consents(ConsentQuery(text=text))}

    assert ids("ольга") == ids("ОЛЬГА") == ids("olga") == {olga.id}
    assert ids("王") == {wang.id}
    assert ids("ελενη") == ids("ΕΛΈΝΗ") == {greek.id}
    everyone = catalogue.list_consents()
    assert catalogue.count_consents() == 3
    pages = catalogue.list_consents(limit=2) + catalogue.list_consents(limit=2, offset=2)
    assert [c.id for c in pages] == [c.id for c in everyone]


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
    for statement in migrations.sqlite_statements(migrations.SQLITE_SCRIPTS[1]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(f"PRAGMA application_id = {migrations.APPLICATION_ID}")
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
        assert [c.id for c in cat.list_consents(ConsentQuery(text="old record"))] == ["CD-TEST-0001"]


def test_catalogue_made_by_the_previous_release_opens_and_upgrades(tmp_path: Path):
    """tests/data/catalogue-v4.sqlite was written by release 0.1.0 (schema 4): two releases, one withdrawn,
    a photo with two faces (one linked, one blurred) and a redacted NHS-number finding. Made with that
    release's own code (git 5401147), so this is what a real desk upgrades from."""
    path = tmp_path / "desk.sqlite"
    path.write_bytes((Path(__file__).parents[2] / "data" / "catalogue-v4.sqlite").read_bytes())
    with Catalogue.open(path) as cat:
        assert cat.schema_version == migrations.LATEST_VERSION
        assert (tmp_path / "desk.sqlite.v4.bak").exists()
        assert cat.verify_audit().ok
        assert cat.audit_entries()[-1].action == "catalogue.upgraded"
        names = {c.full_name: c for c in cat.list_consents()}
        assert set(names) == {"Mateo Kowalski", "Siân O'Brien-Ærø"}
        assert names["Siân O'Brien-Ærø"].status is ConsentStatus.WITHDRAWN
        assert [c.full_name for c in cat.list_consents(ConsentQuery(text="obrien aero"))] == []
        assert [c.full_name for c in cat.list_consents(ConsentQuery(text="sian"))] == ["Siân O'Brien-Ærø"]
        (image,) = cat.list_images()
        state = cat.review_state(image.id)
        assert [f.state for f in state.faces] == ["linked", "blur"]
        assert [f.state for f in state.findings] == ["redact"]
        assert state.findings[0].text != "943 476 5919"
        assert cat.images_linked_to(names["Mateo Kowalski"].id) == {image.id: [1]}
        conn = raw_connection(cat)
        try:
            with pytest.raises(REFUSED, match="cannot be edited"):
                conn.execute("UPDATE consents SET search_key = 'x'")
        finally:
            conn.close()


def test_status_filter_agrees_with_the_domain_rule_on_every_day(catalogue: Catalogue):
    """The register filters by status in the database; `Consent.effective_status` is the rule it must match
    (expired the day after the end date, withdrawn and erased whatever the date)."""
    people = [
        add_example(catalogue, "minor"),
        add_example(catalogue, "adult"),
        add_example(catalogue, "adult"),
    ]
    catalogue.withdraw_consent(people[2].id, date.today(), "changed mind")
    end = people[0].expires_on
    for day in (end - timedelta(days=1), end, end + timedelta(days=1)):
        everyone = catalogue.list_consents(ConsentQuery(today=day))
        for status in (ConsentStatus.ACTIVE, ConsentStatus.EXPIRED, ConsentStatus.WITHDRAWN):
            filtered = {c.id for c in catalogue.list_consents(ConsentQuery(status=status, today=day))}
            assert filtered == {c.id for c in everyone if c.effective_status(day) is status}, (day, status)


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
