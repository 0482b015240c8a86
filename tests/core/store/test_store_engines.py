"""What only a real server shows: several writers at once, a server that goes away, wrong addresses and
passwords, and erasure leaving nothing in PostgreSQL's data files. Where it applies, both engines."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face
from tests.data.raw_sql import raw_connection

from consentdesk.cli import main
from consentdesk.core.protection.erasure import erase
from consentdesk.core.store import Catalogue, CatalogueError, ConsentQuery, parse
from consentdesk.core.values import ConsentStatus

NAME = "Erin Forgetme-Żółć"


def reserve_from_threads(count: int, catalogue_for_thread) -> list[BaseException]:
    """`count` threads at once, each reserving form ids ten times on the catalogue it is given; the errors."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with catalogue_for_thread() as cat:
                for _ in range(10):
                    cat.reserve_form_ids(2)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_concurrent_writers_keep_one_valid_chain(catalogue_locator: str):
    """Four connections reserving form ids at once: every action lands, in one unbroken chain."""
    Catalogue.open(catalogue_locator).close()
    assert reserve_from_threads(4, lambda: Catalogue.open(catalogue_locator, create=False)) == []
    with Catalogue.open(catalogue_locator, create=False) as cat:
        report = cat.verify_audit()
        assert report.ok, report.problems
        assert report.entries == 1 + 4 * 10
        assert [e.seq for e in cat.audit_entries()] == list(range(1, 42))


def test_one_catalogue_shared_by_threads_keeps_each_threads_action_to_itself(catalogue_locator: str):
    """The app's workers share the window's catalogue: while one thread is inside an action, another
    thread's reads use their own connection and see only what was committed; actions from several threads
    at once each land whole, in one chain."""
    shared = Catalogue.open(catalogue_locator)
    inside, read_done = threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def reader() -> None:
        inside.wait(10)
        seen["during"] = shared.form_id_state(seen["id"])
        read_done.set()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with shared.transaction():
            (seen["id"],) = shared.reserve_form_ids(1)
            inside.set()
            assert read_done.wait(20), "the other thread's read waited for this action (or failed)"
    finally:
        thread.join(20)
    assert seen["during"] == "unknown"  # not committed yet when the other thread looked
    assert shared.form_id_state(seen["id"]) == "reserved"

    assert reserve_from_threads(3, lambda: contextlib.nullcontext(shared)) == []
    report = shared.verify_audit()
    assert report.ok and report.entries == 1 + 30 + 1  # created, 30 reservations, the first one
    shared.close()


def test_verify_detects_an_edited_or_deleted_entry(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        cat.reserve_form_ids(1)
        cat.reserve_form_ids(1)
        conn = raw_connection(cat)
        try:
            # Someone with full access removes the guard first, then edits a row and deletes the last one.
            if cat.path is not None:
                conn.execute("DROP TRIGGER audit_append_only_update")
                conn.execute("DROP TRIGGER audit_append_only_delete")
            else:
                conn.execute("DROP TRIGGER audit_append_only ON audit")
            conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
            assert any("edited" in p for p in cat.verify_audit().problems)
            conn.execute("DELETE FROM audit WHERE seq = 3")
            assert any("removed" in p for p in cat.verify_audit().problems)
        finally:
            conn.close()


def test_audit_actor_is_the_server_session_user(pg_server):
    database = pg_server.new_database()
    with pg_server.admin(database) as admin:
        admin.execute("CREATE ROLE dana LOGIN PASSWORD 'pw-dana'")
        admin.execute(f'GRANT ALL ON DATABASE "{database}" TO dana')
        admin.execute("GRANT ALL ON SCHEMA public TO dana")
    with Catalogue.open(pg_server.url(database, user="dana", password="pw-dana")) as cat:
        cat.reserve_form_ids(1)
        assert {e.actor for e in cat.audit_entries()} == {"dana"}


def test_wrong_password_unknown_database_and_stopped_server_are_one_sentence(pg_server):
    database = pg_server.new_database()
    with pg_server.admin(database) as admin:
        admin.execute("CREATE ROLE erik LOGIN PASSWORD 'right'")
    with pytest.raises(CatalogueError, match="refused the user name or password") as refused:
        Catalogue.open(pg_server.url(database, user="erik", password="wrong"))
    assert "wrong" not in str(refused.value)  # the password is never echoed
    with pytest.raises(CatalogueError, match="no database named"):
        Catalogue.open(pg_server.url("no_such_db", user="postgres"))
    url = f"postgresql://someone@/x?host={quote(str(pg_server.socket_dir))}&port=1"
    with pytest.raises(CatalogueError, match="not answering"):
        Catalogue.open(url)
    with pytest.raises(CatalogueError, match="not a catalogue ConsentDesk can open"):
        Catalogue.open("mysql://host/db")


def test_server_restart_mid_session_loses_nothing_and_reconnects(pg_server):
    url = pg_server.url(pg_server.new_database())
    with Catalogue.open(url) as cat:
        person = add_person(cat, "Before Restart")
        pg_server.restart()
        # The pooled connection died with the server: the next action reconnects (pre-ping) and works.
        assert cat.get_consent(person.id).full_name == "Before Restart"
        after = add_person(cat, "After Restart")
        assert {c.id for c in cat.list_consents()} == {person.id, after.id}
        assert cat.verify_audit().ok


def test_connection_killed_inside_an_action_saves_nothing(pg_server):
    database = pg_server.new_database()
    url = pg_server.url(database)
    with Catalogue.open(url) as cat:
        before = len(cat.audit_entries())
        with pytest.raises(CatalogueError, match="lost|nothing"), cat.transaction():
            cat.append_audit("test.half", None, {})
            with pg_server.admin() as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                )
            cat.append_audit("test.other_half", None, {})
        assert len(cat.audit_entries()) == before
        assert cat.verify_audit().ok


def test_erasure_leaves_nothing_in_the_clusters_data_files(pg_server, tmp_path: Path):
    database = pg_server.new_database()
    with Catalogue.open(pg_server.url(database)) as cat:
        erin = add_person(cat, NAME, email="erin.forgetme@example.org")
        keep = add_person(cat, "Kept Person")
        image = add_photo(cat, tmp_path / "x.jpg", [[100, 100, 80, 100]], sha="5" * 64)
        decide_face(cat, image, [100, 100, 80, 100], "linked", erin.id)
        cat.withdraw_consent(erin.id, erin.signed_at.date(), f"asked by {NAME} on the phone")
        assert b"Forgetme" in pg_server.database_files(database)  # sanity: it is there before
        report = erase(cat, erin.id)
        assert report.compacted
        assert cat.get_consent(erin.id).status is ConsentStatus.ERASED
        assert cat.get_consent(keep.id).full_name == "Kept Person"
    files = pg_server.database_files(database)
    for needle in ("Forgetme", "erin.forgetme@example.org", "Żółć"):
        assert needle.encode() not in files, needle
    assert b"Kept Person" in files


def test_locator_hides_passwords_and_names_the_register():
    locator = parse("postgresql://ann:s3cret@db.example.org/consentdesk?sslmode=verify-full")
    assert locator.is_server and locator.display_name == "consentdesk on db.example.org"
    assert "s3cret" not in locator.safe_text and "***" in locator.safe_text
    assert parse("~/x.sqlite").path == Path("~/x.sqlite").expanduser()


def test_cli_takes_the_catalogue_before_or_after_the_command_or_from_the_environment(
    catalogue_locator: str, monkeypatch, capsys
):
    assert main(["consent", "add", "--json", str(_example()), "--catalog", catalogue_locator]) == 0
    added = capsys.readouterr().out.strip()
    assert main(["--catalog", catalogue_locator, "consent", "list", "--json"]) == 0
    assert added in capsys.readouterr().out
    monkeypatch.setenv("CONSENTDESK_CATALOG", catalogue_locator)
    assert main(["consent", "show", added]) == 0
    assert added in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0


def test_cli_refuses_a_bad_address_without_a_traceback(capsys):
    assert main(["--catalog", "postgresql://nobody@/x?host=/nonexistent-socket-dir", "consent", "list"]) == 2
    err = capsys.readouterr().err
    assert "not answering" in err and "Traceback" not in err


def test_search_ignores_accents_on_both_engines(catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        person = add_person(cat, "Öykü Çelik")
        for text in ("oyku", "ÖYKÜ", "öykü", "celik"):
            assert [c.id for c in cat.list_consents(ConsentQuery(text=text))] == [person.id], text


def _example() -> Path:
    from consentdesk import paths

    return paths.forms_dir() / "examples" / "adult.json"


def test_psycopg_is_the_driver():
    assert psycopg.__version__
