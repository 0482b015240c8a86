"""Each recogniser on real OCR output: text rendered into a real photograph, read by the real OCR model.

The strings the recognisers see here are what RapidOCR actually returns (merged tokens, look-alike
characters and all), not strings typed into the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from consentdesk.core.values import FindingKind as K
from consentdesk.core.vision.analyse import Analyser
from consentdesk.core.vision.pii import PERSONAL_KINDS, find_pii
from consentdesk.core.vision.text import TextReader

FONTS = "/usr/share/fonts/truetype/dejavu/"


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader(det_side=960)


def render(
    lines: list[str], font: str = "DejaVuSans.ttf", size: int = 46, bg=(250, 250, 246), fg=(20, 20, 20)
):
    """The lines on a card pasted into a real photo (scikit-image's coffee), as a 1600 px RGB array."""
    scene = Image.fromarray(data.coffee()).resize((1600, 1200))
    f = ImageFont.truetype(FONTS + font, size)
    width = max(ImageDraw.Draw(scene).textbbox((0, 0), t, font=f)[2] for t in lines) + 2 * size
    card = Image.new("RGB", (width, int(len(lines) * size * 1.6) + 2 * size), bg)
    draw = ImageDraw.Draw(card)
    for i, text in enumerate(lines):
        draw.text((size, size + int(i * size * 1.6)), text, font=f, fill=fg)
    scene.paste(card.rotate(2, expand=True, fillcolor=(90, 60, 40)), (100, 120))
    return np.asarray(scene)


def read_kinds(reader: TextReader, lines: list[str], **kw) -> tuple[dict[K, list[str]], list[str]]:
    read = [ln.text for ln in reader.read(render(lines, **kw)) if ln.score >= 0.6]
    out: dict[K, list[str]] = {}
    for m in find_pii(read):
        out.setdefault(m.kind, []).append(m.text)
    return out, read


def test_nhs_number_glued_to_its_label(reader):
    found, read = read_kinds(reader, ["NHS9434765919", "Ref: NHS No.943 476 5919"])
    assert found.get(K.NHS_NUMBER) == ["943 476 5919"], read


def test_appointment_list_names_without_labels(reader):
    lines = [
        "Appointments",
        "09:30  Aisha Khan",
        "10:00Peter Jones",
        "10:30  Zainab Okafor",
        "11:00  Grace Evans",
    ]
    found, read = read_kinds(reader, lines, font="DejaVuSansCondensed.ttf")
    assert sorted(found.get(K.PERSON_NAME, [])) == [
        "Aisha Khan",
        "Grace Evans",
        "Peter Jones",
        "Zainab Okafor",
    ], read


def test_name_badge_and_letter(reader):
    found, read = read_kinds(reader, ["Priya Patel", "Volunteer"], font="DejaVuSans-Bold.ttf", size=60)
    assert found.get(K.PERSON_NAME) == ["Priya Patel"], read
    found, read = read_kinds(
        reader, ["Mrs Siobhan Murphy", "14 Church Road", "LS1 4AP", "Dear Siobhan,"], font="DejaVuSerif.ttf"
    )
    assert found.get(K.PERSON_NAME) == ["Siobhan Murphy"], read
    assert found.get(K.POSTCODE) == ["LS1 4AP"] and found.get(K.ADDRESS), read


@pytest.mark.parametrize(
    ("plate", "expected", "colour"),
    [
        ("BH16 0OS", "BH16 OOS", (250, 210, 20)),
        ("AB-123-CD", "AB-123-CD", (245, 245, 245)),
        ("7ABC123", "7ABC123", (245, 245, 245)),
    ],
)
def test_vehicle_plates(reader, plate, expected, colour):
    found, read = read_kinds(reader, [plate], font="DejaVuSansCondensed-Bold.ttf", size=70, bg=colour)
    assert found.get(K.VEHICLE_PLATE) == [expected], read


def test_donation_number_date_and_phone(reader):
    found, read = read_kinds(
        reader, ["G1234 26 123456", "DOB: 12/03/1961", "Tel: 07911 123456"], font="DejaVuSansMono.ttf"
    )
    assert found.get(K.DONATION_NUMBER) == ["G1234 26 123456"], read
    assert found.get(K.DATE_OF_BIRTH) == ["12/03/1961"], read
    assert K.PHONE in found, read


@pytest.mark.parametrize(
    "lines",
    [
        ["NHS Blood and Transplant", "Give blood", "Donor Centre"],
        ["Costa Coffee", "Open 7am - 7pm"],
        ["Manchester Piccadilly", "Platform 3"],
        ["Kings Cross St Pancras", "Way out"],
        [
            "Tesco Express",
            "12 High Street",
            "LS1 4AP",
            "Tel 0113 496 0000",
            "VAT No 123 4567 89",
            "TOTAL £12.50",
        ],
        ["Oxfam Books", "Marks & Spencer"],
    ],
)
def test_harmless_text_read_from_photos_is_not_personal(reader, lines):
    found, read = read_kinds(reader, lines)
    assert len(read) >= len(lines) - 1  # it was read ...
    assert not set(found) & PERSONAL_KINDS, (found, read)  # ... and is not personal data


def test_analyser_keeps_kind_box_and_masked_value_only():
    rgb = render(["NHS No: 943 476 5919", "Aisha Khan"], size=52)
    findings = Analyser().analyse_array(rgb).findings
    by_kind = {f.kind: f for f in findings}
    assert by_kind[K.NHS_NUMBER].text == "94• ••• ••19"
    assert by_kind[K.PERSON_NAME].text == "A•••• K•••"
    assert 80 < by_kind[K.NHS_NUMBER].box.x < 300 and 100 < by_kind[K.NHS_NUMBER].box.y < 300
    assert all(f.text == "" for f in findings if f.kind is K.TEXT)


def test_small_plate_found_by_its_colour_and_shape():
    """A yellow plate about 1/25 of a 4000 px photo wide: too small for text detection on its own."""
    scene = Image.fromarray(data.chelsea()).resize((4000, 3000))
    plate = Image.new("RGB", (170, 40), (250, 210, 20))
    ImageDraw.Draw(plate).text(
        (8, 3),
        "KX21 BNU",
        font=ImageFont.truetype(FONTS + "DejaVuSansCondensed-Bold.ttf", 30),
        fill=(10, 10, 10),
    )
    body = Image.new("RGB", (420, 200), (60, 70, 90))
    body.paste(plate, (125, 120))
    scene.paste(body, (2900, 2500))
    findings = Analyser().analyse_array(np.asarray(scene)).findings
    plates = [f for f in findings if f.kind is K.VEHICLE_PLATE]
    assert len(plates) == 1 and plates[0].text == "K••• ••U"
    assert abs(plates[0].box.x - 3025) < 40 and abs(plates[0].box.y - 2620) < 30


def test_title_page_names_after_titles_birth_date_student_number_and_street(reader):
    """A German thesis title page: names after "Herrn" and mid-line after "bei Prof. Dr.", "geb." before the
    birth date, a labelled student number, a street written name-then-number and the town under it."""
    lines = [
        "eingereichte Masterarbeit von",
        "Herrn Lukas Brandner",
        "geb. 14.07.1991",
        "Matrikelnummer 31558207",
        "wohnhaft in",
        "Lindenstraße 42",
        "10115 Berlin",
        "bei Prof. Dr. Helga Winterstein",
    ]
    found, read = read_kinds(reader, lines, font="DejaVuSerif.ttf")
    assert sorted(found.get(K.PERSON_NAME, [])) == ["Helga Winterstein", "Lukas Brandner"], read
    assert found.get(K.DATE_OF_BIRTH) == ["14.07.1991"], read
    assert len(found.get(K.ADDRESS, [])) == 2 and found.get(K.TEXT), (found, read)  # street, postcode and town


def test_english_title_inside_a_line(reader):
    found, read = read_kinds(reader, ["Please ask for Mrs Eleanor Whitfield", "Signed by Tomasz Nowicki"])
    assert sorted(found.get(K.PERSON_NAME, [])) == ["Eleanor Whitfield", "Tomasz Nowicki"], read
