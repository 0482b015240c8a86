"""The take-down list shown after a withdrawal: every affected photo, where it was posted, what to delete;
and recording that an approved copy was taken down.

It only presents `withdrawal.TakedownList`; "Save report…" writes the core's PDF and CSV off the GUI
thread so the social media team can work through it. `RecordTakedownDialog` (also opened from the Library
and the review) records, through `review.workflow.record_takedown`, that a copy's posts were removed and
its export deleted: until then the photo says "Take down" everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidgetItem,
    QWidget,
)

from consentdesk.core.protection.withdrawal import takedown_list, write_takedown_report
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ApprovalRecord, TakedownItem, TakedownList, TakenDown
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.busy import (
    describe_error,
    in_catalogue,
    run_busy,
    show_message,
    show_problem,
    try_again_advice,
)
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.fit import fit_to_width
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.roles import apply_window_roles, tag
from consentdesk.ui.kit.tables import data_table
from consentdesk.ui.kit.words import photos_and_clips
from consentdesk.ui.kit.workers import run_task

COLUMNS = ("Photo or clip", "Faces · when seen", "Channels approved for", "Exported files", "Approved on", "Take-down")


def _day(stamp: str) -> str:
    return stamp[:10] if stamp else ""


def takedown_words(approval: ApprovalRecord) -> str:
    """Whether an approved copy's take-down is recorded, in words."""
    done = approval.taken_down
    if done is None:
        return f"{approval.id}: to do"
    return f"{approval.id}: recorded {_day(done.recorded_at)} by {done.recorded_by}"


def row_values(item: TakedownItem) -> tuple[str, str, str, str, str, str]:
    """The cells for one affected photo or clip (also used by tests and the screenshot script); a clip
    says when the person is on screen, which is what to look for in its posts."""
    faces = ", ".join(str(n) for n in item.face_numbers) or "—"
    if item.is_clip:
        faces = f"Clip: {item.seen_words or 'people ' + faces}"
    channels = ", ".join(item.channels) if item.approvals else "Never approved"
    exports = "\n".join(a.export_path for a in item.approvals if a.export_path) or "—"
    dates = "\n".join(sorted({_day(a.approved_at) for a in item.approvals})) or "—"
    done = "\n".join(takedown_words(a) for a in item.approvals) or "—"
    return Path(item.image.path).name, faces, channels, exports, dates, done


def summary_text(takedown: TakedownList) -> str:
    """What the list asks of the social media team, in one or two sentences."""
    n, posted = len(takedown.items), len(takedown.exported)
    if not n:
        return "Nothing needs taking down."
    clips = sum(1 for i in takedown.items if i.is_clip)
    what = photos_and_clips(n - clips, clips)
    return f"{what} {'are' if n != 1 else 'is'} now blocked for every channel. " + (
        f"{posted} {'were' if posted != 1 else 'was'} approved and exported: take down those posts "
        "and delete the exported copies listed below."
        if posted
        else "None was ever approved, so nothing should have been posted."
    )


class TakedownDialog(Dialog):
    """The take-down list with Save report… (PDF + CSV into a chosen folder) and, given the catalogue,
    Record take-down… for the photo selected."""

    def __init__(
        self, takedown: TakedownList, parent: QWidget | None = None, *, catalogue: Catalogue | None = None
    ) -> None:
        consent = takedown.consent
        super().__init__(parent, title=f"Take-down list — {consent.id}", name="takedownDialog")
        self.takedown = takedown
        self.catalogue = catalogue
        self.written: tuple[Path, Path] | None = None
        self.summary = text_label(summary_text(takedown), "hint")
        footer = self.footer(banded=True)
        self.save_button = footer.add_left("Save report…", self.save_report)
        self.save_button.setToolTip("Write the take-down list as a PDF and a CSV into a folder")
        self.record_button = footer.add_left("Record take-down…", self.record_selected)
        self.record_button.setToolTip("Record that the selected photo's or clip's posts were taken down")
        self.record_button.setVisible(catalogue is not None)
        tag(self.record_button, "takedown")
        footer.primary("Close")
        layout = self.banded()
        status = consent.effective_status(date.today())
        layout.addWidget(self.header("Take-down list", eyebrow=f"Consent {consent.id} {status}", hint=self.summary))
        layout.addWidget(self._build_body(), 1)
        layout.addWidget(footer)
        self.table.itemSelectionChanged.connect(self._update_record_button)
        if takedown.items:
            self.table.selectRow(0)
        self._update_record_button()
        self.resize(980, 480 if takedown.items else 340)
        if catalogue is not None:
            apply_window_roles(footer, catalogue)

    def selected_item(self) -> TakedownItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.takedown.items[rows[0].row()] if rows else None

    def _update_record_button(self) -> None:
        item = self.selected_item()
        self.record_button.setEnabled(item is not None and any(a.live for a in item.approvals))

    def record_selected(self) -> RecordTakedownDialog | None:
        """Record the take-down of the selected photo's live copies, then show the list as it is now."""
        item, catalogue = self.selected_item(), self.catalogue
        if item is None or catalogue is None:
            return None
        consent_id = self.takedown.consent.id

        def recorded() -> None:
            run_task(
                in_catalogue(catalogue, lambda cat, _c: takedown_list(cat, consent_id)),
                self._show_list,
                owner=self,
            )

        return record_takedown(self, catalogue, item.image.id, list(item.approvals), recorded)

    def _show_list(self, takedown: TakedownList) -> None:
        selected = self.table.currentRow()
        self.takedown = takedown
        self.summary.setText(summary_text(takedown))
        self._fill_table()
        if 0 <= selected < self.table.rowCount():
            self.table.selectRow(selected)
        self._update_record_button()

    def _build_body(self) -> QWidget:
        """The table of photos to take down (or why there are none)."""
        self.table = data_table(COLUMNS, "takedownTable")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAccessibleName("Photos and clips to take down")
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)  # the exported files take the spare room, not the dates
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self._fill_table()
        self.empty = QLabel("No photos or clips are linked to this consent.")
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

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.takedown.items))
        for row, item in enumerate(self.takedown.items):
            for column, text in enumerate(row_values(item)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(item.image.path if column == 0 else text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.table.setItem(row, column, cell)
        self.table.resizeRowsToContents()

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


# --- recording a take-down ------------------------------------------------------------------------------


class RecordTakedownDialog(Dialog):
    """Which approved copies of one photo were taken down: each live copy with a box (ticked when it must
    come down), and what recording it means. The record is made by `review.workflow.record_takedown` in a
    worker; a refusal (a role without the right, someone else recording it first) is shown here."""

    def __init__(
        self,
        catalogue: Catalogue,
        image_id: int,
        approvals: list[ApprovalRecord],
        due: set[str],
        parent: QWidget | None = None,
        *,
        name: str = "",
    ) -> None:
        super().__init__(parent, title=f"Record take-down — {name or f'photo {image_id}'}", name="recordTakedown")
        self.catalogue, self.image_id = catalogue, image_id
        self.busy = False
        self.recorded: list[TakenDown] = []
        intro = text_label(
            "Tick each approved copy whose posts are taken down on every channel and whose exported file is "
            "deleted. The record is kept in the audit trail with your name and cannot be undone; the photo "
            "stops saying Take down once no copy that must come down is left."
        )
        self.boxes: dict[str, QCheckBox] = {}
        column = spacing.vbox(spacing=spacing.GAP)
        for approval in approvals:
            box = QCheckBox(_copy_words(approval))
            box.setObjectName(f"takedown_{approval.id}")
            box.setChecked(approval.id in due)
            box.setAccessibleDescription(
                "This copy relied on a release that no longer covers it." if approval.id in due else
                "This copy may stay up: its releases still cover it."
            )
            box.toggled.connect(lambda _on: self._update())
            column.addWidget(box)
            self.boxes[approval.id] = box
        self.error = text_label("", "error")
        self.error.hide()
        footer = self.footer()
        footer.cancel()
        self.record_button = footer.primary("Record take-down", self.record)
        self.plain(intro, column, self.error, footer)
        self._update()
        fit_to_width(self, 620)

    def chosen(self) -> list[str]:
        return [approval_id for approval_id, box in self.boxes.items() if box.isChecked()]

    def _update(self) -> None:
        self.record_button.setEnabled(bool(self.chosen()) and not self.busy)

    def record(self) -> None:
        chosen = self.chosen()
        if self.busy or not chosen:
            return
        self.busy = True
        self._update()
        image_id = self.image_id
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: workflow.record_takedown(cat, image_id, chosen)),
            self._recorded,
            self._refused,
            owner=self,
        )

    def _recorded(self, recorded: list[TakenDown]) -> None:
        self.busy = False
        self.recorded = recorded
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self._update()
        message = f"Nothing was recorded: {describe_error(exc)}. {try_again_advice(exc)}"
        self.error.setText(message)
        self.error.show()
        fit_to_width(self, self.width())
        announce(self.error, message, assertive=True)

    def reject(self) -> None:
        if not self.busy:  # closing while saving would hide whether it was recorded
            super().reject()


def _copy_words(approval: ApprovalRecord) -> str:
    channels = ", ".join(approval.channels) or "no channel"
    return f"{approval.id} · {channels} · approved {_day(approval.approved_at)} · {Path(approval.export_path).name}"


def record_takedown(
    parent: QWidget,
    catalogue: Catalogue,
    image_id: int,
    approvals: list[ApprovalRecord],
    on_recorded: Callable[[], None],
    *,
    due: set[str] | None = None,
    name: str = "",
) -> RecordTakedownDialog | None:
    """Ask which live copies of the photo were taken down and record them; `on_recorded()` afterwards.
    `due`: the copies that must come down (ticked); default every live one."""
    live = [a for a in approvals if a.live]
    if not live:
        return None
    dialog = RecordTakedownDialog(
        catalogue, image_id, live, {a.id for a in live} if due is None else due, parent, name=name
    )
    dialog.accepted.connect(on_recorded)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()
    return dialog
