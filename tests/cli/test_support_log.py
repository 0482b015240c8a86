"""The support log: timings and errors a desk can send to support, and never anything about a person.

A session records a release for a person with an NHS number, e-mail and phone in it, searches for her,
checks a photo of a patient label (a name and an NHS number) kept in a folder named after her, mistypes
an id, and meets a fault whose message quotes her; a worker task fails the same way. Then the log file is
searched for every one of those details, in every spelling, and must hold none while it does hold what
support needs: each command with its exit code and time, the fault's type and the code lines it passed.
"""

from __future__ import annotations

import json
import random
import re
import stat
from datetime import date
from pathlib import Path

import pytest
from tests.data import builders

from consentdesk import paths, support_log
from consentdesk.cli import main
from consentdesk.core.store import Catalogue

NAME = "Öykü Çelik"
NHS = "943 476 5919"  # passes the Modulus 11 check
EMAIL = "oyku.celik@example.org"
PHONE = "07700 900461"
ON_PHOTO = "Oliver Hughes"
SECRETS = [NAME, "Öykü", "Çelik", "Oyku", "Celik", NHS, NHS.replace(" ", ""), "oyku.celik", PHONE,
           PHONE.replace(" ", ""), ON_PHOTO, "Hughes"]  # fmt: skip


def the_log() -> str:
    return support_log.log_path().read_text(encoding="utf-8")


def release_file(tmp_path: Path) -> Path:
    examples = paths.forms_dir() / "examples"
    data = json.loads((examples / "adult.json").read_text(encoding="utf-8"))
    data["answers"] |= {"full_name": NAME, "email": EMAIL, "phone": PHONE, "notes": f"NHS number {NHS}"}
    data["answers"]["session_date"] = date.today().isoformat()
    data["files"] = {k: str(examples / v) for k, v in data["files"].items()}
    path = tmp_path / f"{NAME}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def label_photo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rng = random.Random(2)
    scene = builders._background(rng, 900, 600)
    card, items = builders._text_card([(f"Name: {ON_PHOTO}", "person_name"), (f"NHS No: {NHS}", "nhs_number")], 40)
    builders._warp_paste(scene, card, 120, 160, rng, items, jitter=0.01, blur=0.2)
    path = folder / "label.jpg"
    scene.save(path, quality=92)
    return path


def test_the_log_has_timings_and_errors_and_no_personal_data(tmp_path: Path, capsys, monkeypatch):
    cat = str(tmp_path / f"{NAME}.sqlite")
    assert main(["--catalog", cat, "consent", "add", "--json", str(release_file(tmp_path))]) == 0
    release = capsys.readouterr().out.strip()
    assert main(["--catalog", cat, "consent", "list", "--search", NAME]) == 0
    assert NAME in capsys.readouterr().out
    photo = label_photo(tmp_path / f"{NAME} at the donor centre")
    assert main(["analyse", str(photo), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {"nhs_number", "person_name"} <= {f["kind"] for f in found["findings"]}  # the photo was read
    assert main(["--catalog", cat, "consent", "show", f"{NAME} {NHS}"]) == 2  # typed where an id goes
    capsys.readouterr()

    def fault(*_args, **_kwargs):
        raise RuntimeError(f"cannot list {NAME}, NHS {NHS}, {EMAIL}")

    monkeypatch.setattr(Catalogue, "list_consents", fault)
    assert main(["--catalog", cat, "consent", "list", "--search", NAME]) == 4
    told = capsys.readouterr().err
    assert "RuntimeError" in told and str(support_log.log_path()) in told and NAME not in told

    log = the_log()
    for secret in [*SECRETS, str(tmp_path)]:
        assert secret.casefold() not in log.casefold(), secret
    assert re.search(r"consent add: exit 0 after \d+\.\d{3} s", log)
    assert re.search(r"analyse: exit 0 after \d+\.\d{3} s", log)
    assert "consent show: exit 2" in log and "consent list: exit 4" in log
    assert "builtins.RuntimeError (message withheld)" in log
    assert re.search(r"consentdesk/cli/consent_cmds\.py:\d+ in cmd_list", log)
    assert release not in log  # not personal, but nothing typed or stored is copied there at all
    assert stat.S_IMODE(support_log.log_path().stat().st_mode) == 0o600


def test_verbose_mirrors_the_log_to_the_terminal(tmp_path: Path, capsys):
    cat = str(tmp_path / "c.sqlite")
    assert main(["--catalog", cat, "consent", "list", "--verbose"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"consent list: exit 0 after \d+\.\d{3} s", err)
    assert main(["--catalog", cat, "consent", "list"]) == 0
    assert "exit 0" not in capsys.readouterr().err  # only when asked
    assert len(re.findall(r"consent list: exit 0", the_log())) == 2


def test_a_failed_worker_task_is_logged_by_type_and_frames(qtbot, tmp_path: Path):
    from consentdesk.ui.kit.workers import run_task

    support_log.setup()

    def read_photo_of_her(_control):
        raise ValueError(f"{NAME} {NHS} could not be read from /photos/{NAME}.jpg")

    errors = []
    run_task(read_photo_of_her, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    log = the_log()
    assert "read_photo_of_her failed after" in log and "builtins.ValueError (message withheld)" in log
    assert not any(secret.casefold() in log.casefold() for secret in SECRETS)


@pytest.mark.parametrize("value", [NAME, Path(f"/photos/{NAME}.jpg"), b"\x00", {"name": NAME}, 3.5, 7])
def test_only_numbers_and_labels_pass_the_formatter(value):
    import logging

    record = logging.makeLogRecord({"msg": "value %s", "args": (value,), "levelname": "INFO"})
    line = support_log.PrivacyFormatter().format(record)
    assert line.endswith(f"value {value}" if isinstance(value, (int, float)) else "value [withheld]")
    record = logging.makeLogRecord({"msg": "command %s", "args": (support_log.label("consent list"),)})
    assert support_log.PrivacyFormatter().format(record).endswith("command consent list")


def test_unwritable_data_folder_does_not_stop_a_command(tmp_path: Path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("a file where the folder should be")
    monkeypatch.setenv("CONSENTDESK_HOME", str(home))
    assert main(["--catalog", str(tmp_path / "c.sqlite"), "consent", "list"]) == 0
    assert "No consent records" in capsys.readouterr().out
