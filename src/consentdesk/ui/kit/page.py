"""The one contract between the main window and its pages.

Why: the window used to look page methods up with `getattr` and special-case page classes, and built
every page's data before it could appear. Now each page derives from `Page` (as Picard's options pages
derive from `OptionsPage`), the window lists page classes in one list (`main_window.PAGES`) and talks to
them only through this class: adding a page is one entry in that list.

Loading: a page queries nothing when it is constructed. `page_shown()` runs each time the page is shown
(the window's stack switching to it, or the window appearing with it): the first time it starts
`load()`; afterwards `refresh()`, which must be incremental (re-read what is on screen, not everything).
Both run their catalogue work through `workers.run_task`, each job on its own connection, call
`start_loading()` when they start and `finish_loading()` when the rows are on screen.

Building: `page_layout()` gives the page's column with the app's margins, `page_header(...)` its title (the
page's `TITLE`, the same words as the navigation entry), the hint under it and the page's buttons, and
`filter_bar()` the white bar of search boxes and filters under it, so every page reads the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from consentdesk.core.store import Catalogue
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.labels import text_label, title_and_hint


class Page(QWidget):
    """A navigation page. Subclasses set `TITLE` and implement `load()` and `refresh()`."""

    #: The navigation label and the page heading.
    TITLE = ""

    #: The status-bar text for this page changed (see `status_text`).
    status_changed = Signal(str)
    #: This page changed records (a withdrawal, an entry): the other pages' data may be stale.
    records_changed = Signal()
    #: Open the review at this image; next/previous walk `review_order()`.
    review_requested = Signal(int)
    #: The page asks to be shown (one of its menu actions was triggered from elsewhere).
    show_requested = Signal()
    #: The first rows (or the empty state) of a load or refresh are on screen.
    loaded = Signal()

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self._started = False
        self._loading = False
        self._status = ""

    # --- what the window calls --------------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        """Another catalogue was opened: forget everything, load again when next shown."""
        self.catalogue = catalogue
        self._started = False
        self.clear()
        if self.isVisible():
            self.page_shown()

    def page_shown(self) -> None:
        """The page was chosen: load the first time, refresh incrementally after."""
        if not self._started:
            self._started = True
            self.start_loading()
            self.load()
        else:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not event.spontaneous():  # not a window restored from the task bar
            self.page_shown()

    def mark_stale(self) -> None:
        """Records changed elsewhere: refresh now if shown, else when next shown (page_shown refreshes)."""
        if self._started and self.isVisible():
            self.refresh()

    def status_text(self) -> str:
        """What the window's status bar says while this page is shown ("" for nothing)."""
        return self._status

    def review_order(self) -> list[int]:
        """Image ids in this page's order, for next/previous in the review (empty: no images here)."""
        return []

    def select_image(self, image_id: int) -> bool:
        """Select this image if the page lists it (after the review closes)."""
        return False

    def focus_after_review(self) -> None:
        """Back from the review: the focus goes where the keys keep working (a page's list of images)."""
        self.setFocus()

    def show_record(self, consent_id: str) -> bool:
        """Show this consent record if the page lists records; True if the window should show this page."""
        return False

    def page_actions(self) -> list[QAction]:
        """Actions the window puts in its menus; their `menu` property names the menu ("File", "Review")."""
        return []

    def roles_changed(self, roles: set[str]) -> None:
        """The signed-in person's roles are known (or changed): word the page for them (the window has
        already hidden what they may not do)."""

    def can_close(self) -> bool:
        """False holds the window open (an import still stopping)."""
        return True

    def is_loaded(self) -> bool:
        """The last load or refresh has put its rows on screen (the bench and tests wait on this)."""
        return self._started and not self._loading

    # --- what a page implements -------------------------------------------------------------------

    def load(self) -> None:
        """Start the first load in a worker; call `finish_loading()` when its rows are shown."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Re-read what is shown in a worker (incremental); call `finish_loading()` when done."""
        raise NotImplementedError

    def clear(self) -> None:
        """Drop every row (another catalogue is being opened)."""

    # --- building ---------------------------------------------------------------------------------

    def page_layout(self, gap: int = spacing.BLOCK) -> QVBoxLayout:
        """The page's column, with the app's page margins."""
        return spacing.vbox(self, spacing.PAGE, gap)

    def page_header(
        self, hint: str = "", *, buttons: Sequence[QWidget] = (), wrap: bool = False
    ) -> QHBoxLayout:
        """The page's title (`TITLE`) with a hint under it (`self.subtitle`, which the page may change:
        counts, errors) and the page's own buttons at the right.

        Tab visits widgets in the order they were put into the page. Buttons that act on the row chosen
        below (a record's View, Withdraw…) come after the list: put the header in last, with
        `layout.insertLayout(0, self.page_header(...))`."""
        self.title_label = text_label(self.TITLE, "pageTitle", wrap=False)
        self.subtitle = text_label(hint, "hint", wrap=wrap)
        row = QHBoxLayout()
        row.addLayout(title_and_hint(self.title_label, self.subtitle), 1)
        for button in buttons:
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignBottom)
        return row

    @staticmethod
    def filter_bar(margins: spacing.Margins = spacing.BAR) -> tuple[QFrame, QHBoxLayout]:
        """The white bar of search boxes and filters under a page's header."""
        bar = QFrame()
        bar.setObjectName("filterBar")
        return bar, spacing.hbox(bar, margins, spacing.GAP)

    @staticmethod
    def add_labelled(row: QHBoxLayout, text: str, control: QWidget) -> QLabel:
        """A visible label for `control`, as its buddy: every platform's screen reader then names a combo
        box or spin box by its purpose, not by its value."""
        label = QLabel(text)
        label.setBuddy(control)
        row.addWidget(label)
        row.addWidget(control)
        return label

    # --- helpers for pages ------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        if text != self._status:
            self._status = text
            self.status_changed.emit(text)

    def start_loading(self) -> None:
        self._loading = True

    def finish_loading(self) -> None:
        self._loading = False
        self.loaded.emit()
