"""Recording a signed release: the one path from a filled-in form to a stored record.

The dialog, the command line and the paper-form flow all call `record_consent`, so a record made any
way is validated by the same rules and stored the same way.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from consentdesk.core.forms import (
    BROKEN_CHARACTERS,
    FieldError,
    FormDefinition,
    Submission,
    has_broken_characters,
    load_form,
    validate,
)
from consentdesk.core.store import Catalogue, NewConsent
from consentdesk.core.values import Consent, ConsentStatus

MAX_JSON_BYTES = 20_000_000


class ConsentInvalid(Exception):
    """The submission breaks the form's rules; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def expiry_date(form: FormDefinition, answers: dict[str, Any], signed_on: date) -> date | None:
    months = form.duration_months(answers)
    return add_months(signed_on, months) if months else None


def _mime(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def signed_on_paper(catalogue: Catalogue, form_id: str | None) -> bool:
    """A record entered under a printed form's id was signed on that paper form, so it needs no signature
    drawn on screen: the signed page is matched back by its QR form id when its scan is imported (or was
    imported already and waits for these answers). Only an id this catalogue issued and that has no record
    yet counts; any other id is refused by the catalogue anyway."""
    return form_id is not None and catalogue.form_id_state(form_id) == "reserved"


def _is_signature(form: FormDefinition, field_id: str) -> bool:
    return any(f.id == field_id and f.type == "signature" for f in form.fields)


def with_paper_signatures(catalogue: Catalogue, consent: Consent) -> Consent:
    """A record signed on paper counts as signed once a scan of its form shows ink in the person's
    signature box (and, for a minor, the guardian's); a scan of an unsigned printout signs nothing.
    Until then it is unsigned and clears nothing."""
    if consent.source != "paper" or (consent.has_signature and consent.has_guardian_signature):
        return consent
    scans = catalogue.paper_scans(consent.id)
    if not scans:
        return consent
    # here, not at the top: the scan check brings numpy, Pillow and the PDF layout, which listing
    # releases and photos (`consentdesk queue`, the register) never needs for records signed on screen
    from consentdesk.core.consent.signature_check import required_signatures, signed_boxes

    form = load_form(consent.form_name, consent.form_version)
    signed = signed_boxes(catalogue, scans, form)
    needed = required_signatures(form, consent)
    person = {f.id for f in form.fields if f.type == "signature" and not f.minor_only} & needed
    guardian = needed - person
    return replace(
        consent,
        has_signature=consent.has_signature or person <= signed,
        has_guardian_signature=consent.has_guardian_signature or guardian <= signed,
    )


#: Active releases ending within this many days are shown as "Expiring soon".
EXPIRING_DAYS = 30

#: A release's state in one phrase, as the register, the record view and `consent list` show it; the
#: one rule that picks it is `release_state`.
STATE_WORDS = {
    "active": "Active",
    "awaiting_scan": "Waiting for its signed scan",
    "expiring": "Expiring soon",
    "expired": "Expired",
    "withdrawn": "Withdrawn",
    "erased": "Erased",
}


def awaiting_scan(consent: Consent) -> bool:
    """A paper release whose signed scan has not arrived (or whose scan shows an empty signature box):
    it is not signed yet, whatever time it was entered. `consent` as clearance reads it (through
    `with_paper_signatures`)."""
    return consent.source == "paper" and not consent.has_signature


def release_state(consent: Consent, today: date, expiring_days: int = EXPIRING_DAYS) -> str:
    """The release's state on `today`, a key of STATE_WORDS: withdrawn, erased or expired as its status
    says; an unsigned paper release waits for its signed scan (it clears nothing, so it is never called
    active); an active one ending within `expiring_days` is expiring."""
    status = consent.effective_status(today)
    if status is not ConsentStatus.ACTIVE:
        return str(status)
    if awaiting_scan(consent):
        return "awaiting_scan"
    if consent.expires_on is not None and (consent.expires_on - today).days <= expiring_days:
        return "expiring"
    return "active"


def record_consent(
    catalogue: Catalogue,
    form: FormDefinition,
    submission: Submission,
    *,
    source: str,
    signed_at: datetime | None = None,
    form_id: str | None = None,
) -> Consent:
    signed_at = signed_at or datetime.now().astimezone()
    answers, errors = validate(form, submission, signed_at.date())
    if signed_on_paper(catalogue, form_id):
        # The signatures are on the printed form: a signature field left empty on screen is not an error
        # (one drawn anyway is still checked, and every other rule still applies).
        errors = [
            e for e in errors if not (_is_signature(form, e.field) and not submission.files.get(e.field))
        ]
    if errors:
        raise ConsentInvalid(errors)
    new = NewConsent(
        form_name=form.name,
        form_version=form.version,
        answers=answers,
        files={k: (_mime(v), v) for k, v in submission.files.items() if v},
        signed_at=signed_at,
        expires_on=expiry_date(form, answers, signed_at.date()),
        source=source,
        form_id=form_id,
    )
    return catalogue.add_consent(new)


# --- the JSON exchange format used by `consentdesk consent add --json` and forms/examples/ ------------


@dataclass(frozen=True, slots=True)
class ConsentDocument:
    form: FormDefinition
    submission: Submission
    form_id: str | None


def _read_file_value(field_id: str, value: Any, base: Path) -> bytes:
    """A file field is a path (relative to the JSON file) or a `data:` URI with base64 content."""
    if not isinstance(value, str) or not value:
        raise ConsentInvalid([FieldError(field_id, "must be a file path or a data: URI")])
    if value.startswith("data:"):
        try:
            return base64.b64decode(value.split(",", 1)[1], validate=True)
        except (IndexError, binascii.Error):
            raise ConsentInvalid([FieldError(field_id, "the data: URI is not valid base64")]) from None
    path = (base / value).expanduser()
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise ConsentInvalid([FieldError(field_id, f"{value} is too large")])
        return path.read_bytes()
    except OSError as exc:
        raise ConsentInvalid([FieldError(field_id, f"cannot read {value}: {exc.strerror}")]) from None


def _broken_text(value: object, where: str = "") -> list[str]:
    """Where in parsed JSON a text holds a lone surrogate (JSON may spell one, "\\ud800"; UTF-8 cannot)."""
    if isinstance(value, str):
        return [where or "(file)"] if has_broken_characters(value) else []
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            name = key.encode("utf-8", "backslashreplace").decode("utf-8") if has_broken_characters(key) else key
            path = f"{where}.{name}" if where else name
            found += [path] if name != key else _broken_text(item, path)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _broken_text(item, f"{where}[{i}]")]
    return []


def parse_consent_json(text: str, base: Path) -> ConsentDocument:
    """Read the JSON format: {"form": name, "version": n, "form_id": id?, "answers": {...}, "files": {...}}."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConsentInvalid(
            [FieldError("(file)", f"not valid JSON: {exc.msg} at line {exc.lineno}")]
        ) from None
    broken = _broken_text(raw)
    if broken:
        raise ConsentInvalid([FieldError(where, BROKEN_CHARACTERS) for where in broken])
    if not isinstance(raw, dict) or not isinstance(raw.get("answers"), dict):
        raise ConsentInvalid([FieldError("answers", "the JSON must be an object with an 'answers' object")])
    unknown = set(raw) - {"form", "version", "form_id", "answers", "files"}
    if unknown:
        raise ConsentInvalid([FieldError(k, "is not a known top-level key") for k in sorted(unknown)])
    version = raw.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ConsentInvalid(
            [
                FieldError(
                    "version", f"must be a whole number such as 1, without quotes (not {json.dumps(version)})"
                )
            ]
        )
    form = load_form(str(raw.get("form", "model_release")), version)
    files_raw = raw.get("files") or {}
    if not isinstance(files_raw, dict):
        raise ConsentInvalid([FieldError("files", "must be an object of field id to file path")])
    files = {k: _read_file_value(k, v, base) for k, v in files_raw.items()}
    return ConsentDocument(form, Submission(dict(raw["answers"]), files), raw.get("form_id"))
