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
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QWidget,
)

from consentdesk.core.consent.paper import ScanOutcome, ScanResult, scan_forms, scans_awaiting_entry
from consentdesk.core.store import Catalogue
from consentdesk.core.values import PaperScan
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy, show_problem
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.image_canvas import ImageCanvas
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.page import Page
from consentdesk.ui.kit.tables import data_table
from consentdesk.ui.kit.workers import Latest, TaskControl, run_task
from consentdesk.ui.releases.release_dialog import ReleaseDialog

SCAN_FILTER = "Scans of paper forms (*.pdf *.jpg *.jpeg *.png);;All files (*)"
MAX_PREVIEW = 2000  # px on the long side: plenty to read handwriting on screen


# --- importing scans -------------------------------------------------------------------------------------


def results_headline(results: list[ScanResult]) -> str:
    """How many pages were stored, attached or are waiting, and what needs attention, in one paragraph."""
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
    return headline


def result_cells(r: ScanResult) -> tuple[str, str, str, str, str]:
    """File, page, result (marked when it needs attention), form id and what to do."""
    advice = r.message.split(" — ", 1)[1] if " — " in r.message else ""
    if r.detail:
        advice = f"{r.detail}. {advice}".strip()
    if not advice and r.outcome is ScanOutcome.AWAITING_ENTRY:
        advice = "Enter its answers on the Paper forms page"
    return (
        Path(r.source).name,
        str(r.page) if r.page else "—",
        ("⚠ " if r.outcome.needs_attention else "") + r.outcome.value.capitalize(),
        r.form_id or "—",
        advice,
    )


class ScanResultsDialog(Dialog):
    """One row per file page: what happened to it, with problems marked and explained."""

    COLUMNS = ("File", "Page", "Result", "Form ID", "What to do")

    def __init__(self, results: list[ScanResult], parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Paper form scans", name="scanResultsDialog")
        self.results = results
        self.headline = text_label(results_headline(results))
        self.table = data_table(self.COLUMNS, "scanResultsTable")
        self.table.setAccessibleName("Result for each scanned page")
        self.table.setRowCount(len(results))
        for row, r in enumerate(results):
            for column, text in enumerate(result_cells(r)):
                item = QTableWidgetItem(text)
                item.setToolTip(r.message)
                if r.outcome.needs_attention:
                    item.setForeground(QColor("#A81F14"))
                self.table.setItem(row, column, item)
        footer = self.footer()
        footer.primary("Close")
        self.plain(self.headline, (self.table, 1), footer)
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
        self._reads = Latest()  # only the newest list of scans is shown
        self._decodes = Latest()  # only the scan selected last is shown
        self._build()

    def _build(self) -> None:
        self.import_button = QPushButton("Import scans…")
        self.import_button.clicked.connect(self.import_scans)
        self.enter_button = QPushButton("Enter answers…")
        self.enter_button.setProperty("primary", True)
        self.enter_button.setEnabled(False)  # until a waiting scan is listed and selected
        self.enter_button.clicked.connect(self.enter_answers)
        hint = (
            "Scanned paper forms whose answers have not been typed in yet. Select one to see the scan, "
            "then press Enter answers…. The form id comes from the QR code, so it is never retyped."
        )
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_list())
        splitter.addWidget(self._build_preview())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = self.page_layout()
        layout.addLayout(self.page_header(hint, buttons=(self.import_button, self.enter_button), wrap=True))
        layout.addWidget(splitter, 1)

    def _build_list(self) -> QWidget:
        """The scans waiting for their answers (Enter or a double-click opens the form), or why none."""
        self.table = data_table(("Form ID", "Page", "File", "Scanned"), "awaitingTable")
        self.table.setAccessibleName("Scans awaiting data entry")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _i: self.enter_answers())  # Enter or double-click
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        left = QWidget()
        left_layout = spacing.vbox(left)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty, 1)
        return left

    def _build_preview(self) -> QFrame:
        self.canvas = scan_canvas()
        self.canvas.set_message("Select a scan to see it here")
        preview = QFrame()
        preview.setObjectName("scanPreview")
        spacing.vbox(preview, (8, 8, 8, 8)).addWidget(self.canvas)
        return preview

    # --- data --------------------------------------------------------------------------------------

    def load(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Read the scans awaiting entry in a worker (a short list: forms are typed in within days)."""
        self.start_loading()

        def job(cat: Catalogue, _control: TaskControl) -> list[PaperScan] | BaseException:
            try:
                return scans_awaiting_entry(cat)
            except Exception as exc:  # shown on the page, never raised through Qt
                return exc

        # bound methods: Qt drops the result if the page is gone
        run_task(in_catalogue(self.catalogue, job), self._scans_ready, self._scans_ready, latest=self._reads)

    def clear(self) -> None:
        self._reads.drop()
        self._scans_ready([])

    def _scans_ready(self, scans: list[PaperScan] | BaseException) -> None:
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
            self._decodes.drop()
            self._wanted, self._image = None, None
            self.canvas.set_message("Select a scan to see it here" if self.scans else "")
            return
        if scan.id == self._wanted:
            return
        self._wanted, self._image = scan.id, None
        self.canvas.set_message("Loading the scan…")
        run_task(
            decode_scan(self.catalogue.locator, scan.id), self._decoded, self._decode_failed, latest=self._decodes
        )

    def _decoded(self, result: tuple[int, QImage, QSize]) -> None:
        scan_id, image, size = result
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
