"""The main window: navigation on the left, one page per feature, actions in the menu and toolbar.

Adding a page is one line in `PAGES`: a title and a factory taking the catalogue (the page may offer
`set_catalogue(catalogue)` and a `count_changed(shown, total)` signal).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from consentdesk import APP_NAME
from consentdesk.core.catalogue import Catalogue, CatalogueError
from consentdesk.ui.announce import announce_status_bar
from consentdesk.ui.consent_dialog import ConsentDialog
from consentdesk.ui.consent_register import ConsentRegister
from consentdesk.ui.consent_view import offer_to_open
from consentdesk.ui.expiry_view import ExpiryView
from consentdesk.ui.library_view import LibraryView
from consentdesk.ui.nav_list import NavList
from consentdesk.ui.paper_forms import PaperFormsView
from consentdesk.ui.queue_view import QueueView
from consentdesk.ui.review_view import ReviewView

#: (title, factory) for each page in the navigation, in order. One line per feature.
PAGES: list[tuple[str, Callable[[Catalogue], QWidget]]] = [
    ("Consent register", ConsentRegister),
    ("Library", LibraryView),
    ("To verify", QueueView),
    ("Paper forms", PaperFormsView),
    ("Expiry & withdrawals", ExpiryView),
]

MAX_BLANK_FORMS = 500


def _page_order(page: object) -> list[int]:
    """The image ids a page shows, in its order, if it offers them."""
    ids = getattr(page, "image_ids", None)
    if callable(ids):
        return list(ids())
    rows = getattr(page, "visible_rows", None)
    if callable(rows):
        return [r.image_id for r in rows()]
    return []


class MainWindow(QMainWindow):
    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.pages: list[QWidget] = []
        self.setObjectName("mainWindow")
        self._build_actions()
        self._build_ui()
        self._build_review()
        self._update_title()
        self.resize(1180, 720)
        self.register.search.setFocus()  # typing straight away searches the register

    # --- building ----------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.new_action = QAction("New release…", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setStatusTip("Record a signed release for a person photographed")
        self.new_action.triggered.connect(self.new_release)
        self.print_action = QAction("Print blank forms…", self)
        self.print_action.setStatusTip("Write numbered blank release forms as a PDF to print")
        self.print_action.triggered.connect(self.print_blank_forms)
        self.import_files_action = QAction("Import photos…", self)
        self.import_files_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_files_action.setStatusTip("Import photos and check them for faces and personal data")
        self.import_files_action.triggered.connect(lambda: self._show_library().choose_files())
        self.import_folder_action = QAction("Import folder…", self)
        self.import_folder_action.setStatusTip("Import every photo in a folder (and its sub-folders)")
        self.import_folder_action.triggered.connect(lambda: self._show_library().choose_folder())
        self._build_data_protection_actions()
        self.open_action = QAction("Open catalogue…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_catalogue_dialog)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.print_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_files_action)
        file_menu.addAction(self.import_folder_action)
        file_menu.addSeparator()
        file_menu.addAction(self.scan_forms_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.restore_action)
        file_menu.addAction(self.check_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

    def _build_data_protection_actions(self) -> None:
        from consentdesk.ui import catalogue_safety, paper_forms

        self.scan_forms_action = QAction("Import paper form scans…", self)
        self.scan_forms_action.setStatusTip("Attach scans of signed paper forms by their QR form id")
        self.scan_forms_action.triggered.connect(
            lambda: paper_forms.import_scans(self, self.catalogue, lambda _r: self.refresh_pages())
        )
        self.backup_action = QAction("Back up catalogue…", self)
        self.backup_action.triggered.connect(lambda: catalogue_safety.backup_catalogue(self))
        self.restore_action = QAction("Restore from backup…", self)
        self.restore_action.triggered.connect(lambda: catalogue_safety.restore_catalogue(self))
        self.check_action = QAction("Check catalogue…", self)
        self.check_action.setStatusTip("Check the catalogue, its audit trail and the photo files")
        self.check_action.triggered.connect(lambda: catalogue_safety.check_catalogue(self))

    def _build_ui(self) -> None:
        announce_status_bar(self.statusBar())  # status messages are spoken, not only shown
        self.count_label = QLabel("")
        self.statusBar().addPermanentWidget(self.count_label)
        toolbar = QToolBar("Main toolbar")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        brand = QLabel(APP_NAME)
        brand.setObjectName("brand")
        toolbar.addWidget(brand)
        spacer = QWidget()
        spacer.setSizePolicy(
            spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy()
        )
        toolbar.addWidget(spacer)
        toolbar.addAction(self.print_action)
        toolbar.addAction(self.new_action)
        new_button = toolbar.widgetForAction(self.new_action)
        new_button.setProperty("primary", True)
        new_button.setObjectName("newReleaseButton")
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

        self.nav = NavList()  # focus moves never change the page; activation does
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Sections")
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for title, factory in PAGES:
            self.add_page(title, factory(self.catalogue))
        self.library.review_requested.connect(self.open_review)
        self.nav.page_chosen.connect(self.stack.setCurrentIndex)
        # the record count belongs to the register; other pages say what they hold themselves
        self.stack.currentChanged.connect(
            lambda _: self.count_label.setVisible(self.stack.currentWidget() is self.register)
        )
        self.nav.setCurrentRow(0)

        side = QFrame()
        side.setObjectName("sidebar")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(12, 18, 12, 12)
        side_layout.setSpacing(8)
        side_layout.addWidget(self.nav, 1)
        self.catalogue_label = QLabel("")
        self.catalogue_label.setObjectName("catalogueLabel")
        self.catalogue_label.setWordWrap(True)
        side_layout.addWidget(self.catalogue_label)
        side.setFixedWidth(max(220, self.fontMetrics().horizontalAdvance("Consent register") + 90))

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(side)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.setTabOrder(self.nav, self.stack)

    def add_page(self, title: str, page: QWidget) -> None:
        self.pages.append(page)
        self.stack.addWidget(page)
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(0, self.fontMetrics().height() + 20))
        self.nav.addItem(item)
        records_changed = getattr(page, "records_changed", None)
        if records_changed is not None and not isinstance(page, ConsentRegister):
            records_changed.connect(self.refresh_pages)
        count_changed = getattr(page, "count_changed", None)
        if count_changed is not None:
            count_changed.connect(self._show_count)
            refresh = getattr(page, "refresh", None)
            if refresh:
                refresh()

    @property
    def register(self) -> ConsentRegister:
        return next(p for p in self.pages if isinstance(p, ConsentRegister))

    # --- review (a page in the stack, not a navigation entry) ------------------------------------------

    def _build_review(self) -> None:
        self.review_view = ReviewView(self.catalogue)
        self.stack.addWidget(self.review_view)  # after every PAGES entry: navigation rows keep their index
        self.review_view.back_requested.connect(self.close_review)
        self._review_return = 0
        for page in self.pages:
            if isinstance(page, QueueView):
                page.review_requested.connect(self.open_review)
        menu = self.menuBar().addMenu("&Review")
        self.to_verify_action = QAction("To verify", self)
        self.to_verify_action.setShortcut(QKeySequence("Ctrl+T"))
        self.to_verify_action.triggered.connect(self.show_queue)
        menu.addAction(self.to_verify_action)
        menu.addSeparator()
        for action in self.review_view.actions_by_name.values():
            menu.addAction(action)
        self.stack.currentChanged.connect(self._review_actions_enabled)
        self._review_actions_enabled()

    def _review_actions_enabled(self, *_args: object) -> None:
        on_review = self.stack.currentWidget() is self.review_view
        for action in self.review_view.actions_by_name.values():
            action.setEnabled(on_review)

    def show_queue(self) -> None:
        queue = next((p for p in self.pages if isinstance(p, QueueView)), None)
        if queue is not None:
            self.nav.setCurrentRow(self.pages.index(queue))
            queue.setFocus()

    def open_review(self, image_id: int, image_ids: list[int] | None = None) -> None:
        """Review one image. Next/previous walk `image_ids`; by default the order of the page that asked
        (its `image_ids()` or `visible_rows()`), so the queue and the library each keep their own order."""
        source = self.sender() if isinstance(self.sender(), QWidget) else self.stack.currentWidget()
        if image_ids is None:
            image_ids = _page_order(source) or _page_order(self.stack.currentWidget()) or [image_id]
        if self.stack.currentWidget() is not self.review_view:
            self._review_return = max(0, self.nav.active_row())
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(-1)  # Review is not a navigation entry; Back / Esc returns
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(self.review_view)
        self.review_view.open_images(list(image_ids), image_id)
        self.review_view.setFocus()

    def close_review(self) -> None:
        row = min(self._review_return, self.nav.count() - 1)
        self.nav.setCurrentRow(row)
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if refresh is not None and not isinstance(page, QueueView):  # the queue refreshes when shown
            refresh()
        image_id = self.review_view.image_id
        select = getattr(page, "select_id", None) or getattr(page, "select_image", None)
        if select is not None and image_id is not None:
            select(image_id)
        page.setFocus()

    @property
    def library(self) -> LibraryView:
        return next(p for p in self.pages if isinstance(p, LibraryView))

    def _show_library(self) -> LibraryView:
        self.nav.setCurrentRow(self.pages.index(self.library))
        return self.library

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """A page may hold the window open (an import still stopping) through `can_close()`."""
        for page in self.pages:
            can_close = getattr(page, "can_close", None)
            if can_close is not None and not can_close():
                event.ignore()
                return
        super().closeEvent(event)

    def refresh_pages(self) -> None:
        """Records changed elsewhere (paper entry, erasure): update the register and the page shown."""
        self.register.refresh()
        current = self.stack.currentWidget()
        refresh = getattr(current, "refresh", None)
        if current is not self.register and refresh is not None:
            refresh()

    def _show_count(self, shown: int, total: int) -> None:
        text = f"{total} consent record{'s' if total != 1 else ''}"
        if shown != total:
            text += f" · {shown} shown"
        self.count_label.setText(text)

    def _update_title(self) -> None:
        self.setWindowTitle(f"{APP_NAME} — {self.catalogue.display_name}")
        self.catalogue_label.setText(f"Catalogue\n{self.catalogue.display_name}")
        self.catalogue_label.setToolTip(self.catalogue.locator)

    # --- actions -----------------------------------------------------------------------------------

    def new_release(self) -> None:
        dialog = ConsentDialog(self.catalogue, parent=self)
        if dialog.exec() == ConsentDialog.DialogCode.Accepted and dialog.consent is not None:
            self.register.record_added(dialog.consent)
            self.nav.setCurrentRow(self.pages.index(self.register))
            self.statusBar().showMessage(
                f"Saved release {dialog.consent.id} for {dialog.consent.full_name}.", 8000
            )

    def print_blank_forms(self) -> None:
        count, ok = QInputDialog.getInt(
            self,
            "Print blank forms",
            "How many numbered blank forms? Each gets its own form ID and QR code.",
            10,
            1,
            MAX_BLANK_FORMS,
        )
        if not ok:
            return
        from consentdesk.core.pdf.blank_forms import write_blank_forms

        suggested = str(Path.home() / f"blank-release-forms-{count}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save blank forms as PDF", suggested, "PDF (*.pdf)")
        if not path:
            return
        out = Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")
        try:
            form_ids = write_blank_forms(self.catalogue, count, out)
        except (OSError, CatalogueError, ValueError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            QMessageBox.warning(
                self, "Blank forms not saved", f"Could not write {out.name}: {detail}. Choose another folder."
            )
            return
        self.statusBar().showMessage(f"Wrote {len(form_ids)} numbered blank forms to {out}.", 10000)
        offer_to_open(self, out, "Blank forms saved")

    def open_catalogue_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open catalogue",
            str(self.catalogue.path.parent),
            "ConsentDesk catalogue (*.sqlite *.db);;All files (*)",
        )
        if path:
            self.open_catalogue(Path(path))

    def open_catalogue(self, path: Path) -> bool:
        try:
            catalogue = Catalogue.open(path, create=False)
        except CatalogueError as exc:
            QMessageBox.warning(
                self, "Catalogue not opened", f"{exc}\n\nThe catalogue you had open is still open."
            )
            return False
        old, self.catalogue = self.catalogue, catalogue
        for page in self.pages:
            setter = getattr(page, "set_catalogue", None)
            if setter:
                setter(catalogue)
        self.review_view.set_catalogue(catalogue)
        if self.stack.currentWidget() is self.review_view:
            self.close_review()
        old.close()
        self._update_title()
        self.statusBar().showMessage(f"Opened {path}.", 6000)
        return True
