"""File → Open team register…: the address of the team's PostgreSQL register and, if asked, a password.

The password stays in memory for this session only (it is added to the address handed to the store, and
never written to the settings file). Connecting happens off the GUI thread: a server that does not answer
must not freeze the window.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from consentdesk.core.store.locator import LocatorError, parse, with_password
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.fit import fit_to_width
from consentdesk.ui.kit.labels import text_label

EXAMPLE = "postgresql://your.name@register.example.nhs.uk/consentdesk"


class TeamRegisterDialog(Dialog):
    def __init__(
        self,
        remembered: str | None,
        parent: QWidget | None = None,
        *,
        problem: str = "",
        cancel_text: str = "",
    ) -> None:
        """`problem`: why the last attempt failed (shown, and the field to fix gets the focus);
        `cancel_text`: what Cancel does when it does more than close (at start: use this computer's
        catalogue)."""
        super().__init__(parent, title="Open team register")
        intro = text_label(
            "Enter the address your administrator gave you. ConsentDesk signs you in as yourself; "
            "what you may do is decided by the server."
        )
        self.address = QLineEdit(remembered if remembered and "://" in remembered else "")
        self.address.setPlaceholderText(EXAMPLE)
        self.address.setAccessibleName("Team register address")
        self.address.setAccessibleDescription(f"For example {EXAMPLE}")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setAccessibleDescription("Only if your server asks for one; it is never saved.")
        self.error = text_label("", name="fieldError")
        form = QFormLayout()
        address_label = QLabel("&Address")
        address_label.setBuddy(self.address)
        password_label = QLabel("&Password (if asked)")
        password_label.setBuddy(self.password)
        form.addRow(address_label, self.address)
        form.addRow(password_label, self.password)
        footer = self.footer()
        footer.cancel(cancel_text or "Cancel")
        self.open_button = footer.primary("Open", self._check_and_accept)
        self.plain(intro, form, self.error, footer)
        fit_to_width(self, 520)
        if problem:
            self._show_error(problem, self.password if "password" in problem.lower() else self.address)
        elif self.address.text():
            self.password.setFocus()

    def address_text(self) -> str:
        return self.address.text().strip()

    def locator(self) -> str:
        return with_password(self.address.text().strip(), self.password.text())

    def _check_and_accept(self) -> None:
        try:
            locator = parse(self.address.text())
        except LocatorError as exc:
            self._show_error(str(exc))
            return
        if not locator.is_server:
            self._show_error(f"Write the address as {EXAMPLE}. To open a file, use File → Open catalogue….")
            return
        self.accept()

    def _show_error(self, text: str, field: QLineEdit | None = None) -> None:
        field = field or self.address
        self.error.setText(text)
        fit_to_width(self, self.width())
        field.setAccessibleDescription(text)
        field.setFocus()
