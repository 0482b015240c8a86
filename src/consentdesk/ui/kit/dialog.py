"""The base of every dialog: its header, hint and footer built one way, and Enter that does what it says.

Why: a dozen dialogs each built their own title, hint and button row, and the conventions drifted (which
button Enter presses, where Cancel sits, a destructive button that Enter could press by habit). A dialog
derives from `Dialog` and asks it for the pieces:

- `banded()` lays the dialog out in white bands (`header(...)` on top, a body, `footer()` at the bottom):
  the larger dialogs (a release, a record, a take-down list).
- `plain()` lays it out as one padded column with `title_block(...)` on top and `footer()` at the bottom:
  questions, short forms, reports.
- `Footer`: extra actions on the left (`add_left`), then the standard buttons in the platform's order
  (`cancel`, `primary`, `destructive`), and optionally a message on the left (`message`).

Conventions (the app's, kept in one place): the primary button is blue and is the default (Enter presses
it while focus is in a field); a destructive button is red, never the default, and never pressed by Enter
unless it has the focus; Cancel never takes Enter from a field. Enter on any focused push button presses
that button, as Space does (a keyboard user who Tabs to "Save" and presses Enter saves).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.keys import is_plain_enter, press_focused_button
from consentdesk.ui.kit.labels import title_and_hint

#: What a dialog's column holds: a widget, a layout, or a widget with its stretch.
Item = QWidget | QLayout | tuple[QWidget, int]


def scroll_area(content: QWidget, name: str) -> QScrollArea:
    """`content` in a frameless scroll area that resizes it to its width (a long form, a list of cards)."""
    scroll = QScrollArea()
    scroll.setAccessibleName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    return scroll


class Footer(QFrame):
    """A dialog's button row: extra actions on the left, the standard buttons on the right."""

    def __init__(self, dialog: QDialog, *, banded: bool) -> None:
        super().__init__(dialog)  # in the dialog from the start, so the default button is known to it
        self.dialog = dialog
        if banded:
            self.setObjectName("dialogFooter")
        self.row = spacing.hbox(self, spacing.FOOTER if banded else spacing.NONE, spacing.GAP)
        self.left = spacing.hbox(spacing=spacing.GAP)
        self.row.addLayout(self.left)
        self.row.addStretch(1)
        self.box = QDialogButtonBox()
        self.row.addWidget(self.box)
        self.primary_button: QPushButton | None = None

    def message(self, label: QLabel) -> QLabel:
        """Show `label` at the left of the row (a summary of errors), taking the spare room."""
        self.row.insertWidget(1, label, 1)
        self.row.setStretch(2, 0)  # the message takes the spare room, not the empty stretch after it
        return label

    def add_left(self, text: str, slot: Callable[[], object] | None = None, *, danger: bool = False) -> QPushButton:
        """An extra action at the left (Save PDF…, Show in folder, Find moved photos…)."""
        button = self._button(text, slot, danger=danger)
        self.left.addWidget(button)
        return button

    def cancel(self, text: str = "Cancel", slot: Callable[[], object] | None = None) -> QPushButton:
        """Cancel (or Close): never the default, so Enter in a field never presses it."""
        button = self._button(text, slot or self.dialog.reject)
        self.box.addButton(button, QDialogButtonBox.ButtonRole.RejectRole)
        return button

    def primary(self, text: str, slot: Callable[[], object] | None = None) -> QPushButton:
        """The dialog's main action: blue, and the default button (Enter in a field presses it)."""
        button = self._button(text, slot or self.dialog.accept)
        button.setProperty("primary", True)
        self.box.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
        button.setDefault(True)  # once it is in the dialog, or Qt forgets it
        self.primary_button = button
        return button

    def destructive(self, text: str, slot: Callable[[], object] | None = None) -> QPushButton:
        """An action that cannot be undone: red, never the default (only pressed on purpose)."""
        button = self._button(text, slot or self.dialog.accept, danger=True)
        self.box.addButton(button, QDialogButtonBox.ButtonRole.DestructiveRole)
        return button

    @staticmethod
    def _button(text: str, slot: Callable[[], object] | None, *, danger: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        if danger:
            button.setProperty("danger", True)
        if slot is not None:
            button.clicked.connect(lambda _checked=False: slot())
        return button


class Dialog(QDialog):
    """Every dialog of the app derives from this (see the module docstring for its pieces)."""

    def __init__(self, parent: QWidget | None = None, *, title: str = "", name: str = "") -> None:
        super().__init__(parent)
        if title:
            self.setWindowTitle(title)
        if name:
            self.setObjectName(name)

    # --- layouts ----------------------------------------------------------------------------------

    def banded(self) -> QVBoxLayout:
        """The layout for header band, body and footer band (no margins: the bands carry their own)."""
        return spacing.vbox(self, spacing.NONE, 0)

    def plain(
        self, *items: Item, margins: spacing.Margins = spacing.DIALOG, gap: int = spacing.BLOCK
    ) -> QVBoxLayout:
        """The layout for a padded column (title block, content, footer), holding `items` in order: a
        widget, a layout, or (widget, stretch)."""
        column = spacing.vbox(self, margins, gap)
        for item in items:
            if isinstance(item, QLayout):
                column.addLayout(item)
            elif isinstance(item, tuple):
                column.addWidget(*item)
            else:
                column.addWidget(item)
        return column

    # --- pieces -----------------------------------------------------------------------------------

    def header(
        self, title: str | QLabel, *, eyebrow: str = "", hint: str | QLabel | None = None, badge: QWidget | None = None
    ) -> QFrame:
        """The white header band: eyebrow, title and hint on the left, a status badge on the right."""
        band = QFrame()
        band.setObjectName("dialogHeader")
        row = spacing.hbox(band, spacing.BAND)
        row.addLayout(title_and_hint(title, hint, eyebrow=eyebrow), 1)
        if badge is not None:
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        return band

    def footer(self, *, banded: bool = False) -> Footer:
        return Footer(self, banded=banded)

    # --- keyboard ---------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        """Enter on a focused push button presses it (Qt only does so for "auto-default" buttons)."""
        if is_plain_enter(event) and press_focused_button(self.focusWidget()):
            event.accept()
            return
        super().keyPressEvent(event)
