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
    QListWidget,
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
from consentdesk.ui.consent_dialog import ConsentDialog
from consentdesk.ui.consent_register import ConsentRegister
from consentdesk.ui.consent_view import offer_to_open

#: (title, factory) for each page in the navigation, in order. One line per feature.
PAGES: list[tuple[str, Callable[[Catalogue], QWidget]]] = [
    ("Consent register", ConsentRegister),
]

MAX_BLANK_FORMS = 500


class MainWindow(QMainWindow):
    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.pages: list[QWidget] = []
        self.setObjectName("mainWindow")
        self._build_actions()
        self._build_ui()
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
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

    def _build_ui(self) -> None:
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

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Sections")
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for title, factory in PAGES:
            self.add_page(title, factory(self.catalogue))
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
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
        count_changed = getattr(page, "count_changed", None)
        if count_changed is not None:
            count_changed.connect(self._show_count)
            refresh = getattr(page, "refresh", None)
            if refresh:
                refresh()

    @property
    def register(self) -> ConsentRegister:
        return next(p for p in self.pages if isinstance(p, ConsentRegister))

    def _show_count(self, shown: int, total: int) -> None:
        text = f"{total} consent record{'s' if total != 1 else ''}"
        if shown != total:
            text += f" · {shown} shown"
        self.count_label.setText(text)

    def _update_title(self) -> None:
        self.setWindowTitle(f"{APP_NAME} — {self.catalogue.path.name}")
        self.catalogue_label.setText(f"Catalogue\n{self.catalogue.path.name}")
        self.catalogue_label.setToolTip(str(self.catalogue.path))

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
        try:
            from consentdesk.core.pdf.blank_forms import write_blank_forms
        except ImportError:
            QMessageBox.information(
                self,
                "Blank forms not available yet",
                "This version of ConsentDesk cannot write blank forms yet. Update ConsentDesk and try again.",
            )
            return
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
        old.close()
        self._update_title()
        self.statusBar().showMessage(f"Opened {path}.", 6000)
        return True
