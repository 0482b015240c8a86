"""Read-only view of one signed release, plus the record actions shared with the register.

Answers are shown by label, in section order, from the form version the record was signed on, so an old
record always reads as it was signed even after the form changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QLabel,
    QMessageBox,
    QScrollArea,
    QWidget,
)

from consentdesk.core.consent.releases import STATE_WORDS, release_state, with_paper_signatures
from consentdesk.core.forms import Field, FormDefinition, FormDefinitionError, load_form
from consentdesk.core.store import Catalogue
from consentdesk.core.values import Consent, ConsentStatus
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy
from consentdesk.ui.kit.dialog import Dialog, Footer, scroll_area
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.roles import apply_window_roles, tag
from consentdesk.ui.kit.workers import Latest, TaskControl, run_task
from consentdesk.ui.releases.erase_dialog import erase_person
from consentdesk.ui.releases.sar_dialog import export_sar
from consentdesk.ui.releases.withdraw_dialog import withdraw

#: The release states in words (the rule is `consent.releases.release_state`, never a copy here).
STATUS_TEXT = STATE_WORDS


def status_key(consent: Consent, today: date) -> str:
    """The release's state on `today` (a key of STATUS_TEXT); `consent` as clearance reads it."""
    return release_state(consent, today)


def format_date(value: date | None, empty: str = "—") -> str:
    return value.strftime("%-d %b %Y") if value else empty


def form_for(consent: Consent) -> FormDefinition | None:
    try:
        return load_form(consent.form_name, consent.form_version)
    except FormDefinitionError:
        return None


def display_value(form: FormDefinition, field: Field, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field.type == "choice":
        option = field.option(str(value))
        return option.label if option else str(value)
    if field.type in ("uses", "channels"):
        options = {o.id: o.label for o in (form.uses if field.type == "uses" else form.channels)}
        return ", ".join(options.get(v, v) for v in value)
    if field.type == "date":
        try:
            return format_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


# --- record actions (used by the register and by the view) ---------------------------------------------


def save_pdf(parent: QWidget, catalogue: Catalogue, consent: Consent) -> TaskControl | None:
    """Ask where to save the completed release form, then write it in a worker (it reads the record's
    signatures from the catalogue and draws the pages)."""
    from consentdesk.core.pdf.release_form import write_completed_form

    suggested = str(Path.home() / f"release-{consent.id}.pdf")
    path, _ = QFileDialog.getSaveFileName(parent, "Save completed release form", suggested, "PDF (*.pdf)")
    if not path:
        return None
    out = Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")

    def failed(exc: BaseException) -> None:
        QMessageBox.warning(
            parent,
            "PDF not saved",
            f"Could not write {out.name}: {describe_error(exc)}. Choose another folder and try again.",
        )

    return run_busy(
        parent,
        "Saving the release form",
        f"Writing {out.name}…",
        in_catalogue(catalogue, lambda cat, _c: write_completed_form(cat, consent, out)),
        lambda written: offer_to_open(parent, Path(written or out), "Release form saved"),
        failed,
    )


def offer_to_open(parent: QWidget, path: Path, title: str) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setText(f"Saved to {path}.")
    open_button = box.addButton("Open PDF", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is open_button:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


# --- the view ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFiles:
    """What the record view shows from the catalogue besides the record itself."""

    consent_id: str
    files: dict[str, tuple[str, bytes] | None]  # signatures and reference photo, by field id
    scan_pages: int  # pages of its paper form's scan (paper records)
    consent: Consent | None = None  # the record as clearance reads it (a paper record signed by its scan)


def read_record_files(catalogue: Catalogue, consent: Consent) -> RecordFiles:
    """Worker: the record's stored files, its scan's page count, and whether its scan signs it."""
    form = form_for(consent)
    fields = [f for f in form.fields if f.is_file] if form is not None else []
    files = {f.id: catalogue.consent_file(consent.id, f.id) for f in fields}
    pages = len(catalogue.paper_scans(consent.id)) if consent.source == "paper" else 0
    return RecordFiles(consent.id, files, pages, with_paper_signatures(catalogue, consent))


def _show_image(label: QLabel, stored: tuple[str, bytes] | None, kind: str) -> None:
    pixmap = QPixmap()
    if stored is None or not pixmap.loadFromData(stored[1]):
        label.setText("—" if stored is None else "(image cannot be shown)")
        return
    if kind == "signature":
        label.setObjectName("signatureImage")
        pixmap = pixmap.scaled(
            360, 110, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    else:
        pixmap = pixmap.scaled(
            160, 160, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    label.setText("")
    label.setPixmap(pixmap)


class RecordDialog(Dialog):
    """All of one record, read-only, with Save PDF…, Subject access bundle…, Withdraw… and Erase person…."""

    changed = Signal(object)  # the updated Consent after a withdrawal or erasure

    def __init__(self, catalogue: Catalogue, consent: Consent, parent: QWidget | None = None) -> None:
        super().__init__(parent, name="consentView")
        self.catalogue = catalogue
        self.consent = consent
        self.resize(720, 820)
        self._layout = self.banded()
        self._stored: RecordFiles | None = None  # read in a worker; until then its places say "Loading…"
        self._reads = Latest()  # the files of the record as shown last (it changes after an erasure)
        self._file_labels: dict[str, tuple[QLabel, str]] = {}
        self._scan_label: QLabel | None = None
        self._render()
        self._read_files()

    def is_loaded(self) -> bool:
        return self._stored is not None

    def _read_files(self) -> None:
        consent = self.consent
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: read_record_files(cat, consent)),
            self._files_read,
            lambda exc: self._files_failed(describe_error(exc)),
            owner=self,
            latest=self._reads,
        )

    def _files_read(self, stored: RecordFiles) -> None:
        if stored.consent is not None and stored.consent != self.consent:  # its scan signs it: say so
            self.consent = stored.consent
            self._file_labels, self._scan_label = {}, None
            self._render()
        self._stored = stored
        self._fill_files()

    def _files_failed(self, reason: str) -> None:
        for label, _kind in self._file_labels.values():
            label.setText(f"(could not be read: {reason})")
        if self._scan_label is not None:
            self._scan_label.setText(f"(could not be read: {reason})")

    def _fill_files(self) -> None:
        stored = self._stored
        if stored is None:
            return
        for field_id, (label, kind) in self._file_labels.items():
            _show_image(label, stored.files.get(field_id), kind)
        if self._scan_label is not None:
            pages, consent_id = stored.scan_pages, self.consent.id
            self._scan_label.setText(
                f"On paper form {consent_id}: scan attached ({pages} page{'s' if pages != 1 else ''})"
                if pages
                else f"On paper form {consent_id}: waiting for its signed scan (File → Import paper form scans…)"
            )

    def _render(self) -> None:
        """(Re)build the whole view from `self.consent` (after a withdrawal or an erasure, too)."""
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        consent = self.consent
        self.setWindowTitle(f"Release {consent.id} — {consent.full_name}")
        self._layout.addWidget(self._build_header())
        self._layout.addWidget(self._build_body(), 1)
        footer = self._build_footer()
        self._layout.addWidget(footer)
        apply_window_roles(footer, self.catalogue)  # in the dialog now, so it finds the window's roles

    def _build_header(self) -> QFrame:
        consent = self.consent
        key = status_key(consent, date.today())
        self.status_badge = QLabel(STATUS_TEXT.get(key, key))
        self.status_badge.setProperty("badge", key)
        name = text_label(consent.full_name, "title")
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return self.header(
            name, eyebrow=f"Release {consent.id}  ·  form version {consent.form_version}", badge=self.status_badge
        )

    def _build_body(self) -> QScrollArea:
        """The status card, then one card per section of the form the record was signed on."""
        consent = self.consent
        form = form_for(consent)
        content = QWidget()
        content.setObjectName("formContent")
        body = spacing.vbox(content, spacing.BODY, spacing.SECTION)
        body.addWidget(self._status_card(consent, date.today()))
        if form is None:
            body.addWidget(
                QLabel(
                    f"Form {consent.form_name} version {consent.form_version} is not installed; raw answers:"
                )
            )
            body.addWidget(QLabel("\n".join(f"{k}: {v}" for k, v in consent.answers.items())))
        else:
            for section in form.sections:
                card = self._section_card(form, section, consent)
                if card is not None:
                    body.addWidget(card)
        body.addStretch(1)
        return scroll_area(content, "Record details")

    def _build_footer(self) -> Footer:
        """The record's actions; each shown only to the roles allowed it on a team register (the server
        refuses the others anyway)."""
        consent = self.consent
        footer = self.footer(banded=True)
        self.pdf_button = footer.add_left("Save PDF…", lambda: save_pdf(self, self.catalogue, self.consent))
        self.sar_button = footer.add_left(
            "Subject access bundle…", lambda: export_sar(self, self.catalogue, self.consent)
        )
        self.sar_button.setToolTip("Export everything held about this person as a .zip (SAR)")
        self.withdraw_button = footer.add_left("Withdraw…", self._withdraw, danger=True)
        self.withdraw_button.setEnabled(consent.status is ConsentStatus.ACTIVE)
        self.erase_button = footer.add_left(
            "Erase person…", lambda: erase_person(self, self.catalogue, self.consent, self._updated), danger=True
        )
        not_erased = consent.status is not ConsentStatus.ERASED
        self.sar_button.setEnabled(not_erased)
        self.erase_button.setEnabled(not_erased)
        footer.primary("Close")
        tag(self.withdraw_button, "withdraw")
        tag(self.sar_button, "protect")
        tag(self.erase_button, "protect")
        return footer

    def _card(self, title: str) -> tuple[QFrame, QFormLayout]:
        frame = QFrame()
        frame.setObjectName("formSection")
        box = spacing.vbox(frame, spacing.CARD, spacing.GAP)
        box.addWidget(text_label(title, "sectionTitle", wrap=False))
        grid = QFormLayout()
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(8)
        grid.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        grid.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        box.addLayout(grid)
        return frame, grid

    @staticmethod
    def _value_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @staticmethod
    def _key_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("role", "fieldKey")
        label.setWordWrap(True)
        width = label.fontMetrics().horizontalAdvance("x") * 26  # one even column of keys
        label.setFixedWidth(width)
        label.setMinimumHeight(label.heightForWidth(width))  # a long key wraps: its row grows, never clips
        return label

    def _status_card(self, consent: Consent, today: date) -> QFrame:
        frame, grid = self._card("Status")
        key = status_key(consent, today)
        signed = consent.signed_at.strftime("%-d %b %Y, %H:%M")
        rows = [
            ("Status", STATUS_TEXT.get(key, str(consent.status))),
            # an unsigned paper release is not "signed" at the time it was typed in
            ("Signed", f"Not yet: waiting for its signed scan (entered {signed})" if key == "awaiting_scan" else signed),
            ("Expires", format_date(consent.expires_on, "Until withdrawn")),
            ("Recorded by", f"{consent.created_by} ({consent.source})"),
        ]
        if consent.source == "paper":
            rows.append(("Signature", "Loading…"))  # filled in by `_fill_files`
        if consent.status is ConsentStatus.WITHDRAWN:
            rows += [
                ("Withdrawn from", format_date(consent.withdrawn_on)),
                ("Reason", consent.withdrawal_reason or "—"),
            ]
        for key, value in rows:
            label = self._value_label(value)
            if key == "Signature":
                self._scan_label = label
            grid.addRow(self._key_label(key), label)
        return frame

    def _section_card(self, form: FormDefinition, section, consent: Consent) -> QFrame | None:
        fields = section.fields
        if section.minor_only and not (
            any(f.id in consent.answers for f in fields)
            or (consent.has_guardian_signature and any(f.is_file for f in fields))
        ):
            return None
        frame, grid = self._card(section.title)
        for field in fields:
            if field.is_file:
                label = QLabel("Loading…")
                self._file_labels[field.id] = (label, field.type)
                grid.addRow(self._key_label(field.label), label)
            else:
                grid.addRow(
                    self._key_label(field.label),
                    self._value_label(display_value(form, field, consent.answers.get(field.id))),
                )
        return frame

    def _withdraw(self) -> None:
        withdraw(self, self.catalogue, self.consent, self._updated)

    def _updated(self, updated: Consent) -> None:
        self.consent = updated
        self.changed.emit(updated)
        self._reads.drop()  # the files read for the record as it was are not shown
        self._file_labels, self._scan_label, self._stored = {}, None, None
        self._render()
        self._read_files()  # an erasure removes the signatures: show what is left
