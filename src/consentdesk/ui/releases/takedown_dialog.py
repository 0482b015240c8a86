"""The take-down list shown after a withdrawal: every affected photo, where it was posted, what to delete.

It only presents `withdrawal.TakedownList`; "Save report…" writes the core's PDF and CSV off the GUI
thread so the social media team can work through it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidgetItem,
    QWidget,
)

from consentdesk.core.protection.withdrawal import write_takedown_report
from consentdesk.core.values import TakedownItem, TakedownList
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import describe_error, run_busy, show_message, show_problem
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.tables import data_table

COLUMNS = ("Photo", "Faces", "Channels approved for", "Exported files", "Approved on")


def _day(stamp: str) -> str:
    return stamp[:10] if stamp else ""


def row_values(item: TakedownItem) -> tuple[str, str, str, str, str]:
    """The five cells for one affected photo (also used by tests and the screenshot script)."""
    faces = ", ".join(str(n) for n in item.face_numbers)
    channels = ", ".join(item.channels) if item.approvals else "Never approved"
    exports = "\n".join(a.export_path for a in item.approvals if a.export_path) or "—"
    dates = "\n".join(sorted({_day(a.approved_at) for a in item.approvals})) or "—"
    return Path(item.image.path).name, faces, channels, exports, dates


def summary_text(takedown: TakedownList) -> str:
    """What the list asks of the social media team, in one or two sentences."""
    n, posted = len(takedown.items), len(takedown.exported)
    if not n:
        return "Nothing needs taking down."
    return f"{n} photo{'s are' if n != 1 else ' is'} now blocked for every channel. " + (
        f"{posted} {'were' if posted != 1 else 'was'} approved and exported: take down those posts "
        "and delete the exported copies listed below."
        if posted
        else "None was ever approved, so nothing should have been posted."
    )


class TakedownDialog(Dialog):
    """Read-only take-down list with Save report… (PDF + CSV into a chosen folder)."""

    def __init__(self, takedown: TakedownList, parent: QWidget | None = None) -> None:
        consent = takedown.consent
        super().__init__(parent, title=f"Take-down list — {consent.id}", name="takedownDialog")
        self.takedown = takedown
        self.written: tuple[Path, Path] | None = None
        self.summary = text_label(summary_text(takedown), "hint")
        footer = self.footer(banded=True)
        self.save_button = footer.add_left("Save report…", self.save_report)
        self.save_button.setToolTip("Write the take-down list as a PDF and a CSV into a folder")
        footer.primary("Close")
        layout = self.banded()
        layout.addWidget(self.header("Take-down list", eyebrow=f"Consent {consent.id} withdrawn", hint=self.summary))
        layout.addWidget(self._build_body(), 1)
        layout.addWidget(footer)
        self.resize(900, 480 if takedown.items else 340)

    def _build_body(self) -> QWidget:
        """The table of photos to take down (or why there are none)."""
        self.table = data_table(COLUMNS, "takedownTable")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAccessibleName("Photos to take down")
        self.table.setRowCount(len(self.takedown.items))
        for row, item in enumerate(self.takedown.items):
            for column, text in enumerate(row_values(item)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(item.image.path if column == 0 else text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.table.setItem(row, column, cell)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)  # the exported files take the spare room, not the dates
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        self.empty = QLabel("No photos are linked to this consent.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setVisible(bool(self.takedown.items))
        self.empty.setVisible(not self.takedown.items)
        body = QWidget()
        body.setObjectName("formContent")
        inner = spacing.vbox(body, (24, 18, 24, 18))
        inner.addWidget(self.table, 1)
        inner.addWidget(self.empty, 1)
        return body

    def save_report(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Choose a folder for the take-down report", str(Path.home())
        )
        if not folder:
            return
        target = Path(folder)
        self.save_button.setEnabled(False)
        takedown = self.takedown

        def done(paths: tuple[Path, Path]) -> None:
            self.save_button.setEnabled(True)
            self.written = paths
            show_message(
                self,
                "Take-down report saved",
                f"Saved {paths[0].name} and {paths[1].name} in {target}.",
                folder=target,
                folder_button="Open folder",
            )

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            show_problem(
                self,
                "Report not saved",
                f"The take-down report could not be written to {target}: {describe_error(exc)}.",
                "The withdrawal itself is recorded. Choose another folder and press Save report again.",
            )

        run_busy(
            self,
            "Saving take-down report",
            f"Writing the take-down report (PDF and CSV) to {target}…",
            lambda _control: write_takedown_report(takedown, target),
            done,
            failed,
        )
