"""The personal-data recognisers on plain text, including OCR-style errors and harmless signs."""

from __future__ import annotations

import random

import pytest

from consentdesk.core.values import FindingKind as K
from consentdesk.core.values import Severity
from consentdesk.core.vision.pii import PERSONAL_KINDS, digits_of, find_pii


def kinds(lines: list[str]) -> dict[K, list[str]]:
    out: dict[K, list[str]] = {}
    for m in find_pii(lines):
        out.setdefault(m.kind, []).append(m.text)
    return out


def _nhs(valid: bool, seed: int) -> str:
    """Generated independently of the recogniser: Modulus 11 computed here."""
    rng = random.Random(seed)
    while True:
        body = [rng.randint(0, 9) for _ in range(9)]
        check = (11 - sum(d * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11) % 11
        if check == 10:
            continue
        if not valid:
            check = (check + 1 + rng.randint(0, 8)) % 10
        s = "".join(map(str, body)) + str(check)
        return f"{s[:3]} {s[3:6]} {s[6:]}"


def test_patient_label():
    found = kinds(
        ["Name: John Smith", "DOB: 12/03/1961", "NHS No: 943 476 5919", "14 High Street", "London SW1A 1AA"]
    )
    assert found[K.NHS_NUMBER] == ["943 476 5919"]
    assert found[K.PERSON_NAME] == ["John Smith"]
    assert found[K.DATE_OF_BIRTH] == ["12/03/1961"]
    assert found[K.POSTCODE] == ["SW1A 1AA"]
    assert found[K.ADDRESS] == ["14 High Street"]


@pytest.mark.parametrize("seed", range(20))
def test_valid_nhs_numbers_flagged_invalid_ones_not(seed: int):
    assert K.NHS_NUMBER in kinds([f"NHS No: {_nhs(True, seed)}"])
    assert K.NHS_NUMBER not in kinds([f"NHS No: {_nhs(False, seed)}"])


@pytest.mark.parametrize(
    "lines",
    [
        ["NHS: 943 476 59I9"],
        ["NHS: 9434765919"],
        ["NHS: 943-476-5919"],
        ["NHS No: 943 476", "5919"],
        ["NHS 94347G 5919"],
    ],
)
def test_nhs_number_with_ocr_errors_and_line_breaks(lines: list[str]):
    assert kinds(lines)[K.NHS_NUMBER] == ["943 476 5919"]


def test_split_across_lines_reports_both_lines():
    (m,) = [m for m in find_pii(["NHS No: 943 476", "5919"]) if m.kind == K.NHS_NUMBER]
    assert m.lines == (0, 1)


def test_donation_numbers():
    found = kinds(["G1234 26 123456 A", "W0O12 25 I23456"])
    assert "G1234 26 123456 A" in found[K.DONATION_NUMBER]
    assert "W0012 25 123456" in found[K.DONATION_NUMBER]
    assert K.DATE_OF_BIRTH not in found and K.PHONE not in found


def test_phone_email_confidential():
    found = kinds(["Tel: 020 7946 0018", "email: jo.bloggs @nhs.net", "CONFIDENTIAL"])
    assert found[K.PHONE] == ["020 7946 0018"]
    assert found[K.EMAIL] == ["jo.bloggs@nhs.net"]
    assert found[K.TEXT] == ["CONFIDENTIAL"]
    conf = [m for m in find_pii(["CONFIDENTIAL"])]
    assert conf[0].severity is Severity.MEDIUM


def test_postcodes_with_ocr_errors():
    assert kinds(["SWIA IAA"])[K.POSTCODE] == ["SW1A 1AA"]
    assert kinds(["Leeds LS1 4AP"])[K.POSTCODE] == ["LS1 4AP"]
    assert K.POSTCODE not in kinds(["ABC 123"])


def test_dates_of_birth_need_a_label_or_a_form():
    assert kinds(["Born 3 March 1985"])[K.DATE_OF_BIRTH] == ["3 March 1985"]
    assert kinds(["D.O.B.", "01/02/1990"])[K.DATE_OF_BIRTH] == ["01/02/1990"]
    assert K.DATE_OF_BIRTH not in kinds(["Open day 12/05/2026", "Everyone welcome"])
    assert K.DATE_OF_BIRTH not in kinds(["DOB: 31/02/1990"])  # not a real date


def test_names_beside_labels_and_in_lists():
    assert kinds(["Patient:", "SMITH, John"])[K.PERSON_NAME] == ["SMITH John"]
    assert kinds(["Donor: Aisha Khan"])[K.PERSON_NAME] == ["Aisha Khan"]
    assert len(kinds(["Rota", "Alice Brown", "Peter Jones", "Sarah Khan"])[K.PERSON_NAME]) == 3
    assert kinds(["Alice Brown"])[K.PERSON_NAME] == ["Alice Brown"]  # a badge: known given name + surname
    assert K.PERSON_NAME not in kinds(["Costa Coffee"])  # a surname and a common word: a brand


@pytest.mark.parametrize(
    "lines",
    [
        ["Give blood today"],
        ["Give Blood Today", "Save Lives", "Thank You"],
        ["Donor centre", "Open Monday to Saturday"],
        ["Every donation counts"],
        ["Cafe", "Tea and biscuits", "Coffee 2.50"],
        ["Ref 943 476 5918"],
        ["Sale 20% off", "Opening 9.00-17.00"],
        ["Become a donor"],
    ],
)
def test_harmless_text_is_not_personal_data(lines: list[str]):
    assert not [m for m in find_pii(lines) if m.kind in PERSONAL_KINDS]


def test_digits_of_fixes_lookalikes():
    assert digits_of("9O4 I7l S") == "9041715"


@pytest.mark.parametrize(
    ("lines", "kind", "expected"),
    [
        (["NHS9434765919"], K.NHS_NUMBER, ["943 476 5919"]),  # label glued to the number
        (["NHSNo.943476S9I9"], K.NHS_NUMBER, ["943 476 5919"]),  # glued, with S/5 and I/1
        (["09:30Aisha Khan", "10:00 Peter Jones", "10:30 Zainab Okafor"], K.PERSON_NAME, None),
        (["0liver Jones"], K.PERSON_NAME, ["Oliver Jones"]),  # 0/O inside a name
        (["10:00Peter jones"], K.PERSON_NAME, ["Peter Jones"]),  # j/J read in the wrong case
        (["Mrs Siobhan Murphy"], K.PERSON_NAME, ["Siobhan Murphy"]),
        (["AishaKhan"], K.PERSON_NAME, ["Aisha Khan"]),  # the space between the words was lost
        (["09:00 SMITH, John", "09:30 KHAN, Aisha", "10:00 OKAFOR, Zainab"], K.PERSON_NAME, None),
        (["09:00 J. Smith", "09:30 A. Khan", "10:00 P. Jones"], K.PERSON_NAME, None),  # initials in a list
        (["Aisha Khan, Volunteer"], K.PERSON_NAME, ["Aisha Khan"]),
        (["BH16 0OS"], K.VEHICLE_PLATE, ["BH16 OOS"]),  # 0/O fixed by position
        (["GB KX21BNU"], K.VEHICLE_PLATE, ["KX21 BNU"]),
        (["AB-123-CD"], K.VEHICLE_PLATE, ["AB-123-CD"]),
        (["7ABC123"], K.VEHICLE_PLATE, ["7ABC123"]),
        (['5AU"5341'], K.VEHICLE_PLATE, ["5AU5341"]),  # a Czech plate, its blue band read as a quote
    ],
)
def test_glued_and_misread_values(lines, kind, expected):
    found = kinds(lines)
    assert kind in found, found
    if expected is None:
        assert len(found[kind]) == len(lines)
    else:
        assert found[kind] == expected


@pytest.mark.parametrize(
    "lines",
    [
        ["BOOTS"],  # not the postcode B0 0TS
        ["Costa Coffee"],
        ["Manchester Piccadilly", "Platform 3"],
        ["NHS Blood and Transplant"],
        ["Kings Cross St Pancras"],
        ["Costa coffee"],  # a lower-case word after a capitalised one is not made a surname ...
        ["Kings cross"],  # ... when it is an ordinary word
        ["Bay 123"],  # a sign, not a US plate (plates are upper case)
        ["AB12 CDE 45"],  # more than a plate on the line
        ["ZZ99 ABC"],  # not a real UK age identifier
        ["1ST 2024"],  # an ordinal and a year, not a Czech plate
        ["Tesco Express", "12 High Street", "LS1 4AP", "Tel 0113 496 0000", "TOTAL £12.50", "Card payment"],
    ],
)
def test_signs_brands_places_and_receipts_are_not_personal(lines):
    assert not [m for m in find_pii(lines) if m.kind in PERSONAL_KINDS], find_pii(lines)


def test_a_phone_number_does_not_hide_an_nhs_number():
    """0113 496 3211 holds the valid Modulus 11 run 113 496 3211, but not where its groups are."""
    found = kinds(["Tel 0113 496 3211", "VAT No 149 7587 70"])
    assert K.NHS_NUMBER not in found and found[K.PHONE] == ["0113 496 3211"]


def test_the_small_word_list_agrees_with_the_large_one_where_names_look():
    """names.zipf reads wordfreq's small list: every word common enough to matter has the same frequency
    there as in the large list, so no line scores differently (a new wordfreq must keep this)."""
    import math

    from wordfreq import get_frequency_dict

    from consentdesk.core.vision import names

    large = get_frequency_dict("en", "large")
    small = get_frequency_dict("en", names.WORDLIST)
    near = [w for w, f in large.items() if math.log10(f) + 9 >= names.COMMON_ZIPF - 0.05]
    assert near and not [w for w in near if small.get(w) != large[w]]


def test_a_plate_read_with_a_word_beside_it_is_a_plate_not_a_postcode():
    """"FOR" on a shopping bag over the plate "OZU 037" read as a pair: "F0R 0ZU" (a postcode's shape)."""
    assert [m.kind for m in find_pii(["FOR", "OZU@037"])] == [K.VEHICLE_PLATE]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Herrr Moritz Riegler", "Moritz Riegler"),  # OCR doubled the last letter of "Herrn"
        ("bei Prof Dr Alfred Nischwitz", "Alfred Nischwitz"),  # German "supervised by", dots dropped
        ("Frau Anna Schmidt geb. 1980", "Anna Schmidt"),  # words after the name
        ("Contact Dr Okafor Adeyemi today", "Okafor Adeyemi"),
    ],
)
def test_titles_before_names_anywhere_in_a_line(line, expected):
    assert [m.text for m in find_pii([line]) if m.kind is K.PERSON_NAME] == [expected]


@pytest.mark.parametrize(
    "line",
    ["Here Comes The Sun", "Fraud Squad", "12 Oak Dr", "Heron Way", "Herring Fillets"],
)
def test_words_near_a_title_are_not_titles(line):
    assert not [m for m in find_pii([line]) if m.kind is K.PERSON_NAME]


def test_a_continental_street_and_the_postcode_and_town_under_it_are_an_address():
    found = find_pii(["wohnhaft in", "AugustenstraBe 109", "20708 Minehen"])  # as OCR read them
    assert sorted(m.text for m in found if m.kind is K.ADDRESS) == ["20708 Minehen", "AugustenstraBe 109"]
    assert not find_pii(["Opening 2024", "10115 Visitors"])  # a number and a word alone are not an address


def test_warm_loads_what_the_first_text_would_in_a_fresh_process():
    """An import worker warms the text rules before its first photo (Analyser.load_models): after `warm`,
    the name lexicon, word frequencies and number checks are all loaded, so no photo pays for them."""
    import subprocess
    import sys

    code = (
        "import sys; from consentdesk.core.vision import pii, names; pii.warm(); "
        "print(all(m in sys.modules for m in ('wordfreq', 'faker', 'phonenumbers', 'stdnum')), "
        "names.lexicon.cache_info().currsize, names.zipf.cache_info().currsize > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.split() == ["True", "1", "True"]


def test_warm_changes_no_answer():
    lines = ["09:30 Amara Okafor", "Express Platform", "Tel 07700 900123", "Kings Cross"]
    before = find_pii(lines)
    from consentdesk.core.vision import pii

    pii.warm()
    assert find_pii(lines) == before
