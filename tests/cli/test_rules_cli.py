"""The rules the command line shows are the core's: channels, the image badge, and plain, safe wording.

Each test runs `consentdesk` commands in-process against a real catalogue file.
"""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from PIL import Image

from consentdesk import paths
from consentdesk.cli import main
from consentdesk.core import forms as form_files
from consentdesk.core.consent.releases import add_months
from consentdesk.core.media.imaging import sha256_file
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import Analysis, Box, Face

EXAMPLES = paths.forms_dir() / "examples"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def add_consent(capsys, cat: str, tmp_path: Path, **answers) -> str:
    data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    data["answers"] |= answers
    data["files"] = {k: str(EXAMPLES / v) for k, v in data["files"].items()}
    path = tmp_path / "release.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli(capsys, "--catalog", cat, "consent", "add", "--json", str(path))
    assert code == 0, err
    return out.strip()


def add_image(cat: str, name: str, faces: int = 1, error: str | None = None) -> int:
    analysis = Analysis(
        path=f"/photos/{name}.jpg",
        width=1000,
        height=800,
        faces=tuple(Face(Box(100 + 300 * i, 100, 120, 150), 0.9) for i in range(faces)),
        error=error,
        analyser_version="test",
    )
    new = NewImage(sha256=name * 8, path=f"/photos/{name}.jpg", file_size=1, width=1000, height=800)
    with Catalogue.open(cat) as catalogue:
        shoot = catalogue.create_shoot("day", "test")
        return catalogue.add_image(new, analysis, shoot)[0].id


def test_cli_accepts_the_channels_clearance_accepts(tmp_path: Path, capsys, monkeypatch):
    """Version 2 of the form drops Facebook; a person who signed version 1 for Facebook is still
    cleared for it, and the command line must not refuse the channel the policy answers for."""
    forms = tmp_path / "forms"
    shutil.copytree(paths.forms_dir(), forms)
    v1 = (forms / "model_release_v1.toml").read_text(encoding="utf-8")
    v2 = v1.replace("version = 1", "version = 2", 1).replace(
        '  { id = "facebook", label = "Facebook", use = "social_media" },\n', ""
    )
    assert v2.count("facebook") == 0
    (forms / "model_release_v2.toml").write_text(v2, encoding="utf-8")
    monkeypatch.setattr(paths, "forms_dir", lambda: forms)
    # forms.py keeps the folder it found first: this folder must not outlive the test (the review page's
    # channels in a later test were this form's, without Facebook)
    monkeypatch.setattr(form_files, "_default_folder", lambda: forms.resolve())
    cat = str(tmp_path / "c.sqlite")
    consent = add_consent(capsys, cat, tmp_path, session_date=date.today().isoformat())
    image = add_image(cat, "a")
    assert cli(capsys, "--catalog", cat, "link", str(image), "1", consent)[0] == 0
    code, out, err = cli(capsys, "--catalog", cat, "status", str(image), "--channel", "facebook")
    assert code == 0, err
    assert "Cleared for: facebook" in out
    code, _, err = cli(capsys, "--catalog", cat, "status", str(image), "--channel", "myspace")
    assert code == 2 and "unknown channel 'myspace'" in err and "facebook" in err


def test_images_and_queue_show_the_same_badge_as_the_library(tmp_path: Path, capsys):
    cat = str(tmp_path / "c.sqlite")
    unreadable = add_image(cat, "u", error="cannot identify image file")
    attention = add_image(cat, "n")
    cleared = add_image(cat, "c")
    rejected = add_image(cat, "r")
    approved = add_image(cat, "p")
    for image in (cleared, approved):
        assert cli(capsys, "--catalog", cat, "face", str(image), "1", "--blur")[0] == 0
    assert cli(capsys, "--catalog", cat, "reject", str(rejected), "--reason", "eyes closed")[0] == 0
    with Catalogue.open(cat) as catalogue:
        catalogue.record_approval(
            "AP-TEST-0001", approved, date.today(), ["instagram"], "/x.jpg", "0" * 64, []
        )
    expected = {
        unreadable: "Could not be read",
        attention: "Needs attention",
        cleared: "Cleared",
        rejected: "Rejected",
        approved: "Approved",
    }
    code, out, _ = cli(capsys, "--catalog", cat, "images", "--json")
    assert code == 0
    assert {r["id"]: r["badge_words"] for r in json.loads(out)} == expected
    code, out, _ = cli(capsys, "--catalog", cat, "images")
    for line in out.splitlines():
        image_id = int(line.split()[0])
        assert expected[image_id] in line
    code, out, _ = cli(capsys, "--catalog", cat, "queue", "--json")
    assert {r["image"]: r["badge"] for r in json.loads(out)} == {
        unreadable: "unreadable",
        attention: "attention",
        cleared: "cleared",
    }
    code, out, _ = cli(capsys, "--catalog", cat, "queue")
    assert [line.strip().split("  ")[1].strip() for line in out.splitlines()] == [
        "Could not be read",
        "Needs attention",
        "Cleared",
    ]


def test_consent_list_is_one_line_per_record_and_erased_records_say_so(tmp_path: Path, capsys):
    cat = str(tmp_path / "c.sqlite")
    tricky = add_consent(capsys, cat, tmp_path, full_name="Ana\r\nEvil\u202eTEXT", location="Leeds\nCentre")
    erased = add_consent(capsys, cat, tmp_path, full_name="Bo Gone")
    assert cli(capsys, "--catalog", cat, "consent", "erase", erased, "--yes")[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "consent", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    row = next(line for line in lines if line.startswith(tricky))
    assert "Ana EvilTEXT  (Leeds Centre)" in row and "\u202e" not in out
    gone = next(line for line in lines if line.startswith(erased))
    assert gone.endswith("(personal data erased)") and "()" not in gone


def test_consent_show_gives_signed_date_expiry_and_signature(tmp_path: Path, capsys):
    cat = str(tmp_path / "c.sqlite")
    consent = add_consent(capsys, cat, tmp_path, duration="2y")
    code, out, _ = cli(capsys, "--catalog", cat, "consent", "show", consent)
    assert code == 0
    today = date.today()
    assert f"Signed: {today.isoformat()}" in out
    assert f"Expires: {add_months(today, 24).isoformat()}" in out
    assert "Signature: yes" in out
    assert cli(capsys, "--catalog", cat, "consent", "erase", consent, "--yes")[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "consent", "show", consent)
    assert "erased" in out and "Signed:" in out and "full_name" not in out


def test_a_photo_that_cannot_be_read_is_an_error_not_a_skip(tmp_path: Path, capsys):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    Image.new("RGB", (320, 240), (90, 120, 150)).save(shoot / "good.jpg")
    (shoot / "empty.jpg").write_bytes(b"")
    (shoot / "letter.jpg").write_text("a letter saved with the wrong name", encoding="utf-8")
    (shoot / "notes.txt").write_text("not a photo", encoding="utf-8")
    cat = str(tmp_path / "c.sqlite")
    code, out, err = cli(capsys, "--catalog", cat, "import", str(shoot), "--workers", "1")
    assert code == 1
    assert "1 added, 0 already in the catalogue, 2 could not be read, 1 skipped" in out
    assert f"error {shoot / 'empty.jpg'}" in err and f"skipped {shoot / 'notes.txt'}" in err
    code, _, err = cli(capsys, "analyse", str(shoot / "empty.jpg"), str(shoot / "letter.jpg"), str(shoot))
    assert code == 1 and f"error {shoot / 'letter.jpg'}" in err


def test_approving_the_same_photo_twice_writes_one_copy(tmp_path: Path, capsys):
    photo = tmp_path / "donor.jpg"
    Image.effect_mandelbrot((640, 480), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photo, quality=90)
    cat = str(tmp_path / "c.sqlite")
    analysis = Analysis(
        path=str(photo),
        width=640,
        height=480,
        faces=(Face(Box(200, 100, 120, 150), 0.9),),
        analyser_version="t",
    )
    new = NewImage(sha256=sha256_file(photo), path=str(photo), file_size=1, width=640, height=480)
    with Catalogue.open(cat) as catalogue:
        image = str(catalogue.add_image(new, analysis, catalogue.create_shoot("day", "t"))[0].id)
    out = tmp_path / "out"
    assert cli(capsys, "--catalog", cat, "face", image, "1", "--blur")[0] == 0
    approve = ("--catalog", cat, "approve", image, "--channel", "instagram", "--out", str(out))
    code, first, err = cli(capsys, *approve)
    assert code == 0, err
    code, again, err = cli(capsys, *approve)  # nothing to do is no error: the copy made then is named
    assert code == 0 and "already approved for instagram" in err and again == first
    assert [p.name for p in out.iterdir()] == [Path(first.strip()).name]  # no second copy
    # a real change makes a new copy: another channel, or another decision about the face
    assert cli(capsys, *approve[:-4], "--channel", "facebook", "--out", str(out))[0] == 0
    assert cli(capsys, "--catalog", cat, "face", image, "1", "--not-a-person")[0] == 0
    assert cli(capsys, *approve)[0] == 0
    assert len(list(out.iterdir())) == 3


def _small_disk() -> None:
    """In the child process: every file may grow to 80 kB only, so the catalogue's write-ahead log
    runs out of room after a photo or two, as on a full disk (the write fails; the process lives on)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (80_000, 80_000))


def test_a_full_disk_stops_the_import_cleanly(tmp_path: Path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for i in range(6):
        Image.effect_mandelbrot((320, 240), (-2 + i / 10, -1.2, 1, 1.2), 40).convert("RGB").save(
            shoot / f"p{i}.jpg"
        )
    cat = tmp_path / "c.sqlite"
    Catalogue.open(cat).close()
    command = [sys.executable, "-m", "consentdesk", "--catalog", str(cat), "import", str(shoot)]
    command += ["--workers", "1", "--json"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, preexec_fn=_small_disk)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["stopped"] and "Free some disk space" in report["stopped"]
    assert "import the same folder again" in report["stopped"]
    assert len(report["added"]) < 6
    with Catalogue.open(cat) as catalogue:  # nothing half-saved: each image has its analysis, audit intact
        images = catalogue.list_images()
        assert [i.id for i in images] == report["added"]
        assert all(catalogue.current_analysis(i.id) is not None for i in images)
        assert catalogue.verify_audit().ok and catalogue.integrity_problems() == []
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(json.loads(again.stdout)["added"]) == 6 - len(report["added"])


def test_status_says_each_reason_once_for_all_the_channels_it_blocks(tmp_path: Path, capsys):
    cat = str(tmp_path / "c.sqlite")
    consent = add_consent(capsys, cat, tmp_path, uses=["website"], channels=["website"])
    image = add_image(cat, "w")
    assert cli(capsys, "--catalog", cat, "link", str(image), "1", consent)[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image))
    assert code == 0 and "Cleared for: website" in out
    reasons = [line for line in out.splitlines() if line.startswith("  - ")]
    assert len(reasons) == 1, out
    assert (
        f"Face 1 is linked to {consent}, whose consent does not cover Facebook, Instagram, X (Twitter)"
        in reasons[0]
    )
    assert reasons[0].endswith(
        "Intranet and staff channels or Fundraising campaigns: choose another channel, or blur the face"
    )
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image), "--json")
    assert len(json.loads(out)["channel_reasons"]) == 11  # machine-readable output stays per channel


def test_status_tells_the_reviewer_to_look_at_the_background_too(tmp_path: Path, capsys):
    """The check misses about half of the screens in real photos: its findings, or an empty list of them,
    never stand alone as "nothing confidential here", also where every face and finding is settled."""
    from consentdesk.core.review import policy

    cat = str(tmp_path / "c.sqlite")
    consent = add_consent(capsys, cat, tmp_path)
    image = add_image(cat, "w")
    assert cli(capsys, "--catalog", cat, "link", str(image), "1", consent)[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image))
    assert code == 0 and "Cleared for:" in out
    assert policy.look_yourself() in out.splitlines()
    assert "look over the whole background" in out and "reject the photo" in out
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image), "--json")
    assert "look over" not in out  # scripts get the facts only
