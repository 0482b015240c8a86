"""Withdrawing a release: the date and reason, then the take-down list of what must come down.

Used by the register's row action and by the record dialog, so both record a withdrawal the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from consentdesk.core.protection import withdrawal
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent, ConsentStatus, TakedownList
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.fit import fit_to_width
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.workers import TaskControl
from consentdesk.ui.releases.takedown_dialog import TakedownDialog


class WithdrawDialog(Dialog):
    """Date and a required reason; the destructive button is the confirmation."""

    def __init__(self, consent: Consent, parent: QWidget | None = None) -> None:
        super().__init__(parent, title=f"Withdraw consent — {consent.full_name}")
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("dd/MM/yyyy")
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(
            "For example: emailed the Social Media Team on 3 March asking to withdraw"
        )
        self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 4 + 16)
        self.error = text_label("", "error", wrap=False)
        self.error.hide()
        intro = text_label(
            f"Withdraw the release of <b>{_escape(consent.full_name)}</b> ({consent.id})? Every image linked "
            "to it will be blocked from posting. The signed record is kept, with the withdrawal recorded in "
            "the audit trail. This cannot be undone."
        )
        form = QFormLayout()
        form.addRow("Effective from", self.date_edit)
        form.addRow("Reason *", self.reason)
        footer = self.footer()
        footer.cancel()
        self.confirm = footer.destructive("Withdraw consent", self._confirm)
        self.plain(intro, form, self.error, footer)
        fit_to_width(self, 520)
        self.reason.setFocus()

    def _confirm(self) -> None:
        if not self.reason.toPlainText().strip():
            self.error.setText("Give a reason for the withdrawal; it is kept with the record.")
            self.error.show()
            self.reason.setAccessibleDescription(self.error.text())
            fit_to_width(self, self.width())
            self.reason.setFocus()
            return
        self.accept()

    def values(self) -> tuple[date, str]:
        return self.date_edit.date().toPython(), self.reason.toPlainText().strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def withdraw(
    parent: QWidget, catalogue: Catalogue, consent: Consent, on_withdrawn: Callable[[Consent], None]
) -> TaskControl | None:
    """Ask for date and reason, record the withdrawal in a worker (with the take-down list: every linked
    photo, approval and export), then show that list and call `on_withdrawn(updated record)`."""
    if consent.status is not ConsentStatus.ACTIVE:
        QMessageBox.information(parent, "Already withdrawn", f"This consent is already {consent.status}.")
        return None
    dialog = WithdrawDialog(consent, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    effective_on, reason = dialog.values()

    def done(takedown: TakedownList) -> None:
        TakedownDialog(takedown, parent, catalogue=catalogue).exec()
        on_withdrawn(takedown.consent)

    def failed(exc: BaseException) -> None:
        QMessageBox.warning(parent, "Withdrawal not saved", f"{describe_error(exc)}.\n\nNothing was changed.")

    return run_busy(
        parent,
        "Withdrawing consent",
        f"Recording the withdrawal of {consent.id} and listing what must come down…",
        in_catalogue(catalogue, lambda cat, _c: withdrawal.withdraw(cat, consent.id, reason, effective_on)),
        done,
        failed,
    )
