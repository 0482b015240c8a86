"""The real models on real and generated images: faces, findings, recall, offline, worker safety."""

from __future__ import annotations

import pickle
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from skimage import data
from tests.data.builders import build_test_set, evaluate

from consentdesk.core.values import FindingKind
from consentdesk.core.vision.analyse import ANALYSER_VERSION, Analyser, AnalyserConfig, analyse_path
from consentdesk.core.vision.codes import read_codes
from consentdesk.core.vision.faces import FaceDetector

#: Big enough to cover every scene type four times (40 % clean photos), small enough for CI.
TEST_SET_SIZE = 20


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


@pytest.fixture(scope="module")
def generated(tmp_path_factory, analyser: Analyser):
    out = tmp_path_factory.mktemp("vision_set")
    truths = build_test_set(out, TEST_SET_SIZE)
    results = {t.file: analyser.analyse_path(out / t.file).to_json() for t in truths}
    return out, truths, results


def test_face_on_a_portrait_is_found_once():
    faces = FaceDetector().detect(data.astronaut())
    assert len(faces) == 1
    (face,) = faces
    assert 150 < face.box.x + face.box.w / 2 < 300 and 60 < face.box.y + face.box.h / 2 < 180
    assert face.score > 0.8


@pytest.mark.parametrize("name", ["coffee", "brick", "grass", "rocket"])
def test_no_faces_in_photos_without_people(name: str):
    img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    assert FaceDetector().detect(np.ascontiguousarray(img[:, :, :3])) == []


def test_small_blurred_background_face_in_12mp_photo_mapped_to_original_pixels(
    tmp_path: Path, analyser: Analyser
):
    scene = Image.fromarray(data.coffee()).resize((4000, 3000))
    head = Image.fromarray(data.astronaut()).crop((120, 10, 330, 250))
    k = 70 / 88  # face about 70 px wide in the 4000 px photo
    head = head.resize((int(head.width * k), int(head.height * k))).filter(ImageFilter.GaussianBlur(1.5))
    scene.paste(head, (3000, 600))
    path = tmp_path / "group.jpg"
    scene.save(path, quality=90)
    result = analyser.analyse_path(path)
    assert result.error is None and (result.width, result.height) == (4000, 3000)
    expected_cx, expected_cy = 3000 + (62 + 44) * k, 600 + (48 + 60) * k
    assert any(
        abs(f.box.x + f.box.w / 2 - expected_cx) < 30 and abs(f.box.y + f.box.h / 2 - expected_cy) < 40
        for f in result.faces
    ), result.faces


def test_analyse_array_boxes_are_in_array_pixels(analyser: Analyser):
    big = np.asarray(Image.fromarray(data.astronaut()).resize((3000, 3000)))
    result = analyser.analyse_array(big)
    assert (result.width, result.height) == (3000, 3000)
    assert any(f.box.w > 400 for f in result.faces)  # ~88 px face in the 512 px original, x5.9


def test_codes_are_read(tmp_path: Path):
    import qrcode
    import zxingcpp

    canvas = Image.new("RGB", (1400, 600), "white")
    canvas.paste(qrcode.make("consent 42").get_image().convert("RGB").resize((300, 300)), (50, 50))
    bars = np.asarray(
        zxingcpp.create_barcode("=G123426123456", zxingcpp.BarcodeFormat.Code128).to_image(scale=4)
    )
    canvas.paste(Image.fromarray(bars).convert("RGB").resize((bars.shape[1], 150)), (450, 100))
    codes = {c.text: c for c in read_codes(np.asarray(canvas))}
    assert codes["consent 42"].is_matrix
    assert not codes["=G123426123456"].is_matrix
    x, y, w, h = codes["consent 42"].bbox()
    assert 40 < x < 120 and 40 < y < 120 and 200 < w < 320


def test_bad_file_gives_error_not_exception(tmp_path: Path, analyser: Analyser):
    path = tmp_path / "bad.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really")
    result = analyser.analyse_path(path)
    assert result.error and result.faces == () and result.analyser_version == ANALYSER_VERSION


def test_an_import_worker_gets_the_files_facts_from_the_checks_own_read(tmp_path: Path, analyser: Analyser):
    """check_path gives the facts `read_info` would (size upright, hash, format) beside the same analysis
    as analyse_path, and no facts for a file that cannot be read."""
    from consentdesk.core.media import imaging

    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: upright it is taller than wide
    Image.fromarray(data.astronaut()[:, :400]).save(path, exif=exif)
    info, result = analyser.check_path(path)
    assert info == imaging.read_info(path) and (info.width, info.height) == (512, 400)
    assert result.faces == analyser.analyse_path(path).faces and result.error is None
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    info, result = analyser.check_path(bad)
    assert info is None and result.error


def test_analysis_is_picklable_and_timed(tmp_path: Path):
    path = tmp_path / "a.jpg"
    Image.fromarray(data.astronaut()).save(path)
    result = analyse_path(path)  # the module-level, worker-friendly entry point
    assert set(result.timings) >= {"decode", "faces", "text", "codes", "regions", "total"}
    clone = pickle.loads(pickle.dumps(result))
    assert clone == result and clone.to_json()["faces"][0]["box"] == result.to_json()["faces"][0]["box"]


def test_no_network_during_analysis(tmp_path: Path, monkeypatch):
    """Loading every model and analysing a labelled photo must never open a connection."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during analysis")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    scene = Image.fromarray(data.astronaut()).resize((1600, 1600))
    from PIL import ImageDraw

    ImageDraw.Draw(scene).rectangle([900, 1200, 1550, 1550], fill="white")
    ImageDraw.Draw(scene).text((930, 1230), "NHS No: 943 476 5919", fill="black", font_size=40)
    path = tmp_path / "offline.jpg"
    scene.save(path)
    result = Analyser().analyse_path(path)  # fresh instance: model loading happens under the patch too
    assert result.error is None
    assert any(f.kind == FindingKind.NHS_NUMBER for f in result.findings)
    assert len(result.faces) >= 1
    assert attempts == []


def test_recall_and_false_positives_on_generated_set(generated):
    _, truths, results = generated
    score = evaluate(truths, results)
    assert score["items_total"] >= 40 and score["faces_total"] >= 40
    assert score["item_recall"] >= 0.95, score["missed"]
    assert score["face_recall"] >= 0.95
    assert score["false_personal_per_clean"] <= 0.1
    assert score["extra_faces_per_image"] <= 0.2


def test_invalid_nhs_numbers_on_clean_signs_not_flagged(generated):
    _, truths, results = generated
    for t in truths:
        if t.clean:
            assert not [f for f in results[t.file]["findings"] if f["kind"] == "nhs_number"], t.file


def test_thorough_mode_finds_smaller_background_faces():
    """40 px faces in a 4000 px photo: below the fast mode's floor, found by the thorough mode."""
    import random

    from tests.data.builders import _hit, _paste_face

    scene = Image.fromarray(data.coffee()).resize((4000, 3000)).filter(ImageFilter.GaussianBlur(2))
    rng = random.Random(40)
    truth = [_paste_face(scene, rng, 200 + i * 900, 400 + (i % 2) * 1200, 40, 1.2) for i in range(4)]
    faces = Analyser(AnalyserConfig.thorough()).analyse_array(np.asarray(scene)).faces
    assert sum(any(_hit(g, f.box.as_list(), 0.3) for f in faces) for g in truth) >= 3
