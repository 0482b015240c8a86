"""A withdrawn person's clips are blocked (not cleared) and listed for take-down exactly like photos."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from tests.data.clip_cases import add_clip, checked_clip, track_of  # noqa: F401 - a fixture
from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.protection.expiry import expiry_dashboard
from consentdesk.core.protection.withdrawal import withdraw, write_takedown_report
from consentdesk.core.review import export, workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState, FindingState


def _approve_with(cat: Catalogue, image_id: int, mine: int, consent_id: str, out: Path) -> export.ExportResult:
    """Person `mine` linked to the release, everyone else blurred, every finding redacted, approved."""
    state = workflow.image_state(cat, image_id)
    for face in state.faces:
        if face.n == mine:
            workflow.link_face(cat, image_id, face.n, consent_id)
        else:
            workflow.set_face(cat, image_id, face.n, FaceState.BLUR)
    for finding in state.findings:
        workflow.set_finding(cat, image_id, finding.n, FindingState.REDACT)
    return export.approve(cat, image_id, ["instagram"], out)


def test_a_withdrawn_persons_clip_is_blocked_and_listed_for_take_down(
    checked_clip, tmp_path: Path, catalogue_locator: str  # noqa: F811
):
    with Catalogue.open(catalogue_locator) as cat:
        alice = add_person(cat, "Alice Example")
        clip = add_clip(cat, checked_clip)
        mine = track_of(cat, clip, checked_clip.truth, person=1)
        approved = _approve_with(cat, clip, mine, alice.id, tmp_path / "exports")
        assert workflow.status(cat, clip, channels=["instagram"]).clearances["instagram"].cleared

        takedown = withdraw(cat, alice.id, "changed her mind", date.today())

        # blocked, not cleared: the same check that approves now refuses, and nothing was exported
        status = workflow.status(cat, clip, channels=["instagram"])
        assert not status.clearances["instagram"].cleared
        with pytest.raises(export.NotCleared):
            export.approve(cat, clip, ["instagram"], tmp_path / "again")
        assert not (tmp_path / "again").exists() or not list((tmp_path / "again").iterdir())

        # listed for take-down, with the export and when the person is on screen
        [item] = takedown.items
        assert item.image.id == clip and item.is_clip and item.face_numbers == (mine,)
        assert item.approvals[0].export_path == str(approved.path)
        track = cat.stored_clip(clip).face_tracks[mine - 1]
        assert item.seen == ((mine, track.first, track.last),)
        assert track.first < 0.5 and 2.0 < track.last < 3.1  # person 1 stands there until the cut at 3 s

        # the Expiry page's data and the `expiring` JSON say it is a clip that lost clearance
        dash = expiry_dashboard(cat)
        assert [(b.image.id, b.is_clip, b.reasons) for b in dash.blocked] == [(clip, True, ((alice.id, "withdrawn"),))]
        assert dash.to_json()["lost_clearance"][0]["kind"] == "clip"

        pdf, csv_path = write_takedown_report(takedown, tmp_path / "report")
        if keep := os.environ.get("CONSENTDESK_KEEP_PDF"):  # to look at it: pdftoppm -png FILE
            shutil.copy(pdf, keep)
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [(r["image_id"], r["kind"], r["export_path"]) for r in rows] == [(str(clip), "clip", str(approved.path))]
    assert rows[0]["seen"] == f"person {mine} seen {track.first:.1f}–{track.last:.1f} s"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = " ".join(text.split())
    assert "(clip)" in words and f"person {mine} seen {track.first:.1f}–{track.last:.1f} s" in words
    assert "Alice" not in text  # the take-down list names the record id only


def test_the_cli_lists_a_withdrawn_clip(checked_clip, tmp_path: Path, capsys):  # noqa: F811
    from tests.cli.test_verify_workflow import cli

    db = tmp_path / "cat.sqlite"
    with Catalogue.open(db) as cat:
        alice = add_person(cat, "Alice Example")
        clip = add_clip(cat, checked_clip)
        workflow.link_face(cat, clip, track_of(cat, clip, checked_clip.truth, person=1), alice.id)
    code, out, err = cli(capsys, "--catalog", str(db), "consent", "withdraw", alice.id, "--reason", "asked us to")
    assert code == 0, err
    assert f"clip {clip}" in out and "(never approved)" in out and "seen" in out
    code, out, err = cli(capsys, "--catalog", str(db), "expiring", "--json")
    assert code == 0, err
    assert json.loads(out)["lost_clearance"][0]["kind"] == "clip"
