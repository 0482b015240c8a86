"""Tamper evidence on both engines: someone who holds the catalogue file (or the register's owner, the one
superpower) changes records behind ConsentDesk with plain SQL. `audit verify`, `check` and `restore` name
what differs; a guard trigger removed or disabled is reported, not put back; a checkpoint taken before a
rewrite of the chain shows the rewrite. (What a file alone cannot show, a complete and consistent rewrite of
chain and records, is in docs/threat-model.md.)"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face
from tests.data.raw_sql import raw_connection

from consentdesk.cli import main
from consentdesk.core.safekeeping import backups, health
from consentdesk.core.store import Catalogue
from consentdesk.core.store.audit_chain import entry_hash


def filled(cat: Catalogue, tmp_path: Path) -> dict:
    """Releases, a photo with a decision on each face, an approval and a withdrawal, through ConsentDesk."""
    kept, gone = add_person(cat, "Kept Person"), add_person(cat, "Gone Person")
    photo = add_photo(cat, tmp_path / "p.jpg", [[100, 100, 80, 80], [400, 300, 60, 60]], sha="f" * 64)
    decide_face(cat, photo, [100, 100, 80, 80], "linked", kept.id)
    decide_face(cat, photo, [400, 300, 60, 60], "blur")
    cat.record_approval("AP-TAMP-0001", photo, date(2026, 12, 1), ["website"], "/x.jpg", "e" * 64, [kept.id])
    cat.withdraw_consent(gone.id, date(2026, 12, 2), "asked")
    report = cat.verify_audit()
    assert report.ok and report.records == 7, report.problems  # 2 releases, photo, analysis, 2 decisions, approval
    return {"kept": kept.id, "gone": gone.id, "photo": photo, "report": report}


class Tamper:
    """Plain SQL on the catalogue, lifting a guard trigger for the statement and (unless told otherwise)
    putting it back exactly as it was, as someone covering their tracks would."""

    def __init__(self, cat: Catalogue) -> None:
        self.cat, self.sqlite = cat, cat.path is not None
        self.conn = raw_connection(cat)

    def run(self, statement: str, *, without: tuple[tuple[str, str], ...] = (), restore: bool = True) -> None:
        saved = []
        for trigger, table in without:
            if self.sqlite:
                saved.append(self.conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (trigger,)).fetchone()[0])
                self.conn.execute(f"DROP TRIGGER {trigger}")
            else:
                self.conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        self.conn.execute(statement)
        if restore:
            for (trigger, table), sql in zip(without, saved or [None] * len(without), strict=True):
                self.conn.execute(sql if self.sqlite else f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")

    def close(self) -> None:
        self.conn.close()


def problems(cat: Catalogue, **options) -> list[str]:
    report = cat.verify_audit(**options)
    assert not report.ok
    return report.problems


def test_a_changed_expiry_shows_and_so_does_the_missing_guard(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as cat:
        facts = filled(cat, tmp_path)
        tamper = Tamper(cat)
        guard = ("consents_immutable", "consents")
        tamper.run(f"UPDATE consents SET expires_on = '2099-12-31' WHERE id = '{facts['kept']}'", without=(guard,), restore=False)
        found = problems(cat)
        assert any(f"release {facts['kept']} differs from its last audited state" in p for p in found)
        assert any("consents_immutable" in p and ("missing" in p or "disabled" in p) for p in found), found
        # Incremental, from the checkpoint taken before: the guard is not there, so that is reported too.
        assert any("consents_immutable" in p for p in problems(cat, since=facts["report"].checkpoint))
        # Nothing puts the guard back on its own: opening the catalogue again still shows it missing.
        tamper.close()
    with Catalogue.open(catalogue_locator, create=False) as cat:
        assert any("consents_immutable" in p for p in problems(cat))


def test_covered_tracks_still_show_in_a_full_verification(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as cat:
        facts = filled(cat, tmp_path)
        tamper = Tamper(cat)
        tamper.run(f"UPDATE consents SET expires_on = '2099-12-31' WHERE id = '{facts['kept']}'", without=(("consents_immutable", "consents"),))
        decision = tamper.conn.execute("SELECT max(id) FROM face_decisions").fetchone()[0]
        tamper.run(f"UPDATE face_decisions SET state = 'not_a_person' WHERE id = {decision}", without=(("face_decisions_immutable", "face_decisions"),))
        tamper.close()
        found = problems(cat)
        assert any(f"release {facts['kept']} differs" in p for p in found)
        assert any(f"face decision {decision} differs" in p for p in found)
        assert not any("guard" in p for p in found)  # the guards are back in place: the states still tell


def test_records_added_or_removed_behind_consentdesk(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as cat:
        facts = filled(cat, tmp_path)
        checkpoint = facts["report"].checkpoint
        tamper = Tamper(cat)
        # a forged analysis (no faces: the photo would look cleared), a release nobody signed, a lost decision
        tamper.run(
            f"INSERT INTO analyses(image_id, analyser_version, analysed_at, timings) VALUES "
            f"({facts['photo']}, 'forged', '2099-01-01T00:00:00+00:00', '{{}}')"
        )
        tamper.run("INSERT INTO form_ids(id, reserved_at, reserved_by, batch) VALUES ('CD-FAKE-0001', 'x', 'x', 'x')")
        tamper.run(
            "INSERT INTO consents(id, form_name, form_version, answers, signed_at, created_at, created_by, source, "
            "status, search_key) VALUES ('CD-FAKE-0001', 'model_release', 1, '{}', '2026-01-01T00:00:00', 'x', 'x', "
            "'cli', 'active', '')"
        )
        blur = tamper.conn.execute("SELECT max(id) FROM face_decisions WHERE state = 'blur'").fetchone()[0]
        tamper.run(f"DELETE FROM face_decisions WHERE id = {blur}", without=(("face_decisions_delete_only_when_erased", "face_decisions"),))
        tamper.close()
        analysis = max(a.id for a in [cat.current_analysis(facts["photo"])])
        found = problems(cat)
        assert any(f"analysis {analysis} is not in the audit trail" in p for p in found), found
        assert any("release CD-FAKE-0001 is not in the audit trail" in p for p in found), found
        assert any(f"face decision {blur} is gone" in p for p in found), found
        # The checkpoint taken before knows how many there were: counts give them away without a full check.
        since = problems(cat, since=checkpoint)
        assert any("analyses" in p and "behind ConsentDesk" in p for p in since), since
        assert any("releases" in p and "behind ConsentDesk" in p for p in since), since
        assert any("face decisions" in p and "behind ConsentDesk" in p for p in since), since


def test_a_change_laundered_by_a_later_real_one_still_shows(catalogue_locator: str, tmp_path: Path):
    """The expiry is changed (guard lifted and put back), then a DPO really withdraws the release: its
    current state matches the withdrawal's entry, but that entry found it differently from the signing's."""
    with Catalogue.open(catalogue_locator) as cat:
        facts = filled(cat, tmp_path)
        tamper = Tamper(cat)
        tamper.run(f"UPDATE consents SET expires_on = '2099-12-31' WHERE id = '{facts['kept']}'", without=(("consents_immutable", "consents"),))
        tamper.close()
        cat.withdraw_consent(facts["kept"], date(2026, 12, 3), "asked")
        found = problems(cat)
        assert any(f"release {facts['kept']} was changed between entries" in p for p in found), found
        assert any(f"release {facts['kept']} was changed between entries" in p for p in problems(cat, since=facts["report"].checkpoint))


def test_the_index_of_states_is_checked_against_the_entries(catalogue_locator: str, tmp_path: Path):
    with Catalogue.open(catalogue_locator) as cat:
        facts = filled(cat, tmp_path)
        tamper = Tamper(cat)
        guard = ("audit_states_append_only_update", "audit_states") if tamper.sqlite else ("audit_states_append_only", "audit_states")
        tamper.run(f"UPDATE audit_states SET after = repeat('0', 64) WHERE row_id = '{facts['kept']}'".replace("repeat('0', 64)", "'" + "0" * 64 + "'"), without=(guard,))
        tamper.close()
        assert any("index of record states does not match entry" in p for p in problems(cat))


def test_a_rewritten_chain_passes_alone_but_not_against_a_checkpoint(tmp_path: Path, capsys):
    """Someone with the file edits an entry and recomputes every hash after it: the file is consistent on
    its own (the limit docs/threat-model.md states), but the checkpoint this computer kept outside the file
    no longer matches."""
    path = tmp_path / "desk.sqlite"
    with Catalogue.open(path) as cat:
        filled(cat, tmp_path)
    assert main(["--catalog", str(path), "audit", "verify"]) == 0  # leaves a checkpoint in the data folder
    conn = sqlite3.connect(path, isolation_level=None)
    guard = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_append_only_update'").fetchone()[0]
    conn.execute("DROP TRIGGER audit_append_only_update")
    rows = conn.execute("SELECT seq, at, actor, action, subject, details FROM audit ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, at, actor, action, subject, details in rows:
        if action == "consent.signed":
            details = json.dumps({**json.loads(details), "source": "screen"}, sort_keys=True, separators=(",", ":"))
        digest = entry_hash(prev, seq, at, actor, action, subject, details)
        conn.execute("UPDATE audit SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?", (details, prev, digest, seq))
        prev = digest
    conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_hash'", (prev,))
    conn.execute(guard)  # and the guard back, exactly as it was
    conn.close()
    capsys.readouterr()
    assert main(["--catalog", str(path), "audit", "verify"]) == 1
    assert "is not the entry verified on" in capsys.readouterr().out
    assert main(["--catalog", str(path), "audit", "verify", "--full"]) == 0  # alone, it is consistent


def test_a_trail_rewritten_from_its_first_entry_does_not_pass_as_another_catalogue(tmp_path: Path, capsys):
    path = tmp_path / "desk.sqlite"
    with Catalogue.open(path) as cat:
        filled(cat, tmp_path)
    assert main(["--catalog", str(path), "audit", "verify"]) == 0
    conn = sqlite3.connect(path, isolation_level=None)
    guard = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_append_only_update'").fetchone()[0]
    conn.execute("DROP TRIGGER audit_append_only_update")
    prev = "0" * 64
    for seq, at, actor, action, subject, details in conn.execute(
        "SELECT seq, at, actor, action, subject, details FROM audit ORDER BY seq"
    ).fetchall():
        actor = "someone-else" if seq == 1 else actor
        digest = entry_hash(prev, seq, at, actor, action, subject, details)
        conn.execute("UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", (actor, prev, digest, seq))
        prev = digest
    conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head_hash'", (prev,))
    conn.execute(guard)
    conn.close()
    capsys.readouterr()
    assert main(["--catalog", str(path), "audit", "verify"]) == 1
    assert "the first entry is not the one verified" in capsys.readouterr().out


def test_check_and_restore_refuse_a_tampered_desk_catalogue(tmp_path: Path, capsys):
    path = tmp_path / "desk.sqlite"
    with Catalogue.open(path) as cat:
        facts = filled(cat, tmp_path)
    backup = tmp_path / "copy.sqlite"
    with Catalogue.open(path, create=False) as cat:
        backups.backup(cat, backup)
    conn = sqlite3.connect(backup, isolation_level=None)
    conn.execute("DROP TRIGGER consents_immutable")
    conn.execute(f"UPDATE consents SET expires_on = '2099-12-31' WHERE id = '{facts['kept']}'")
    conn.close()
    with Catalogue.open(backup, create=False) as cat:
        report = health.check(cat, files=False)
    assert not report.ok and any(facts["kept"] in p for p in report.audit)
    with pytest.raises(backups.SafetyError, match="failed its checks and was not restored"):
        backups.restore(path, backup)
    assert main(["--catalog", str(path), "restore", str(backup)]) != 0
    assert "consents_immutable" in capsys.readouterr().err
    with Catalogue.open(path, create=False) as cat:
        assert cat.verify_audit().ok  # the catalogue it would have replaced is untouched


def test_the_owner_changing_the_servers_rules_shows(pg_server, tmp_path: Path):
    """The register's owner can do anything (the one superpower); what they change still shows."""
    url = pg_server.url(pg_server.new_database())
    with Catalogue.open(url) as cat:
        filled(cat, tmp_path)
        conn = raw_connection(cat)
        conn.execute("ALTER TABLE approvals DISABLE TRIGGER approvals_immutable")
        conn.execute(
            "CREATE OR REPLACE FUNCTION cd_require(VARIADIC roles text[]) RETURNS void LANGUAGE plpgsql STABLE "
            "AS $$ BEGIN RETURN; END $$"
        )
        conn.close()
        found = problems(cat)
        assert any("approvals_immutable on approvals is disabled" in p for p in found), found
        assert any("rule cd_require was replaced" in p for p in found), found


def test_a_full_check_at_least_weekly(tmp_path: Path, monkeypatch):
    """Incremental checks keep the time of the last full one; a week after it, everything is checked again."""
    from datetime import UTC, datetime, timedelta

    from consentdesk.core.safekeeping import checkpoints

    path = tmp_path / "desk.sqlite"
    with Catalogue.open(path) as cat:
        filled(cat, tmp_path)
    assert main(["--catalog", str(path), "audit", "verify"]) == 0  # full: nothing to start from
    key = str(path.resolve())
    first = checkpoints.load(key)
    assert first is not None and first.full_at == first.at
    with Catalogue.open(path, create=False) as cat:
        cat.reserve_form_ids(1)
    assert main(["--catalog", str(path), "audit", "verify"]) == 0  # incremental
    second = checkpoints.load(key)
    assert second.seq == first.seq + 1 and second.full_at == first.full_at
    assert checkpoints.load(key, max_age=checkpoints.FULL_EVERY) is not None
    week_later = datetime.fromisoformat(second.full_at) + timedelta(days=8)
    monkeypatch.setattr(checkpoints, "datetime", type("Later", (datetime,), {"now": staticmethod(lambda tz=UTC: week_later)}))
    assert checkpoints.load(key, max_age=checkpoints.FULL_EVERY) is None
