"""The import strip of the library: progress with time left, Cancel, and the summary with Details.

It only displays `core.importer.ImportProgress` / `ImportReport` values; the library view runs the import.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from consentdesk.core.media.imaging import has_image_extension
from consentdesk.core.photos.importer import ImportProgress, ImportReport
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.labels import text_label


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return "working out the time left"
    if seconds < 50:
        return "less than a minute left"
    minutes = round(seconds / 60)
    return f"about {max(1, minutes)} min left"


def progress_text(p: ImportProgress) -> str:
    text = f"{p.done} of {p.total} checked · {time_left(p.eta_seconds)}"
    if p.errors:
        text += f" · {p.errors} could not be read"
    return text


def unreadable(report: ImportReport) -> list[tuple[str, str]]:
    """Files that should have been photos but could not be used: decoder errors plus image-named files
    whose bytes are not an image."""
    out = [(e.path, e.reason) for e in report.errors]
    out += [(s.path, s.reason) for s in report.skipped if has_image_extension(s.path) or s.is_problem]
    return out


def other_skipped(report: ImportReport) -> list[tuple[str, str]]:
    return [(s.path, s.reason) for s in report.skipped if not (has_image_extension(s.path) or s.is_problem)]


def summary_text(report: ImportReport) -> str:
    bad, other = unreadable(report), other_skipped(report)
    parts = [f"{len(report.added)} added"]
    if report.duplicates:
        parts.append(f"{len(report.duplicates)} already in the catalogue")
    if bad:
        parts.append(f"{len(bad)} could not be read")
    if other:
        parts.append(f"{len(other)} other file{'s' if len(other) != 1 else ''} skipped")
    text = ", ".join(parts)
    if report.cancelled:
        text = "Import cancelled: " + text + ". Import the same folder again to finish it"
    if report.stopped:
        text = f"Import stopped: {text}. {report.stopped}"
    return text


def details_text(report: ImportReport) -> str:
    lines: list[str] = []
    bad, other = unreadable(report), other_skipped(report)
    if bad:
        lines.append("Could not be read (fix or replace these files, then import them again):")
        lines += [f"  {Path(p).name} — {why}\n    {p}" for p, why in bad]
    if report.duplicates:
        lines.append("")
        lines.append("Already in the catalogue (not added again):")
        lines += [f"  {p}" for p in report.duplicates]
    if other:
        lines.append("")
        lines.append("Skipped (not photos or clips):")
        lines += [f"  {Path(p).name} — {why}" for p, why in other]
    return "\n".join(lines).strip() or "Every file was added."


class ImportPanel(QFrame):
    """Hidden until an import starts. `cancel_requested` when Cancel is pressed."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPanel")
        self.report: ImportReport | None = None
        self.title = QLabel("Importing photos")
        self.title.setProperty("role", "fieldLabel")
        self.status = QLabel("")
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setObjectName("importProgress")
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setAccessibleName("Import progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setProperty("danger", True)
        self.cancel_button.setToolTip("Stop after the photos being checked now; those already saved stay")
        self.cancel_button.clicked.connect(self._cancel)
        self.details_button = QPushButton("Details…")
        self.details_button.setProperty("flat", True)
        self.details_button.clicked.connect(self.show_details)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setProperty("flat", True)
        self.close_button.clicked.connect(self.hide)

        text = spacing.vbox(spacing=4)
        text.addWidget(self.title)
        text.addWidget(self.status)
        text.addWidget(self.bar)
        layout = spacing.hbox(self, spacing.PANEL, spacing.GAP)
        layout.addLayout(text, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    # --- states --------------------------------------------------------------------------------------

    def started(self, what: str) -> None:
        self.report = None
        self.setProperty("state", "running")
        self._repolish()
        self.title.setText(f"Importing {what}")
        self.status.setText("Looking for photos and clips, skipping those already in the catalogue…")
        self.bar.setRange(0, 0)  # busy until the first photo is done
        self.bar.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.cancel_button.show()
        self.details_button.hide()
        self.close_button.hide()
        self.show()

    def progress(self, p: ImportProgress) -> None:
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(p.done)
        self.status.setText(progress_text(p))

    def stopping(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Stopping…")
        self.status.setText("Stopping: saving the photos being checked now, then stopping.")

    def finished(self, report: ImportReport) -> None:
        self.report = report
        failed = bool(unreadable(report)) or bool(report.stopped)
        self.setProperty("state", "warning" if failed or report.cancelled else "done")
        self._repolish()
        self.title.setText(
            "Import stopped"
            if report.stopped
            else "Import cancelled"
            if report.cancelled
            else "Import finished"
        )
        self.status.setText(summary_text(report))
        self.bar.hide()
        self.cancel_button.hide()
        self.details_button.setVisible(bool(failed or report.duplicates or report.skipped))
        self.close_button.show()
        self.show()
        announce(self.status, f"{self.title.text()}. {self.status.text()}")

    def failed(self, message: str) -> None:
        self.report = None
        self.setProperty("state", "error")
        self._repolish()
        self.title.setText("Import stopped")
        self.status.setText(message)
        self.bar.hide()
        self.cancel_button.hide()
        self.details_button.hide()
        self.close_button.show()
        self.show()
        announce(self.status, f"Import stopped. {message}", assertive=True)

    # --- actions -------------------------------------------------------------------------------------

    def _cancel(self) -> None:
        self.stopping()
        self.cancel_requested.emit()

    def show_details(self) -> QDialog | None:
        if self.report is None:
            return None
        dialog = ImportDetailsDialog(self.report, self)
        dialog.setModal(True)
        dialog.show()
        self.details_dialog = dialog
        return dialog

    def _repolish(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)


class ImportDetailsDialog(Dialog):
    """What an import did with every file: what could not be read, what was already in, what was skipped."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Import details")
        text = QPlainTextEdit(details_text(report))
        text.setObjectName("importDetails")
        text.setAccessibleName("Import details")
        text.setReadOnly(True)
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        footer = self.footer()
        footer.primary("Close", self.reject)
        self.plain(text_label(summary_text(report), "fieldLabel"), (text, 1), footer)
        self.resize(720, 420)
