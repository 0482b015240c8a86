"""A SAR bundle holds everything about one person and nothing about the other person in the same photo."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face, write_group_photo

from consentdesk.core.protection.sar import OTHER_PERSON, build_sar_bundle
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Box


def _std(pixels: np.ndarray, box: list[int]) -> float:
    x, y, w, h = box
    return float(pixels[y : y + h, x : x + w].astype(float).std())


def test_sar_bundle_contains_only_the_requesting_person(tmp_path: Path):
    photo, faces = write_group_photo(tmp_path / "photos")
    big = sorted(faces, key=lambda b: -b[2])[:2]
    mine, theirs = big
    small = [f for f in faces if f not in big]
    label = [1200, 1000, 300, 120]
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        me = add_person(cat, "Zofia Requester", email="zofia@example.org")
        other = add_person(cat, "Quentin Bystander", email="quentin@example.org")
        image = add_photo(cat, photo, faces, findings=[label])
        decide_face(cat, image, mine, "linked", me.id)
        decide_face(cat, image, theirs, "linked", other.id)
        decide_face(cat, image, small[0], "not_a_person")
        approve(cat, image, "AP-9", ["instagram"], "/exports/group-approved.jpg", [me.id, other.id])
        contents = build_sar_bundle(cat, me.id, tmp_path / "bundle.zip")

    assert [i.bundle_name for i in contents.images] == [f"photos/photo-{image}.jpg"]
    out = tmp_path / "unzipped"
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        names = zf.namelist()
        zf.extractall(out)
    assert f"consent/{me.id}.json" in names and f"consent/{me.id}-release-form.pdf" in names
    assert "summary.pdf" in names and "audit.json" in names and f"consent/{me.id}-signature.png" in names
    record = json.loads((out / f"consent/{me.id}.json").read_text(encoding="utf-8"))
    assert record["answers"]["full_name"] == "Zofia Requester"
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert any(e["subject"] == me.id and e["action"] == "consent.signed" for e in audit)
    assert any(e["action"] == "image.approved" and OTHER_PERSON in e["details"]["consents"] for e in audit)

    # nothing about the other person anywhere: raw bytes of every file, and the text of every PDF
    needles = ["Quentin", "Bystander", "quentin@example.org", other.id]
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, (needle, path)
            assert needle.encode("utf-16-le") not in data, (needle, path)
        if path.suffix == ".pdf":
            text = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert not any(n in text for n in needles), path
    summary = subprocess.run(
        ["pdftotext", str(out / "summary.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Zofia Requester" in summary and "instagram" in summary

    # the other faces are pixelated, mine is intact, the finding is filled
    original = np.asarray(Image.open(photo).convert("RGB"))
    bundled = np.asarray(
        Image.open(io.BytesIO((out / f"photos/photo-{image}.jpg").read_bytes())).convert("RGB")
    )
    assert _std(bundled, mine) > 0.8 * _std(original, mine)
    x, y, w, h = label
    assert bundled[y + 10 : y + h - 10, x + 10 : x + w - 10].std() < 3
    from consentdesk.core.vision.faces import FaceDetector

    detector = FaceDetector()
    before = [f.box for f in detector.detect(original)]
    after = [f.box for f in detector.detect(bundled)]
    assert any(b.iou(Box.from_list(theirs)) > 0.3 for b in before)  # sanity: the detector sees them
    assert not any(b.iou(Box.from_list(theirs)) > 0.3 for b in after)
    assert any(b.iou(Box.from_list(mine)) > 0.3 for b in after)
    # mosaic: few distinct colours left in the other person's face
    tx, ty, tw, th = theirs
    patch = bundled[ty + 5 : ty + th - 5, tx + 5 : tx + tw - 5]
    blocks = np.abs(np.diff(patch.astype(int), axis=1)).mean()
    assert blocks < 0.5 * np.abs(np.diff(original[ty : ty + th, tx : tx + tw].astype(int), axis=1)).mean()
    for face in small:  # unresolved and not-a-person faces are pixelated too
        sx, sy, sw, sh = face
        assert (
            np.abs(
                bundled[sy : sy + sh, sx : sx + sw].astype(int) - original[sy : sy + sh, sx : sx + sw]
            ).mean()
            > 1
        )
