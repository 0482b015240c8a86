"""The release form as data: load the versioned definitions in `forms/` and validate answers against them.

Everything that shows, checks, stores or prints a form reads a `FormDefinition`; nothing repeats the
field list by hand. Validation is shared by the dialog and the command line so both refuse the same input.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def load_form(
    name: str = "model_release", version: int | None = None, folder: Path | None = None
) -> FormDefinition:
    """The named form at `version`, or its latest version when `version` is None."""
    definitions = _all_definitions((folder or paths.forms_dir()).resolve())
    if version is not None:
        try:
            return definitions[(name, version)]
        except KeyError:
            raise FormDefinitionError(f"form {name} version {version} is not installed") from None
    versions = [v for (n, v) in definitions if n == name]
    if not versions:
        raise FormDefinitionError(f"no form called {name} is installed")
    return definitions[(name, max(versions))]


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


def clean_text(value: str) -> str:
    """Normalise user text: strip control characters and surrounding space, keep every script as typed."""
    return _CONTROL.sub("", value).strip()


def _check_value(f: Field, value: Any, form: FormDefinition) -> tuple[Any, str | None]:
    """Return the normalised value, or an error message."""
    if f.type in {"text", "multiline", "email", "phone"}:
        if not isinstance(value, str):
            return None, "must be text"
        value = clean_text(value)
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
    limit = MAX_SIGNATURE_BYTES if f.type == "signature" else MAX_PHOTO_BYTES
    if len(data) > limit:
        return f"file is too large ({len(data) / 1e6:.1f} MB; at most {limit / 1e6:.0f} MB)"
    if f.type == "signature" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "must be a PNG image"
    if f.type == "photo" and not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG\r\n\x1a\n")):
        return "must be a JPEG or PNG image"
    return None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def validate(
    form: FormDefinition, submission: Submission, today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check a submission against the form; return normalised answers and every problem found.

    All problems are reported at once (not just the first) so the dialog can mark every field and a
    script gets one complete error message.
    """
    errors: list[FieldError] = []
    known = {f.id for f in form.fields}
    for key in submission.answers:
        if key not in known:
            errors.append(FieldError(key, f"is not a field of {form.key}"))
    for key in submission.files:
        if key not in known or not form.field(key).is_file:
            errors.append(FieldError(key, f"is not a file field of {form.key}"))

    answers: dict[str, Any] = {}
    for f in form.fields:
        if f.is_file:
            data = submission.files.get(f.id)
            if data:
                problem = _check_file(f, data)
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

    def present(field_id: str) -> bool:
        return field_id in answers or bool(submission.files.get(field_id))

    for f in form.fields:
        if f.required and not present(f.id) and not any(e.field == f.id for e in errors):
            errors.append(FieldError(f.id, "is required"))
    groups: dict[str, list[Field]] = {}
    for f in form.fields:
        if f.one_of_group:
            groups.setdefault(f.one_of_group, []).append(f)
    for members in groups.values():
        already_reported = any(e.field == m.id for e in errors for m in members)
        if not already_reported and not any(present(m.id) for m in members):
            names = " or ".join(m.label.lower() for m in members)
            errors.append(FieldError(members[0].id, f"give a {names}"))

    dob = answers.get("date_of_birth")
    if dob and date.fromisoformat(dob) > today:
        errors.append(FieldError("date_of_birth", "is in the future"))
    if form.is_minor(answers, today):
        for field_id in form.minors.requires:
            if not present(field_id):
                errors.append(FieldError(field_id, "is required because the person is under 18"))
    else:
        for f in form.fields:
            if f.minor_only and present(f.id) and f.is_file:
                errors.append(FieldError(f.id, "is only for under-18s; remove it or correct the age"))

    uses = set(answers.get("uses", []))
    for channel_id in answers.get("channels", []):
        channel = form.channel(channel_id)
        if channel and channel.use not in uses:
            use_label = next((u.label for u in form.uses if u.id == channel.use), channel.use)
            errors.append(FieldError("channels", f"{channel.label} needs the use '{use_label}' to be ticked"))
    return answers, errors
