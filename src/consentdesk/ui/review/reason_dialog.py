"""A small dialog that asks why (dismissing a finding, rejecting an image) and lets core judge the answer.

The dialog holds no rule of its own: `submit(reason)` calls core on a worker thread (it opens its own
connection), and a `ReviewError` it raises (for example "a reason is required"), a conflict with someone
else's decision or a lost connection is shown in the dialog, which stays open so the reviewer can fix it
or cancel. The reason typed is never lost to an error.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLineEdit, QWidget

from consentdesk.core.review.workflow import ReviewError
from consentdesk.core.store import ConflictError
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.busy import describe_error, try_again_advice
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.fit import fit_to_width
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.workers import run_task


class ReasonDialog(Dialog):
    def __init__(
        self,
        title: str,
        prompt: str,
        action: str,
        submit: Callable[[str], None],
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, title=title)
        self.submit = submit
        self.busy = False
        self.setMinimumWidth(480)
        label = text_label(prompt)
        self.reason = QLineEdit()
        self.reason.setObjectName("reasonEdit")
        self.reason.setPlaceholderText(placeholder)
        self.reason.setAccessibleName("Reason")
        label.setBuddy(self.reason)
        self.error = text_label("", "error")
        self.error.hide()
        footer = self.footer()
        footer.cancel()
        self.ok_button = footer.primary(action)
        self.plain(label, self.reason, self.error, footer, gap=spacing.GAP)
        self.reason.setFocus()
        fit_to_width(self, 480)

    def accept(self) -> None:
        if self.busy:
            return  # Enter pressed again while saving
        reason = self.reason.text()
        self._set_busy(True)
        run_task(lambda _control: self.submit(reason), self._saved, self._refused, owner=self)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.ok_button.setEnabled(not busy)
        self.reason.setReadOnly(busy)

    def _saved(self, _result: object) -> None:
        self._set_busy(False)
        super().accept()

    def _refused(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, ReviewError):
            message = str(exc)
            message = message[:1].upper() + message[1:] + "."
        elif isinstance(exc, ConflictError):
            message = f"{exc} Press Esc to see it as it is now."
        else:
            message = f"Not saved: {describe_error(exc)}. {try_again_advice(exc)}"
        self.error.setText(message)
        self.error.show()
        fit_to_width(self, self.width())  # room for the whole message
        self.reason.setProperty("invalid", True)
        self.reason.setAccessibleDescription(message)
        self.reason.style().unpolish(self.reason)
        self.reason.style().polish(self.reason)
        self.reason.setFocus()
        announce(self.error, message, assertive=True)

    def reject(self) -> None:
        if not self.busy:  # closing while saving would hide whether it was saved
            super().reject()
