"""The main window: navigation on the left, one page per feature, actions in the menu and toolbar.

Adding a page is one line in `PAGES`: a `ui.pages.Page` subclass. The window talks to pages only through
that contract; it shows itself first and each page loads its data off the GUI thread when first shown.
"""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QInputDialog,
    QLabel,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from consentdesk import APP_NAME, paths
from consentdesk.core.photos import cache
from consentdesk.core.store import Catalogue, CatalogueError, team
from consentdesk.ui.expiry.expiry_page import ExpiryPage
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce, announce_status_bar
from consentdesk.ui.kit.busy import describe_error, in_catalogue, run_busy
from consentdesk.ui.kit.keys import enter_presses_buttons
from consentdesk.ui.kit.page import Page
from consentdesk.ui.kit.roles import PROPERTY, apply_roles, role_summary, tag
from consentdesk.ui.kit.settings import remember_catalogue, remembered_catalogue
from consentdesk.ui.kit.workers import run_task
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.paper.paper_page import PaperPage
from consentdesk.ui.releases.record_dialog import offer_to_open
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.releases.release_dialog import ReleaseDialog
from consentdesk.ui.review.queue_page import QueuePage
from consentdesk.ui.review.review_screen import REVIEW_DECISIONS, ReviewScreen
from consentdesk.ui.shell.change_watcher import CONNECTED, OFFLINE, RECONNECTING, ChangeWatcher
from consentdesk.ui.shell.nav_list import NavList
from consentdesk.ui.shell.sign_in import sign_in

#: The navigation pages, in order. One line per feature; the first is shown at start.
PAGES: list[type[Page]] = [
    RegisterPage,
    LibraryPage,
    QueuePage,
    PaperPage,
    ExpiryPage,
]

MAX_BLANK_FORMS = 500

#: The team register's connection in words (state, then the longer sentence read out and shown on hover).
CONNECTION_WORDS = {
    CONNECTED: ("Team register: connected", "Connected to the team register."),
    RECONNECTING: (
        "Team register: reconnecting…",
        "The team register did not answer; ConsentDesk is trying again. Anything you save waits for it.",
    ),
    OFFLINE: (
        "Team register: offline",
        "Offline: the team register cannot be reached, so nothing new can be saved until it is back. "
        "ConsentDesk keeps trying every few seconds and says so when it is back.",
    ),
}


_frozen = False


def _freeze_start_up_objects() -> None:
    """Once per process: what was imported and built before the first window lives as long as the app,
    so later full collections need not walk it (a collection holds the interpreter lock; the GUI waits)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


class MainWindow(QMainWindow):
    #: How many photos' cached copies a prune removed (after opening a team register or a change elsewhere).
    photos_pruned = Signal(int)

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.pages: list[Page] = []
        self.setObjectName("mainWindow")
        enter_presses_buttons(QApplication.instance())  # Enter on any focused button presses it
        self._build_actions()
        self._build_ui()
        self._build_review()
        self._build_page_actions()
        # Others' changes (another window, another person on the team register) reach this one in seconds.
        self.change_watcher = ChangeWatcher(catalogue, parent=self)
        self.change_watcher.changed.connect(self._changed_elsewhere)
        self.change_watcher.connection_changed.connect(self._connection_changed)
        self._tag_by_role()
        self._mirror_roles()
        self._pruning: bool | None = False  # None: a prune is running and another was asked for meanwhile
        self.prune_photo_cache()
        self._update_title()
        self.resize(1180, 720)
        self.pages[0].setFocus()  # the register: typing straight away searches it
        _freeze_start_up_objects()

    # --- building ----------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.new_action = QAction("&New release…", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.setStatusTip("Record a signed release for a person photographed")
        self.new_action.triggered.connect(self.new_release)
        self.print_action = QAction("&Print blank forms…", self)
        self.print_action.setStatusTip("Write numbered blank release forms as a PDF to print")
        self.print_action.triggered.connect(self.print_blank_forms)
        self._build_data_protection_actions()
        self.open_action = QAction("&Open catalogue…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_catalogue_dialog)
        self.open_team_action = QAction("Open &team register…", self)
        self.open_team_action.setStatusTip("Work on your organisation's shared register on its server")
        self.open_team_action.triggered.connect(self.open_team_register_dialog)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        file_menu = self.file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.print_action)
        file_menu.addSeparator()
        self._page_actions_before = file_menu.addSeparator()  # the pages' File actions go above this
        file_menu.addAction(self.scan_forms_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_team_action)
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.restore_action)
        file_menu.addAction(self.check_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

    def _build_data_protection_actions(self) -> None:
        from consentdesk.ui.paper import paper_page
        from consentdesk.ui.shell import catalogue_menu

        self.scan_forms_action = QAction("Import paper form &scans…", self)
        self.scan_forms_action.setStatusTip("Attach scans of signed paper forms by their QR form id")
        self.scan_forms_action.triggered.connect(
            lambda: paper_page.import_scans(self, self.catalogue, lambda _r: self.refresh_pages())
        )
        self.backup_action = QAction("&Back up catalogue…", self)
        self.backup_action.triggered.connect(lambda: catalogue_menu.backup_catalogue(self))
        self.restore_action = QAction("&Restore from backup…", self)
        self.restore_action.triggered.connect(lambda: catalogue_menu.restore_catalogue(self))
        self.check_action = QAction("&Check catalogue…", self)
        self.check_action.setStatusTip("Check the catalogue, its audit trail and the photo files")
        self.check_action.triggered.connect(lambda: catalogue_menu.check_catalogue(self))

    def _build_ui(self) -> None:
        self._build_status_bar()
        self._build_toolbar()
        self._build_pages()
        central = QWidget()
        layout = spacing.hbox(central, spacing.NONE, 0)
        layout.addWidget(self._build_sidebar())
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.setTabOrder(self.nav, self.stack)

    def _build_status_bar(self) -> None:
        """Messages (spoken, not only shown), the team register's connection in words, the page's count."""
        announce_status_bar(self.statusBar())
        self.connection_label = QLabel("")
        self.connection_label.setObjectName("connectionState")
        self.connection_label.setAccessibleName("Connection to the team register")
        self.statusBar().addPermanentWidget(self.connection_label)
        self.count_label = QLabel("")
        self.statusBar().addPermanentWidget(self.count_label)

    def _build_toolbar(self) -> None:
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

    def _build_pages(self) -> None:
        """The navigation list and the stack of pages (one entry per page of PAGES)."""
        self.nav = NavList()  # focus moves never change the page; activation does
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Sections")
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for page_class in PAGES:
            self.add_page(page_class(self.catalogue))
        # Only choosing a section (click, Enter, Space) changes the page; moving focus never does.
        self.nav.page_chosen.connect(self.stack.setCurrentIndex)
        self.stack.currentChanged.connect(self._page_changed)
        self.nav.setCurrentRow(0)

    def _build_sidebar(self) -> QFrame:
        """The navigation, the catalogue open, and on a team register who you are and what you may do."""
        side = QFrame()
        side.setObjectName("sidebar")
        side_layout = spacing.vbox(side, (12, 18, 12, 12), 8)
        side_layout.addWidget(self.nav, 1)
        self.catalogue_label = QLabel("")
        self.catalogue_label.setObjectName("catalogueLabel")
        self.catalogue_label.setWordWrap(True)
        side_layout.addWidget(self.catalogue_label)
        self.role_label = QLabel("")  # on a team register: who you are, what you may do, who does the rest
        self.role_label.setObjectName("roleLabel")
        self.role_label.setWordWrap(True)
        self.role_label.setAccessibleName("Your role")
        self.role_label.hide()
        side_layout.addWidget(self.role_label)
        side.setFixedWidth(max(220, self.fontMetrics().horizontalAdvance("Consent register") + 90))
        return side

    def add_page(self, page: Page) -> None:
        """Add a navigation page. Nothing is loaded here: the page loads when it is first shown."""
        self.pages.append(page)
        self.stack.addWidget(page)
        item = QListWidgetItem(page.TITLE)
        item.setSizeHint(QSize(0, self.fontMetrics().height() + 20))
        self.nav.addItem(item)
        page.records_changed.connect(lambda p=page: self.refresh_pages(source=p))
        page.status_changed.connect(lambda text, p=page: self._show_status(p, text))
        page.review_requested.connect(lambda image_id, p=page: self.open_review(image_id, p.review_order()))
        page.show_requested.connect(lambda p=page: self.show_page(p))

    def _build_page_actions(self) -> None:
        """Each page's own actions go into the menu they name (File or Review)."""
        places = {
            "File": (self.file_menu, self._page_actions_before),
            "Review": (self.review_menu, self._review_actions_before),
        }
        for page in self.pages:
            for action in page.page_actions():
                menu, before = places.get(str(action.property("menu")), places["File"])
                menu.insertAction(before, action)

    def page(self, page_class: type[Page]) -> Page:
        """The page of this class (for tests and scripts; the window itself never asks)."""
        return next(p for p in self.pages if type(p) is page_class)

    def show_page(self, page: Page) -> None:
        self.nav.setCurrentRow(self.pages.index(page))

    def _page_changed(self, _index: int = -1) -> None:
        current = self.stack.currentWidget()
        text = current.status_text() if current in self.pages else ""
        self.count_label.setText(text)
        self.count_label.setVisible(bool(text))

    def _show_status(self, page: Page, text: str) -> None:
        if self.stack.currentWidget() is page:
            self.count_label.setText(text)
            self.count_label.setVisible(bool(text))

    # --- review (a page in the stack, not a navigation entry) ------------------------------------------

    def _build_review(self) -> None:
        self.review_view = ReviewScreen(self.catalogue)
        self.stack.addWidget(self.review_view)  # after every PAGES entry: navigation rows keep their index
        self.review_view.back_requested.connect(self.close_review)
        self._review_return = 0
        menu = self.review_menu = self.menuBar().addMenu("&Review")
        self._review_actions_before = menu.addSeparator()  # the pages' Review actions go above this
        for action in self.review_view.actions_by_name.values():
            menu.addAction(action)
        self.stack.currentChanged.connect(self._review_actions_enabled)
        self._review_actions_enabled()

    def _review_actions_enabled(self, *_args: object) -> None:
        """The review's keys work only in the review, and only those the person's role allows."""
        on_review = self.stack.currentWidget() is self.review_view
        roles = getattr(self, "roles", None)
        for action in self.review_view.actions_by_name.values():
            capability = action.property(PROPERTY)
            allowed = not capability or roles is None or team.allowed(roles, capability)
            action.setEnabled(on_review and allowed)

    def open_review(self, image_id: int, image_ids: list[int] | None = None) -> None:
        """Review one image. Next/previous walk `image_ids`; by default the order of the page shown
        (its `review_order()`), so the queue and the library each keep their own order."""
        current = self.stack.currentWidget()
        if not image_ids:
            image_ids = (current.review_order() if current in self.pages else []) or [image_id]
        if self.stack.currentWidget() is not self.review_view:
            self._review_return = max(0, self.nav.active_row())
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(-1)  # Review is not a navigation entry; Back / Esc returns
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(self.review_view)
        self.review_view.open_images(list(image_ids), image_id)
        self.review_view.setFocus()

    def close_review(self) -> None:
        """Back to the page the review was opened from; it refreshes (incrementally) as it is shown."""
        row = min(self._review_return, self.nav.count() - 1)
        self.nav.setCurrentRow(row)
        page = self.pages[row]
        image_id = self.review_view.image_id
        if image_id is not None:
            page.select_image(image_id)
        page.focus_after_review()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """A page may hold the window open (an import still stopping) through `can_close()`."""
        if not all(page.can_close() for page in self.pages):
            event.ignore()
            return
        self.change_watcher.stop()
        super().closeEvent(event)

    def _tag_by_role(self) -> None:
        """What each action needs on a team register (see ui/kit/roles.py; the server decides)."""
        for action in (self.new_action, self.print_action, self.scan_forms_action):
            tag(action, "record")
        for action in (self.backup_action, self.restore_action, self.check_action):
            tag(action, "protect")
        register, library = self.page(RegisterPage), self.page(LibraryPage)
        tag(register.withdraw_action, "withdraw")
        tag(register.withdraw_button, "withdraw")
        for item in (register.sar_action, register.erase_action, register.more_button):
            tag(item, "protect")
        for item in (
            library.import_files_action,
            library.import_folder_action,
            library.import_files_button,
            library.import_folder_button,
        ):
            tag(item, "import")
        for item in (library.recheck_button, self.page(QueuePage).show_action):
            tag(item, "review")
        for name, action in self.review_view.actions_by_name.items():  # looking is for everyone
            if name in REVIEW_DECISIONS:
                capability = "takedown" if name == "takedown" else "review"
                tag(action, capability)
                button = self.review_view.findChild(QToolButton, f"button_{name}")
                if button is not None:
                    tag(button, capability)

    def _mirror_roles(self) -> None:
        """Ask the server (off the GUI thread) who is signed in, and show only what their role may do."""
        if not self.catalogue.is_team_register:
            self._apply_roles(set(team.ROLES))
            self.role_label.hide()
            return

        def apply(result: tuple[set[str], str]) -> None:
            roles, who = result
            self._apply_roles(roles)
            words = ", ".join(sorted(roles)) or "no ConsentDesk role yet: ask your administrator"
            self.statusBar().showMessage(f"Signed in as {who} ({words}).", 10000)
            self.role_label.setText(f"Signed in as {who} ({words}). {role_summary(roles)}")
            self.role_label.show()

        run_task(in_catalogue(self.catalogue, lambda cat, _c: (team.my_roles(cat), cat.actor)), apply)

    def _apply_roles(self, roles: set[str]) -> None:
        """Show what these roles may do (everywhere: menus, pages, the review), hide what they may not."""
        self.roles = roles
        apply_roles(self, roles)
        self._review_actions_enabled()
        self.review_view.roles_changed(roles)
        for page in self.pages:
            page.roles_changed(roles)

    def _changed_elsewhere(self, entries: list) -> None:
        """New audit entries (ids and actions only): the page shown refreshes incrementally, the others when
        next shown, and an open review re-reads its photo (a withdrawal may have blocked it) and says who
        changed it."""
        self.refresh_pages()
        if self.stack.currentWidget() is self.review_view:
            self.review_view.changed_elsewhere(entries)
        self.prune_photo_cache()  # an erasure elsewhere may have removed photos this computer has cached

    def _connection_changed(self, state: str) -> None:
        """Say how the connection is; when it is back, read again what is shown (stale errors go)."""
        self._show_connection(state)
        if self.catalogue.is_team_register:
            announce(self.connection_label, CONNECTION_WORDS[state][1], assertive=state == OFFLINE)
        if state == CONNECTED:
            self.refresh_pages()
            self.review_view.connection_restored()

    def _show_connection(self, state: str) -> None:
        short, long = CONNECTION_WORDS[state]
        self.connection_label.setText(short)
        self.connection_label.setToolTip(long)
        self.connection_label.setAccessibleDescription(long)
        self.connection_label.setProperty("state", state)
        self.connection_label.style().unpolish(self.connection_label)
        self.connection_label.style().polish(self.connection_label)
        self.connection_label.setVisible(self.catalogue.is_team_register)

    def prune_photo_cache(self) -> None:
        """Drop (in a worker) this computer's cached copies and thumbnails of photos the team register no
        longer holds, e.g. after someone erased a person on another computer; the Library then forgets its
        thumbnails of them. Nothing to do on a desk catalogue (its originals are the user's own files)."""
        if not self.catalogue.is_team_register:
            return
        if self._pruning is not False:
            self._pruning = None  # run once more when this one ends: the trail moved meanwhile
            return
        self._pruning = True
        catalogue = self.catalogue

        def pruned(gone: set[str]) -> None:
            again = self._pruning is None
            self._pruning = False
            if gone:
                self.page(LibraryPage).model.forget_thumbnails(gone)
            self.photos_pruned.emit(len(gone))
            if again:
                self.prune_photo_cache()

        def failed(_exc: BaseException) -> None:
            again = self._pruning is None  # e.g. another register opened meanwhile: prune that one now
            self._pruning = False  # else the server may be back by the next change; that look prunes
            if again:
                self.prune_photo_cache()

        run_task(in_catalogue(catalogue, lambda cat, _c: cache.prune_cache(cat)), pruned, failed, owner=self)

    def refresh_pages(self, source: Page | None = None) -> None:
        """Records changed (a page's action, paper entry, erasure): every other page is stale; the one
        shown refreshes now, the others when they are next shown."""
        for page in self.pages:
            if page is not source:
                page.mark_stale()

    def _update_title(self) -> None:
        self._show_connection(self.change_watcher.state)
        self.setWindowTitle(f"{APP_NAME} — {self.catalogue.display_name}")
        self.catalogue_label.setText(f"Catalogue\n{self.catalogue.display_name}")
        self.catalogue_label.setToolTip(self.catalogue.safe_locator)

    # --- actions -----------------------------------------------------------------------------------

    def new_release(self) -> None:
        dialog = ReleaseDialog(self.catalogue, parent=self)
        if dialog.exec() == ReleaseDialog.DialogCode.Accepted and dialog.consent is not None:
            self.refresh_pages()
            shown = next((p for p in self.pages if p.show_record(dialog.consent.id)), None)
            if shown is not None:
                self.show_page(shown)
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

        def written(form_ids: list[str]) -> None:
            self.statusBar().showMessage(f"Wrote {len(form_ids)} numbered blank forms to {out}.", 10000)
            offer_to_open(self, out, "Blank forms saved")

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(
                self,
                "Blank forms not saved",
                f"Could not write {out.name}: {describe_error(exc)}. Choose another folder.",
            )

        # A few seconds per hundred forms: drawn in a worker while a calm note says so.
        self.blank_forms_task = run_busy(
            self,
            "Printing blank forms",
            f"Reserving {count} form IDs and drawing their pages…",
            in_catalogue(self.catalogue, lambda cat, _c: write_blank_forms(cat, count, out)),
            written,
            failed,
        )

    def open_catalogue_dialog(self) -> None:
        folder = self.catalogue.path.parent if self.catalogue.path else paths.data_dir()
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open catalogue",
            str(folder),
            "ConsentDesk catalogue (*.sqlite *.db);;All files (*)",
        )
        if path:
            self.open_catalogue(path)

    def open_team_register_dialog(self) -> None:
        """Sign in to a team register; the catalogue open now stays open until that succeeds."""
        catalogue = sign_in(self, remembered_catalogue())
        if catalogue is not None:
            self._switch_to(catalogue)

    def open_catalogue(self, locator: str | Path) -> bool:
        try:
            catalogue = Catalogue.open(str(locator), create=False)
        except CatalogueError as exc:
            QMessageBox.warning(
                self, "Catalogue not opened", f"{exc}\n\nThe catalogue you had open is still open."
            )
            return False
        self._switch_to(catalogue)
        return True

    def _switch_to(self, catalogue: Catalogue) -> None:
        """Show `catalogue` in every page instead of the one open now, and remember it for next time."""
        old, self.catalogue = self.catalogue, catalogue
        for page in self.pages:
            page.set_catalogue(catalogue)
        self.review_view.set_catalogue(catalogue)
        if self.stack.currentWidget() is self.review_view:
            self.close_review()
        old.close()
        self.change_watcher.watch(catalogue)
        self._mirror_roles()
        self.prune_photo_cache()
        self._update_title()
        remember_catalogue(catalogue.locator)
        self.statusBar().showMessage(f"Opened {catalogue.safe_locator}.", 6000)
