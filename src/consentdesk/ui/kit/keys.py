"""Keyboard conventions that hold everywhere in the app, not only inside dialogs.

Enter on a focused push button or tool button presses it, as Space does. Qt only does this for a dialog's
"auto-default" buttons: on a page, Enter on a focused "View" or "Approve…" button did nothing, which a
keyboard user cannot tell from a broken button. Installed once on the application by the main window
(`enter_presses_buttons`); `kit.dialog.Dialog` does the same for dialogs shown on their own.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def is_plain_enter(event: QKeyEvent) -> bool:
    return event.key() in ENTER_KEYS and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)


def press_focused_button(widget: object) -> bool:
    """Press `widget` if it is an enabled, shown push or tool button (a menu button opens its menu)."""
    if not isinstance(widget, QPushButton | QToolButton) or not widget.isEnabled() or not widget.isVisible():
        return False
    if isinstance(widget, QPushButton) and widget.menu() is not None:
        widget.showMenu()
    else:
        widget.click()
    return True


class _EnterPressesButtons(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and is_plain_enter(event)
            and watched is QApplication.focusWidget()
        ):
            return press_focused_button(watched)
        return False


_filter: _EnterPressesButtons | None = None


def enter_presses_buttons(app: QApplication) -> None:
    """Make Enter press the focused button everywhere in `app` (once; later calls do nothing)."""
    global _filter
    if _filter is None:
        _filter = _EnterPressesButtons()
        app.installEventFilter(_filter)
