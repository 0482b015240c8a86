"""`takedown`, `face --others --blur`, and the badges `images` and `queue` print, as a user runs them, on
both engines: the same core functions as the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face

from consentdesk.core.store import Catalogue

A, B, C = [100, 100, 80, 100], [600, 100, 80, 100], [900, 400, 60, 70]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "consentdesk", *args], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )


def approved_photo(locator: str, path: Path, name: str, approval: str, channels: list[str]):
    """A photo of one person linked to their release, approved and exported for `channels`."""
    with Catalogue.open(locator) as cat:
        person = add_person(cat, name)
        image = add_photo(cat, path, [A], sha=approval.encode().hex().ljust(64, "0")[:64])
        decide_face(cat, image, A, "linked", person.id)
        approve(cat, image, approval, channels, f"/exports/{path.stem}-approved.jpg", [person.id])
    return person, image


def test_a_withdrawn_approved_photo_says_take_down_until_it_is_recorded(tmp_path: Path, catalogue_locator: str):
    person, image = approved_photo(catalogue_locator, tmp_path / "x.jpg", "Cli Person", "AP-3", ["website"])
    c = ("--catalog", catalogue_locator)
    assert "Approved" in run(*c, "images").stdout
    assert run(*c, "consent", "withdraw", person.id, "--reason", "asked").returncode == 0
    images = run(*c, "images")
    assert f"{image:>6}  Take down" in images.stdout, images.stdout
    queue = run(*c, "queue", "--json")
    (item,) = json.loads(queue.stdout)
    assert item["badge"] == "take_down" and item["badge_words"] == "Take down" and not item["ready"]
    assert item["take_down"][0].startswith("Approval AP-3 (website")
    assert "take down 1 approved copy" in run(*c, "queue").stdout
    expiring = run(*c, "expiring")
    assert "take down AP-3" in expiring.stdout
    status = run(*c, "status", str(image))
    assert "\nTake down: Approval AP-3" in status.stdout, status.stdout
    as_json = json.loads(run(*c, "status", str(image), "--json").stdout)
    assert as_json["badge"] == "take_down" and as_json["take_down"][0].startswith("Approval AP-3")

    done = run(*c, "takedown", str(image))
    assert done.returncode == 0, done.stderr
    assert "Approval AP-3" in done.stdout and "take-down recorded" in done.stdout
    assert "Take down" not in run(*c, "images").stdout
    again = run(*c, "takedown", str(image))
    assert again.returncode != 0 and "no approved copy" in again.stderr


def test_after_withdrawal_and_erasure_every_list_still_says_take_down(tmp_path: Path, catalogue_locator: str):
    person, image = approved_photo(catalogue_locator, tmp_path / "e.jpg", "Erased Person", "AP-5", ["instagram"])
    c = ("--catalog", catalogue_locator)
    assert run(*c, "consent", "withdraw", person.id, "--reason", "asked").returncode == 0
    erased = run(*c, "consent", "erase", person.id, "--yes")
    assert erased.returncode == 0, erased.stderr
    said = {
        "images": run(*c, "images").stdout,
        "queue": run(*c, "queue").stdout,
        "status": run(*c, "status", str(image)).stdout,
        "expiring": run(*c, "expiring").stdout,
    }
    assert f"{image:>6}  Take down" in said["images"] and f"{image:>6}  Take down" in said["queue"]
    assert "Take down: Approval AP-5 (instagram, approved " in said["status"]
    assert f"relied on {person.id} (erased)" in said["status"]
    assert "Images that lost clearance: 1" in said["expiring"] and "take down AP-5" in said["expiring"]
    assert not any("Erased Person" in text for text in said.values())  # without the person's data
    assert run(*c, "takedown", str(image)).returncode == 0
    assert "Take down" not in run(*c, "images").stdout and "Take down" not in run(*c, "status", str(image)).stdout


def test_face_others_blur_blurs_everyone_not_linked(tmp_path: Path, catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as cat:
        person = add_person(cat, "Front Person")
        image = add_photo(cat, tmp_path / "g.jpg", [A, B, C], sha="8" * 64)
        decide_face(cat, image, A, "linked", person.id)
    c = ("--catalog", catalogue_locator)
    out = run(*c, "face", str(image), "--others", "--blur")
    assert out.returncode == 0, out.stderr
    assert "2 faces of image" in out.stdout and "blurred on export" in out.stdout
    status = json.loads(run(*c, "status", str(image), "--json").stdout)
    assert [f["state"] for f in status["faces"]] == ["linked", "blur", "blur"]
    again = run(*c, "face", str(image), "--others", "--blur")
    assert again.returncode == 0 and "0 faces" in again.stdout
    wrong = run(*c, "face", str(image), "--others", "--not-a-person")
    assert wrong.returncode != 0 and "--others" in wrong.stderr
    missing = run(*c, "face", str(image), "--blur")
    assert missing.returncode != 0 and "face number" in missing.stderr
