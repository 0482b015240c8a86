"""One input widget per form field type, built from a `Field` of the form definition.

Every widget has the same small interface: `value()` (the answer in the same JSON shape the command line
uses, or None when empty), `file_data()` for file fields, `set_error()` and a `changed` signal. The dialog
loops over the form's sections and fields and calls `create_field_widget`; nothing lists fields by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.forms import MAX_PHOTO_BYTES, Field, FormDefinition
from consentdesk.ui.releases.signature_pad import SignaturePad

DATE_FORMAT = "dd/MM/yyyy"
EMPTY_DATE = QDate(1900, 1, 1)


def _set_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FieldWidget(QWidget):
    """Base class: one field's input. Subclasses set `self.input` (the widget that takes focus)."""

    changed = Signal()

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.form = form
        self.input: QWidget = self
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)

    def value(self) -> Any:
        return None

    def file_data(self) -> bytes | None:
        return None

    def set_error(self, message: str | None) -> None:
        _set_invalid(self.input, bool(message))

    def focus_input(self) -> None:
        self.input.setFocus(Qt.FocusReason.OtherFocusReason)

    def controls(self) -> list[QWidget]:
        """The controls a keyboard user reaches for this field (several for a group of boxes)."""
        return [self.input]

    def is_group(self) -> bool:
        """A group of boxes: each keeps its own name and the field's label goes on the group."""
        return False

    def link(self, widgets: dict[str, FieldWidget]) -> None:
        """Connect to other fields after all are built (channels tick their use)."""


class TextFieldWidget(FieldWidget):
    PLACEHOLDERS = {"email": "name@example.org", "phone": "07700 900123"}

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.input = self.edit = QLineEdit()
        if field.max_length:
            self.edit.setMaxLength(field.max_length)
        self.edit.setPlaceholderText(self.PLACEHOLDERS.get(field.type, ""))
        if field.type == "email":
            self.edit.setInputMethodHints(Qt.InputMethodHint.ImhEmailCharactersOnly)
        elif field.type == "phone":
            self.edit.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
        self.edit.textChanged.connect(self.changed)
        self.layout_.addWidget(self.edit)

    def value(self) -> str | None:
        return self.edit.text() or None


class MultilineFieldWidget(FieldWidget):
    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.input = self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 4 + 16)
        self.edit.textChanged.connect(self.changed)
        self.layout_.addWidget(self.edit)

    def value(self) -> str | None:
        return self.edit.toPlainText() or None


class DateFieldWidget(FieldWidget):
    """A date with a calendar popup. Optional dates start as "Not known" so they can stay empty."""

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.input = self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(DATE_FORMAT)
        self.edit.setDate(QDate.currentDate())
        if field.default and field.default != "today":
            parsed = QDate.fromString(field.default, Qt.DateFormat.ISODate)
            if parsed.isValid():
                self.edit.setDate(parsed)
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 60)
        self.edit.dateChanged.connect(self.changed)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        self.unknown: QCheckBox | None = None
        if not (field.required or field.default):
            # Optional: starts empty. The minimum date is the "empty" value and reads "Not given".
            self.edit.setMinimumDate(EMPTY_DATE)
            self.edit.setSpecialValueText("Not given")
            self.edit.setDate(EMPTY_DATE)
            self.unknown = QCheckBox("Not known")
            self.unknown.setChecked(True)
            self.unknown.setAccessibleName(f"{field.label}: not known")
            self.edit.setEnabled(False)
            self.unknown.toggled.connect(self._toggle_unknown)
            row.addWidget(self.unknown)
        row.addStretch(1)
        self.layout_.addLayout(row)

    def _toggle_unknown(self, unknown: bool) -> None:
        self.edit.setEnabled(not unknown)
        if unknown:
            self.edit.setDate(EMPTY_DATE)
        else:
            if self.edit.date() == EMPTY_DATE:
                self.edit.setDate(QDate.currentDate())
            self.edit.setFocus()
        self.changed.emit()

    def set_date(self, value: date | None) -> None:
        if value is None:
            if self.unknown is not None:
                self.unknown.setChecked(True)
            return
        if self.unknown is not None:
            self.unknown.setChecked(False)
        self.edit.setDate(QDate(value.year, value.month, value.day))

    def value(self) -> str | None:
        if self.unknown is not None and (self.unknown.isChecked() or self.edit.date() == EMPTY_DATE):
            return None
        return self.edit.date().toPython().isoformat()

    def focus_input(self) -> None:
        target = self.edit if self.edit.isEnabled() or self.unknown is None else self.unknown
        target.setFocus(Qt.FocusReason.OtherFocusReason)


class ChoiceFieldWidget(FieldWidget):
    """A drop-down with an empty "Choose…" entry (required, short lists use radio buttons instead)."""

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.input = self.combo = QComboBox()
        if field.default is None:
            self.combo.addItem("Choose…", None)
        for option in field.options:
            self.combo.addItem(option.label, option.id)
        if field.default is not None:
            self.combo.setCurrentIndex(max(0, self.combo.findData(field.default)))
        self.combo.currentIndexChanged.connect(self.changed)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo)
        row.addStretch(1)
        self.layout_.addLayout(row)

    def set_choice(self, option_id: str | None) -> None:
        self.combo.setCurrentIndex(max(0, self.combo.findData(option_id)))

    def value(self) -> str | None:
        return self.combo.currentData()


class RadioChoiceWidget(FieldWidget):
    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(18)
        for option in field.options:
            button = QRadioButton(option.label)
            self.group.addButton(button)
            self.buttons[option.id] = button
            row.addWidget(button)
            button.toggled.connect(self.changed)
        row.addStretch(1)
        self.layout_.addLayout(row)
        if field.default and field.default in self.buttons:
            self.buttons[field.default].setChecked(True)
        self.input = next(iter(self.buttons.values()))

    def set_choice(self, option_id: str) -> None:
        self.buttons[option_id].setChecked(True)

    def controls(self) -> list[QWidget]:
        return list(self.buttons.values())

    def is_group(self) -> bool:
        return True

    def value(self) -> str | None:
        return next((oid for oid, b in self.buttons.items() if b.isChecked()), None)

    def set_error(self, message: str | None) -> None:
        for button in self.buttons.values():
            _set_invalid(button, bool(message))

    def focus_input(self) -> None:
        checked = self.group.checkedButton()
        (checked or self.input).setFocus(Qt.FocusReason.OtherFocusReason)


class UsesFieldWidget(FieldWidget):
    """Checkboxes for the permitted uses, two columns."""

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(24)
        self.boxes: dict[str, QCheckBox] = {}
        for i, option in enumerate(form.uses):
            box = QCheckBox(option.label)
            box.toggled.connect(self.changed)
            self.boxes[option.id] = box
            grid.addWidget(box, i // 2, i % 2)
        grid.setColumnStretch(2, 1)
        self.layout_.addLayout(grid)
        self.input = next(iter(self.boxes.values()))

    def value(self) -> list[str] | None:
        return [oid for oid, box in self.boxes.items() if box.isChecked()] or None

    def set_error(self, message: str | None) -> None:
        for box in self.boxes.values():
            _set_invalid(box, bool(message))

    def controls(self) -> list[QWidget]:
        return list(self.boxes.values())

    def is_group(self) -> bool:
        return True


class ChannelsFieldWidget(FieldWidget):
    """Channel checkboxes grouped under their use; ticking a channel ticks its use, unticking a use clears
    its channels, so the two lists cannot contradict each other."""

    COLUMNS = 4

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.boxes: dict[str, QCheckBox] = {}
        self.uses_widget: UsesFieldWidget | None = None
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        row = 0
        for use in form.uses:
            channels = [c for c in form.channels if c.use == use.id]
            if not channels:
                continue
            heading = QLabel(use.label)
            heading.setProperty("role", "subheading")
            grid.addWidget(heading, row, 0, Qt.AlignmentFlag.AlignTop)
            for i, channel in enumerate(channels):
                box = QCheckBox(channel.label)
                box.setAccessibleName(f"{channel.label} ({use.label})")
                box.toggled.connect(lambda checked, c=channel: self._channel_toggled(c.use, checked))
                self.boxes[channel.id] = box
                grid.addWidget(box, row + i // self.COLUMNS, 1 + i % self.COLUMNS)
            row += (len(channels) - 1) // self.COLUMNS + 1
        grid.setColumnStretch(self.COLUMNS + 1, 1)
        self.layout_.addLayout(grid)
        self.input = next(iter(self.boxes.values()))

    def link(self, widgets: dict[str, FieldWidget]) -> None:
        self.uses_widget = next((w for w in widgets.values() if isinstance(w, UsesFieldWidget)), None)
        if self.uses_widget is not None:
            for use_id, box in self.uses_widget.boxes.items():
                box.toggled.connect(lambda checked, u=use_id: self._use_toggled(u, checked))

    def _channel_toggled(self, use_id: str | None, checked: bool) -> None:
        if checked and self.uses_widget is not None and use_id in self.uses_widget.boxes:
            self.uses_widget.boxes[use_id].setChecked(True)
        self.changed.emit()

    def _use_toggled(self, use_id: str, checked: bool) -> None:
        if not checked:
            for channel in self.form.channels:
                if channel.use == use_id and channel.id in self.boxes:
                    self.boxes[channel.id].setChecked(False)

    def value(self) -> list[str] | None:
        return [oid for oid, box in self.boxes.items() if box.isChecked()] or None

    def set_error(self, message: str | None) -> None:
        for box in self.boxes.values():
            _set_invalid(box, bool(message))

    def controls(self) -> list[QWidget]:
        return list(self.boxes.values())

    def is_group(self) -> bool:
        return True


class SignatureFieldWidget(FieldWidget):
    """The pad, plus "Sign on paper instead": drawing needs a mouse, finger or pen, so the keyboard path
    is a printed form with its own QR form id (the dialog does the printing; see `set_on_paper`)."""

    paper_requested = Signal()

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self.pad = SignaturePad()
        self.pad.canvas.setAccessibleName(field.label)
        self.pad.strokes_changed.connect(self.changed)
        self.input = self.pad.canvas
        self.layout_.addWidget(self.pad)
        self.paper_button = QPushButton("Sign on paper instead…")
        self.paper_button.setObjectName("signOnPaperButton")
        self.paper_button.setAccessibleDescription(
            "Prints this person's form with its QR form id to sign by hand; the scan becomes the signature."
        )
        self.paper_button.clicked.connect(self.paper_requested)
        self.on_paper = QLabel("")
        self.on_paper.setObjectName("signedOnPaper")
        self.on_paper.setWordWrap(True)
        self.on_paper.setProperty("role", "success")
        # Focusable and selectable by keyboard: focus lands here when the button it replaces goes away.
        self.on_paper.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.on_paper.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.on_paper.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.paper_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.on_paper)
        self.signed_on_paper = False

    def set_on_paper(self, text: str) -> None:
        """Signed on the printed form: no pad, the text says where the signature is."""
        self.signed_on_paper = True
        had_focus = self.paper_button.hasFocus() or self.pad.canvas.hasFocus()
        self.pad.clear()
        self.on_paper.setText(text)
        self.on_paper.setAccessibleName(text)
        self.on_paper.show()
        if had_focus:
            self.on_paper.setFocus(Qt.FocusReason.OtherFocusReason)
        self.pad.hide()
        self.paper_button.hide()
        self.input = self.on_paper
        self.changed.emit()

    def controls(self) -> list[QWidget]:
        return [self.pad.canvas, self.paper_button]

    def file_data(self) -> bytes | None:
        return None if self.signed_on_paper or self.pad.is_empty() else self.pad.to_png()


class PhotoFieldWidget(FieldWidget):
    """ "Choose photo…" with a thumbnail; the file is checked for type and size as soon as it is chosen."""

    THUMB = 96

    def __init__(self, field: Field, form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(field, form, parent)
        self._data: bytes | None = None
        self.thumbnail = QLabel("No photo")
        self.thumbnail.setObjectName("photoThumbnail")
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setFixedSize(self.THUMB, self.THUMB)
        self.choose = QPushButton("Choose photo…")
        self.remove = QPushButton("Remove")
        self.remove.setProperty("flat", True)
        self.remove.setEnabled(False)
        self.message = QLabel("")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        self.choose.clicked.connect(self._choose)
        self.remove.clicked.connect(lambda: self.set_photo(None))
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.thumbnail)
        row.addLayout(buttons)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.message)
        self.input = self.choose

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a reference photo", str(Path.home()), "Photos (*.jpg *.jpeg *.png)"
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> bool:
        """Load a JPEG/PNG; on a problem show it under the button and keep the previous photo."""
        try:
            size = path.stat().st_size
            if size > MAX_PHOTO_BYTES:
                raise ValueError(
                    f"{path.name} is too large ({size / 1e6:.1f} MB; at most {MAX_PHOTO_BYTES / 1e6:.0f} MB). "
                    "Choose a smaller copy of the photo."
                )
            data = path.read_bytes()
        except OSError as exc:
            self._show_problem(f"Cannot read {path.name}: {exc.strerror}. Choose another file.")
            return False
        except ValueError as exc:
            self._show_problem(str(exc))
            return False
        if not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            self._show_problem(f"{path.name} is not a JPEG or PNG photo. Choose a .jpg or .png file.")
            return False
        self.set_photo(data)
        return True

    def _show_problem(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
        self.changed.emit()

    def set_photo(self, data: bytes | None) -> None:
        self._data = data
        self.message.hide()
        self.remove.setEnabled(data is not None)
        pixmap = QPixmap()
        if data and pixmap.loadFromData(data):
            scaled = pixmap.scaled(
                self.THUMB,
                self.THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.thumbnail.setPixmap(scaled)
        else:
            self.thumbnail.clear()
            self.thumbnail.setText("No photo")
        self.changed.emit()

    def file_data(self) -> bytes | None:
        return self._data

    def controls(self) -> list[QWidget]:
        return [self.choose, self.remove]

    def is_group(self) -> bool:
        return True  # "Choose photo…" and "Remove" keep their own names; the field's is on the group


def create_field_widget(field: Field, form: FormDefinition, parent: QWidget | None = None) -> FieldWidget:
    """The widget for a field, chosen by its type in the form definition."""
    if field.type == "choice":
        short_required = field.required and len(field.options) <= 4
        cls = RadioChoiceWidget if short_required else ChoiceFieldWidget
    else:
        cls = WIDGETS[field.type]
    return cls(field, form, parent)


WIDGETS: dict[str, type[FieldWidget]] = {
    "text": TextFieldWidget,
    "email": TextFieldWidget,
    "phone": TextFieldWidget,
    "multiline": MultilineFieldWidget,
    "date": DateFieldWidget,
    "uses": UsesFieldWidget,
    "channels": ChannelsFieldWidget,
    "signature": SignatureFieldWidget,
    "photo": PhotoFieldWidget,
}
