"""The release form as data: load the versioned definitions in `forms/` and validate answers against them.

Everything that shows, checks, stores or prints a form reads a `FormDefinition`; nothing repeats the
field list by hand. Validation is shared by the dialog and the command line so both refuse the same input.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from consentdesk import paths

#: Field types whose answer is a file (stored as a blob beside the answers), not a JSON value.
FILE_TYPES = frozenset({"signature", "photo"})
VALUE_TYPES = frozenset({"text", "multiline", "email", "phone", "date", "choice", "uses", "channels"})
MAX_SIGNATURE_BYTES = 1_000_000
MAX_PHOTO_BYTES = 8_000_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,20}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible, and they can
#: make a list show a name (or the columns after it) reversed. The marks LRM/RLM/ALM are kept: they only
#: steer punctuation in right-to-left names and cannot reverse text.
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
MAX_STACKED_MARKS = 4
_LINE_BREAKS = re.compile(r"\s*(?:\r\n|[\r\n\v\f\x85\u2028\u2029])\s*")
#: How far from the signing day a date answer may be: nobody was born over 120 years ago, and a session
#: is not booked more than a year ahead (a typo such as 2099 or 1800 is refused, not stored).
DATE_YEARS_BACK = 120
DATE_DAYS_AHEAD = 366


class FormDefinitionError(Exception):
    """A file in forms/ is not a valid form definition (a packaging or editing mistake)."""


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str
    months: int | None = None  # only for duration options
    use: str | None = None  # only for channels


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    label: str
    type: str
    section: str
    required: bool = False
    max_length: int | None = None
    options: tuple[Option, ...] = ()
    help: str = ""
    default: str | None = None
    one_of_group: str | None = None
    minor_only: bool = False

    @property
    def is_file(self) -> bool:
        return self.type in FILE_TYPES

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    fields: tuple[Field, ...]
    minor_only: bool = False


@dataclass(frozen=True, slots=True)
class MinorRule:
    age: int
    age_band_values: tuple[str, ...]
    requires: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FormDefinition:
    name: str
    version: int
    title: str
    organisation: str
    consent_wording: str
    uses: tuple[Option, ...]
    channels: tuple[Option, ...]
    sections: tuple[Section, ...]
    minors: MinorRule
    source: Path

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    def field(self, field_id: str) -> Field:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    @property
    def key(self) -> str:
        return f"{self.name}@v{self.version}"

    def channel(self, channel_id: str) -> Option | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def is_minor(self, answers: dict[str, Any], on: date) -> bool:
        band = answers.get("age_band")
        if band in self.minors.age_band_values:
            return True
        dob = answers.get("date_of_birth")
        if isinstance(dob, str):
            try:
                dob = date.fromisoformat(dob)
            except ValueError:
                return False
        if isinstance(dob, date):
            return age_on(dob, on) < self.minors.age
        return False

    def duration_months(self, answers: dict[str, Any]) -> int | None:
        option = self.field("duration").option(str(answers.get("duration", "")))
        return option.months if option else None


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _options(raw: list[dict[str, Any]] | None) -> tuple[Option, ...]:
    return tuple(
        Option(id=str(o["id"]), label=str(o["label"]), months=o.get("months"), use=o.get("use"))
        for o in raw or []
    )


def parse_definition(path: Path) -> FormDefinition:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        sections = []
        for s in raw["sections"]:
            fields = []
            for f in s["fields"]:
                if f["type"] not in FILE_TYPES | VALUE_TYPES:
                    raise FormDefinitionError(f"{path.name}: field {f['id']} has unknown type {f['type']!r}")
                fields.append(
                    Field(
                        id=f["id"],
                        label=f["label"],
                        type=f["type"],
                        section=s["id"],
                        required=bool(f.get("required", False)),
                        max_length=f.get("max_length"),
                        options=_options(f.get("options")),
                        help=f.get("help", ""),
                        default=f.get("default"),
                        one_of_group=f.get("one_of_group"),
                        minor_only=bool(s.get("minor_only", False)),
                    )
                )
            sections.append(Section(s["id"], s["title"], tuple(fields), bool(s.get("minor_only", False))))
        minors = raw["minors"]
        definition = FormDefinition(
            name=raw["name"],
            version=int(raw["version"]),
            title=raw["title"],
            organisation=raw.get("organisation", ""),
            consent_wording=raw["consent_wording"].strip(),
            uses=_options(raw["uses"]),
            channels=_options(raw["channels"]),
            sections=tuple(sections),
            minors=MinorRule(int(minors["age"]), tuple(minors["age_band_values"]), tuple(minors["requires"])),
            source=path,
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise FormDefinitionError(f"{path.name} is not a valid form definition: {exc}") from exc
    ids = [f.id for f in definition.fields]
    if len(ids) != len(set(ids)):
        raise FormDefinitionError(f"{path.name}: field ids must be unique")
    return definition


@cache
def _all_definitions(folder: Path) -> dict[tuple[str, int], FormDefinition]:
    found = {}
    for path in sorted(folder.glob("*.toml")):
        definition = parse_definition(path)
        found[(definition.name, definition.version)] = definition
    return found


@cache
def _default_folder() -> Path:
    return paths.forms_dir().resolve()


def load_form(
    name: str = "model_release", version: int | None = None, folder: Path | None = None
) -> FormDefinition:
    """The named form at `version`, or its latest version when `version` is None.

    Each (name, version, folder) is looked up once: the review asks for the form of every image it
    checks, and finding the forms folder costs file-system calls each time."""
    return _load_form(name, version, folder.resolve() if folder is not None else _default_folder())


@cache
def _load_form(name: str, version: int | None, folder: Path) -> FormDefinition:
    definitions = _all_definitions(folder)
    if version is not None:
        try:
            return definitions[(name, version)]
        except KeyError:
            installed = sorted(v for (n, v) in definitions if n == name)
            have = f"; installed versions: {', '.join(map(str, installed))}" if installed else ""
            raise FormDefinitionError(f"form {name} version {version} is not installed{have}") from None
    versions = [v for (n, v) in definitions if n == name]
    if not versions:
        raise FormDefinitionError(f"no form called {name} is installed")
    return definitions[(name, max(versions))]


def installed_versions(name: str = "model_release", folder: Path | None = None) -> list[FormDefinition]:
    """Every installed version of the named form, newest first (a reviewer may approve for a channel
    that only an older version, which some people signed, still offers)."""
    definitions = _all_definitions((folder or paths.forms_dir()).resolve())
    return sorted((d for (n, _), d in definitions.items() if n == name), key=lambda d: -d.version)


# --- validation -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(slots=True)
class Submission:
    """Answers plus file fields (signature PNGs, reference photo JPEG/PNG) as bytes."""

    answers: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


def _limit_stacked_marks(value: str) -> str:
    """At most MAX_STACKED_MARKS combining marks on one letter: real names in any script need a few
    (Vietnamese stacks two, Indic and Tibetan a few more), "Zalgo" text stacks dozens that spill over the
    lines above and below it in every list."""
    out: list[str] = []
    run = 0
    for ch in value:
        if unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            if run > MAX_STACKED_MARKS:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


#: Why text holding a lone surrogate is refused: it is not a character, no file or database can store it.
BROKEN_CHARACTERS = (
    "holds a broken character (half of a character pair, e.g. from a bad copy and paste or a file that is not "
    "UTF-8); type it again"
)


def has_broken_characters(value: str) -> bool:
    """Whether `value` holds a lone surrogate (U+D800-U+DFFF), which Python allows and UTF-8 does not."""
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Normalise user text: keep every script as typed, but drop control characters and bidirectional
    overrides, limit marks stacked on one letter, and (unless `multiline`) turn line breaks into single
    spaces, so a name is one line in every list and is never shown reversed. Surrounding space is
    stripped."""
    value = _limit_stacked_marks(_BIDI_CONTROL.sub("", value))
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    else:
        value = _LINE_BREAKS.sub(" ", value).replace("\t", " ")
    return _CONTROL.sub("", value).strip()


def one_line(value: object) -> str:
    """Any stored text as one safe line for a listing (records made before `clean_text` may hold breaks)."""
    return clean_text(str(value))


def _check_value(f: Field, value: Any, form: FormDefinition) -> tuple[Any, str | None]:
    """Return the normalised value, or an error message."""
    if f.type in {"text", "multiline", "email", "phone"}:
        if not isinstance(value, str):
            return None, "must be text"
        if has_broken_characters(value):
            return None, BROKEN_CHARACTERS
        value = clean_text(value, multiline=f.type == "multiline")
        if f.max_length and len(value) > f.max_length:
            return None, f"is too long ({len(value)} characters; at most {f.max_length})"
        if value and f.type == "email" and not _EMAIL.match(value):
            return None, f"{value!r} is not an email address"
        if value and f.type == "phone" and not _PHONE.match(value):
            return None, f"{value!r} is not a phone number"
        return value, None
    if f.type == "date":
        if isinstance(value, date):
            return value.isoformat(), None
        try:
            return date.fromisoformat(str(value)).isoformat(), None
        except ValueError:
            return None, f"{value!r} is not a date; use YYYY-MM-DD"
    if f.type == "choice":
        if f.option(str(value)) is None:
            allowed = ", ".join(o.id for o in f.options)
            return None, f"{value!r} is not one of: {allowed}"
        return str(value), None
    if f.type in {"uses", "channels"}:
        options = form.uses if f.type == "uses" else form.channels
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of ids"
        unknown = [v for v in value if v not in {o.id for o in options}]
        if unknown:
            return None, f"unknown: {', '.join(unknown)}; allowed: {', '.join(o.id for o in options)}"
        return sorted(set(value), key=[o.id for o in options].index), None
    return value, None


def _check_file(f: Field, data: bytes) -> str | None:
    """Bytes first (cheap), then the picture itself: decoded, its size in pixels, and ink on a signature."""
    from consentdesk.core.media import picture_check

    limit = MAX_SIGNATURE_BYTES if f.type == "signature" else MAX_PHOTO_BYTES
    if len(data) > limit:
        return f"file is too large ({len(data) / 1e6:.1f} MB; at most {limit / 1e6:.0f} MB)"
    rules = picture_check.SIGNATURE if f.type == "signature" else picture_check.PHOTO
    return picture_check.picture_problem(data, rules)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _date_range_errors(form: FormDefinition, answers: dict[str, Any], today: date) -> list[FieldError]:
    earliest = date(today.year - DATE_YEARS_BACK, 1, 1)
    latest = today + timedelta(days=DATE_DAYS_AHEAD)
    errors = []
    for f in form.fields:
        if f.type != "date" or f.id not in answers:
            continue
        value = date.fromisoformat(answers[f.id])
        if value < earliest:
            errors.append(FieldError(f.id, f"{value.isoformat()} is before {earliest.year}; check the year"))
        elif value > latest:
            errors.append(
                FieldError(f.id, f"{value.isoformat()} is more than a year from today; check the year")
            )
    return errors


def validate(
    form: FormDefinition, submission: Submission, today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check a submission against the form; return normalised answers and every problem found.

    All problems are reported at once (not just the first) so the dialog can mark every field and a
    script gets one complete error message.
    """
    errors = _unknown_fields(form, submission)
    answers = _normalised_answers(form, submission, errors)

    def present(field_id: str) -> bool:
        return field_id in answers or bool(submission.files.get(field_id))

    errors.extend(_missing(form, present, errors))
    dob = answers.get("date_of_birth")
    if dob and date.fromisoformat(dob) > today:
        errors.append(FieldError("date_of_birth", "is in the future"))
    errors.extend(_date_range_errors(form, answers, today))
    errors.extend(_age_rules(form, answers, present, today))
    errors.extend(_channels_without_their_use(form, answers))
    return answers, errors


def _unknown_fields(form: FormDefinition, submission: Submission) -> list[FieldError]:
    known = {f.id for f in form.fields}
    errors = [
        FieldError(key, f"is not a field of {form.key}") for key in submission.answers if key not in known
    ]
    for key in submission.files:
        if key not in known or not form.field(key).is_file:
            errors.append(FieldError(key, f"is not a file field of {form.key}"))
    return errors


def _normalised_answers(
    form: FormDefinition, submission: Submission, errors: list[FieldError]
) -> dict[str, Any]:
    """Each answer checked and normalised by its field's type; problems are added to `errors`."""
    answers: dict[str, Any] = {}
    for f in form.fields:
        if f.is_file:
            data = submission.files.get(f.id)
            problem = _check_file(f, data) if data else None
            if problem:
                errors.append(FieldError(f.id, problem))
            continue
        value = submission.answers.get(f.id)
        if _is_empty(value):
            continue
        normalised, problem = _check_value(f, value, form)
        if problem:
            errors.append(FieldError(f.id, problem))
        elif not _is_empty(normalised):
            answers[f.id] = normalised
    return answers


def _missing(
    form: FormDefinition, present: Callable[[str], bool], errors: list[FieldError]
) -> list[FieldError]:
    """Required fields left empty, and "one of" groups with no member given."""
    missing = [
        FieldError(f.id, "is required")
        for f in form.fields
        if f.required and not present(f.id) and not any(e.field == f.id for e in errors)
    ]
    groups: dict[str, list[Field]] = {}
    for f in form.fields:
        if f.one_of_group:
            groups.setdefault(f.one_of_group, []).append(f)
    for members in groups.values():
        already_reported = any(e.field == m.id for e in [*errors, *missing] for m in members)
        if not already_reported and not any(present(m.id) for m in members):
            names = " or ".join(m.label.lower() for m in members)
            missing.append(FieldError(members[0].id, f"give a {names}"))
    return missing


def _age_rules(
    form: FormDefinition, answers: dict[str, Any], present: Callable[[str], bool], today: date
) -> list[FieldError]:
    """An under-18 needs the guardian's fields; an adult's record carries no guardian files."""
    if form.is_minor(answers, today):
        return [
            FieldError(field_id, "is required because the person is under 18")
            for field_id in form.minors.requires
            if not present(field_id)
        ]
    return [
        FieldError(f.id, "is only for under-18s; remove it or correct the age")
        for f in form.fields
        if f.minor_only and present(f.id) and f.is_file
    ]


def _channels_without_their_use(form: FormDefinition, answers: dict[str, Any]) -> list[FieldError]:
    uses = set(answers.get("uses", []))
    errors = []
    for channel_id in answers.get("channels", []):
        channel = form.channel(channel_id)
        if channel and channel.use not in uses:
            use_label = next((u.label for u in form.uses if u.id == channel.use), channel.use)
            errors.append(FieldError("channels", f"{channel.label} needs the use '{use_label}' to be ticked"))
    return errors
