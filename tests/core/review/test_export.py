"""The approved copy: upright, redacted, stripped of every metadata but ICC, with PLUS/XMP read back by exiftool."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from consentdesk.core.forms import load_form
from consentdesk.core.review import export
from consentdesk.core.review.redaction import FILL
from consentdesk.core.values import (
    Box,
    Consent,
    FaceReview,
    FaceState,
    FindingKind,
    FindingReview,
    FindingState,
    ImageState,
    Severity,
)

FORM = load_form("model_release", 1)
FORMS = {(FORM.name, FORM.version): FORM}


def exiftool(path: Path) -> dict:
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def camera_jpeg(tmp_path: Path) -> Path:
    """A 'camera' JPEG stored 300x200 with Orientation 6, GPS, serial, owner, thumbnail, XMP and an ICC profile."""
    rng = np.random.default_rng(1)
    arr = rng.integers(60, 200, size=(200, 300, 3), dtype=np.uint8)
    arr[0:40, 0:60] = (255, 0, 0)  # a red block at the stored top-left corner
    im = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "TestMake"
    exif[0x0110] = "TestCam 1"
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0xA431] = "SN-0042-XYZ"  # BodySerialNumber
    exif_ifd[0xA430] = "Jane Owner"  # CameraOwnerName
    exif_ifd[0x9003] = "2026:11:20 10:30:00"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (53.0, 28.0, 0.0)
    gps[3] = "W"
    gps[4] = (2.0, 14.0, 0.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "camera.jpg"
    im.save(path, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=icc)
    thumb = tmp_path / "thumb.jpg"
    im.resize((60, 40)).save(thumb, "JPEG")
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-overwrite_original",
            f"-ThumbnailImage<={thumb}",
            "-XMP-dc:Creator=Jane Owner",
            "-Comment=shot at home",
            str(path),
        ],
        check=True,
    )
    before = exiftool(path)
    assert before.get("IFD1:ThumbnailImage") and before.get(
        "GPS:GPSLatitude"
    )  # the fixture has what we strip
    assert before.get("ExifIFD:SerialNumber") and before.get("ExifIFD:OwnerName")
    return path


def state(faces=(), findings=()) -> ImageState:
    return ImageState(
        image_id=1, analysis_id=1, analysis_error=None, faces=tuple(faces), findings=tuple(findings)
    )


def consent(**changes) -> Consent:
    base = Consent(
        id="CD-AAAA-AAAA",
        form_name="model_release",
        form_version=1,
        answers={"uses": ["social_media"], "channels": ["instagram"]},
        signed_at=datetime(2026, 11, 20),
        expires_on=date(2028, 11, 20),
        created_by="t",
        has_signature=True,
    )
    return dataclasses.replace(base, **changes)


def test_export_is_upright_stripped_and_keeps_icc(camera_jpeg: Path, tmp_path: Path):
    original_hash = sha(camera_jpeg)
    image, icc = export.render_clean(camera_jpeg, state())
    assert icc is not None
    out = tmp_path / "out.jpg"
    xmp = export.xmp_fields(
        "AP-TEST-0001", export.MR_LIMITED, ["CD-AAAA-AAAA"], ["instagram"], date(2027, 1, 1)
    )
    digest = export.write_jpeg(image, icc, out, xmp)

    assert digest == sha(out)
    assert sha(camera_jpeg) == original_hash  # the original is never written to
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind
    meta = exiftool(out)
    keys = " ".join(meta)
    assert (meta["File:ImageWidth"], meta["File:ImageHeight"]) == (200, 300)  # upright: dims swapped
    assert meta.get("IFD0:Orientation") in (None, "Horizontal (normal)")
    groups = {k.split(":")[0] for k in meta}
    assert not groups & {"GPS", "IFD0", "IFD1", "ExifIFD", "MakerNotes", "IPTC", "Photoshop"}, groups
    for leaked in ("Serial", "Owner", "Thumbnail", "GPS"):
        assert leaked not in keys, [k for k in meta if leaked in k]
    assert "XMP-dc:Creator" not in meta and "File:Comment" not in meta
    assert "Jane" not in json.dumps(meta)
    assert any(k.startswith("ICC") for k in meta)  # the colour profile is kept
    assert meta["XMP-plus:ModelReleaseStatus"] == "Limited or Incomplete Model Releases"
    assert meta["XMP-plus:ModelReleaseID"] in ("CD-AAAA-AAAA", ["CD-AAAA-AAAA"])
    assert meta["XMP-iptcExt:PersonInImage"] in ("CD-AAAA-AAAA", ["CD-AAAA-AAAA"])
    assert meta["XMP-dc:Identifier"] == "AP-TEST-0001"
    assert meta["XMP-consentdesk:ApprovalID"] == "AP-TEST-0001"
    assert meta["XMP-xmp:CreatorTool"].startswith("ConsentDesk")

    # the pixels are the displayed (oriented) pixels: compare with Pillow's own transpose
    with Image.open(camera_jpeg) as src:
        expected = np.asarray(ImageOps.exif_transpose(src).convert("RGB"), dtype=np.int16)
    with Image.open(out) as got:
        assert np.abs(np.asarray(got, dtype=np.int16) - expected).mean() < 10  # JPEG noise only
        red = np.asarray(got)[0:60, 160:200].mean(axis=(0, 1))  # stored top-left -> displayed top-right
        assert red[0] > 200 and red[1] < 60


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (export.MR_UNLIMITED, "Unlimited Model Releases"),
        (export.MR_LIMITED, "Limited or Incomplete Model Releases"),
        (export.MR_NONE, "None"),
        (export.MR_NOT_APPLICABLE, "Not Applicable"),
    ],
)
def test_plus_status_reads_back_as_vocabulary(status: str, label: str, tmp_path: Path):
    out = tmp_path / "x.jpg"
    export.write_jpeg(
        Image.new("RGB", (32, 24), "grey"),
        None,
        out,
        export.xmp_fields("AP-X", status, [], ["x"], date.today()),
    )
    meta = exiftool(out)
    assert meta["XMP-plus:ModelReleaseStatus"] == label
    assert "XMP-iptcExt:PersonInImage" not in meta  # nobody released, nobody listed


def test_blurred_faces_and_redacted_findings_are_destroyed(camera_jpeg: Path, tmp_path: Path):
    face = FaceReview(1, 1, Box(20, 100, 80, 80), 0.9, FaceState.BLUR)
    kept = FaceReview(2, 2, Box(120, 20, 60, 60), 0.9, FaceState.LINKED, "CD-AAAA-AAAA")
    text = FindingReview(
        1, 1, FindingKind.NHS_NUMBER, Severity.HIGH, Box(30, 240, 120, 30), "x", FindingState.REDACT
    )
    dismissed = FindingReview(
        2, 2, FindingKind.TEXT, Severity.LOW, Box(0, 0, 10, 10), "y", FindingState.DISMISSED
    )
    image, _ = export.render_clean(camera_jpeg, state([face, kept], [text, dismissed]))
    plain, _ = export.render_clean(camera_jpeg, state())
    arr, ref = np.asarray(image, dtype=np.int16), np.asarray(plain, dtype=np.int16)
    redacted = arr[240:270, 30:150]
    assert np.abs(redacted - np.array(FILL)).max() == 0  # solid fill, exact before JPEG encoding
    blurred, original = arr[100:180, 20:100], ref[100:180, 20:100]
    assert len(np.unique(blurred.reshape(-1, 3), axis=0)) <= 8 * 8 + 8  # a coarse mosaic
    assert len(np.unique(original.reshape(-1, 3), axis=0)) > 1000
    assert np.array_equal(arr[20:80, 120:180], ref[20:80, 120:180])  # a linked face is untouched


def test_never_overwrites(tmp_path: Path):
    target = tmp_path / "taken.jpg"
    target.write_bytes(b"precious")
    with pytest.raises(export.ExportError, match="never overwrites"):
        export.write_jpeg(Image.new("RGB", (8, 8)), None, target, {})
    assert target.read_bytes() == b"precious"


def test_model_release_status_rule():
    linked = FaceReview(1, 1, Box(0, 0, 10, 10), 0.9, FaceState.LINKED, "CD-AAAA-AAAA")
    blurred = FaceReview(2, 2, Box(20, 0, 10, 10), 0.9, FaceState.BLUR)
    other = FaceReview(3, 3, Box(40, 0, 10, 10), 0.9, FaceState.NOT_A_PERSON)
    open_face = FaceReview(4, 4, Box(60, 0, 10, 10), 0.9)
    limited = {"CD-AAAA-AAAA": consent()}
    unlimited = {
        "CD-AAAA-AAAA": consent(
            expires_on=None,
            answers={"uses": [u.id for u in FORM.uses], "channels": [c.id for c in FORM.channels]},
        )
    }
    mrs = export.model_release_status
    assert mrs(state(), limited, FORMS) == export.MR_NOT_APPLICABLE
    assert mrs(state([blurred, other]), limited, FORMS) == export.MR_NOT_APPLICABLE
    assert mrs(state([open_face, blurred]), limited, FORMS) == export.MR_NONE
    assert mrs(state([linked, blurred]), limited, FORMS) == export.MR_LIMITED
    assert mrs(state([linked, open_face]), unlimited, FORMS) == export.MR_LIMITED  # incomplete
    assert mrs(state([linked, blurred, other]), unlimited, FORMS) == export.MR_UNLIMITED
    dated = {"CD-AAAA-AAAA": dataclasses.replace(unlimited["CD-AAAA-AAAA"], expires_on=date(2030, 1, 1))}
    assert mrs(state([linked]), dated, FORMS) == export.MR_LIMITED


def test_approval_ids_are_distinct_from_consent_ids():
    approval = export.new_approval_id()
    assert approval.startswith("AP-") and len(approval) == len("AP-XXXX-XXXX")
