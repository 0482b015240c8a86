"""The Library page: every imported photo as a thumbnail with its status, a preview with the numbered
faces and findings, and importing photos in the background (menu, buttons or drag and drop).

Nothing here touches SQLite or decodes a photo on the GUI thread: rows, previews, thumbnails and the
import all run through `run_task`, each worker opening its own `Catalogue` connection. The grid is paged:
nothing is read until the page is first shown, then the first page of rows; more as the grid scrolls.
Showing the page again re-reads only the rows already loaded.

For other UI code:
- `review_requested(int image_id)`: Enter or double-click on a photo (the review view opens it).
- `images_changed()`: new photos were stored (emitted while an import runs, throttled, and at its end).
- `import_finished(ImportReport)`.
- `import_paths(paths) -> bool`, `choose_files()`, `choose_folder()`, `cancel_import()`, and the page
  contract (`ui.pages.Page`): `refresh()`, `select_image(image_id)`, `can_close()`, `set_catalogue(…)`.
- `selected_image_id()`, `visible_rows()` (the rows loaded so far).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from consentdesk.core.media.imaging import IMAGE_EXTENSIONS
from consentdesk.core.media.kinds import CLIP_SUFFIXES
from consentdesk.core.photos.importer import ImportProgress, ImportReport, import_paths
from consentdesk.core.review.policy import Badge
from consentdesk.core.store import Catalogue, team
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.image_canvas import ImageCanvas, Overlay, legend_label, rgb_to_qimage
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.page import Page
from consentdesk.ui.kit.roles import window_roles
from consentdesk.ui.kit.words import item_word, items_word, photos_and_clips
from consentdesk.ui.kit.workers import Latest, TaskControl, run_task
from consentdesk.ui.library.import_panel import ImportPanel
from consentdesk.ui.library.library_rows import (
    STATE_WORDS,
    LibraryListing,
    LibraryRow,
    PreviewData,
    library_loader,
    preview_for,
)
from consentdesk.ui.library.thumbnail_model import LibraryModel, ThumbnailDelegate
from consentdesk.ui.releases.takedown_dialog import record_takedown

PREVIEW_MAX_SIDE = 1600
REFRESH_INTERVAL_MS = 250  # at most 4 grid refreshes a second while photos arrive


class LibraryPage(Page):
    images_changed = Signal()
    import_finished = Signal(object)
    TITLE = "Library"

    #: The seam tests (and a future job manager) replace: same signature as core.importer.import_paths.
    import_function: Callable[..., ImportReport] = staticmethod(import_paths)
    import_workers = 2  # both cores

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(catalogue, parent)
        self.setObjectName("libraryPage")
        self.shoots: list[dict[str, Any]] = []
        self.listing: LibraryListing | None = None
        self.import_control: TaskControl | None = None
        self.last_report: ImportReport | None = None
        self._reading = False  # a load or refresh of the rows is under way
        self._refresh_again = False  # another refresh was asked for meanwhile
        self._select: int | None = None  # to select when the rows arrive
        self._previews = Latest()  # only the photo selected last is shown
        self._preview_id: int | None = None
        self._rows_read = 0  # how many times the rows were read: a preview made before the last read is stale
        self._preview_from = 0
        self._close_when_done = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(60)  # arrowing through the grid decodes only where it stops
        self._preview_timer.timeout.connect(self._load_preview)
        self.setAcceptDrops(True)
        self._build()
        self._build_actions()

    def _build_actions(self) -> None:
        """Import actions for the window's File menu: they show this page, then ask what to import."""
        self.import_files_action = QAction("Import photos and clips…", self)
        self.import_files_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_files_action.setStatusTip("Import photos and clips and check them for faces and personal data")
        self.import_files_action.triggered.connect(lambda: (self.show_requested.emit(), self.choose_files()))
        self.import_folder_action = QAction("Import folder…", self)
        self.import_folder_action.setStatusTip("Import every photo and clip in a folder (and its sub-folders)")
        self.import_folder_action.triggered.connect(
            lambda: (self.show_requested.emit(), self.choose_folder())
        )
        for action in (self.import_files_action, self.import_folder_action):
            action.setProperty("menu", "File")

    def page_actions(self) -> list[QAction]:
        return [self.import_files_action, self.import_folder_action]

    # --- building ------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.import_files_button = QPushButton("Import photos and clips…")
        self.import_files_button.clicked.connect(self.choose_files)
        self.import_folder_button = QPushButton("Import folder…")
        self.import_folder_button.setProperty("primary", True)
        self.import_folder_button.clicked.connect(self.choose_folder)
        self.import_panel = ImportPanel()
        self.import_panel.cancel_requested.connect(self.cancel_import)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_grid())
        self.splitter.addWidget(self._build_preview())
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        card = ThumbnailDelegate.CARD.width() + 4
        self.splitter.setSizes([2 * card + 40, 620])  # two whole columns of cards; the photo gets the rest
        layout = self.page_layout()
        layout.addLayout(self.page_header(buttons=(self.import_files_button, self.import_folder_button)))
        layout.addWidget(self._build_filters())
        layout.addWidget(self.import_panel)
        layout.addWidget(self.splitter, 1)
        self._clear_preview()

    def _build_filters(self) -> QFrame:
        """The shoot filter, "Needs attention only", and how many photos the filters leave."""
        self.shoot_combo = QComboBox()
        self.shoot_combo.setObjectName("shootFilter")
        self.shoot_combo.setAccessibleName("Shoot")
        self.shoot_combo.setMinimumContentsLength(22)
        self.shoot_combo.addItem("All shoots")
        self.shoot_combo.currentIndexChanged.connect(self._apply_filter)
        self.attention_only = QCheckBox("Needs attention only")
        self.attention_only.setObjectName("attentionFilter")
        self.attention_only.toggled.connect(self._apply_filter)
        filters, bar = self.filter_bar()
        self.add_labelled(bar, "Shoot", self.shoot_combo)
        bar.addSpacing(spacing.SECTION - spacing.GAP)
        bar.addWidget(self.attention_only)
        bar.addStretch(1)
        self.shown_label = text_label("", "hint", wrap=False)
        bar.addWidget(self.shown_label)
        return filters

    def _build_grid(self) -> QStackedWidget:
        """The grid of photo cards (paged), or what to do when there are none yet."""
        self.model = LibraryModel(self)
        self.model.loaded.connect(self._rows_ready)
        self.model.fetched.connect(self._rows_fetched)
        self.model.failed.connect(self._rows_failed)
        self.grid = QListView()
        self.grid.setObjectName("libraryGrid")
        self.grid.setAccessibleName("Photos and clips")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setFlow(QListView.Flow.LeftToRight)
        self.grid.setWrapping(True)
        self.grid.setUniformItemSizes(True)
        self.grid.setSpacing(4)
        self.grid.setGridSize(ThumbnailDelegate.CARD + QSize(4, 4))
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setDragEnabled(False)
        self.grid.setAcceptDrops(False)
        self.grid.viewport().setAcceptDrops(False)
        self.grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.grid.setItemDelegate(ThumbnailDelegate(self.grid))
        self.grid.setModel(self.model)
        self.grid.selectionModel().currentChanged.connect(lambda *_: self._preview_timer.start())
        self.grid.activated.connect(self._activated)
        self.empty = QLabel(
            "No photos or clips yet.\n\nDrag photos, clips or a folder here, or choose Import folder… "
            "(Ctrl+I imports photos and clips).\nEach is checked for faces and for personal data in the background."
        )
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.grid_stack = QStackedWidget()
        self.grid_stack.addWidget(self.grid)
        self.grid_stack.addWidget(self.empty)
        return self.grid_stack

    def _build_preview(self) -> QFrame:
        """The selected photo with its boxes, and under it its name, badge, summary and actions."""
        self.canvas = ImageCanvas()
        self.canvas.setObjectName("libraryPreview")
        self.canvas.set_message("Select a photo to see its faces and findings.")
        preview = QFrame()
        preview.setObjectName("previewPane")
        preview_layout = spacing.vbox(preview, spacing.NONE, 0)
        preview_layout.addWidget(self.canvas, 1)
        preview_layout.addWidget(self._build_preview_info())
        return preview

    def _build_preview_info(self) -> QFrame:
        self.preview_name = text_label("", "sectionTitle", wrap=False)
        self.preview_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_state = text_label("", wrap=False, name="previewState")
        self.preview_summary = text_label("", name="previewSummary")
        self.preview_channels = text_label("", "hint")
        self.preview_reasons = text_label("", "hint")
        self._review_verb, self._review_item = "Review", "photo"  # "Look at" for viewers; "clip" for a clip
        self.review_button = QPushButton("Review this photo")
        self.review_button.setProperty("primary", True)
        self.review_button.setToolTip("Open it in the review (Enter or double-click in the grid)")
        self.review_button.setEnabled(False)
        self.review_button.clicked.connect(self._review_selected)
        self.recheck_button = QPushButton("Re-check")
        self.recheck_button.setObjectName("recheckButton")
        self.recheck_button.setAccessibleName("Re-check this photo")
        self.recheck_button.setToolTip(
            "Check this photo again with the current analyser; decisions that still apply are kept"
        )
        self.recheck_button.setEnabled(False)
        self.recheck_button.clicked.connect(self.recheck_selected)
        self.takedown_button = QPushButton("Record take-down…")
        self.takedown_button.setObjectName("takedownButton")
        self.takedown_button.setToolTip("Record that this photo's approved copies were taken down")
        self.takedown_button.hide()
        self.takedown_button.clicked.connect(self.record_takedown)
        info = QFrame()
        info.setObjectName("previewInfo")
        info_layout = spacing.vbox(info, spacing.PANEL, 6)
        top = QHBoxLayout()
        top.addWidget(self.preview_name, 1)
        top.addWidget(self.preview_state, 0, Qt.AlignmentFlag.AlignTop)
        info_layout.addLayout(top)
        for label in (self.preview_summary, self.preview_channels, self.preview_reasons):
            info_layout.addWidget(label)
        self.legend = legend_label()
        info_layout.addWidget(self.legend)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.takedown_button)
        buttons.addWidget(self.recheck_button)
        buttons.addWidget(self.review_button)
        info_layout.addLayout(buttons)
        return info

    # --- rows, filters -------------------------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        if self.import_running:
            self.cancel_import()
        self._clear_preview()
        self.import_panel.hide()
        super().set_catalogue(catalogue)

    def clear(self) -> None:
        self.listing = None
        self._reading = self._refresh_again = False  # a read under way is for the old catalogue
        self.model.clear()

    def load(self) -> None:
        self._read(incremental=False)

    def refresh(self) -> None:
        """Re-read the rows already loaded, and the count (photos arriving, decisions made elsewhere)."""
        self._read(incremental=True)

    def _read(self, incremental: bool) -> None:
        if self._reading and incremental:
            self._refresh_again = True
            return
        self._reading = True
        self.start_loading()
        self.model.use_catalogue(self.catalogue)
        self.model.load(
            library_loader(self.catalogue.locator, self.current_shoot_id(), self.attention_only.isChecked()),
            incremental=incremental,
        )

    def _rows_ready(self, listing: LibraryListing) -> None:
        self._reading = False
        self._rows_read += 1
        grew = self.listing is not None and listing.total > self.listing.total
        self.listing = listing
        self._set_shoots(listing.shoots)
        self._show_counts()
        if self._select is not None and self.select_image(self._select):
            self._select = None
        elif self._preview_is_stale():  # e.g. a release withdrawn elsewhere: the preview says so too
            self._preview_timer.start()
        self.finish_loading()
        if grew:
            self.images_changed.emit()
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _rows_fetched(self) -> None:
        self._show_counts()
        if self._select is not None and self.select_image(self._select):
            self._select = None

    def _rows_failed(self, exc: BaseException) -> None:
        self._reading = False
        self.finish_loading()
        self.subtitle.setText(
            f"The photos could not be listed ({exc}). Check the catalogue file is reachable, then reopen it."
        )

    def _set_shoots(self, shoots: list[dict[str, Any]]) -> None:
        if [s["id"] for s in shoots] == [s["id"] for s in self.shoots] and all(
            a.get("images") == b.get("images") for a, b in zip(shoots, self.shoots, strict=True)
        ):
            return
        current = self.current_shoot_id()
        self.shoots = shoots
        self.shoot_combo.blockSignals(True)
        self.shoot_combo.clear()
        self.shoot_combo.addItem("All shoots")
        for shoot in shoots:
            self.shoot_combo.addItem(f"{shoot['name']} ({shoot.get('images', 0)})")
        ids = [s["id"] for s in shoots]
        self.shoot_combo.setCurrentIndex(ids.index(current) + 1 if current in ids else 0)
        self.shoot_combo.blockSignals(False)

    def current_shoot_id(self) -> int | None:
        """The shoot chosen in the filter, None for all (kept in Python, not in the combo's item data)."""
        index = self.shoot_combo.currentIndex()
        return self.shoots[index - 1]["id"] if 0 < index <= len(self.shoots) else None

    def visible_rows(self) -> list[LibraryRow]:
        """The rows loaded so far, in grid order."""
        return list(self.model.rows)

    def review_order(self) -> list[int]:
        """Every photo the grid lists, in order (read with the rows), so the review walks them all."""
        listing = self.listing
        if listing is not None and listing.exact and not self.attention_only.isChecked():
            return list(listing.ids)
        return [r.image_id for r in self.model.rows]

    def _apply_filter(self) -> None:
        """A filter changed: the grid is read again from its first page."""
        selected = self.selected_image_id()
        if selected is not None:
            self._select = selected
        self._clear_preview()
        self._read(incremental=False)

    def _show_counts(self) -> None:
        listing = self.listing
        if listing is None:
            return
        rows, total = self.model.rows, listing.total
        filtered = self.current_shoot_id() is not None or self.attention_only.isChecked()
        complete = len(rows) >= self.model.total and listing.exact
        if total and complete and not filtered:
            attention = sum(r.needs_attention for r in rows)
            clips = sum(1 for r in rows if r.clip_words)
            what = photos_and_clips(total - clips, clips)
            self.subtitle.setText(f"{what} · {attention} need{'s' if attention == 1 else ''} attention")
        elif total:
            self.subtitle.setText(items_word(total, False))  # not all read: clips are not counted apart
        else:
            self.subtitle.setText("Import photos and clips to check them before posting")
        shown = self.model.total
        if not filtered:
            self.shown_label.setText("")
        elif shown or not complete:
            self.shown_label.setText(f"{shown} shown" if complete else f"{len(rows)} shown so far")
        else:
            self.shown_label.setText("No photos match these filters")
        self.grid_stack.setCurrentWidget(self.grid if rows or total else self.empty)

    # --- selection and preview -----------------------------------------------------------------------

    def selected_image_id(self) -> int | None:
        index = self.grid.currentIndex()
        if not index.isValid() or not self.grid.selectionModel().isSelected(index):
            return None
        row = self.model.row_at(index.row())
        return row.image_id if row is not None else None

    def focus_after_review(self) -> None:
        """Back from the review (Esc): the arrows move in the grid at once, with its focus ring."""
        self.grid.setFocus()

    def select_image(self, image_id: int) -> bool:
        row = self.model.row_of(image_id)
        if row < 0:
            return False
        index = self.model.index(row)
        self.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.grid.scrollTo(index)
        return True

    def _preview_is_stale(self) -> bool:
        """The selected photo's row, read again, differs from the one its preview was made from."""
        image_id = self.selected_image_id()
        if image_id is None or self._preview_data is None or self._preview_data.row.image_id != image_id:
            return False
        row = self.model.row_at(self.model.row_of(image_id))
        return row is not None and row != self._preview_data.row

    def _clear_preview(self) -> None:
        self._previews.drop()  # a preview still on its way is for a photo no longer selected
        self._preview_id = None
        self.canvas.set_overlays([])
        self.canvas.set_message("Select a photo to see its faces and findings.")
        self.preview_name.setText("No photo selected")
        self.preview_state.setText("")
        self.preview_summary.setText("")
        self.preview_channels.setText("")
        self.preview_reasons.setText("")
        self.review_button.setEnabled(False)
        self.recheck_button.setEnabled(False)
        self.takedown_button.hide()
        self._preview_data: PreviewData | None = None

    def _load_preview(self) -> None:
        image_id = self.selected_image_id()
        if image_id is None:
            self._clear_preview()
            return
        row = self.model.row_at(self.model.row_of(image_id))
        self.canvas.set_overlays([])
        self.canvas.set_message("Loading…")
        if row is not None:
            self._show_row_text(row)
        path = self.catalogue.locator
        self._preview_from = self._rows_read

        def job(_: TaskControl) -> PreviewData | BaseException:
            try:
                return preview_for(path, image_id, PREVIEW_MAX_SIDE)
            except Exception as exc:  # shown in the preview, never raised through Qt
                return exc

        # a bound method: dropped if the page is gone; and if the user has moved on meanwhile
        run_task(job, on_done=self._preview_ready, latest=self._previews)

    def _show_row_text(self, row: LibraryRow) -> None:
        self._preview_id = row.image_id
        self.preview_name.setText(row.name)
        self.preview_name.setToolTip(row.image.path)
        self.preview_state.setText(STATE_WORDS.get(row.state, row.state))
        if self.preview_state.property("badge") != row.state:  # re-styling costs ~10 ms: only on change
            self.preview_state.setProperty("badge", row.state)
            self.preview_state.style().unpolish(self.preview_state)
            self.preview_state.style().polish(self.preview_state)
        self.preview_summary.setText(row.summary)
        what = self._review_item = item_word(bool(row.clip_words))  # "Review this clip", "Look at this photo"
        self.review_button.setText(f"{self._review_verb} this {what}")
        self.recheck_button.setAccessibleName(f"Re-check this {what}")
        self.recheck_button.setToolTip(
            f"Check this {what} again with the current analyser; decisions that still apply are kept"
        )
        self.takedown_button.setToolTip(f"Record that this {what}'s approved copies were taken down")
        self.review_button.setEnabled(True)
        self.recheck_button.setEnabled(True)

    def _preview_ready(self, data: PreviewData | BaseException) -> None:
        if isinstance(data, BaseException):
            self._preview_failed(data)
            return
        self._show_row_text(data.row)
        self._preview_data = data
        if self._preview_from != self._rows_read:  # the rows were read again while it was on its way:
            self._preview_timer.start()  # it may be from before a change made elsewhere; once more
        # shown only when a copy must come down, and to the roles that may record it
        self.takedown_button.setVisible(bool(data.to_take_down) and self._may_record_takedown())
        self.preview_channels.setText(data.channels_text)
        reasons = list(data.reasons)
        shown = [f"• {r}" for r in reasons]  # every blocking item, not a sample
        self.preview_reasons.setText("\n".join(shown) if Badge(data.row.state).has_reasons else "")
        w, h = data.original_size
        if data.rgb is None:
            self.canvas.set_message(
                f"This {item_word(bool(data.row.clip_words))} cannot be shown: {data.load_error}.\n\n"
                "If the file was moved or renamed, put it back or import it again from its new place. "
                "Its faces and findings below are from the last check."
            )
        else:
            self.canvas.set_image(rgb_to_qimage(data.rgb), QSize(w, h))
        self.canvas.set_overlays(
            [Overlay((b.kind, b.n), b.x, b.y, b.w, b.h, b.label, b.state) for b in data.boxes]
        )

    def _preview_failed(self, exc: BaseException) -> None:
        self.canvas.set_overlays([])
        self.canvas.set_message(
            f"It could not be shown ({exc}). Select it again; if it keeps failing, reopen the catalogue."
        )

    def _activated(self, index: Any) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.review_requested.emit(row.image_id)

    def _review_selected(self) -> None:
        image_id = self.selected_image_id()
        if image_id is not None:
            self.review_requested.emit(image_id)

    def roles_changed(self, roles: set[str]) -> None:
        """Everyone may open a photo; only a reviewer decides there, so the button says which it is."""
        reviewer = team.allowed(roles, "review")
        self._review_verb = "Review" if reviewer else "Look at"
        self.review_button.setText(f"{self._review_verb} this {self._review_item}")
        self.review_button.setToolTip(
            "Open it in the review (Enter or double-click in the grid)"
            if reviewer
            else "See its faces, findings and what blocks it; deciding is for reviewers (the social media team)"
        )

    def _may_record_takedown(self) -> bool:
        roles = window_roles(self)
        return roles is None or team.allowed(roles, "takedown")

    def record_takedown(self) -> None:
        """Record that the selected photo's copies that must come down were taken down."""
        data = self._preview_data
        if data is None or not data.to_take_down:
            return
        image_id = data.row.image_id

        def recorded() -> None:
            self.refresh()
            self._preview_timer.start()
            self.images_changed.emit()
            self.records_changed.emit()

        record_takedown(
            self, self.catalogue, image_id, list(data.approvals), recorded, due=set(data.to_take_down),
            name=data.row.name,
        )

    # --- re-check -------------------------------------------------------------------------------------

    def recheck_selected(self) -> bool:
        """Re-run the analysis of the selected photo in the background; what changed is shown after."""
        from consentdesk.core.review.recheck import recheck_image
        from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy, show_message, show_problem

        image_id = self.selected_image_id()
        if image_id is None:
            return False
        self.recheck_button.setEnabled(False)
        what = self.recheck_button.accessibleName().rsplit(" ", 1)[-1]  # the selected row's word

        def done(result: Any) -> None:
            self.recheck_button.setEnabled(True)
            self.refresh()
            self._preview_timer.start()
            self.images_changed.emit()
            lines = result.lines()
            show = show_problem if result.error else show_message
            show(self, "Re-check", lines[0], details="\n".join(line.strip() for line in lines[1:]) or None)

        def failed(exc: BaseException) -> None:
            self.recheck_button.setEnabled(True)
            show_problem(
                self, "Re-check", f"The {what} could not be re-checked: {describe_error(exc)}. Try again."
            )

        run_busy(
            self,
            "Re-check",
            f"Checking the {what} again with the current analyser…",
            in_catalogue(self.catalogue, lambda catalogue, _: recheck_image(catalogue, image_id)),
            done,
            failed,
        )
        return True

    # --- import --------------------------------------------------------------------------------------

    @property
    def import_running(self) -> bool:
        return self.import_control is not None

    def choose_files(self) -> bool:
        patterns = " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS | CLIP_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import photos and clips", str(Path.home()), f"Photos and clips ({patterns});;All files (*)"
        )
        return self.import_paths(files) if files else False

    def choose_folder(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of photos and clips", str(Path.home()))
        return self.import_paths([folder]) if folder else False

    def import_paths(self, paths: list[str]) -> bool:
        """Start importing files and folders in the background. False if one is already running."""
        paths = [str(p) for p in paths if str(p)]
        if not paths:
            return False
        if self.import_running:
            QMessageBox.information(
                self,
                "An import is already running",
                "Wait for the current import to finish (or cancel it), then import these photos.",
            )
            return False
        what = Path(paths[0]).name if len(paths) == 1 else f"{len(paths)} items"
        self.import_panel.started(what)
        function, workers, catalogue_path = self.import_function, self.import_workers, self.catalogue.locator

        def job(control: TaskControl) -> ImportReport:
            catalogue = Catalogue.open(catalogue_path, create=False)  # this thread's own connection
            try:
                return function(
                    catalogue, paths, workers=workers, progress=control.report, cancel=control.cancel_event
                )
            finally:
                catalogue.close()

        self.import_control = run_task(
            job,
            on_done=self._import_done,
            on_error=self._import_failed,
            on_progress=self._import_progress,
            long=True,
        )
        self._set_import_actions(False)
        return True

    def cancel_import(self) -> None:
        if self.import_control is not None:
            self.import_control.cancel()
            self.import_panel.stopping()

    def _import_progress(self, p: ImportProgress) -> None:
        self.import_panel.progress(p)
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _import_done(self, report: ImportReport) -> None:
        self.import_control = None
        self.last_report = report
        self._refresh_timer.stop()
        self.import_panel.finished(report)
        self._set_import_actions(True)
        self.refresh()
        self.import_finished.emit(report)
        self._close_if_asked()

    def _import_failed(self, exc: BaseException) -> None:
        self.import_control = None
        self._refresh_timer.stop()
        self.import_panel.failed(
            f"The import stopped: {exc}. Photos already checked are saved; import the same photos again "
            "to continue (those already in are skipped)."
        )
        self._set_import_actions(True)
        self.refresh()
        self._close_if_asked()

    def _set_import_actions(self, enabled: bool) -> None:
        self.import_files_button.setEnabled(enabled)
        self.import_folder_button.setEnabled(enabled)

    def _close_if_asked(self) -> None:
        if self._close_when_done:
            self._close_when_done = False
            QTimer.singleShot(0, self.window().close)

    def can_close(self) -> bool:
        """Asked by the main window before closing: an import is stopped cleanly first."""
        if not self.import_running:
            return True
        if self._close_when_done:
            return False  # already stopping; the window closes when it has
        answer = QMessageBox.question(
            self,
            "Stop the import?",
            "Photos are still being imported. Stop the import and close ConsentDesk?\n\n"
            "Photos already checked are kept; import the same folder again later to finish.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self._close_when_done = True
        self.cancel_import()
        return False

    # --- drag and drop -------------------------------------------------------------------------------

    @staticmethod
    def _dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if self._dropped_paths(event) and not self.import_running:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = self._dropped_paths(event)
        if paths and self.import_paths(paths):
            event.acceptProposedAction()
        else:
            event.ignore()
