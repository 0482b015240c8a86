"""Approve an image for channels and export the cleaned copy (`core.export.approve`, off the GUI thread).

Only channels core says are cleared on the posting date can be ticked; the others say why. The output
folder is remembered between sessions. After the export the dialog shows where the copy went, with
"Show in folder".
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)

from consentdesk.core.media.video import Cancelled
from consentdesk.core.review import export, policy, workflow
from consentdesk.core.store import Catalogue, CatalogueError
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.busy import describe_error, in_catalogue
from consentdesk.ui.kit.dialog import Dialog, Footer, scroll_area
from consentdesk.ui.kit.labels import text_label, title_and_hint
from consentdesk.ui.kit.progress import Progress
from consentdesk.ui.kit.settings import settings
from consentdesk.ui.kit.workers import Latest, run_task
from consentdesk.ui.review.review_panel import channel_labels

FOLDER_KEY = "review/export_folder"


def default_folder() -> str:
    remembered = settings().value(FOLDER_KEY, "", str)
    if remembered and Path(remembered).is_dir():
        return remembered
    pictures = Path.home() / "Pictures"
    return str(pictures if pictures.is_dir() else Path.home())


def error_text(exc: BaseException) -> str:
    if isinstance(exc, Cancelled):
        return "Export stopped: no copy was written and nothing was approved."
    if isinstance(exc, export.NotCleared):
        reasons = "\n".join(f"• {r}" for r in exc.reasons)
        return f"Not approved: {exc}. Nothing was exported. Resolve these first:\n{reasons}"
    if isinstance(exc, export.AlreadyApproved):
        return f"Already approved: {exc}"
    if isinstance(exc, (export.ExportError, policy.UnknownChannel, workflow.ReviewError, CatalogueError)):
        return f"Not approved: {exc}. Nothing was exported."
    return f"The export failed ({exc}). Nothing was approved; check the output folder and try again."


class ApproveDialog(Dialog):
    def __init__(
        self,
        catalogue: Catalogue,
        image_id: int,
        parent: QWidget | None = None,
        *,
        status: workflow.ReviewStatus | None = None,
    ) -> None:
        """`status` is the review as the caller shows it today; without it (or for another posting date)
        the channels are read in a worker and stay unticked until then."""
        super().__init__(parent, title="Approve and export")
        self.catalogue = catalogue
        self.image_id = image_id
        self.status = status
        self._reads = Latest()  # the channels for the posting date shown last
        self._checking = False  # a read of the channels for the posting date is on its way
        self.result_: export.ExportResult | None = None
        self.error: str | None = None
        self.busy = False
        self.labels = channel_labels()
        self.boxes: dict[str, QCheckBox] = {}
        self.why: dict[str, QLabel] = {}
        self.setMinimumSize(640, 560)
        self._build()
        if status is not None and status.on == self.posting_date:
            self._show_channels(status)
        else:
            self.update_channels()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        name = f" {Path(self.status.image.path).name}" if self.status is not None else "…"
        self.title = text_label(f"Approve{name}", "title")
        intro = (
            "Tick the channels to post on. Only channels it is cleared for on the posting date "
            "can be ticked. The copy has blurred faces and redacted findings destroyed, and location "
            "metadata removed."
        )
        self.common = text_label("", "error")
        self.message = text_label("")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = self.plain(gap=spacing.GAP)
        layout.addLayout(title_and_hint(self.title, intro))
        layout.addLayout(self._build_where())
        layout.addWidget(text_label("Channels", "sectionTitle", wrap=False))
        layout.addWidget(self.common)
        layout.addWidget(self._build_channels(), 1)
        layout.addWidget(self.message)
        layout.addWidget(self._build_progress())
        layout.addWidget(self._build_footer())

    def _build_where(self) -> QGridLayout:
        """The posting date (clearance is judged on it) and the folder the cleaned copy goes to."""
        self.date = QDateEdit(QDate.currentDate())
        self.date.setObjectName("postingDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("d MMM yyyy")
        self.date.setMinimumDate(QDate.currentDate())
        self.date.dateChanged.connect(lambda _d: self.update_channels())
        date_label = QLabel("&Posting date")
        date_label.setBuddy(self.date)
        self.folder = QLineEdit(default_folder())
        self.folder.setObjectName("outputFolder")
        self.folder.setAccessibleName("Output folder")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self.browse)
        folder_label = QLabel("&Output folder")
        folder_label.setBuddy(self.folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QGridLayout()
        form.addWidget(date_label, 0, 0)
        form.addWidget(self.date, 0, 1, Qt.AlignmentFlag.AlignLeft)
        form.addWidget(folder_label, 1, 0)
        form.addLayout(folder_row, 1, 1)
        return form

    def _build_channels(self) -> QScrollArea:
        """A box per channel, with why it cannot be ticked in words beside it."""
        channels = QWidget()
        channels.setObjectName("channelList")
        grid = QGridLayout(channels)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(6)
        for row, channel in enumerate(self.labels):
            box = QCheckBox(self.labels[channel])
            box.setObjectName(f"channel_{channel}")
            box.toggled.connect(lambda _on: self._update_buttons())
            why = text_label("", "hint")
            grid.addWidget(box, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(why, row, 1)
            self.boxes[channel], self.why[channel] = box, why
        grid.setColumnStretch(1, 1)
        return scroll_area(channels, "Channels")

    def _build_progress(self) -> Progress:
        """How far the copy is written (a clip takes a while: every frame is re-encoded)."""
        self.progress = Progress("Export progress", "{}% written")
        self.progress.setObjectName("exportProgress")
        self.progress.hide()
        return self.progress

    def _build_footer(self) -> Footer:
        footer = self.footer()
        self.show_button = footer.add_left("Show in folder", self.show_in_folder)
        self.show_button.hide()
        self.cancel_button = footer.cancel()
        self.export_button = footer.primary("Export", self.export)
        self.export_button.setObjectName("exportButton")
        return footer

    # --- state ------------------------------------------------------------------------------------

    @property
    def posting_date(self) -> date:
        return self.date.date().toPython()

    def set_posting_date(self, day: date) -> None:
        self.date.setDate(QDate(day.year, day.month, day.day))

    def set_folder(self, folder: str | Path) -> None:
        self.folder.setText(str(folder))

    def set_channels(self, channels: list[str]) -> None:
        for channel, box in self.boxes.items():
            box.setChecked(channel in channels and box.isEnabled())

    def chosen_channels(self) -> list[str]:
        return [c for c, box in self.boxes.items() if box.isChecked() and box.isEnabled()]

    def update_channels(self) -> None:
        """Ask core (in a worker) which channels are cleared on the posting date; enable only those."""
        image_id, on = self.image_id, self.posting_date
        self._checking = True
        for box in self.boxes.values():  # nothing may be ticked against the last date's answer
            box.setEnabled(False)
            box.setChecked(False)
        for why in self.why.values():
            why.setText("Checking…")
        self._update_buttons()
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: workflow.status(cat, image_id, on=on)),
            self._channels_read,
            self._channels_failed,
            owner=self,
            latest=self._reads,  # the posting date may change again before the answer arrives
        )

    def is_loaded(self) -> bool:
        """True once the channels shown are core's answer for the posting date shown."""
        return not self._checking and self.status is not None and self.status.on == self.posting_date

    def _channels_read(self, status: workflow.ReviewStatus) -> None:
        self._checking = False
        self._show_channels(status)

    def _channels_failed(self, exc: BaseException) -> None:
        self._checking = False
        for why in self.why.values():
            why.setText("")
        self._say(
            f"The channels could not be checked: {describe_error(exc)}. Close this window and try "
            "again when the catalogue can be reached.",
            error=True,
        )

    def _show_channels(self, status: workflow.ReviewStatus) -> None:
        self.status = status
        self.title.setText(f"Approve {Path(status.image.path).name}")
        common = status.common_reasons()
        self.common.setText("Blocks every channel:\n" + "\n".join(f"• {r}" for r in common) if common else "")
        self.common.setVisible(bool(common))
        first_cleared = None
        for channel, box in self.boxes.items():
            clearance = status.clearances.get(channel)
            cleared = bool(clearance and clearance.cleared)
            box.setEnabled(cleared)
            if not cleared:
                box.setChecked(False)
            reasons = list(clearance.reasons) if clearance else []
            own = [r for r in reasons if r not in common]
            # Every reason in words beside the box (its own first), and in the box's description, so a
            # keyboard or screen-reader user never needs the mouse tooltip.
            ordered = own + [r for r in reasons if r in common]
            why = "✓ Cleared" if cleared else "Not cleared" + (": " + "; ".join(ordered) if ordered else "")
            self.why[channel].setText(why)
            self.why[channel].setToolTip("\n".join(reasons))
            box.setAccessibleDescription(why)
            if cleared and first_cleared is None:
                first_cleared = box
        if first_cleared is not None:
            first_cleared.setFocus()
        self._update_buttons()

    def _update_buttons(self) -> None:
        done = self.result_ is not None
        self.export_button.setEnabled(not self.busy and not done and bool(self.chosen_channels()))

    # --- actions ----------------------------------------------------------------------------------

    def browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the approved copy to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def export(self) -> None:
        if self.busy or self.result_ is not None:
            return
        channels = self.chosen_channels()
        if not channels:
            self._say("Tick at least one cleared channel to approve it for.", error=True)
            return
        folder = self.folder.text().strip()
        image_id, on = self.image_id, self.posting_date
        work = in_catalogue(
            self.catalogue,
            lambda catalogue, control: export.approve(
                catalogue,
                image_id,
                channels,
                folder,
                on=on,
                progress=control.report,
                cancel=lambda: control.cancelled,
            ),
        )

        self.busy = True
        self._update_buttons()
        self.cancel_button.setText("Stop export")
        self.progress.busy()  # until the first part is written
        self.progress.show()
        self._say("Exporting the cleaned copy…")
        self.task = run_task(
            work, self._exported, self._failed, on_progress=self._progressed, owner=self, long=True
        )

    def _progressed(self, fraction: float) -> None:
        self.progress.set_fraction(fraction)

    def stop_export(self) -> None:
        """Stop a running export: the core removes the partial copy and approves nothing."""
        if self.busy and not self.task.cancelled:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Stopping the export: the partial copy is removed and nothing is approved.")

    def _exported(self, result: export.ExportResult) -> None:
        self.busy = False
        self.progress.hide()
        self.result_ = result
        settings().setValue(FOLDER_KEY, str(result.path.parent))
        labels = ", ".join(self.labels.get(c, c) for c in result.approval.channels)
        self._say(f"Approved for {labels} ({result.approval.id}). The cleaned copy is at:\n{result.path}")
        self.export_button.hide()
        self.show_button.show()
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.progress.hide()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self.error = error_text(exc)
        self._say(self.error, error=True)
        self.update_channels()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        announce(self.message, text, assertive=error)
        self.message.setProperty("role", "error" if error else "success")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def show_in_folder(self) -> None:
        if self.result_ is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result_.path.parent)))

    def reject(self) -> None:
        if self.busy:
            self.stop_export()  # closing now would hide the outcome: stop it, say so, stay open
            return
        if self.result_ is not None:
            self.accept()
            return
        super().reject()
