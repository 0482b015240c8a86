"""The audit chain detects any single edited, inserted or deleted row, even with the triggers dropped."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from consentdesk.core.store import Catalogue


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite"
    with Catalogue.open(path) as cat:
        cat.reserve_form_ids(2)
        cat.reserve_form_ids(1)
        with cat.transaction():
            cat.append_audit("note", "CD-X", {"text": "Zoë"})
    return path


def tamper(path: Path, sql: str, *params) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_append_only_update")
    conn.execute("DROP TRIGGER audit_append_only_delete")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def verify(path: Path):
    with Catalogue.open(path) as cat:
        return cat.verify_audit()


def test_fresh_chain_verifies(path: Path):
    report = verify(path)
    assert report.ok and report.entries == 4


@pytest.mark.parametrize("seq", [1, 2, 3, 4])
@pytest.mark.parametrize("column", ["actor", "action", "details", "at", "subject"])
def test_any_single_edit_is_detected(path: Path, seq: int, column: str):
    tamper(path, f"UPDATE audit SET {column} = ? WHERE seq = ?", '{"x": 1}', seq)
    report = verify(path)
    assert not report.ok
    assert any(f"entry {seq}" in p for p in report.problems)


@pytest.mark.parametrize("seq", [1, 2, 3, 4])
def test_any_deleted_row_is_detected(path: Path, seq: int):
    tamper(path, "DELETE FROM audit WHERE seq = ?", seq)
    assert not verify(path).ok


def test_recomputed_hash_still_breaks_the_chain(path: Path):
    from consentdesk.core.store import audit_chain

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM audit WHERE seq = 2").fetchone())
    conn.close()
    forged = audit_chain.entry_hash(
        row["prev_hash"], 2, row["at"], "mallory", row["action"], row["subject"], row["details"]
    )
    tamper(path, "UPDATE audit SET actor = 'mallory', hash = ? WHERE seq = 2", forged)
    report = verify(path)
    assert any("entry 3 does not follow" in p for p in report.problems)


def test_triggers_block_casual_edits(path: Path):
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'x'")
    conn.close()
