"""Person names on short OCR lines with no label: appointment lists, badges, rotas, letters, screens.

Why a lexicon and layout instead of a language model: OCR lines are two or three words with no
sentence around them, where NER models do poorly, and a model adds a second or more per photo. A line
is scored from evidence that is cheap and explainable:

- given names and surnames of many locales from Faker's person providers (MIT; data in the wheel);
- how common each word is in English (wordfreq, data in the wheel): a common word that is not a known
  name ("Express", "Platform", "Manchester", "Kings") means the line is not a name;
- the organisation's own words and sign words never fire ("Give blood", "Donor Centre", "NHS Blood
  and Transplant");
- layout: a title (Mr, Mrs, Dr), a time or weekday before the name, or a column of such lines (a list of
  people) adds evidence; so does a label ("Name:"), handled in `pii`.

A line needs a score of 3: e.g. a known given name and a known surname, or a known given name and a rare
word, or two rare words after a time in an appointment list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

#: Locales whose person providers supply the name lists (the donor population of a UK service).
_LOCALES = (
    "en_GB",
    "en_IE",
    "ga_IE",
    "en_US",
    "en_IN",
    "en_NZ",
    "pl_PL",
    "ro_RO",
    "lt_LT",
    "lv_LV",
    "sk_SK",
    "cs_CZ",
    "hu_HU",
    "de_DE",
    "fr_FR",
    "it_IT",
    "es_ES",
    "pt_PT",
    "nl_NL",
    "tr_TR",
    "yo_NG",
    "tw_GH",
    "zu_ZA",
)
#: Above this Zipf frequency (occurrences per billion words, log10) a word is an ordinary English word.
COMMON_ZIPF = 3.3
#: The organisation's words, sign words and form words: never part of a name, whatever the lexicon says.
ORG_WORDS = frozenset(
    [
        "give",
        "blood",
        "today",
        "donate",
        "donor",
        "donors",
        "centre",
        "center",
        "session",
        "sessions",
        "nhs",
        "transplant",
        "plasma",
        "platelets",
        "save",
        "saves",
        "lives",
        "life",
        "thank",
        "thanks",
        "welcome",
        "open",
        "appointment",
        "appointments",
        "book",
        "now",
        "please",
        "help",
        "patient",
        "patients",
        "hospital",
        "ward",
        "clinic",
        "trust",
        "service",
        "services",
        "staff",
        "volunteer",
        "volunteers",
        "visitor",
        "visitors",
        "reception",
        "exit",
        "entrance",
        "toilets",
        "information",
        "name",
        "date",
        "birth",
        "address",
        "postcode",
        "phone",
        "tel",
        "email",
        "number",
        "total",
        "subtotal",
        "vat",
        "card",
        "cash",
        "change",
        "receipt",
        "sale",
        "offer",
        "off",
        "free",
        "station",
        "platform",
        "street",
        "road",
        "lane",
        "avenue",
        "close",
        "way",
        "drive",
        "crescent",
        "place",
        "court",
        "gardens",
        "grove",
        "terrace",
        "hill",
        "park",
        "square",
        "room",
        "floor",
        "level",
        "unit",
        "lead",
        "nurse",
        "carer",
        "team",
        "rota",
        "shift",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "confidential",
        "private",
        "label",
        "bag",
        "pack",
        "product",
        "donation",
        "collection",
        "expiry",
        "expires",
        "ref",
        "no",
        # events on posters and noticeboards ("Summer Fair", "Christmas Market"): given names and
        # surnames too (Summer, Fair), but far more often an event's title in a photo's background
        "fair",
        "fete",
        "festival",
        "market",
        "party",
        "concert",
        "summer",
        "christmas",
        "easter",
    ]
)
#: Honorifics and academic titles, English and German, that stand before a person's name ("Herrn", the
#: German dative, heads letters and title pages). One list: `pii`'s label rule uses it too.
TITLE_WORDS = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "herr", "herrn", "frau")
_TITLES = re.compile(rf"^(?:{'|'.join(TITLE_WORDS)})\.?$", re.IGNORECASE)
_DEAR = re.compile(r"^(?:dear|to|attn|attention|for)$", re.IGNORECASE)
_TIME_PREFIX = re.compile(
    r"^\s*(?:[0-2]?\d[:.h][0-5]\d(?:\s?[ap]m)?|[0-2]?\d\s?[ap]m)\s*[-–:|]?\s*", re.IGNORECASE
)
_DAY_PREFIX = re.compile(
    r"^\s*(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b\.?\s*[-–:|]?\s*", re.IGNORECASE
)
_BULLET = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•·>])\s*")
_BARE_TIME = re.compile(r"^\s*[0-2]?\d[:.][0-5]\d(?:\s?[ap]m)?\s*$", re.IGNORECASE)
_TOKEN = re.compile(
    r"^(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*|[A-Z]{2,}(?:[-'][A-Z]+)*|(?:Mc|Mac|O')[A-Z][a-z]+)$"
)
_INITIAL = re.compile(r"^[A-Z]\.?$")
_SURNAME_FIRST = re.compile(r"^\s*(?:(?:mr|mrs|ms|miss|dr)\.?\s+)?[A-Za-z'\-]+\s*,", re.IGNORECASE)
_CAMEL = re.compile(r"^(?:[A-Z][a-z]{1,}){2,3}$")


@dataclass(frozen=True, slots=True)
class NameHit:
    text: str  # the name as read (without the time, title or day before it)
    line: int
    score: int


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), lower-case ASCII, from Faker's person providers (loaded once)."""
    import importlib

    given: set[str] = set()
    family: set[str] = set()
    for loc in _LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except ImportError:  # pragma: no cover - a locale dropped by a future Faker
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names = getattr(provider, attr, ()) or ()
            given.update(n.lower() for n in (names.keys() if isinstance(names, dict) else names))
        names = getattr(provider, "last_names", ()) or ()
        family.update(n.lower() for n in (names.keys() if isinstance(names, dict) else names))
    clean = lambda s: frozenset(n for n in s if n.isascii() and len(n) >= 2 and " " not in n)  # noqa: E731
    return clean(given) - ORG_WORDS, clean(family) - ORG_WORDS


#: wordfreq's list of English words down to Zipf ~3, not its default 'large' list: a word is only ever
#: compared with COMMON_ZIPF, where both lists give the same frequencies (tests/core/vision/test_pii.py),
#: and the small list loads in 8 ms where the large one took ~130 ms CPU in each import worker.
WORDLIST = "small"


@lru_cache(maxsize=8192)
def zipf(word: str) -> float:
    """How common `word` is in English (Zipf scale); exact at and above COMMON_ZIPF, 0 for rare words."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en", wordlist=WORDLIST)


_LETTER_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "B", "|": "l"})


def _fix_lookalikes(token: str) -> str:
    """'0liver' -> 'Oliver', 'Ke1ly' -> 'Kelly': a digit inside an otherwise alphabetic word is a letter."""
    digits = sum(c in "0158|" for c in token)
    if not digits or digits > 2 or sum(c.isalpha() for c in token) < 2 or any(c in "234679" for c in token):
        return token
    fixed = token.translate(_LETTER_LOOKALIKES)
    if token[0] in "0158":
        fixed = {"0": "O", "1": "I", "5": "S", "8": "B"}[token[0]] + fixed[1:]
    return fixed


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for t in re.sub(r"[,;]", " ", text).split():
        t = _fix_lookalikes(t.strip('.:!?"()[]'))
        if _CAMEL.match(t) and not t.startswith(("Mc", "Mac")):
            # "AishaKhan", "MrsKwameRobinson": OCR dropped the spaces of a tightly set line
            out += re.findall(r"[A-Z][a-z]+", t)
        elif t:
            out.append(t)
    return out


def strip_context(line: str) -> tuple[str, int]:
    """Remove what stands before a name on a list line; returns (rest, layout evidence)."""
    evidence = 0
    rest = _BULLET.sub("", line)
    for prefix in (_TIME_PREFIX, _DAY_PREFIX):
        m = prefix.match(rest)
        if m and m.end() < len(rest):
            rest = rest[m.end() :]
            evidence = 1
    return rest.strip(" -–|:"), evidence


#: Letters whose lower case OCR gives for the capital (the same shape, or nearly: "jones" for "Jones").
_CASE_LOOKALIKES = frozenset("cjkopsuvwxyz")


def _fix_case(tokens: list[str]) -> list[str]:
    """'Peter jones' -> 'Peter Jones': in a line with a capitalised word, a lower-case word that starts with
    a letter whose capital looks the same was read in the wrong case (which one depends on the padding
    around the line in the recogniser's input, so it changes with no change in the photo)."""
    if not any(_TOKEN.match(t) for t in tokens):
        return tokens
    return [
        t[0].upper() + t[1:] if t[0] in _CASE_LOOKALIKES and t.isalpha() and t.islower() and len(t) >= 2 else t
        for t in tokens
    ]


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` is `b` with exactly one letter added, dropped or changed."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def is_title(token: str) -> bool:
    """A title as printed, or a long one OCR slipped on ("Herrr" for "Herrn"): one letter added, dropped or
    changed, the first letter kept, in a capitalised word that is neither a known name nor a common English
    word ("Here", "Fraud" and "Hern" the given name stay what they are)."""
    if _TITLES.match(token):
        return True
    word = token.rstrip(".")
    if len(word) < 4 or not word[0].isupper() or not word.isalpha():
        return False
    low = word.lower()
    if not any(len(t) >= 4 and t[0] == low[0] and _one_edit(low, t) for t in TITLE_WORDS):
        return False
    given, family = lexicon()
    return low not in given and low not in family and zipf(low) < COMMON_ZIPF


def title_run(text: str) -> str | None:
    """The title(s) and the capitalised words after them, wherever they stand in a line: "bei Prof. Dr.
    Alfred Nischwitz" (German: "supervised by"), "Contact Dr Okafor today", "Herrn Moritz Riegler geb. ...".
    A title before capitalised words is a strong cue for a name in any language, so the words around it
    need not be a name too; the run after it is scored as a name (`score_name`) like any other."""
    tokens = _tokens(text)
    for k, t in enumerate(tokens):
        if not is_title(t):
            continue
        j = k + 1
        while j < len(tokens) and is_title(tokens[j]):
            j += 1
        start = j
        while j < len(tokens) and j - start < 4 and (_TOKEN.match(tokens[j]) or _INITIAL.match(tokens[j])):
            j += 1
        if j > start:
            return " ".join(tokens[k:j])
    return None


def score_name(text: str) -> tuple[str, int] | None:
    """(the name, its score) if `text` could be a person's name at all, else None."""
    given, family = lexicon()
    tokens = _fix_case(_tokens(text))
    score = 0
    while tokens and (is_title(tokens[0]) or _DEAR.match(tokens[0])):
        score = max(score, 2 if is_title(tokens[0]) else 1)
        tokens = tokens[1:]
    words = [t for t in tokens if not _INITIAL.match(t)]
    if not 1 <= len(words) <= 3 or len(tokens) > 4 or not tokens or _INITIAL.match(tokens[-1]):
        return None
    for t in tokens:
        if not (_TOKEN.match(t) or _INITIAL.match(t)):
            return None
    lows = [w.lower().replace("'", "") if w.startswith("O'") else w.lower() for w in words]
    if any(w in ORG_WORDS for w in lows):
        return None
    for w in lows:
        known = w in given or w in family
        if not known and zipf(w) >= COMMON_ZIPF:
            return None  # an ordinary word, place or brand
        if len(w) < 2:
            return None
    first, last = lows[0], lows[-1]
    surname_first = _SURNAME_FIRST.match(text) is not None  # "SMITH, John"
    if surname_first and len(words) >= 2:
        first, last = last, first
    if len(words) == 1:
        score += 1 if (first in given or first in family) else 0
        if _INITIAL.match(tokens[0]) and first in family:
            score += 1  # "J. Smith"
    else:
        score += 2 if first in given else 1 if (first in family or zipf(first) < COMMON_ZIPF) else 0
        score += 2 if last in family else 1 if (last in given or zipf(last) < COMMON_ZIPF) else 0
        for w in lows[1:-1]:
            if not (w in given or w in family):
                score -= 1
    return " ".join(tokens), score


def find_names(lines: Sequence[str], threshold: int = 3) -> list[NameHit]:
    """Names on lines with no label. Two or more name-like lines in one list strengthen each other."""
    candidates: list[tuple[int, str, int]] = []
    for i, line in enumerate(lines):
        rest, layout = strip_context(line)
        if not rest:
            continue
        if i > 0 and _BARE_TIME.match(lines[i - 1]):
            layout = 1  # the time was read as its own box, just before
        scored = score_name(rest)
        if scored is None and "," in rest:  # "Aisha Khan, Volunteer": the name, then a role
            scored = score_name(rest.split(",", 1)[0])
        if scored is None and (run := title_run(rest)):  # a title inside a line, or with words after the name
            scored = score_name(run)
        if scored is None:
            continue
        name, score = scored
        words = [t for t in name.split() if not _INITIAL.match(t) and not _TITLES.match(t)]
        initial = any(_INITIAL.match(t) for t in name.split())
        if len(words) < 2 and score < 3 and not initial:
            continue  # a lone word is a name only after a title ("Dr Okafor") or an initial ("J. Smith")
        candidates.append((i, name, score + layout))
    listed = sum(1 for _, _, s in candidates if s >= 2)
    hits = []
    for i, name, score in candidates:
        if listed >= 3 and score >= 2:
            score += 1  # a column of names is a list of people
        if score >= threshold:
            hits.append(NameHit(name, i, score))
    return hits
