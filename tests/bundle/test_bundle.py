"""Smoke test of the PyInstaller bundle: the main jobs, run from the bundle alone.

Each command runs the bundled executable in an empty environment: no virtual environment, no Python, and a
`PATH` that holds no programs at all, so anything the bundle needs and did not collect (a module imported
by name at run time, a data file, a shared library) fails here rather than on a user's desk. The inputs (a
photo, a release's JSON) are made by this test with the test extras; the outputs are read back with other
tools (exiftool, poppler, pypdf), never with the bundle's own code.

    CONSENTDESK_BUNDLE=dist/consentdesk/consentdesk .venv/bin/python -m pytest tests/bundle

Without CONSENTDESK_BUNDLE these tests are skipped (the rest of the suite covers the same jobs from the
source); CONSENTDESK_BUNDLE=python runs them on `python -m consentdesk` instead, to check the test itself.
`.ci/run` builds the bundle (packaging/build.sh) and runs them after the test suite.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from tests.data import builders, pg_server

ROOT = Path(__file__).resolve().parents[2]

BUNDLE = os.environ.get("CONSENTDESK_BUNDLE", "")
FROM_SOURCE = BUNDLE == "python"
pytestmark = pytest.mark.skipif(not BUNDLE, reason="no bundle to check (set CONSENTDESK_BUNDLE)")
EXAMPLES = ROOT / "forms" / "examples"
ACCENTED = "Öykü Çelik"
ON_PHOTO = ("Name: Oliver Hughes", "NHS No: ")  # text the check must find on the photo


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundle-smoke")
    (folder / "no-programs").mkdir()
    return folder


def bare_environment(work: Path, **extra: str) -> dict[str, str]:
    """What a desktop launcher at least gives a program, and nothing else: HOME and an empty PATH."""
    env = {"HOME": str(work / "home"), "PATH": str(work / "no-programs"), "CONSENTDESK_HOME": str(work / "data")}
    if os.name == "nt":  # what Windows itself gives every program
        env |= {k: os.environ[k] for k in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP", "USERPROFILE") if k in os.environ}
    env.update(extra)
    return env


def run(work: Path, *args: str, timeout: float = 300, stdin: str | None = None, **env: str):
    """Run the bundle (or `python -m consentdesk`) with a bare environment; returns the finished process."""
    command = [sys.executable, "-m", "consentdesk"] if FROM_SOURCE else [str(Path(BUNDLE).resolve())]
    environment = bare_environment(work, **env)
    if FROM_SOURCE:  # the source run still needs to find its interpreter's packages
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [*command, *args],
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        input=stdin,
        cwd=work,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def release_json(work: Path, name: str) -> Path:
    data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
    data["answers"] |= {"full_name": name, "session_date": date.today().isoformat()}
    data["files"] = {k: str(EXAMPLES / v) for k, v in data["files"].items()}
    path = work / f"{name.split()[0]}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def build_photo(path: Path) -> None:
    """One person and a patient label (a name and a valid NHS number) on a real background."""
    rng = random.Random(5)
    scene = builders._background(rng, 1600, 1100)
    builders._paste_face(scene, rng, 200, 200, 260, 0)
    lines = [(ON_PHOTO[0], "person_name"), (ON_PHOTO[1] + builders.nhs_number(rng), "nhs_number")]
    card, items = builders._text_card(lines, 44)
    builders._warp_paste(scene, card, 750, 650, rng, items, jitter=0.02, blur=0.3)
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (53.0, 28.0, 0.0), "W", (2.0, 14.0, 0.0)
    scene.save(path, "JPEG", quality=92, exif=exif.tobytes())


# --- the jobs -----------------------------------------------------------------------------------------


def test_version(work: Path):
    assert ok(run(work, "--version")).strip() == f"ConsentDesk {version()}"


@pytest.fixture(scope="module")
def catalogue(work: Path) -> str:
    return str(work / "desk.sqlite")


@pytest.fixture(scope="module")
def accented_release(work: Path, catalogue: str) -> str:
    return ok(run(work, "--catalog", catalogue, "consent", "add", "--json", str(release_json(work, ACCENTED))))


def test_release_with_accented_names(work: Path, catalogue: str, accented_release: str):
    release = accented_release.strip()
    assert release.startswith("CD-")
    # found by its name typed without the accents (the search key is transliterated)
    found = json.loads(ok(run(work, "--catalog", catalogue, "consent", "list", "--search", "oyku celik", "--json")))
    assert [r["id"] for r in found] == [release]
    pdf = work / "release.pdf"
    ok(run(work, "--catalog", catalogue, "consent", "pdf", release, "--out", str(pdf)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert ACCENTED in text and release in text


def test_blank_forms(work: Path, catalogue: str):
    pdf = work / "blank.pdf"
    ok(run(work, "--catalog", catalogue, "forms", "blank", "--count", "3", "--out", str(pdf)))
    from pypdf import PdfReader

    assert len(PdfReader(pdf).pages) >= 3
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert len(set(re.findall(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}", text))) == 3  # one reserved form id each


@pytest.fixture(scope="module")
def shoot(work: Path) -> Path:
    folder = work / "shoot"
    folder.mkdir()
    build_photo(folder / "donor-day.jpg")
    # a HEIC from a phone, to load pillow-heif's libraries from the bundle
    import pillow_heif

    pillow_heif.register_heif_opener()
    Image.open(folder / "donor-day.jpg").resize((800, 550)).save(folder / "phone.heic", quality=80)
    return folder


def test_photo_is_checked(work: Path, shoot: Path):
    lines = ok(run(work, "analyse", str(shoot), "--json")).splitlines()
    results = {Path(r["path"]).name: r for r in map(json.loads, lines)}
    assert set(results) == {"donor-day.jpg", "phone.heic"}
    photo = results["donor-day.jpg"]
    assert photo["error"] is None and len(photo["faces"]) == 1  # CenterFace on onnxruntime
    kinds = {f["kind"] for f in photo["findings"]}
    assert {"nhs_number", "person_name"} <= kinds, kinds  # OCR models, stdnum, Faker's names, wordfreq
    assert results["phone.heic"]["error"] is None and results["phone.heic"]["width"] == 800


def test_photo_is_imported_approved_and_exported(work: Path, catalogue: str, shoot: Path, accented_release):
    release = accented_release.strip()
    imported = json.loads(ok(run(work, "--catalog", catalogue, "import", str(shoot), "--json", "--workers", "2")))
    assert len(imported["added"]) == 2  # checked in worker processes started from the bundle
    photo = shoot / "donor-day.jpg"
    status = json.loads(ok(run(work, "--catalog", catalogue, "status", str(photo), "--json")))
    image = str(status["image"])
    ok(run(work, "--catalog", catalogue, "link", image, "1", release))
    for finding in status["findings"]:
        if finding["severity"] != "low":
            ok(run(work, "--catalog", catalogue, "resolve", image, str(finding["n"]), "--redact"))
    out = work / "exports"
    args = ("--catalog", catalogue, "approve", image, "--channel", "instagram", "--out", str(out))
    exported = Path(ok(run(work, *args)).strip())
    assert exported.parent == out.resolve() and exported.suffix == ".jpg"
    meta = json.loads(
        subprocess.run(["exiftool", "-j", "-G1", "-a", str(exported)], capture_output=True, text=True, check=True).stdout
    )[0]
    assert meta["XMP-plus:ModelReleaseID"] in (release, [release])  # written by pyexiv2's libexiv2
    assert meta["XMP-consentdesk:ApprovalID"] in exported.name
    assert not [k for k in meta if "GPS" in k]
    assert ACCENTED not in json.dumps(meta, ensure_ascii=False)
    # approving again with nothing changed names the copy already made, and is not an error
    again = run(work, *args)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(exported)
    ok(run(work, "--catalog", catalogue, "audit", "verify"))


def test_clip_is_checked_blurred_and_exported(work: Path, catalogue: str):
    """PyAV's own FFmpeg from the bundle: decode, track, and encode a copy with every person blurred."""
    from tests.data.clip_builder import ClipSpec, write_clip

    folder = work / "clips"
    folder.mkdir()
    clip = folder / "reel.mp4"
    write_clip(clip, ClipSpec(seconds=3.0, audio=True, location="+51.5074-000.1278/"))
    checked = json.loads(ok(run(work, "analyse", str(clip), "--json")).splitlines()[0])
    assert checked["error"] is None and checked["faces"], checked
    assert all(f["first_s"] <= f["last_s"] for f in checked["faces"])

    ok(run(work, "--catalog", catalogue, "import", str(folder), "--json"))
    status = json.loads(ok(run(work, "--catalog", catalogue, "status", str(clip), "--json")))
    image = str(status["image"])
    for face in status["faces"]:
        ok(run(work, "--catalog", catalogue, "face", image, str(face["n"]), "--blur"))
    for finding in status["findings"]:
        if finding["severity"] != "low":
            ok(run(work, "--catalog", catalogue, "resolve", image, str(finding["n"]), "--redact"))
    out = work / "clip-exports"
    exported = Path(ok(run(work, "--catalog", catalogue, "approve", image, "--channel", "instagram", "--out", str(out))).strip())
    assert exported.suffix == ".mp4"
    import av

    with av.open(str(exported)) as container:
        assert container.streams.video and container.streams.audio  # the sound is kept
        assert sum(1 for _ in container.decode(video=0)) >= 60
    meta = json.loads(
        subprocess.run(["exiftool", "-j", "-G1", "-a", str(exported)], capture_output=True, text=True, check=True).stdout
    )[0]
    assert meta["XMP-consentdesk:ApprovalID"] in exported.name
    assert not [k for k in meta if "GPS" in k]


def test_window_shown_offscreen(work: Path, catalogue: str):
    shown = run(
        work, "--catalog", catalogue, timeout=120, QT_QPA_PLATFORM="offscreen", CONSENTDESK_QUIT_AFTER_MS="300"
    )
    assert ok(shown).strip().endswith("ConsentDesk window shown")
    assert "Could not" not in shown.stderr, shown.stderr


@pytest.fixture
def x_display() -> Iterator[str]:
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed")
    display = next(n for n in range(120, 300) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            assert time.monotonic() < deadline, "Xvfb did not start"
            time.sleep(0.05)
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(10)


def test_window_shown_on_a_real_x_display(work: Path, catalogue: str, x_display: str):
    """The xcb platform is what users run; OpenCV's Qt 5 plugin paths must not reach it (see qt_env)."""
    shown = run(
        work,
        "--catalog",
        catalogue,
        timeout=120,
        DISPLAY=x_display,
        QT_QPA_PLATFORM="xcb",
        CONSENTDESK_QUIT_AFTER_MS="300",
    )
    assert ok(shown).strip().endswith("ConsentDesk window shown")
    assert "Could not" not in shown.stderr, shown.stderr


@pytest.fixture(scope="module")
def server() -> Iterator[pg_server.PgServer]:
    try:
        started = pg_server.start_server()
    except pg_server.ServerUnavailable as exc:
        pytest.fail(f"the team register check needs a PostgreSQL server and none started: {exc}")
    try:
        yield started
    finally:
        started.stop()


def test_team_register_on_postgresql(work: Path, server: pg_server.PgServer):
    database = server.new_database("bundle")
    admin = server.url(database)
    ok(run(work, "team", "init", admin))
    password = "a long enough password 1"
    ok(run(work, "--catalog", admin, "team", "add-user", "ann.smith", "--role", "photographer", "--password-stdin", stdin=password + "\n"))
    ann = server.url(database, user="ann.smith", password=password)
    release = ok(run(work, "--catalog", ann, "consent", "add", "--json", str(release_json(work, ACCENTED)))).strip()
    listed = json.loads(ok(run(work, "--catalog", ann, "consent", "list", "--json")))
    assert [r["id"] for r in listed] == [release]
    log = [json.loads(line) for line in ok(run(work, "--catalog", admin, "audit", "log", "--json")).splitlines()]
    assert any(e["actor"] == "ann.smith" and release in json.dumps(e) for e in log), log


def test_support_log_is_written_without_personal_data(work: Path, accented_release: str):
    log = (work / "data" / "logs" / "consentdesk.log").read_text(encoding="utf-8")
    assert "consent add: exit 0 after" in log and "analyse: exit 0 after" in log
    assert ACCENTED not in log and "Oyku" not in log and "Hughes" not in log
    # the photo check above ran on the bundled models (int8 faces, folded text models, the device
    # detector), not a fallback
    assert "int8 face model missing" not in log
    assert "folded text model" not in log and "device model missing" not in log
