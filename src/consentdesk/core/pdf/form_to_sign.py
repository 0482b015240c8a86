"""One person's release form to sign on paper: the answers typed on screen, printed under a form id.

"Sign on paper instead" must print *this person's* form, not a blank one: what the person signs is then
exactly what was ticked on screen (channels above all), and the record saved under the same id waits for
the scan of the signed page. The page is laid out by the blank-form writer (one layout), so the QR code,
the id and the signature boxes sit where the scan import and its signature check expect them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from consentdesk.core.forms import FormDefinition, Submission
from consentdesk.core.pdf.blank_forms import BlankFormsNotWritten, check_output_folder, render_form_to_sign
from consentdesk.core.store import Catalogue


def write_form_to_sign(
    catalogue: Catalogue,
    form: FormDefinition,
    submission: Submission,
    out: Path,
    *,
    form_id: str | None = None,
    today: date | None = None,
) -> str:
    """Reserve a form id (or reprint under `form_id`, one this catalogue reserved and that has no record
    yet) and write the person's form to sign to `out`; return the id.

    Raises OSError when the folder is unusable (nothing reserved), ValueError for a `form_id` that cannot
    be reprinted, and BlankFormsNotWritten (an OSError) when writing fails after the id was reserved.
    """
    out = Path(out)
    check_output_folder(out)
    if form_id is not None and catalogue.form_id_state(form_id) != "reserved":
        raise ValueError(
            f"form {form_id} cannot be reprinted: it is not a printed form waiting for its record"
        )
    answers = dict(submission.answers)
    minor = form.is_minor(answers, today or date.today())
    reserved = form_id is None
    if form_id is None:
        (form_id,) = catalogue.reserve_form_ids(1)
    try:
        render_form_to_sign(form, form_id, answers, minor, out)
    except OSError as exc:
        if reserved:
            raise BlankFormsNotWritten(exc, [form_id]) from exc
        raise
    return form_id
