"""The app's look: the stylesheet in resources/style.qss, applied once at start-up."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from consentdesk import paths

ACCENT = "#005EB8"  # NHS blue


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")  # the same, predictable widgets on every platform; the QSS refines them
    try:
        qss = paths.resource("style.qss").read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return  # an unstyled app still works
    app.setStyleSheet(qss)
