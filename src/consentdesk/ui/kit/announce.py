"""Say a change out loud: errors, confirmations and status messages reach screen readers, not only eyes.

`announce(widget, text)` sends Qt's accessibility announcement event (a live-region message on Linux,
macOS and Windows) from `widget`, and emits `announcer().announced` so the rest of the app (and tests)
can see what was said. Use it for anything that appears without focus moving to it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QStatusBar, QWidget


class Announcer(QObject):
    """One per application: `announced(text, assertive)` after every announcement."""

    announced = Signal(str, bool)


_announcer: Announcer | None = None


def announcer() -> Announcer:
    global _announcer
    if _announcer is None:
        _announcer = Announcer()
    return _announcer


def announce(widget: QWidget, text: str, *, assertive: bool = False) -> None:
    """Announce `text` from `widget`; `assertive` interrupts (errors), otherwise it waits its turn."""
    text = text.strip()
    if not text:
        return
    event = QAccessibleAnnouncementEvent(widget, text)
    event.setPoliteness(
        QAccessible.AnnouncementPoliteness.Assertive
        if assertive
        else QAccessible.AnnouncementPoliteness.Polite
    )
    QAccessible.updateAccessibility(event)
    announcer().announced.emit(text, assertive)


def announce_status_bar(status_bar: QStatusBar) -> None:
    """Every message shown in `status_bar` is also announced (politely)."""
    status_bar.messageChanged.connect(lambda text: announce(status_bar, text))
