"""Acceptance: verify a photo before posting, through the real command line, catalogue, analyser and exiftool.

Three clearly visible people and a patient label with a valid NHS number: two people have releases, the
third is blurred, the number is redacted, the image is approved for Instagram and the exported copy is
checked pixel-wise (by re-running the analyser on it) and metadata-wise (exiftool). Then a withdrawal
and an expiry take the clearance away again.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from tests.data import builders

from consentdesk import paths
from consentdesk.cli import main
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Box
from consentdesk.core.vision.analyse import Analyser

EXAMPLES = paths.forms_dir() / "examples"
NAMES = ("Siân O'Brien-Ærø", "Kwame Mensah")


def build_photo(path: Path) -> None:
    """Three people side by side, a patient label with a valid NHS number below, GPS and a capture date
    in EXIF (today, so the consents signed today are suggested). Deterministic: fixed seed."""
    rng = random.Random(3)
    scene = builders._background(rng, 2400, 1600)
    for x in (150, 900, 1650):
        builders._paste_face(scene, rng, x, 250, 260, 0)
    card, items = builders._text_card([(f"NHS No: {builders.nhs_number(rng)}", "nhs_number")], 48)
    builders._warp_paste(scene, card, 800, 1250, rng, items, jitter=0.02, blur=0.3)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = date.today().strftime("%Y:%m:%d 10:30:00")
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (53.0, 28.0, 0.0), "W", (2.0, 14.0, 0.0)
    scene.save(path, "JPEG", quality=92, exif=exif.tobytes())


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def add_consent(capsys, cat: str, tmp_path: Path, name: str, duration: str) -> str:
    data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    data["answers"] |= {"full_name": name, "duration": duration, "session_date": date.today().isoformat()}
    data["answers"]["email"] = "person@example.org"
    data["files"] = {k: str(EXAMPLES / v) for k, v in data["files"].items()}
    assert "instagram" in data["answers"]["channels"] and "social_media" in data["answers"]["uses"]
    path = tmp_path / f"{duration}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli(capsys, "--catalog", cat, "consent", "add", "--json", str(path))
    assert code == 0, err
    return out.strip()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


def test_verify_before_posting(tmp_path: Path, capsys, analyser: Analyser, catalogue_locator: str):
    cat = catalogue_locator
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    photo = shoot / "donor-day.jpg"
    build_photo(photo)
    original_sha = sha(photo)
    first = add_consent(capsys, cat, tmp_path, NAMES[0], "1y")
    second = add_consent(capsys, cat, tmp_path, NAMES[1], "2y")

    # import as a user does: a real process
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "consentdesk",
            "--catalog",
            cat,
            "import",
            str(shoot),
            "--json",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr
    assert len(json.loads(imported.stdout)["added"]) == 1

    code, out, err = cli(capsys, "--catalog", cat, "status", str(photo), "--json")
    assert code == 0, err
    status = json.loads(out)
    image_id = status["image"]
    assert "instagram" in status["channels"] and status["cleared"]["instagram"] is False
    assert [f["n"] for f in status["faces"]] == [1, 2, 3]  # the analyser really finds the three people
    nhs = [f for f in status["findings"] if f["kind"] == "nhs_number"]
    assert len(nhs) == 1 and "•" in nhs[0]["text"] and "337" not in nhs[0]["text"]  # stored masked
    assert [f for f in status["findings"] if f["kind"] != "nhs_number" and f["severity"] != "low"] == []
    assert status["summary"] == "3 people detected, 0 with consent — 3 need attention, 1 finding to resolve"

    # the picker offers the releases signed today
    with Catalogue.open(cat) as catalogue:
        suggested = workflow.suggest_consents(catalogue, image_id)
    assert {s.consent.id for s in suggested} == {first, second}

    assert cli(capsys, "--catalog", cat, "link", str(image_id), "1", first)[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "link", str(photo), "2", second.lower())
    assert code == 0 and "Warning" not in out
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image_id), "--channel", "instagram")
    assert "3 people detected, 2 with consent — 1 needs attention, 1 finding to resolve" in out
    assert "Face 3 has no consent" in out
    assert "Finding 1 (NHS number) is unresolved" in out

    with Catalogue.open(cat) as catalogue:
        ranked = workflow.suggest_consents(catalogue, image_id)
    assert ranked[0].rank == 0  # linked in this shoot comes first

    # mistakes are refused with a plain message
    code, _, err = cli(capsys, "--catalog", cat, "link", str(image_id), "7", first)
    assert code == 2 and "faces 1 to 3; there is no face 7" in err
    code, _, err = cli(capsys, "--catalog", cat, "link", str(image_id), "3", "CD-0000-0000")
    assert code == 2 and "no consent record" in err
    code, _, err = cli(
        capsys, "--catalog", cat, "resolve", str(image_id), str(nhs[0]["n"]), "--dismiss", "  "
    )
    assert code == 2 and "reason is required" in err
    code, _, err = cli(capsys, "--catalog", cat, "status", str(image_id), "--channel", "myspace")
    assert code == 2 and "instagram" in err

    # not cleared yet: approve refuses with the reasons and exit code 1
    out_dir = tmp_path / "approved"
    out_dir.mkdir()
    code, _, err = cli(
        capsys, "--catalog", cat, "approve", str(image_id), "--channel", "instagram", "--out", str(out_dir)
    )
    assert code == 1 and "Face 3 has no consent" in err and not list(out_dir.iterdir())

    assert cli(capsys, "--catalog", cat, "face", str(image_id), "3", "--blur")[0] == 0
    assert cli(capsys, "--catalog", cat, "resolve", str(image_id), str(nhs[0]["n"]), "--redact")[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image_id), "--json", "--channel", "instagram")
    assert json.loads(out)["cleared"] == {"instagram": True}
    code, out, _ = cli(capsys, "--catalog", cat, "queue", "--json")
    assert json.loads(out)[0]["ready"] is True

    code, out, err = cli(
        capsys, "--catalog", cat, "approve", str(image_id), "--channel", "instagram", "--out", str(out_dir)
    )
    assert code == 0, err
    exported = Path(out.strip())
    assert exported.parent == out_dir.resolve() and exported.name.startswith("donor-day-approved-AP-")
    assert sha(photo) == original_sha  # the original is never modified

    # pixels: the blurred face and the NHS number are gone; the released people are still there
    blurred_box = Box.from_list(status["faces"][2]["box"])
    after = analyser.analyse_path(exported)
    assert after.error is None
    assert not any(f.box.iou(blurred_box) > 0.3 for f in after.faces)
    for kept in status["faces"][:2]:
        assert any(f.box.iou(Box.from_list(kept["box"])) > 0.5 for f in after.faces)
    assert not [f for f in after.findings if f.kind == "nhs_number"]
    assert not any("8875" in f.text for f in after.findings)

    # metadata, read back by exiftool
    meta = json.loads(
        subprocess.run(
            ["exiftool", "-j", "-G1", "-a", str(exported)], capture_output=True, text=True, check=True
        ).stdout
    )[0]
    assert not [k for k in meta if "GPS" in k]
    assert meta.get("IFD0:Orientation") in (None, "Horizontal (normal)")
    assert meta["XMP-plus:ModelReleaseStatus"] == "Limited or Incomplete Model Releases"
    assert meta["XMP-plus:ModelReleaseID"] == [first, second]
    assert meta["XMP-iptcExt:PersonInImage"] == [first, second]
    assert meta["XMP-consentdesk:ApprovalID"] == meta["XMP-dc:Identifier"]
    assert meta["XMP-consentdesk:ApprovalID"] in exported.name
    dumped = json.dumps(meta, ensure_ascii=False)
    assert not any(name in dumped for name in NAMES)  # names never go public

    with Catalogue.open(cat) as catalogue:
        approvals = catalogue.review_approvals(image_id)
        assert len(approvals) == 1 and approvals[0].channels == ("instagram",)
        assert approvals[0].export_sha256 == sha(exported)
        entries = catalogue.audit_entries(f"image:{image_id}")
        approved = [e for e in entries if e.action == "image.approved"]
        assert approved[0].details["export_sha256"] == sha(exported)
        assert approved[0].details["export_path"] == str(exported)
        assert approved[0].actor
        review_entries = [e for e in entries if e.action.startswith("review.")]
        assert len(review_entries) >= 4
        assert not any(name in json.dumps(e.details, ensure_ascii=False) for e in entries for name in NAMES)
        assert catalogue.verify_audit().ok
        expires = catalogue.get_consent(first).expires_on

    code, out, _ = cli(capsys, "--catalog", cat, "queue", "--json")
    assert json.loads(out) == []  # approved images leave the "To verify" list

    # an expired consent on the posting date blocks it again (the day before is still fine)
    day_before, day_after = expires, expires + timedelta(days=1)
    code, out, _ = cli(
        capsys,
        "--catalog",
        cat,
        "status",
        str(image_id),
        "--channel",
        "instagram",
        "--on",
        day_before.isoformat(),
        "--json",
    )
    assert json.loads(out)["cleared"]["instagram"] is True
    code, out, _ = cli(
        capsys,
        "--catalog",
        cat,
        "status",
        str(image_id),
        "--channel",
        "instagram",
        "--on",
        day_after.isoformat(),
        "--json",
    )
    expired = json.loads(out)
    assert expired["cleared"]["instagram"] is False
    assert any(first in r and f"expired on {expires.isoformat()}" in r for r in expired["reasons"])

    # a withdrawal blocks it, and says so
    with Catalogue.open(cat) as catalogue:
        catalogue.withdraw_consent(second, date.today(), "asked by phone")
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image_id), "--channel", "instagram")
    assert "Not cleared for: instagram" in out
    assert f"Face 2 is linked to {second}, whose consent was withdrawn on {date.today().isoformat()}" in out
    code, _, err = cli(
        capsys, "--catalog", cat, "approve", str(image_id), "--channel", "instagram", "--out", str(out_dir)
    )
    assert code == 1 and "withdrawn" in err
    assert len(list(out_dir.iterdir())) == 1

    # a withdrawn consent can still be linked, with a warning that the image will not clear
    code, out, _ = cli(capsys, "--catalog", cat, "link", str(image_id), "3", second)
    assert code == 0 and "Warning" in out and "withdrawn" in out and "will not be cleared" in out
    with Catalogue.open(cat) as catalogue:
        found = workflow.suggest_consents(catalogue, image_id, text="Mensah")
    assert found[0].consent.id in (first, second) and any(s.warning for s in found)

    # rejecting takes the image out of every list for good
    assert cli(capsys, "--catalog", cat, "reject", str(image_id), "--reason", "consent withdrawn")[0] == 0
    code, out, _ = cli(capsys, "--catalog", cat, "status", str(image_id), "--json", "--channel", "instagram")
    assert json.loads(out)["reasons"][0].startswith("The image was rejected")
