"""Paper forms: import scans of signed forms (linked by their QR form id), and type in the ones awaiting entry.

`import_scans` reads every page off the GUI thread with `core.consent.paper.scan_forms` and shows one
line per page; pages without a usable id are listed as problems, never guessed. The "Paper forms" page
lists scans whose record has not been entered yet; "Enter answers…" opens the generated release dialog
for that form id with the scan beside it, and saving (source "paper") takes it off the list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.consent.paper import ScanOutcome, ScanResult, scan_forms, scans_awaiting_entry
from consentdesk.core.store import Catalogue
from consentdesk.core.values import PaperScan
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy, show_problem
from consentdesk.ui.kit.image_canvas import ImageCanvas
from consentdesk.ui.kit.page import Page
from consentdesk.ui.kit.tables import data_table
from consentdesk.ui.kit.workers import TaskControl, run_task
from consentdesk.ui.releases.release_dialog import ReleaseDialog

SCAN_FILTER = "Scans of paper forms (*.pdf *.jpg *.jpeg *.png);;All files (*)"
MAX_PREVIEW = 2000  # px on the long side: plenty to read handwriting on screen


# --- importing scans -------------------------------------------------------------------------------------


class ScanResultsDialog(QDialog):
    """One row per file page: what happened to it, with problems marked and explained."""

    COLUMNS = ("File", "Page", "Result", "Form ID", "What to do")

    def __init__(self, results: list[ScanResult], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = results
        self.setObjectName("scanResultsDialog")
        self.setWindowTitle("Paper form scans")
        stored = [r for r in results if r.outcome.stored]
        problems = [r for r in results if not r.outcome.stored]
        awaiting = sum(r.outcome is ScanOutcome.AWAITING_ENTRY for r in results)
        attached = sum(r.outcome is ScanOutcome.ATTACHED for r in results)
        unsigned = sum(r.outcome is ScanOutcome.SIGNATURE_EMPTY for r in results)
        parts = [f"{len(stored)} page{'s' if len(stored) != 1 else ''} stored"]
        if awaiting:
            parts.append(f"{awaiting} awaiting data entry (see Paper forms)")
        if attached:
            parts.append(f"{attached} added to {'their records' if attached != 1 else 'its record'}")
        headline = ", ".join(parts) + "."
        if unsigned:
            headline += (
                f" {unsigned} page{'s' if unsigned != 1 else ''} with an empty signature box "
                f"sign{'' if unsigned != 1 else 's'} nothing: check the paper and scan it again."
            )
        if problems:
            many = len(problems) != 1
            headline += (
                f" {len(problems)} page{'s' if many else ''} could not be linked to a form and "
                f"{'were' if many else 'was'} not stored: see below."
            )
        self.headline = QLabel(headline)
        self.headline.setWordWrap(True)
        self.table = data_table(self.COLUMNS, "scanResultsTable")
        self.table.setAccessibleName("Result for each scanned page")
        self.table.setRowCount(len(results))
        for row, r in enumerate(results):
            advice = r.message.split(" — ", 1)[1] if " — " in r.message else ""
            if r.detail:
                advice = f"{r.detail}. {advice}".strip()
            cells = (
                Path(r.source).name,
                str(r.page) if r.page else "—",
                ("⚠ " if r.outcome.needs_attention else "") + r.outcome.value.capitalize(),
                r.form_id or "—",
                advice
                or (
                    "Enter its answers on the Paper forms page"
                    if r.outcome is ScanOutcome.AWAITING_ENTRY
                    else ""
                ),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(r.message)
                if r.outcome.needs_attention:
                    item.setForeground(QColor("#A81F14"))
                self.table.setItem(row, column, item)
        close = QPushButton("Close")
        close.setProperty("primary", True)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        foot = QHBoxLayout()
        foot.addStretch(1)
        foot.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addLayout(foot)
        self.resize(900, 420)


def import_scans(
    parent: QWidget, catalogue: Catalogue, on_finished: Callable[[list[ScanResult]], None] | None = None
) -> TaskControl | None:
    """Ask for scan files, attach every page by its QR form id off the GUI thread, then show the results."""
    files, _ = QFileDialog.getOpenFileNames(parent, "Import paper form scans", str(Path.home()), SCAN_FILTER)
    if not files:
        return None

    def done(results: list[ScanResult]) -> None:
        ScanResultsDialog(results, parent).exec()
        if on_finished is not None:
            on_finished(results)

    def failed(exc: BaseException) -> None:
        show_problem(
            parent,
            "Scans not imported",
            f"The scans could not be read: {describe_error(exc)}.",
            "Pages already read before the problem are kept. Check the files and import them again.",
        )
        if on_finished is not None:
            on_finished([])

    n = len(files)
    return run_busy(
        parent,
        "Importing paper form scans",
        f"Reading the form id on every page of {n} file{'s' if n != 1 else ''}…",
        in_catalogue(catalogue, lambda cat, _c: scan_forms(cat, files)),
        done,
        failed,
    )


# --- the page --------------------------------------------------------------------------------------------


def decode_scan(locator: str, scan_id: int) -> Callable[[TaskControl], tuple[int, QImage, QSize]]:
    """A job that loads one stored scan and decodes it to a screen-sized QImage (safe off the GUI thread)."""

    def job(cat: Catalogue, _control: TaskControl) -> tuple[int, QImage, QSize]:
        image = QImage()
        if not image.loadFromData(cat.paper_scan_data(scan_id)):
            raise ValueError("the stored scan is not an image Qt can show (a photo in an unusual format?)")
        size = image.size()
        if max(size.width(), size.height()) > MAX_PREVIEW:
            image = image.scaled(
                MAX_PREVIEW,
                MAX_PREVIEW,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        return scan_id, image, size

    return in_catalogue(locator, job)


def scan_canvas(image: QImage | None = None, size: QSize | None = None) -> ImageCanvas:
    canvas = ImageCanvas()
    canvas.setObjectName("scanImage")
    canvas.setAccessibleName("Scan of the paper form")
    if image is not None and size is not None:
        canvas.set_image(image, size)
    return canvas


class PaperPage(Page):
    """Scans awaiting data entry, the selected scan, and Enter answers…."""

    TITLE = "Paper forms"
    image_loaded = Signal(int)  # scan id, once its image is on screen (tests wait on this)

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(catalogue, parent)
        self.scans: list[PaperScan] = []
        self._wanted: int | None = None
        self._image: tuple[QImage, QSize] | None = None
        self._request = 0
        self._build()

    def _build(self) -> None:
        title = QLabel(self.TITLE)
        title.setProperty("role", "pageTitle")
        hint = QLabel(
            "Scanned paper forms whose answers have not been typed in yet. Select one to see the scan, "
            "then press Enter answers…. The form id comes from the QR code, so it is never retyped."
        )
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        self.import_button = QPushButton("Import scans…")
        self.import_button.clicked.connect(self.import_scans)
        self.enter_button = QPushButton("Enter answers…")
        self.enter_button.setProperty("primary", True)
        self.enter_button.setEnabled(False)  # until a waiting scan is listed and selected
        self.enter_button.clicked.connect(self.enter_answers)

        self.table = data_table(("Form ID", "Page", "File", "Scanned"), "awaitingTable")
        self.table.setAccessibleName("Scans awaiting data entry")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _i: self.enter_answers())  # Enter or double-click
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.canvas = scan_canvas()
        self.canvas.set_message("Select a scan to see it here")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty, 1)
        preview = QFrame()
        preview.setObjectName("scanPreview")
        preview_layout = QVBoxLayout(preview)
        preview_layout.setContentsMargins(8, 8, 8, 8)
        preview_layout.addWidget(self.canvas)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(preview)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        heading = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(title)
        titles.addWidget(hint)
        heading.addLayout(titles, 1)
        heading.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignBottom)
        heading.addWidget(self.enter_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 16)
        layout.setSpacing(14)
        layout.addLayout(heading)
        layout.addWidget(splitter, 1)

    # --- data --------------------------------------------------------------------------------------

    def load(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Read the scans awaiting entry in a worker (a short list: forms are typed in within days)."""
        self.start_loading()
        self._request += 1
        request = self._request

        def job(cat: Catalogue, _control: TaskControl) -> tuple[int, list[PaperScan] | BaseException]:
            try:
                return request, scans_awaiting_entry(cat)
            except Exception as exc:  # shown on the page, never raised through Qt
                return request, exc

        # bound methods: Qt drops the result if the page is gone
        control = run_task(in_catalogue(self.catalogue, job), self._scans_ready)
        control.failed.connect(self._open_failed)

    def _open_failed(self, exc: BaseException) -> None:
        self._scans_ready((self._request, exc))

    def clear(self) -> None:
        self._scans_ready((self._request, []))

    def _scans_ready(self, result: tuple[int, list[PaperScan] | BaseException]) -> None:
        request, scans = result
        if request != self._request:
            return
        if isinstance(scans, BaseException):
            self.empty.setText(
                f"The scans could not be listed ({describe_error(scans)}). Reopen the catalogue."
            )
            self.finish_loading()
            return
        selected = self.selected_scan()
        self.scans = scans
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.scans))
        for row, scan in enumerate(self.scans):
            cells = (scan.form_id, str(scan.page), scan.source_name, scan.scanned_at[:16].replace("T", " "))
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.blockSignals(False)
        has = bool(self.scans)
        self.table.setVisible(has)
        self.empty.setVisible(not has)
        self.empty.setText(
            "No scanned forms are waiting.\nImport scans of signed paper forms with Import scans…."
        )
        ids = [s.id for s in self.scans]
        row = ids.index(selected.id) if selected is not None and selected.id in ids else (0 if has else -1)
        if row >= 0:
            self.table.selectRow(row)
        self._selection_changed()
        self.finish_loading()

    def selected_scan(self) -> PaperScan | None:
        if not hasattr(self, "table"):
            return None
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.scans):
            return None
        return self.scans[rows[0].row()]

    def _selection_changed(self) -> None:
        scan = self.selected_scan()
        self.enter_button.setEnabled(scan is not None)
        if scan is None:
            self._wanted, self._image = None, None
            self.canvas.set_message("Select a scan to see it here" if self.scans else "")
            return
        if scan.id == self._wanted:
            return
        self._wanted, self._image = scan.id, None
        self.canvas.set_message("Loading the scan…")
        run_task(decode_scan(self.catalogue.locator, scan.id), self._decoded, self._decode_failed)

    def _decoded(self, result: tuple[int, QImage, QSize]) -> None:
        scan_id, image, size = result
        if scan_id != self._wanted:
            return  # the selection moved on while this one was decoding
        self._image = (image, size)
        self.canvas.set_image(image, size)
        self.image_loaded.emit(scan_id)

    def _decode_failed(self, exc: BaseException) -> None:
        self.canvas.set_message(f"The scan cannot be shown: {describe_error(exc)}.")

    # --- actions -----------------------------------------------------------------------------------

    def import_scans(self) -> None:
        import_scans(self, self.catalogue, lambda _results: self.refresh())

    def entry_dialog(self, scan: PaperScan) -> ReleaseDialog:
        """The release dialog for the scan's form id, with the scan beside it."""
        image, size = self._image if self._image is not None and scan.id == self._wanted else (None, None)
        canvas = scan_canvas(image, size)
        if image is None:
            canvas.set_message("The scan is still loading; it is on the Paper forms page")
        canvas.setMinimumWidth(420)
        return ReleaseDialog(self.catalogue, parent=self, form_id=scan.form_id, aside=canvas)

    def enter_answers(self) -> None:
        scan = self.selected_scan()
        if scan is None:
            return
        dialog = self.entry_dialog(scan)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.consent is not None:
            self.refresh()
            self.records_changed.emit()
