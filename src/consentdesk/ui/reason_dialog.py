"""A small dialog that asks why (dismissing a finding, rejecting an image) and lets core judge the answer.

The dialog holds no rule of its own: `submit(reason)` calls core, and a `ReviewError` it raises (for
example "a reason is required") is shown in the dialog, which stays open so the reviewer can fix it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.review import ReviewError


class ReasonDialog(QDialog):
    def __init__(
        self,
        title: str,
        prompt: str,
        action: str,
        submit: Callable[[str], None],
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.submit = submit
        self.setMinimumWidth(480)
        label = QLabel(prompt)
        label.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("reasonEdit")
        self.reason.setPlaceholderText(placeholder)
        self.reason.setAccessibleName("Reason")
        label.setBuddy(self.reason)
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setProperty("primary", True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.ok_button.setDefault(True)  # once the button is in the dialog, so Enter submits
        self.reason.setFocus()

    def accept(self) -> None:
        try:
            self.submit(self.reason.text())
        except ReviewError as exc:
            message = str(exc)
            self.error.setText(message[:1].upper() + message[1:] + ".")
            self.error.show()
            self.reason.setProperty("invalid", True)
            self.reason.style().unpolish(self.reason)
            self.reason.style().polish(self.reason)
            self.reason.setFocus()
            return
        super().accept()
