"""Export a subject access request (SAR) bundle for one record: choose a .zip, build it off-thread, summarise.

All the rules about what goes in (and what is redacted) are in `core.protection.sar`; this only asks where,
shows that work is happening and reports what the bundle holds.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from consentdesk.core.media.video import Cancelled
from consentdesk.core.protection.sar import SarError, build_sar_bundle
from consentdesk.core.store import Catalogue, CatalogueError
from consentdesk.core.values import Consent, SarContents
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy, show_message, show_problem
from consentdesk.ui.kit.words import item_word, photos_and_clips
from consentdesk.ui.kit.workers import TaskControl

FILE_LABELS = {
    "signature": "signature",
    "guardian_signature": "guardian's signature",
    "reference_photo": "reference photo",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_lines(contents: SarContents) -> list[str]:
    """What is inside the bundle, one line per kind of content, in plain words."""
    included = [i for i in contents.images if i.bundle_name]
    clips = sum(1 for i in included if i.is_clip)
    lines = [
        "1 consent record (as data, and the completed release form as PDF)",
        _plural(len(contents.files), "stored file")
        + (f" ({', '.join(FILE_LABELS.get(f, f) for f in contents.files)})" if contents.files else ""),
        _plural(len(contents.scans), "paper form scan"),
        photos_and_clips(len(included) - clips, clips) + " (other people's faces pixelated, background text blanked)",
        f"{contents.audit_entries} audit {'entry' if contents.audit_entries == 1 else 'entries'}",
        "a summary PDF listing all of the above",
    ]
    return lines


def _show_failure(parent: QWidget, consent_id: str, out: Path, exc: BaseException) -> None:
    """Why no bundle was made, and what to do next; a stop the person asked for is said as such."""
    if isinstance(exc, Cancelled):
        show_message(
            parent,
            "Bundle not made",
            f"You stopped the export: no bundle was written for {consent_id} and nothing was recorded.",
            details="Export it again when you are ready.",
        )
    elif isinstance(exc, SarError | CatalogueError):  # e.g. a role that may not export: it names the role
        show_problem(parent, "Bundle not made", f"No bundle was written: {exc}")
    elif isinstance(exc, OSError):
        show_problem(
            parent,
            "Bundle not saved",
            f"{out.name} could not be written: {describe_error(exc)}.",
            "Choose another folder (check the disk has free space) and export again.",
        )
    else:
        show_problem(
            parent,
            "Bundle not made",
            f"Something went wrong while making the bundle: {describe_error(exc)}.",
            "Nothing was written. Try again; if it keeps failing, run File ▸ Check catalogue….",
        )


def export_sar(parent: QWidget, catalogue: Catalogue, consent: Consent) -> TaskControl | None:
    """Ask for a .zip path and write the SAR bundle for `consent` there (off the GUI thread)."""
    suggested = str(Path.home() / f"sar-{consent.id}.zip")
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save subject access bundle", suggested, "Zip archive (*.zip)"
    )
    if not path:
        return None
    out = Path(path) if path.lower().endswith(".zip") else Path(path + ".zip")
    consent_id = consent.id

    def done(contents: SarContents) -> None:
        missing = [i for i in contents.images if not i.bundle_name]
        details = "Inside:\n" + "\n".join(f"• {line}" for line in summary_lines(contents))
        if missing:
            details += "\n\nNot included (say so in the reply):\n" + "\n".join(
                f"• {item_word(i.is_clip)} {i.image_id}: {i.problem}" for i in missing
            )
        late = " It was already complete when you pressed Stop." if task and task[0].cancelled else ""
        show_message(
            parent,
            "Subject access bundle saved",
            f"The bundle for {consent_id} is saved as {out.name} in {out.parent}.{late}",
            details=details,
            folder=out.parent,
        )

    def build(cat: Catalogue, control: TaskControl) -> SarContents:
        return build_sar_bundle(
            cat, consent_id, out, progress=control.report, cancel=lambda: control.cancelled
        )

    task: list[TaskControl] = []  # known once started; `done` asks whether Stop came too late
    task.append(run_busy(
        parent,
        "Exporting subject access bundle",
        f"Gathering everything held about {consent_id}: the record, its files, scans, photos and clips "
        "(redacting other people) and audit entries…",
        in_catalogue(catalogue, build),
        done,
        lambda exc: _show_failure(parent, consent_id, out, exc),
        stop=f"Stopping: no bundle will be written and nothing half-written is left in {out.parent}…",
    ))
    return task[0]
