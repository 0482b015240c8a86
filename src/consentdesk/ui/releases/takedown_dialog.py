"""The take-down list shown after a withdrawal: every affected photo, where it was posted, what to delete.

It only presents `withdrawal.TakedownList`; "Save report…" writes the core's PDF and CSV off the GUI
thread so the social media team can work through it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.protection.withdrawal import write_takedown_report
from consentdesk.core.values import TakedownItem, TakedownList
from consentdesk.ui.kit.busy import describe_error, run_busy, show_message, show_problem

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


class TakedownDialog(QDialog):
    """Read-only take-down list with Save report… (PDF + CSV into a chosen folder)."""

    def __init__(self, takedown: TakedownList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.takedown = takedown
        self.written: tuple[Path, Path] | None = None
        consent = takedown.consent
        self.setObjectName("takedownDialog")
        self.setWindowTitle(f"Take-down list — {consent.id}")

        header = QFrame()
        header.setObjectName("dialogHeader")
        head = QVBoxLayout(header)
        head.setContentsMargins(28, 18, 28, 16)
        head.setSpacing(4)
        eyebrow = QLabel(f"Consent {consent.id} withdrawn")
        eyebrow.setProperty("role", "eyebrow")
        title = QLabel("Take-down list")
        title.setProperty("role", "title")
        n, posted = len(takedown.items), len(takedown.exported)
        if n:
            summary = f"{n} photo{'s are' if n != 1 else ' is'} now blocked for every channel. " + (
                f"{posted} {'were' if posted != 1 else 'was'} approved and exported: take down those posts "
                "and delete the exported copies listed below."
                if posted
                else "None was ever approved, so nothing should have been posted."
            )
        else:
            summary = "Nothing needs taking down."
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "hint")
        head.addWidget(eyebrow)
        head.addWidget(title)
        head.addWidget(self.summary)

        body = QWidget()
        body.setObjectName("formContent")
        inner = QVBoxLayout(body)
        inner.setContentsMargins(24, 18, 24, 18)
        self.table = QTableWidget(len(takedown.items), len(COLUMNS))
        self.table.setObjectName("takedownTable")
        self.table.setProperty("dataTable", True)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(True)
        self.table.setAccessibleName("Photos to take down")
        for row, item in enumerate(takedown.items):
            for column, text in enumerate(row_values(item)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(item.image.path if column == 0 else text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.table.setItem(row, column, cell)
        header_view = self.table.horizontalHeader()
        header_view.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header_view.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header_view.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        self.empty = QLabel("No photos are linked to this consent.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setVisible(bool(takedown.items))
        self.empty.setVisible(not takedown.items)
        inner.addWidget(self.table, 1)
        inner.addWidget(self.empty, 1)

        footer = QFrame()
        footer.setObjectName("dialogFooter")
        foot = QHBoxLayout(footer)
        foot.setContentsMargins(24, 12, 24, 12)
        self.save_button = QPushButton("Save report…")
        self.save_button.setToolTip("Write the take-down list as a PDF and a CSV into a folder")
        self.save_button.clicked.connect(self.save_report)
        close = QPushButton("Close")
        close.setProperty("primary", True)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        foot.addWidget(self.save_button)
        foot.addStretch(1)
        foot.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(body, 1)
        layout.addWidget(footer)
        self.resize(900, 480 if takedown.items else 340)

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
