"""Signing in to a team register: its address and, when the server asks, the person's own password,
asked again with the server's answer ("refused the user name or password", "cannot be reached") until the
register opens or the person gives up.

The attempt runs in a worker behind a calm "Connecting…" note, so a distant or silent server never
freezes the window; this function waits for it in a local event loop, so callers (the File menu, and the
start-up before any window exists) read it as one step. The password lives only in the returned
catalogue's address, in memory.
"""

from __future__ import annotations

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QDialog, QWidget

from consentdesk.core.store import Catalogue
from consentdesk.ui.kit.busy import describe_error, run_busy
from consentdesk.ui.shell.team_register_dialog import TeamRegisterDialog


def sign_in(
    parent: QWidget | None, address: str | None, problem: str = "", *, cancel_text: str = ""
) -> Catalogue | None:
    """The opened register, or None when the person cancels."""
    while True:
        dialog = TeamRegisterDialog(address, parent, problem=problem, cancel_text=cancel_text)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        address = dialog.address_text()
        outcome = connect(parent, dialog.locator())
        if isinstance(outcome, Catalogue):
            return outcome
        text = describe_error(outcome)
        problem = text[:1].upper() + text[1:] + "."


def connect(parent: QWidget | None, locator: str) -> Catalogue | BaseException:
    """Open the register at `locator` in a worker, with a busy note; waits without blocking the window."""
    loop = QEventLoop()
    outcome: list[Catalogue | BaseException] = []

    def finish(value: Catalogue | BaseException) -> None:
        outcome.append(value)
        loop.quit()

    run_busy(
        parent,
        "Opening team register",
        "Connecting to the team register…",
        lambda _control: Catalogue.open(locator, create=False),
        finish,
        finish,
    )
    if not outcome:
        loop.exec()
    return outcome[0]
