"""A progress bar with how far it is in words beside it, never painted over the bar's fill.

Why: a bar's own percentage is drawn across the middle of the bar, dark on the blue fill once the job is
half done (below 4.5:1); words beside the bar keep their contrast, and screen readers read the bar's value.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.labels import text_label


class Progress(QWidget):
    """A bar that is busy (no fraction known yet) until `set_fraction`; `words` says the percentage,
    e.g. "{}% written"."""

    def __init__(self, name: str, words: str = "{}% done", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words = words
        self.bar = QProgressBar()
        self.bar.setAccessibleName(name)
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 0)
        self.label = text_label("", "hint", wrap=False)
        row = spacing.hbox(self, spacing.NONE, spacing.GAP)
        row.addWidget(self.bar, 1)
        row.addWidget(self.label)

    def busy(self) -> None:
        """Working, no fraction known yet (the bar moves to and fro)."""
        self.bar.setRange(0, 0)
        self.label.setText("")

    def set_fraction(self, fraction: float) -> None:
        percent = round(100 * max(0.0, min(1.0, fraction)))
        self.bar.setRange(0, 100)
        self.bar.setValue(percent)
        self.label.setText(self.words.format(percent))

    def value(self) -> int:
        return self.bar.value()

    def text(self) -> str:
        return self.label.text()
