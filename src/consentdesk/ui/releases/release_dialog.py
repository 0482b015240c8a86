"""The "New release" dialog, generated from the form definition.

Sections and fields come from `FormDefinition`; each field's widget comes from `form_widgets`. Saving goes
through `core.consents.record_consent`, the same path as `consentdesk consent add --json`, so validation
and storage are identical; the dialog only shows the returned `FieldError`s beside their fields.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QLabel,
    QMessageBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.consent.releases import ConsentInvalid, record_consent
from consentdesk.core.forms import Field, FieldError, FormDefinition, Section, Submission, load_form
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.busy import describe_error, in_catalogue
from consentdesk.ui.kit.dialog import Dialog, Footer, scroll_area
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.workers import run_task
from consentdesk.ui.releases.form_widgets import FieldWidget, SignatureFieldWidget, create_field_widget


def error_text(field: Field | None, message: str) -> str:
    """Turn a core message ("is required") into a sentence that reads well under the field."""
    if field is not None and message.startswith("is "):
        label = field.label.split(" (")[0]
        return f"{label} {message}."
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


class FieldRow(QWidget):
    """Label, optional help, the input and a (hidden until needed) error message for one field."""

    def __init__(self, widget: FieldWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        field = widget.field
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.label = QLabel(field.label + (" *" if field.required else ""))
        self.label.setProperty("role", "fieldLabel")
        self.label.setWordWrap(True)
        self.label.setBuddy(widget.input)
        layout.addWidget(self.label)
        if field.help:
            help_label = QLabel(field.help)
            help_label.setProperty("role", "hint")
            help_label.setWordWrap(True)
            layout.addWidget(help_label)
        layout.addWidget(widget)
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        layout.addWidget(self.error)
        # The "*" is only drawn; the name says "required". A group of boxes keeps each box's own name
        # and carries the field's name on the group and in each box's description.
        self.name = field.label + (" (required)" if field.required else "")
        if widget.is_group():
            widget.setAccessibleName(self.name)
        else:
            widget.input.setAccessibleName(self.name)
        self._descriptions = {id(c): c.accessibleDescription() for c in widget.controls()}
        self._describe("")

    def _describe(self, error: str) -> None:
        """Each control's description: the error first (so it is heard), then group, help, own hint."""
        field = self.widget.field
        for control in self.widget.controls():
            parts = [error, self.name if self.widget.is_group() else "", field.help or ""]
            parts.append(self._descriptions.get(id(control), ""))
            control.setAccessibleDescription(" ".join(p if p.endswith(".") else p + "." for p in parts if p))

    def set_errors(self, messages: list[str]) -> None:
        self.error.setText("\n".join(messages))
        self.error.setVisible(bool(messages))
        self.widget.set_error(" ".join(messages) if messages else None)
        self._describe(" ".join(messages))
        self.layout().setContentsMargins(12 if messages else 0, 0, 0, 0)
        self.setProperty("invalid", bool(messages))
        self.style().unpolish(self)
        self.style().polish(self)


class ReleaseDialog(Dialog):
    """Fill in and save one signed release. After `exec()` returns Accepted, `consent` is the record."""

    def __init__(
        self,
        catalogue: Catalogue,
        form: FormDefinition | None = None,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        form_id: str | None = None,
        aside: QWidget | None = None,
    ) -> None:
        """`form_id`: enter the answers of a printed paper form under its pre-printed id (source "paper");
        `aside`: a widget shown beside the form, such as the scan being typed from."""
        super().__init__(parent, name="consentDialog")
        self.catalogue = catalogue
        self.form = form or load_form()
        self.today = today or date.today()
        self.form_id = form_id
        self.printed_form: Path | None = None  # the form printed by "Sign on paper instead"
        self.printed_answers: dict[str, Any] | None = None  # the answers printed on it
        self.aside = aside
        self.consent: Consent | None = None
        self.widgets: dict[str, FieldWidget] = {}
        self.rows: dict[str, FieldRow] = {}
        self.sections: dict[str, QFrame] = {}
        self._dirty = False
        self.busy = False  # a save or a print is on its way (in a worker)
        #: Ask before throwing away typed answers on Cancel/Escape/close (tests switch it off).
        self.confirm_discard = True
        self.setWindowTitle(
            f"Paper form {form_id} — enter answers" if form_id else f"New release — {self.form.title}"
        )
        self.setModal(True)
        self._build()
        self._update_minor()
        if self.widgets:  # start in the first field, not on the scroll area around the form
            next(iter(self.widgets.values())).focus_input()

    # --- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = self.banded()
        layout.addWidget(self._build_header())
        self._build_form()
        if self.aside is not None:
            splitter = QSplitter(Qt.Orientation.Horizontal)
            splitter.setChildrenCollapsible(False)
            splitter.addWidget(self.aside)
            splitter.addWidget(self.scroll)
            splitter.setStretchFactor(0, 1)
            splitter.setStretchFactor(1, 1)
            layout.addWidget(splitter, 1)
        else:
            layout.addWidget(self.scroll, 1)
        layout.addWidget(self._build_footer())
        self.resize(1500 if self.aside is not None else 820, 860)

    def _build_header(self) -> QFrame:
        paper = (
            f"Paper form {self.form_id}  ·  type the answers as written on the form  ·  " if self.form_id else ""
        )
        return self.header(
            self.form.title,
            eyebrow=self.form.organisation,
            hint=f"{paper}Form version {self.form.version}  ·  Fields marked * are required",
        )

    def _build_form(self) -> None:
        """One card per section of the form, one row per field, in a scroll area."""
        content = QWidget()
        content.setObjectName("formContent")
        body = spacing.vbox(content, spacing.BODY, spacing.SECTION)
        wording_section = self._wording_section_id()
        for section in self.form.sections:
            body.addWidget(self._section_card(section, with_wording=section.id == wording_section))
        body.addStretch(1)
        for widget in self.widgets.values():
            widget.link(self.widgets)
            if isinstance(widget, SignatureFieldWidget):
                widget.paper_requested.connect(self.sign_on_paper)
        if self.form_id:
            self._show_signed_on_paper()  # a printed form being typed in: it was signed by hand
        self.scroll = scroll_area(content, f"{self.form.title} form")
        self.scroll.setObjectName("formScroll")

    def _section_card(self, section: Section, *, with_wording: bool) -> QFrame:
        frame = QFrame()
        frame.setObjectName("formSection")
        frame.setProperty("minorOnly", section.minor_only)
        box = spacing.vbox(frame, (20, 16, 20, 20), 14)
        box.addWidget(text_label(section.title, "sectionTitle", wrap=False))
        if with_wording:
            box.addWidget(self._wording_box())
        for field in section.fields:
            widget = create_field_widget(field, self.form)
            row = FieldRow(widget)
            self.widgets[field.id] = widget
            self.rows[field.id] = row
            widget.changed.connect(lambda f=field.id: self._field_changed(f))
            box.addWidget(row)
        self.sections[section.id] = frame
        return frame

    def _build_footer(self) -> Footer:
        """Cancel and Save release, with the summary of errors (when there are any) on the left."""
        footer = self.footer(banded=True)
        self.summary = footer.message(text_label("", "error"))
        self.summary.hide()
        footer.cancel()
        self.save_button = footer.primary("Save release", self.save)
        return footer

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Once styled, make the form at least as wide as its widest row (the channel grid), so no field
        sits off to the right behind a sideways scroll bar; beside a scan, the scan gives way."""
        super().showEvent(event)
        content = self.scroll.widget()
        frame = 2 * self.scroll.frameWidth() + 4  # the scroll area's own (focus) border
        needed = (
            content.minimumSizeHint().width() + self.scroll.verticalScrollBar().sizeHint().width() + frame
        )
        if self.aside is not None:
            self.scroll.setMinimumWidth(needed)
        elif self.scroll.viewport().width() < content.minimumSizeHint().width():
            self.resize(self.width() + needed - self.scroll.width(), self.height())

    def _wording_section_id(self) -> str | None:
        """The consent wording goes above the person's own signature (the first required signature)."""
        for field in self.form.fields:
            if field.type == "signature" and field.required:
                return field.section
        return None

    def _wording_box(self) -> QWidget:
        box = QTextBrowser()
        box.setObjectName("consentWording")
        box.setReadOnly(True)
        box.setOpenLinks(False)
        box.setAccessibleName("Consent wording")
        box.setPlainText(self.form.consent_wording)
        box.setFixedHeight(box.fontMetrics().lineSpacing() * 8 + 24)
        box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return box

    # --- signing on paper (the keyboard path) --------------------------------------------------------

    def sign_on_paper(self) -> None:
        """Print this person's form, with the answers typed so far, under a new form id (in a worker: it
        reserves the id and draws the page); the record is saved with that id, source "paper", and no
        drawn signature (core: `consent.releases.signed_on_paper`); the signed scan is imported later. Asked again
        after printing, it reprints under the same id with the answers as they are now."""
        if self.form_id is not None and self.printed_form is None:
            self._show_signed_on_paper()  # typing in a form printed elsewhere: it is signed already
            return
        if self.busy:
            return
        from consentdesk.core.pdf.form_to_sign import write_form_to_sign

        suggested = str(Path.home() / "release-form-to-sign.pdf")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the form to print and sign", suggested, "PDF (*.pdf)"
        )
        if not path:
            return
        out = Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")
        form, submission, reprint, today = self.form, self.submission(), self.form_id, self.today
        self._set_busy(True)
        run_task(
            in_catalogue(
                self.catalogue,
                lambda cat, _c: write_form_to_sign(cat, form, submission, out, form_id=reprint, today=today),
            ),
            lambda form_id: self._form_printed(form_id, out, submission.answers),
            lambda exc: self._form_not_printed(exc, out),
            owner=self,
        )

    def _form_printed(self, form_id: str, out: Path, answers: dict[str, Any]) -> None:
        from consentdesk.ui.releases.record_dialog import offer_to_open

        self._set_busy(False)
        self.form_id = form_id
        self.printed_form = out
        self.printed_answers = dict(answers)
        self.setWindowTitle(f"Paper form {self.form_id} — {self.form.title}")
        self._show_signed_on_paper()
        offer_to_open(self, out, "Form ready to print")

    def _form_not_printed(self, exc: BaseException, out: Path) -> None:
        self._set_busy(False)
        QMessageBox.warning(
            self,
            "Form not saved",
            f"Could not write {out.name}: {describe_error(exc)}. Choose another folder.",
        )

    def _set_busy(self, busy: bool) -> None:
        """While saving or printing, Save does nothing more and the window cannot be closed (the outcome
        must be seen); the answers stay as typed. The button stays enabled, so keyboard focus stays on it
        (a disabled button would push focus to another field); its text says what is happening."""
        self.busy = busy
        self.save_button.setText("Saving…" if busy else "Save release")

    def _show_signed_on_paper(self) -> None:
        text = (
            f"Signed by hand on paper form {self.form_id}. Import its scan with File → Import paper form "
            "scans…; the scan is the signature."
        )
        for widget in self.widgets.values():
            if isinstance(widget, SignatureFieldWidget) and not widget.signed_on_paper:
                widget.set_on_paper(text)
        announce(self, text)

    # --- live behaviour ----------------------------------------------------------------------------

    def _field_changed(self, field_id: str) -> None:
        self._dirty = True
        row = self.rows[field_id]
        if row.error.isVisible():
            row.set_errors([])
        self._update_minor()

    def raw_answers(self) -> dict[str, Any]:
        answers = {}
        for field_id, widget in self.widgets.items():
            if not widget.field.is_file:
                value = widget.value()
                if value not in (None, "", []):
                    answers[field_id] = value
        return answers

    def is_minor(self) -> bool:
        return self.form.is_minor(self.raw_answers(), self.today)

    def _update_minor(self) -> None:
        minor = self.is_minor()
        for section in self.form.sections:
            if section.minor_only:
                frame = self.sections[section.id]
                frame.setVisible(minor)
                frame.setEnabled(minor)

    # --- saving ------------------------------------------------------------------------------------

    def submission(self) -> Submission:
        """Answers and files in the same shape as the JSON the command line reads."""
        minor = self.is_minor()
        answers: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for field_id, widget in self.widgets.items():
            if widget.field.minor_only and not minor:
                continue  # hidden guardian fields are not part of an adult's record
            if widget.field.is_file:
                data = widget.file_data()
                if data:
                    files[field_id] = data
            else:
                value = widget.value()
                if value not in (None, "", []):
                    answers[field_id] = value
        return Submission(answers, files)

    def save(self) -> None:
        """Check and save in a worker (core validates, then writes the record and its files in one
        action); errors come back to the fields, the answers stay as typed."""
        if self.busy:
            return
        self.clear_errors()
        form, submission, form_id = self.form, self.submission(), self.form_id
        if self.printed_answers is not None and submission.answers != self.printed_answers:
            # The paper is what gets signed: a record that differs from it would not be what was agreed.
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Answers changed since printing",
                f"The answers differ from those printed on form {form_id}, so the record would not match "
                "what is signed. Print the form again with these answers and have the new printout signed "
                "(same form ID), or change the answers back.",
                parent=self,
            )
            reprint = box.addButton("Print again…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(reprint)
            box.exec()
            if box.clickedButton() is reprint:
                self.sign_on_paper()
            return
        source = "paper" if form_id else "screen"
        self._set_busy(True)
        run_task(
            in_catalogue(
                self.catalogue,
                lambda cat, _c: record_consent(cat, form, submission, source=source, form_id=form_id),
            ),
            self._saved,
            self._not_saved,
            owner=self,
        )

    def _saved(self, consent: Consent) -> None:
        self._set_busy(False)
        self.consent = consent
        self._dirty = False
        self.accept()

    def _not_saved(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, ConsentInvalid):
            self.show_errors(exc.errors)
            return
        QMessageBox.critical(
            self,
            "Release not saved",
            f"The release could not be saved: {describe_error(exc)}.\n\nYour answers are still in the form; "
            "fix the problem and press Save again.",
        )

    def clear_errors(self) -> None:
        for row in self.rows.values():
            row.set_errors([])
        self.summary.hide()

    def show_errors(self, errors: list[FieldError]) -> None:
        by_field: dict[str, list[str]] = {}
        other: list[str] = []
        for error in errors:
            field = self.widgets[error.field].field if error.field in self.widgets else None
            text = error_text(field, error.message)
            if field is None:
                other.append(f"{error.field}: {text}")
            else:
                by_field.setdefault(error.field, []).append(text)
        for field_id, messages in by_field.items():
            self.rows[field_id].set_errors(messages)
        count = len(by_field) + len(other)
        summary = f"{count} {'field needs' if count == 1 else 'fields need'} attention before this release can be saved."
        if other:
            summary += " " + " ".join(other)
        self.summary.setText(summary)
        self.summary.show()
        first = next((fid for fid in self.widgets if fid in by_field), None)
        said = summary + (" " + " ".join(by_field[first]) if first is not None else "")
        announce(self.summary, said, assertive=True)
        if first is not None:
            row = self.rows[first]
            self.widgets[first].focus_input()
            QTimer.singleShot(0, lambda: self.scroll.ensureWidgetVisible(row, 40, 60))

    def errors_shown(self) -> dict[str, str]:
        """Field id -> the error text currently displayed (for tests and accessibility checks)."""
        return {fid: row.error.text() for fid, row in self.rows.items() if not row.error.isHidden()}

    def reject(self) -> None:
        if self.busy:
            return  # closing while saving would hide whether the release was saved
        if self._dirty and self.confirm_discard:
            answer = QMessageBox.question(
                self,
                "Discard this release?",
                "The answers you typed have not been saved. Discard them?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()
