"""The form definition drives validation: these tests use the real forms/model_release_v1.toml."""

from __future__ import annotations

import io
import struct
import unicodedata
import zlib
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from consentdesk import paths
from consentdesk.core.forms import (
    FormDefinitionError,
    Submission,
    load_form,
    parse_definition,
    validate,
)

TODAY = date(2026, 11, 25)
PNG = (paths.forms_dir() / "examples" / "signature-adult.png").read_bytes()


@pytest.fixture(scope="module")
def form():
    return load_form("model_release")


def adult_answers(**overrides):
    answers = {
        "full_name": "Ana Pérez",
        "role": "donor",
        "date_of_birth": "1990-01-31",
        "uses": ["social_media"],
        "channels": ["instagram"],
        "duration": "2y",
        "location": "Bristol Donor Centre",
        "session_date": "2026-11-25",
        "photographer": "Sam",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def errors_by_field(form, answers, files=None):
    _, errors = validate(form, Submission(answers, files if files is not None else {"signature": PNG}), TODAY)
    return {e.field: e.message for e in errors}


def test_definition_lists_every_section_and_required_field(form):
    assert form.key == "model_release@v1"
    assert [s.id for s in form.sections] == ["person", "guardian", "permission", "shoot", "signing"]
    required = {f.id for f in form.fields if f.required}
    assert {"full_name", "role", "uses", "channels", "duration", "signature"} <= required
    assert "NHS Blood and Transplant" in form.consent_wording
    assert form.channel("instagram").use == "social_media"


def test_valid_adult_passes_and_is_normalised(form):
    answers, errors = validate(
        form, Submission(adult_answers(full_name="  Ana\x07 Pérez "), {"signature": PNG}), TODAY
    )
    assert errors == []
    assert answers["full_name"] == "Ana Pérez"


def test_missing_required_fields_are_all_named(form):
    errors = errors_by_field(form, adult_answers(full_name=None, location=None), files={})
    assert errors["full_name"] == "is required"
    assert errors["location"] == "is required"
    assert errors["signature"] == "is required"


def test_unknown_field_and_bad_values_are_refused(form):
    errors = errors_by_field(
        form,
        adult_answers(
            favourite_colour="blue", date_of_birth="31/01/1990", role="astronaut", email="not-an-email"
        ),
    )
    assert "favourite_colour" in errors
    assert "YYYY-MM-DD" in errors["date_of_birth"]
    assert "astronaut" in errors["role"]
    assert "email" in errors


def test_dob_or_age_band_is_needed(form):
    errors = errors_by_field(form, adult_answers(date_of_birth=None))
    assert "date_of_birth" in errors and "age band" in errors["date_of_birth"]
    assert errors_by_field(form, adult_answers(date_of_birth=None, age_band="26_40")) == {}


@pytest.mark.parametrize(
    "overrides",
    [{"date_of_birth": "2010-06-01"}, {"date_of_birth": None, "age_band": "under_18"}],
    ids=["dob", "age-band"],
)
def test_minor_needs_guardian_and_guardian_signature(form, overrides):
    errors = errors_by_field(form, adult_answers(**overrides))
    assert set(errors) == {"guardian_name", "guardian_relationship", "guardian_signature"}
    ok = errors_by_field(
        form,
        adult_answers(**overrides, guardian_name="Jo", guardian_relationship="Father"),
        files={"signature": PNG, "guardian_signature": PNG},
    )
    assert ok == {}


def test_eighteenth_birthday_is_adult(form):
    assert not form.is_minor({"date_of_birth": "2008-11-25"}, TODAY)
    assert form.is_minor({"date_of_birth": "2008-11-26"}, TODAY)


def test_channel_needs_its_use(form):
    errors = errors_by_field(form, adult_answers(uses=["website"], channels=["instagram", "website"]))
    assert "Instagram" in errors["channels"]


def test_signature_must_be_small_png(form):
    huge = PNG + b"\0" * 10_000_000
    assert "too large" in errors_by_field(form, adult_answers(), files={"signature": huge})["signature"]
    assert "PNG" in errors_by_field(form, adult_answers(), files={"signature": b"GIF89a..."})["signature"]


def test_overlong_text_is_refused(form):
    assert "too long" in errors_by_field(form, adult_answers(full_name="x" * 500))["full_name"]


def test_broken_definition_is_reported(tmp_path: Path):
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "x"\nversion = 1\n', encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="broken.toml"):
        parse_definition(bad)


def test_new_version_does_not_replace_old(tmp_path: Path):
    source = (paths.forms_dir() / "model_release_v1.toml").read_text(encoding="utf-8")
    (tmp_path / "v1.toml").write_text(source, encoding="utf-8")
    v2 = source.replace("version = 1", "version = 2").replace(
        "I agree that", "I, the undersigned, agree that"
    )
    (tmp_path / "v2.toml").write_text(v2, encoding="utf-8")
    assert load_form("model_release", folder=tmp_path).version == 2
    old = load_form("model_release", 1, folder=tmp_path)
    assert old.consent_wording.startswith("I agree that")


def _png(width: int, height: int, body: bytes | None = None) -> bytes:
    """A 1-bit PNG declaring width x height; `body` replaces the compressed rows (to make it lie)."""
    if body is None:
        row = b"\x00" + b"\x00" * ((width + 7) // 8)
        comp = zlib.compressobj(9)
        body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        (
            "PNG header then garbage",
            lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            "not a readable PNG",
        ),
        ("126-byte PNG claiming 8000x8000", lambda: _png(8000, 8000, zlib.compress(b"\0" * 60)), "8000×8000"),
        ("20000x20000 image", lambda: _png(20_000, 20_000), "too large in pixels"),
        ("fully transparent", lambda: _encoded(Image.new("RGBA", (600, 200), (0, 0, 0, 0))), "blank"),
        ("white on white", lambda: _encoded(Image.new("RGB", (600, 200), "white")), "blank"),
        ("truncated", lambda: PNG[: len(PNG) // 2], "damaged PNG"),
        ("a JPEG", lambda: _encoded(Image.new("RGB", (600, 200), "black"), "JPEG"), "not a readable PNG"),
    ],
)
def test_signature_is_decoded_and_checked_before_saving(form, name, make, words):
    data = make()
    assert len(data) < 1_000_000  # every one of them passed the old byte-size check
    errors = errors_by_field(form, adult_answers(), files={"signature": data})
    assert words in errors["signature"], name


def test_a_real_signature_and_a_real_photo_pass(form):
    photo = _encoded(Image.new("RGB", (640, 480), (120, 90, 60)), "JPEG")
    errors = errors_by_field(form, adult_answers(), files={"signature": PNG, "reference_photo": photo})
    assert errors == {}


def test_reference_photo_is_decoded(form):
    broken = b"\xff\xd8\xff\xe0" + b"\x13" * 500
    errors = errors_by_field(form, adult_answers(), files={"signature": PNG, "reference_photo": broken})
    assert "JPEG or PNG" in errors["reference_photo"]


def test_names_are_one_line_and_cannot_be_shown_reversed(form):
    answers, errors = validate(
        form,
        Submission(
            adult_answers(
                full_name="Ana\r\nPérez\u202e zepéP",
                location="Bristol\u2066 Donor\u2069 Centre\n",
                notes="line one\r\nline two\u202e",
            ),
            {"signature": PNG},
        ),
        TODAY,
    )
    assert errors == []
    assert answers["full_name"] == "Ana Pérez zepéP"
    assert answers["location"] == "Bristol Donor Centre"
    assert answers["notes"] == "line one\nline two"  # a multi-line field keeps its lines, not the override
    arabic = "\u0644\u064a\u0644\u0649\u200f (RTL)"  # a right-to-left mark is kept: it cannot reverse text
    answers, _ = validate(form, Submission(adult_answers(full_name=arabic), {"signature": PNG}), TODAY)
    assert answers["full_name"] == arabic


def test_letters_keep_their_accents_but_not_a_tower_of_marks(form):
    """Real names keep every mark they need (Vietnamese stacks two on a letter, Devanagari a few); "Zalgo"
    text with dozens of marks on each letter, which spills over the rows above and below in every list, is
    cut to four per letter."""
    real = ["Nguyễn Thị Ánh", "Oleksandr Kovalenko", "क्षितिज", "Zoë Ærø", "Saoirse Ní Bhriain"]
    for name in real:
        decomposed = unicodedata.normalize("NFD", name)
        answers, _ = validate(
            form, Submission(adult_answers(full_name=decomposed), {"signature": PNG}), TODAY
        )
        assert answers["full_name"] == decomposed
    zalgo = "Z" + "\u0301\u0300\u0302\u0303\u0304\u0306\u0307\u0308" * 4 + "oe"
    answers, _ = validate(form, Submission(adult_answers(full_name=zalgo), {"signature": PNG}), TODAY)
    assert answers["full_name"] == "Z\u0301\u0300\u0302\u0303oe"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("date_of_birth", "1800-01-01", "before 1906"),
        ("session_date", "2099-11-25", "more than a year from today"),
        ("session_date", "1800-05-05", "before 1906"),
    ],
)
def test_dates_far_from_the_signing_day_are_refused(form, field, value, words):
    assert words in errors_by_field(form, adult_answers(**{field: value}))[field]


def test_dates_near_the_signing_day_are_accepted(form):
    errors = errors_by_field(form, adult_answers(date_of_birth="1910-06-01", session_date="2027-06-01"))
    assert "date_of_birth" not in errors and "session_date" not in errors
