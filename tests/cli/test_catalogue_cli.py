"""`consentdesk catalogue copy` as a user runs it: a desk into the team register, again, with a conflict,
and with addresses it cannot use; the report is readable, the exit codes are 0/1/2, no password shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face

from consentdesk.core.consent.releases import record_consent
from consentdesk.core.forms import Submission, load_form
from consentdesk.core.store import Catalogue

A = [100, 100, 80, 100]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "consentdesk", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


def test_copy_desk_into_register_report_and_exit_codes(tmp_path: Path, pg_server):
    database = pg_server.new_database()
    # The test server trusts local connections, so a password in the address is accepted and must not show.
    register = pg_server.url(database, password="s3cret-pw")
    desk = tmp_path / "desk.sqlite"
    with Catalogue.open(desk) as cat:
        person = add_person(cat, "Cli Person")
        image = add_photo(cat, tmp_path / "x.jpg", [A], sha="6" * 64)
        decide_face(cat, image, A, "linked", person.id)

    first = run("catalogue", "copy", str(desk), register)
    assert first.returncode == 0, first.stderr
    assert "new catalogue, exact copy" in first.stdout and "No conflicts" in first.stdout
    assert "every hash matches" in first.stdout
    # The desk's photo file is not on this computer: the register cannot be given its working copy, and says so.
    assert "photo copies" in first.stdout and "Note: photo 1 " in first.stdout and "x.jpg" not in first.stdout
    assert "s3cret-pw" not in first.stdout + first.stderr and ":***@" in first.stdout

    again = run("catalogue", "copy", str(desk), register, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["mode"] == "merge" and report["ok"] and report["conflicts"] == []
    assert all(c["added"] == 0 for c in report["tables"].values())
    assert report["tables"]["consents"]["present"] == 1
    assert "s3cret-pw" not in again.stdout

    # The same paper form id signed on the desk and in the register with different answers.
    with Catalogue.open(register, create=False) as reg:
        form_id = reg.reserve_form_ids(1)[0]
    laptop = tmp_path / "laptop.sqlite"
    assert run("catalogue", "copy", register, str(laptop)).returncode == 0
    form = load_form("model_release", 1)
    for where, name in ((laptop, "Laptop Name"), (register, "Register Name")):
        with Catalogue.open(where, create=False) as cat:
            answers = dict(cat.get_consent(person.id).answers, full_name=name)
            files = {"signature": cat.consent_file(person.id, "signature")[1]}
            record_consent(cat, form, Submission(answers, files), source="paper", form_id=form_id)
    with Catalogue.open(laptop, create=False) as cat:
        newcomer = add_person(cat, "Another Person")
    conflict = run("catalogue", "copy", str(laptop), register)
    assert conflict.returncode == 1, conflict.stderr
    assert f"consent {form_id}" in conflict.stdout and "NOT copied" in conflict.stdout
    assert "Laptop Name" not in conflict.stdout and "Register Name" not in conflict.stdout
    with Catalogue.open(register, create=False) as reg:
        assert reg.get_consent(form_id).full_name == "Register Name"
        assert reg.find_consent(newcomer.id) is not None  # what did not conflict was still copied
        assert reg.verify_audit().ok


def test_unusable_locators_exit_2_and_copy_nothing(tmp_path: Path, pg_server):
    desk = tmp_path / "desk.sqlite"
    Catalogue.open(desk).close()
    bad_scheme = run("catalogue", "copy", str(desk), "mysql://user:pw@host/db")
    assert bad_scheme.returncode == 2 and "postgresql://" in bad_scheme.stderr
    assert "pw@" not in bad_scheme.stderr

    missing = run("catalogue", "copy", str(tmp_path / "nothing.sqlite"), str(tmp_path / "out.sqlite"))
    assert missing.returncode == 2 and "there is no catalogue" in missing.stderr
    assert not (tmp_path / "out.sqlite").exists()

    no_database = pg_server.url("no_such_db", password="s3cret-pw")
    unreachable = run("catalogue", "copy", str(desk), no_database)
    assert unreachable.returncode == 2 and "nothing was copied" in unreachable.stderr
    assert "s3cret-pw" not in unreachable.stderr

    not_a_catalogue = tmp_path / "notes.txt"
    not_a_catalogue.write_text("hello")
    refused = run("catalogue", "copy", str(desk), str(not_a_catalogue))
    assert refused.returncode == 2 and "not a ConsentDesk catalogue" in refused.stderr
    assert not_a_catalogue.read_text() == "hello"
    assert quote("s3cret-pw") not in refused.stderr
