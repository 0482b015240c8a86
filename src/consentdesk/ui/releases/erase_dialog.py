"""Erase a person (right to erasure): a confirmation that says exactly what happens, then the core's report.

The Erase button stays disabled until the record id is typed, so it cannot be pressed by habit. The work
(`core.protection.erasure.erase`, which also compacts the file) runs off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QWidget

from consentdesk.core.protection.erasure import ErasureReport, erase, older_copies
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy, show_message, show_problem
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.fit import fit_to_width
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.workers import TaskControl


def _what_is_erased(consent: Consent, copies: tuple[Path, ...]) -> str:
    """What an erasure removes and what it keeps, in words (rich text)."""
    name = escape(consent.full_name or consent.id)
    copies_html = (
        "<p><b>Older copies beside the catalogue still hold this person's data</b> and are not changed:"
        "<ul>" + "".join(f"<li>{escape(str(p))}</li>" for p in copies) + "</ul>"
        "Delete them once you no longer need them.</p>"
        if copies
        else "<p>Backups you made yourself (File ▸ Back up catalogue…) still hold this person's data "
        "until you delete them.</p>"
    )
    return (
        f"<p>Erase everything held about <b>{name}</b> ({consent.id})? "
        "<b>This cannot be undone.</b></p>"
        "<p>Removed for good:</p><ul>"
        "<li>their answers and personal details, signatures and reference photo</li>"
        "<li>scans of their paper form</li>"
        "<li>every link between them and faces in photos</li></ul>"
        "<p>Photos they appear in are blocked on every channel until someone reviews them again. "
        "The record id stays as an erased tombstone, and the audit trail keeps entries with ids and "
        "counts only, so the erasure itself can be shown.</p>" + copies_html
    )


class EraseDialog(Dialog):
    """Explains the erasure and asks for the record id to be typed before Erase is enabled."""

    def __init__(
        self, consent: Consent, copies: tuple[Path, ...] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, title=f"Erase person — {consent.id}", name="eraseDialog")
        self.consent = consent
        prompt = QLabel(f"Type the record id <b>{consent.id}</b> to confirm:")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setPlaceholderText(consent.id)
        self.confirm_edit.setAccessibleName("Record id to confirm erasure")
        prompt.setBuddy(self.confirm_edit)
        self.hint = text_label("", "error")
        self.hint.hide()
        footer = self.footer()  # no default button: Enter in the id field must never press Cancel silently
        footer.cancel()
        self.erase_button = footer.destructive("Erase person")
        self.erase_button.setEnabled(False)
        self.confirm_edit.textChanged.connect(self._update)
        self.confirm_edit.returnPressed.connect(self._enter)
        explanation = text_label(_what_is_erased(consent, copies))
        self.plain(explanation, prompt, self.confirm_edit, self.hint, footer, gap=spacing.GAP)
        fit_to_width(self, 560)
        self.confirm_edit.setFocus()

    def _enter(self) -> None:
        """Enter after typing the id erases, as the Erase button would; a wrong id says so."""
        if self.confirmed():
            self.accept()
            return
        self.hint.setText(f"Type the record id {self.consent.id} exactly to erase; Esc cancels.")
        self.hint.show()
        self.confirm_edit.setAccessibleDescription(self.hint.text())
        fit_to_width(self, self.width())

    def confirmed(self) -> bool:
        return self.confirm_edit.text().strip().upper() == self.consent.id

    def _update(self, _text: str = "") -> None:
        self.erase_button.setEnabled(self.confirmed())


def report_text(report: ErasureReport) -> tuple[str, str]:
    """Headline and details for the finished erasure."""
    c = report.counts
    headline = f"Record {c.consent_id} is erased."
    lines = [
        f"• {c.files_removed} stored file{'s' if c.files_removed != 1 else ''} removed "
        "(signatures, reference photo)",
        f"• {c.scans_removed} paper form scan{'s' if c.scans_removed != 1 else ''} removed",
        f"• {c.face_links_removed} face link{'s' if c.face_links_removed != 1 else ''} removed",
        f"• {len(c.images_blocked)} photo{'s' if len(c.images_blocked) != 1 else ''} blocked until reviewed again",
    ]
    if report.advice:
        lines.append("\n" + report.advice)
    if report.older_copies:
        lines.append("\nThese older copies still hold the person's data; delete them if not needed:")
        lines += [f"• {p}" for p in report.older_copies]
    return headline, "\n".join(lines)


def erase_person(
    parent: QWidget,
    catalogue: Catalogue,
    consent: Consent,
    on_erased: Callable[[Consent], None] | None = None,
) -> TaskControl | None:
    """Confirm, erase off the GUI thread, show the report; `on_erased(updated record)` afterwards."""
    dialog = EraseDialog(consent, older_copies(catalogue.path), parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.confirmed():
        return None
    consent_id = consent.id

    def done(result: tuple[ErasureReport, Consent | None]) -> None:
        report, updated = result
        headline, details = report_text(report)
        show_message(parent, "Person erased", headline, details=details)
        if on_erased is not None and updated is not None:
            on_erased(updated)

    def failed(exc: BaseException) -> None:
        show_problem(
            parent,
            "Not erased",
            f"{consent_id} was not erased: {describe_error(exc)}.",
            "If the record does not show as erased, nothing was changed: close other programs using the "
            "catalogue and try again.",
        )

    return run_busy(
        parent,
        "Erasing",
        f"Erasing {consent_id} and compacting the catalogue so nothing is left behind…",
        in_catalogue(catalogue, lambda cat, _c: (erase(cat, consent_id), cat.find_consent(consent_id))),
        done,
        failed,
    )
