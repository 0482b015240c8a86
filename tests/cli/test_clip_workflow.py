"""Acceptance: a clip through the real command line: import beside a damaged one, status, link, blur,
redact, approve; the approved copy is an MP4 without the blurred person and with the release in XMP."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.cli.test_verify_workflow import add_consent, cli
from tests.data.clip_builder import ClipSpec, truncate, write_clip

from consentdesk.core.vision.faces import FaceDetector


@pytest.fixture(scope="module")
def shoot(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("shoot")
    truth = write_clip(folder / "reel.mp4", ClipSpec(seconds=6.0, size=(1280, 720), audio=True, location="+51.5074-000.1278/"))
    truncate(folder / "reel.mp4", folder / "broken.mov", keep=0.4)
    (folder / "notes.m4v").write_text("not a clip")
    return folder, truth


def test_a_clip_is_imported_checked_resolved_and_approved(shoot, tmp_path, capsys):
    folder, truth = shoot
    cat = str(tmp_path / "cat.sqlite")
    code, out, err = cli(capsys, "--catalog", cat, "import", str(folder))
    assert code == 1  # two files could not be read; the good clip is in all the same
    assert "broken.mov" in err and "cut short or damaged" in err
    assert "notes.m4v" in err

    code, out, err = cli(capsys, "--catalog", cat, "status", str(folder / "reel.mp4"), "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["clip"]["duration"] == pytest.approx(6.0, abs=0.1)
    assert [(f["n"], f["state"]) for f in status["faces"]] == [(1, "unresolved"), (2, "unresolved"), (3, "unresolved")]
    assert all(f["first_s"] <= f["last_s"] for f in status["faces"])
    assert status["faces"][2]["first_s"] >= 3.0  # the person after the cut
    assert status["summary"].startswith("3 people detected, 0 with consent")
    assert status["findings"], "the patient label is found"
    # nothing read from the clip is stored whole: no NHS number as printed on the label is in the file
    assert "nhs_number" in {f["kind"] for f in status["findings"]}
    assert not re.search(rb"\d{3} \d{3} \d{4}", Path(cat).read_bytes())

    consent = add_consent(capsys, cat, tmp_path, "Ada Lovelace", "2y")
    assert cli(capsys, "--catalog", cat, "link", str(folder / "reel.mp4"), "1", consent)[0] == 0
    # what still blocks the clip names its people as people, with the numbers `face`/`link` take
    code, out, err = cli(capsys, "--catalog", cat, "status", str(folder / "reel.mp4"))
    assert "Person 2 has no consent" in out and "Face 2" not in out, out
    assert "look over the whole background too. If anything confidential shows with no finding, reject the clip" in out
    for n in (2, 3):
        assert cli(capsys, "--catalog", cat, "face", str(folder / "reel.mp4"), str(n), "--blur")[0] == 0
    for finding in status["findings"]:
        assert cli(capsys, "--catalog", cat, "resolve", str(folder / "reel.mp4"), str(finding["n"]), "--redact")[0] == 0
    code, out, err = cli(capsys, "--catalog", cat, "status", str(folder / "reel.mp4"))
    assert "3 people detected, 1 with consent, 2 to blur" in out

    code, out, err = cli(
        capsys, "--catalog", cat, "approve", str(folder / "reel.mp4"), "--channel", "instagram", "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    copies = list((tmp_path / "out").glob("*.mp4"))
    assert len(copies) == 1
    # the blurred people are gone from the copy (checked every 5th frame here; every frame in the core tests)
    import av

    by_t = {round(f.t, 3): f for f in truth.frames}
    detector = FaceDetector()
    with av.open(str(copies[0])) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 5:
                continue
            faces = by_t[round(float(frame.time), 3)].faces
            blurred = [faces[p] for p in (2, 3) if p in faces]
            for f in detector.detect(frame.to_ndarray(format="rgb24")):
                cx, cy = f.box.x + f.box.w / 2, f.box.y + f.box.h / 2
                assert not any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in blurred), frame.time
    if shutil.which("exiftool"):
        tags = json.loads(subprocess.run(["exiftool", "-j", "-G1", str(copies[0])], capture_output=True, text=True, check=True).stdout)[0]
        assert tags["XMP-plus:ModelReleaseID"] == consent
        assert "GPS" not in json.dumps(tags)


def test_analyse_takes_clips_and_reports_each_track(shoot, capsys):
    folder, _truth = shoot
    code, out, err = cli(capsys, "analyse", str(folder / "reel.mp4"), "--json")
    assert code == 0, err
    data = json.loads(out.splitlines()[0])
    assert len(data["faces"]) == 3 and all("first_s" in f for f in data["faces"])


def test_two_tracks_said_to_be_one_person_are_counted_once_and_both_blurred(shoot, tmp_path, capsys):
    folder, truth = shoot
    cat, clip = str(tmp_path / "cat.sqlite"), str(folder / "reel.mp4")
    assert cli(capsys, "--catalog", cat, "import", clip)[0] == 0
    code, out, err = cli(capsys, "--catalog", cat, "face", clip, "3", "--same-as", "2")
    assert code == 0, err
    assert "same person as 2" in out
    status = json.loads(cli(capsys, "--catalog", cat, "status", clip, "--json")[1])
    assert [f["same_as"] for f in status["faces"]] == [None, None, 2]
    assert status["summary"].startswith("2 people detected, 0 with consent")
    code, out, err = cli(capsys, "--catalog", cat, "face", clip, "3", "--blur")
    assert code != 0 and "decide on 2" in err
    for n in (1, 2):
        assert cli(capsys, "--catalog", cat, "face", clip, str(n), "--blur")[0] == 0
    for finding in status["findings"]:
        assert cli(capsys, "--catalog", cat, "resolve", clip, str(finding["n"]), "--redact")[0] == 0
    status = json.loads(cli(capsys, "--catalog", cat, "status", clip, "--json")[1])
    assert [f["state"] for f in status["faces"]] == ["blur", "blur", "blur"]
    assert status["summary"].startswith("2 people detected, 0 with consent, 2 to blur")
    code, out, err = cli(capsys, "--catalog", cat, "approve", clip, "--channel", "instagram", "--out", str(tmp_path / "out"))
    assert code == 0, err
    import av

    by_t = {round(f.t, 3): f for f in truth.frames}
    detector = FaceDetector()
    with av.open(str(next((tmp_path / "out").glob("*.mp4")))) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 5:
                continue
            person3 = by_t[round(float(frame.time), 3)].faces.get(3)
            if person3 is None:
                continue
            x, y, w, h = person3
            for f in detector.detect(frame.to_ndarray(format="rgb24")):
                cx, cy = f.box.x + f.box.w / 2, f.box.y + f.box.h / 2
                assert not (x <= cx <= x + w and y <= cy <= y + h), frame.time  # the joined track is gone too

    code, out, err = cli(capsys, "--catalog", cat, "face", clip, "3", "--separate")
    assert code == 0, err
    status = json.loads(cli(capsys, "--catalog", cat, "status", clip, "--json")[1])
    assert status["faces"][2]["state"] == "unresolved" and status["summary"].startswith("3 people detected")
