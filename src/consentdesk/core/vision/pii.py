"""Recognise personal data in OCR text lines; pure text in, matches out (no images, no models).

Why pure text: the recognisers are where the judgement lives (what is an NHS number, when is a date a
date of birth, when is "Give Blood Today" *not* a name), so they must be unit-testable with strings.
OCR is imperfect, so every number recogniser tolerates O/0, I/l/1 and S/5 confusions and stray
spaces, and each one also runs over pairs of adjacent lines so a value split across lines is caught.
Validation uses well-kept libraries: python-stdnum for the NHS Modulus 11 check and `phonenumbers`
(region GB) for phone numbers. OCR also glues words to numbers ("NHS9434765919", "10:30Aisha"), so
each window is also read with letter/digit seams split (`unglue`). Names without a label come from
`names` (lexicon, word frequency and layout), plates from `plates`. Callers pass one block of text at a
time (a label, a screen, a receipt), so context stays local: a receipt's own address and phone are
business details, not personal data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from consentdesk.core.values import FindingKind, Severity
from consentdesk.core.vision import names, plates

#: Kinds that are personal data (what a clean photo must never produce).
PERSONAL_KINDS = frozenset(
    {
        FindingKind.NHS_NUMBER,
        FindingKind.PERSON_NAME,
        FindingKind.DATE_OF_BIRTH,
        FindingKind.POSTCODE,
        FindingKind.ADDRESS,
        FindingKind.PHONE,
        FindingKind.EMAIL,
        FindingKind.DONATION_NUMBER,
        FindingKind.VEHICLE_PLATE,
    }
)


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One recognised item: its kind, the text as read, and which input lines it came from."""

    kind: FindingKind
    text: str
    severity: Severity
    lines: tuple[int, ...]


# ---------------------------------------------------------------------------- OCR normalisation

_DIGIT_FIX = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "Q": "0",
        "D": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
        "G": "6",
    }
)
_LETTER_FIX = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})

#: A run that is "mostly digits" as OCR reads it: digits, look-alike letters, spaces and dashes.
_NUMERIC_RUN = re.compile(r"(?<![A-Za-z0-9])[0-9OoIl|SB][0-9OoIl|SBZG \-]{6,24}[0-9OoIl|SB](?![A-Za-z0-9])")
#: Where OCR glued a word to a number ("NHS9434765919", "10:30Aisha"): split at letter/digit seams.
_GLUED = re.compile(r"(?<=[A-Za-z]{2})(?=[0-9])|(?<=[0-9]{2})(?=[A-Za-z]{2})|(?<=[.:])(?=[0-9])")


def unglue(text: str) -> str:
    """'NHS9434765919' -> 'NHS 9434765919'; 'No.943' -> 'No. 943'. Recognisers run on both forms."""
    return _GLUED.sub(" ", text)


def digits_of(text: str) -> str:
    """Fix look-alike letters and drop separators: 'q43 47G 59I9' -> '9434765919'-ish."""
    return re.sub(r"[^0-9]", "", text.translate(_DIGIT_FIX))


# ---------------------------------------------------------------------------- NHS numbers


def _nhs_candidates(text: str) -> list[str]:
    from stdnum.gb import nhs

    found = []
    for m in _NUMERIC_RUN.finditer(text):
        raw = m.group(0)
        if sum(c.isdigit() for c in raw) < 7:  # mostly letters: an ordinary word, not a misread number
            continue
        digits = digits_of(raw)
        bounds = _group_bounds(raw)
        # a run may hold more than one number; slide a 10-digit window that starts and ends where the
        # printed groups do (so "0113 496 3211", a phone number, does not hide "113 496 3211")
        for i in range(0, max(0, len(digits) - 9)):
            aligned = len(digits) == 10 or (i in bounds and i + 10 in bounds)
            if aligned and nhs.is_valid(digits[i : i + 10]) and (len(digits) == 10 or _grouped_like_nhs(raw)):
                found.append(nhs.format(digits[i : i + 10]))
                break
    return found


def _group_bounds(raw: str) -> set[int]:
    """Digit offsets where a printed group of digits starts or ends ('943 476 5919' -> {0, 3, 6, 10})."""
    bounds, n = {0}, 0
    for group in re.split(r"[\s\-]+", raw.translate(_DIGIT_FIX)):
        n += len(re.sub(r"[^0-9]", "", group))
        bounds.add(n)
    return bounds


def _grouped_like_nhs(raw: str) -> bool:
    return re.search(r"\d{3}\s?\d{3}\s?\d{4}", raw.translate(_DIGIT_FIX)) is not None


# ---------------------------------------------------------------------------- donation numbers (ISBT 128)

_ISBT = re.compile(
    r"(?<![A-Za-z0-9])=?([A-Z])\s?([0-9OIl]{4})\s?([0-9OIl]{2})\s?([0-9OIl]{6})(?:\s?([0-9A-Z]{1,2}))?(?![A-Za-z0-9])"
)


def donation_numbers(text: str) -> list[str]:
    """ISBT 128 donation numbers in the text, normalised ('G1509 23 456789')."""
    out = []
    for m in _ISBT.finditer(text):
        facility = m.group(1) + digits_of(m.group(2))
        year, serial = digits_of(m.group(3)), digits_of(m.group(4))
        if len(facility) == 5 and len(year) == 2 and len(serial) == 6:
            flag = f" {m.group(5)}" if m.group(5) else ""
            out.append(f"{facility} {year} {serial}{flag}")
    return out


# ---------------------------------------------------------------------------- phones and emails

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s?@\s?[A-Za-z0-9\-]+(?:\s?\.\s?[A-Za-z0-9\-]+)*\s?\.\s?[A-Za-z]{2,}")


def _phones(text: str) -> list[str]:
    import phonenumbers

    fixed = re.sub(
        r"(?<=[0-9 ])[OoIl](?=[0-9 ])|(?<=[0-9])[OoIl]|[OoIl](?=[0-9]{2})",
        lambda m: m.group(0).translate(_DIGIT_FIX),
        text,
    )
    out = []
    for m in phonenumbers.PhoneNumberMatcher(fixed, "GB", leniency=phonenumbers.Leniency.VALID):
        digits = digits_of(m.raw_string)
        if len(digits) == 10 and not digits.startswith("0"):
            continue  # a bare 10-digit run is an NHS-style number, not a GB phone
        out.append(m.raw_string.strip())
    return out


def _emails(text: str) -> list[str]:
    return [re.sub(r"\s+", "", m.group(0)) for m in _EMAIL.finditer(text)]


# ---------------------------------------------------------------------------- postcodes and addresses

_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Z][A-Z0-9]?)([0-9OIl][0-9A-Z]?)\s?([0-9OIl])([ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])"
)
_POSTCODE_STRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
_STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Way|Drive|Dr|"
    r"Crescent|Place|Court|Gardens|Grove|Terrace|Hill|Park|Square|Row|Mews|Walk)\b\.?"
)
#: A continental street (German, Austrian, Swiss, Dutch, Scandinavian): the street word fused to its name
#: and the house number after it ("Augustenstraße 109", "Hauptstr. 5a", "Lindenweg 12"). OCR reads "ß" as
#: "B", "b", "f", "ss" or a Greek beta.
_STREET_AFTER = re.compile(
    r"\b[A-Z][a-zäöü]+(?:stra(?:ß|ss|B|b|f|β)e|str\.|weg|gasse|platz|allee|damm|ufer|straat|laan|gracht|gatan|gade|vej)"
    r"\s+\d{1,4}[a-z]?\b"
)
#: A continental postcode and town ("80798 München", "D-10115 Berlin", "1010 Wien"), taken as an address only
#: on the line under a street (alone, four or five digits and a word are too common).
_TOWN_LINE = re.compile(r"^\s*(?:[A-Z]{1,2}-)?\d{4,5}\s+[A-ZÄÖÜ][A-Za-zäöüß\-]+(?:\s+[A-ZÄÖÜ][A-Za-zäöüß\-]+)?\s*$")
_ADDRESS_LABEL = re.compile(r"^\s*(?:home\s+)?address\s*[:\-]?\s*(.*)$", re.IGNORECASE)


def _postcodes(text: str) -> list[str]:
    out = []
    for m in _POSTCODE.finditer(text):
        if not any(c.isdigit() for c in m.group(0)) and " " not in m.group(0):
            continue  # "BOOTS" on a shop sign, not "B0 0TS": a postcode read with no digit needs its space
        area = m.group(1)[0] + m.group(1)[1:].translate(_LETTER_FIX)
        district = m.group(2)[0].translate(_DIGIT_FIX) + m.group(2)[1:]
        candidate = f"{area}{district} {m.group(3).translate(_DIGIT_FIX)}{m.group(4)}"
        if _POSTCODE_STRICT.match(candidate):
            out.append(candidate)
    return out


# ---------------------------------------------------------------------------- dates

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_NUM_DATE = re.compile(
    r"(?<![0-9])([0-3O]?[0-9OIl])\s?[/.\-]\s?([01O]?[0-9OIl])\s?[/.\-]\s?((?:19|20)[0-9OIl]{2}|[0-9OIl]{2})(?![0-9])"
)
_WORD_DATE = re.compile(
    r"(?<![0-9])([0-3]?[0-9])(?:st|nd|rd|th)?\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+((?:19|20)\d{2})",
    re.IGNORECASE,
)
#: English and German birth labels ("geb." / "geboren" / "Geburtsdatum" on German forms and title pages).
_DOB_LABEL = re.compile(
    r"\b(?:D\.?\s?O\.?\s?B|date\s+of\s+birth|birth\s*date|born|b\.|geb(?:oren)?|geburtsdatum)\b", re.IGNORECASE
)


def _valid_date(d: int, m: int, y: int) -> bool:
    if y < 100:
        y += 1900 if y > 30 else 2000
    try:
        date(y, m, d)
    except ValueError:
        return False
    return 1900 <= y <= 2100


def _dates(text: str) -> list[str]:
    out = []
    for m in _NUM_DATE.finditer(text):
        d, mo, y = (int(digits_of(g) or "0") for g in m.groups())
        if _valid_date(d, mo, y):
            out.append(m.group(0).strip())
    for m in _WORD_DATE.finditer(text):
        mo = _MONTHS[m.group(2)[:3].lower()]
        if _valid_date(int(m.group(1)), mo, int(m.group(3))):
            out.append(m.group(0).strip())
    return out


# ---------------------------------------------------------------------------- names

_NAME_LABEL = re.compile(
    r"^\s*(?:(?:patient|donor|full|first|last|family|given|sur|fore)\s*name|name|patient|donor|surname|forename|"
    r"forenames|recipient|client|resident|signed\s+by|signature|"
    + "|".join(names.TITLE_WORDS)
    + r")\b\s*[:;.\-]?\s*(.*)$",
    re.IGNORECASE,
)
_NAME_TOKEN = re.compile(
    r"^(?:[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?|[A-Z]{2,}(?:[-'][A-Z]{2,})?|Mc[A-Z][a-z]+|O'[A-Z][a-z]+)$"
)
#: Words that are never part of a name after a label: the organisation's and form words (`names.ORG_WORDS`,
#: one list for both recognisers) and the label words a badge or form puts beside a name.
_NOT_NAMES = names.ORG_WORDS | frozenset(
    [
        "a",
        "age",
        "all",
        "an",
        "and",
        "are",
        "at",
        "away",
        "back",
        "be",
        "by",
        "cafe",
        "city",
        "coffee",
        "day",
        "difference",
        "east",
        "every",
        "female",
        "for",
        "front",
        "group",
        "here",
        "hero",
        "heroes",
        "home",
        "in",
        "info",
        "is",
        "it",
        "keep",
        "london",
        "main",
        "make",
        "male",
        "month",
        "more",
        "new",
        "north",
        "of",
        "on",
        "one",
        "only",
        "our",
        "out",
        "register",
        "sex",
        "shop",
        "sign",
        "south",
        "support",
        "tea",
        "the",
        "to",
        "toilet",
        "type",
        "up",
        "us",
        "use",
        "we",
        "week",
        "west",
        "year",
        "yes",
        "you",
        "your",
    ]
)


def _clean_name(raw: str) -> str | None:
    """Accept 'John Smith', 'SMITH, John', 'Mary-Jane O'Neil'; reject numbers and sign words."""
    text = re.sub(r"[,;]", " ", raw).strip(" .:-")
    tokens = text.split()
    if not 1 <= len(tokens) <= 4:
        return None
    if any(not _NAME_TOKEN.match(t) or t.lower() in _NOT_NAMES for t in tokens):
        return None
    if len(tokens) == 1 and len(tokens[0]) < 3:
        return None
    return " ".join(tokens)


def _label_names(lines: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    for i, line in enumerate(lines):
        m = _NAME_LABEL.match(line)
        if not m:
            continue
        rest = m.group(1).strip()
        if rest:
            name = _clean_name(rest)
            if name:
                out.append((name, (i,)))
        elif i + 1 < len(lines):
            name = _clean_name(lines[i + 1])
            if name and len(name.split()) >= 2:
                out.append((name, (i, i + 1)))
    return out


# ---------------------------------------------------------------------------- confidential words

_CONFIDENTIAL = re.compile(
    r"\b(?:strictly\s+)?(?:confidential|medical\s+in\s+confidence|patient\s+(?:record|notes|details|id|label)|"
    r"donor\s+(?:record|notes|details|id|number|no)|hospital\s+number|mrn|"
    # a person's own identifier on a card or title page: student, staff, member or passport numbers
    r"(?:student|staff|employee|member(?:ship)?|passport|national\s+insurance)\s+(?:id|number|no)|"
    r"matrikel(?:nummer|nr)|personalnummer)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------- driver


def _windows(lines: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """Each line alone, then each adjacent pair joined, so values split across lines are caught."""
    wins = [(line, (i,)) for i, line in enumerate(lines)]
    wins += [(f"{lines[i]} {lines[i + 1]}", (i, i + 1)) for i in range(len(lines) - 1)]
    return wins


def _key(kind: FindingKind, text: str) -> tuple[str, str]:
    return str(kind), re.sub(r"[^0-9A-Za-z@]", "", text).upper()


class _Found:
    """Matches by kind and value: the same value found in several windows is kept once, from the
    narrowest window (one line rather than a pair)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], PiiMatch] = {}

    def add(self, kind: FindingKind, text: str, sev: Severity, idx: tuple[int, ...]) -> None:
        key = _key(kind, text)
        if key not in self.by_key or len(idx) < len(self.by_key[key].lines):
            self.by_key[key] = PiiMatch(kind, text, sev, idx)

    def lines_of(self, exclude: FindingKind | None = None) -> set[int]:
        return {i for m in self.by_key.values() for i in m.lines if m.kind is not exclude}


#: Lines that make `find_pii` load everything it loads on first use (see `warm`).
_WARM_LINES = ("Name: Oliver Smith", "09:30 Amara Okafor", "Tel 07700 900123", "NHS 943 476 5919", "SW1A 1AA")


def warm() -> None:
    """Load now what the first photo with text would (the names' lexicon and word frequencies, the phone
    number and NHS number checks, ~0.2 s CPU): an import worker does it before its first photo instead of
    inside the run. The answers on any photo are unchanged: these are caches of fixed data."""
    find_pii(_WARM_LINES)
    names.zipf("name")  # the word frequencies, which the lines above need not reach


def find_pii(lines: Sequence[str]) -> list[PiiMatch]:
    """All personal-data items and confidential markers in OCR lines (given in reading order)."""
    lines = [str(x) for x in lines]
    found = _Found()
    _find_numbers(lines, found)
    _find_birth_dates(lines, found)
    _find_names(lines, found)
    _find_plates(lines, found)
    _find_addresses_and_markings(lines, found)
    matches = _drop_shadowed(list(found.by_key.values()))
    if _is_receipt(lines):  # a shop's address and phone on its receipt are business details
        matches = [m for m in matches if m.kind not in _BUSINESS_DETAILS]
    return matches


def _find_numbers(lines: list[str], found: _Found) -> None:
    """NHS and donation numbers, emails, postcodes and phones, in each line and each pair of lines."""
    high = Severity.HIGH
    for text, idx in _windows(lines):
        if unglue(text) != text:
            text = f"{text} ~~ {unglue(text)}"  # both forms: a value is found in either
        nhs_numbers = _nhs_candidates(text)
        for v in nhs_numbers:
            found.add(FindingKind.NHS_NUMBER, v, high, idx)
        for v in donation_numbers(text):
            found.add(FindingKind.DONATION_NUMBER, v, high, idx)
        for v in _emails(text):
            found.add(FindingKind.EMAIL, v, high, idx)
        if not (len(idx) == 2 and any(plates.find_plate(lines[i]) for i in idx)):
            for v in _postcodes(text):  # (a plate's characters read with a neighbour's are not a postcode)
                found.add(FindingKind.POSTCODE, v, high, idx)
        nhs_digits = {digits_of(v) for v in nhs_numbers}
        for v in _phones(text):
            if digits_of(v) not in nhs_digits:
                found.add(FindingKind.PHONE, v, high, idx)


def _find_birth_dates(lines: list[str], found: _Found) -> None:
    """A date beside a birth label; on a labelled form (or beside other personal data) any lone date."""
    labelled_form = any(_NAME_LABEL.match(x) or _DOB_LABEL.search(x) for x in lines) or bool(found.by_key)
    for text, idx in _windows(lines):
        for v in _dates(text):
            if _DOB_LABEL.search(text):
                found.add(FindingKind.DATE_OF_BIRTH, v, Severity.HIGH, idx)
            elif labelled_form and len(idx) == 1:
                found.add(FindingKind.DATE_OF_BIRTH, v, Severity.MEDIUM, idx)


def _find_names(lines: list[str], found: _Found) -> None:
    """Names after a label, then names without one (`names.find_names`) on the other lines."""
    labelled = _label_names(lines)
    for name, idx in labelled:
        found.add(FindingKind.PERSON_NAME, name, Severity.HIGH, idx)
    labelled_lines = {i for _, idx in labelled for i in idx}
    for hit in names.find_names(lines):
        if hit.line not in labelled_lines:
            found.add(FindingKind.PERSON_NAME, hit.text, Severity.HIGH, (hit.line,))


def _find_plates(lines: list[str], found: _Found) -> None:
    """A whole line in a strict plate format, unless it already holds another value or a postcode."""
    taken = found.lines_of(exclude=FindingKind.PERSON_NAME)
    for i, line in enumerate(lines):
        plate = plates.find_plate(line)
        if plate and i not in taken and not _postcodes(line):
            found.add(FindingKind.VEHICLE_PLATE, plate, Severity.HIGH, (i,))


def _find_addresses_and_markings(lines: list[str], found: _Found) -> None:
    for i, line in enumerate(lines):
        m = _ADDRESS_LABEL.match(line)
        street = _STREET.search(line) or _STREET_AFTER.search(line)
        if street:
            found.add(FindingKind.ADDRESS, street.group(0).strip(" ,"), Severity.HIGH, (i,))
            town = _TOWN_LINE.match(lines[i + 1]) if i + 1 < len(lines) else None
            if town:  # the street's postcode and town, on the line under it
                found.add(FindingKind.ADDRESS, town.group(0).strip(), Severity.HIGH, (i + 1,))
        elif m and m.group(1).strip():
            found.add(FindingKind.ADDRESS, m.group(1).strip(), Severity.HIGH, (i,))
        marking = _CONFIDENTIAL.search(line)
        if marking:
            found.add(FindingKind.TEXT, marking.group(0), Severity.MEDIUM, (i,))


_RECEIPT_MARKERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:sub\s?)?total\b",
        r"\bvat\b",
        r"£\s?\d",
        r"\bchange\b",
        r"\bcard\b",
        r"\bcash\b",
        r"\breceipt\b",
        r"\bbalance\s+due\b",
        r"\bthank\s+you\s+for\s+shopping\b",
    )
]
_BUSINESS_DETAILS = {FindingKind.ADDRESS, FindingKind.POSTCODE, FindingKind.PHONE, FindingKind.EMAIL}


def _is_receipt(lines: Sequence[str]) -> bool:
    """Two or more different till-receipt markers in one block of text."""
    return sum(any(p.search(line) for line in lines) for p in _RECEIPT_MARKERS) >= 2


def _drop_shadowed(matches: list[PiiMatch]) -> list[PiiMatch]:
    """A date inside a donation number, or a phone inside an NHS number, is the same digits twice."""
    strong = [m for m in matches if m.kind in {FindingKind.NHS_NUMBER, FindingKind.DONATION_NUMBER}]
    out = []
    for m in matches:
        if m.kind in {FindingKind.PHONE, FindingKind.DATE_OF_BIRTH} and any(
            digits_of(m.text) and digits_of(m.text) in digits_of(s.text) for s in strong
        ):
            continue
        out.append(m)
    return out


def is_personal(kind: FindingKind | str) -> bool:
    return FindingKind(kind) in PERSONAL_KINDS
