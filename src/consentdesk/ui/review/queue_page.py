"""The "To verify" page: every image neither approved nor rejected, by shoot and capture date, with what
blocks each one. Enter or a double-click opens the review, which then walks this same list.

The list is paged: a worker reads the ids to verify and computes the first page of rows; more pages are
computed as the table is scrolled (`PagedModel`). Nothing is read until the page is first shown. The
table paints from a C++ copy of the loaded rows (`ItemMirror`), so a repaint never waits for a worker.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeView,
    QWidget,
)

from consentdesk.core.review import policy, workflow
from consentdesk.core.store import Catalogue, team
from consentdesk.core.values import FindingState, ImageState
from consentdesk.ui.kit.item_mirror import ItemMirror
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.lazy_model import Loaded, Loader, PagedModel
from consentdesk.ui.kit.page import Page
from consentdesk.ui.kit.words import approved_copies

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _plural(n: int, words: str) -> str:
    if n == 1:
        return f"1 {words}"
    return f"{n} {words}es" if words.endswith(("s", "x")) else f"{n} {words}s"


def blocker_text(item: workflow.QueueItem, state: ImageState | None) -> str:
    """ "2 faces without consent · 1 NHS number" — the counts from core, in plain words."""
    b = item.blockers
    parts = []
    if item.takedown:  # first: a copy that may be posted now must come down
        n = len(item.takedown)
        parts.append(f"{policy.Badge.TAKE_DOWN.words}: {approved_copies(n)}")
    if b.analysis_error:
        parts.append("not checked")
    if b.unresolved_faces:
        parts.append(_plural(b.unresolved_faces, "face") + " without consent")
    if b.consent_problems:
        parts.append(_plural(b.consent_problems, "consent problem"))
    if b.unresolved_findings and state is not None:
        kinds = Counter(
            policy.kind_words(f.kind)
            for f in state.findings
            if f.state is FindingState.UNRESOLVED and f.severity in policy.BLOCKING_SEVERITIES
        )
        parts.extend(_plural(n, words) for words, n in kinds.items())
    elif b.unresolved_findings:
        parts.append(_plural(b.unresolved_findings, "finding"))
    return " · ".join(parts) if parts else "ready to approve"


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the list, computed in a worker."""

    image_id: int
    name: str
    path: str
    shoot: str
    taken: str
    blockers: str
    blocked: bool
    summary: str


def queue_rows(
    catalogue: Catalogue, image_ids: list[int], shoots: dict[int, str], on: date
) -> list[QueueRow]:
    """The rows for these images (worker side; only for a page): the images and their review states are
    read a page at a time (a few queries), not one image after another."""
    images = catalogue.images_by_id(image_ids)
    states = catalogue.review_states([i for i in image_ids if i in images])
    approvals = catalogue.approvals_of(list(states))
    rows = []
    for image_id in image_ids:
        image, state = images.get(image_id), states.get(image_id)
        if image is None or state is None:
            continue  # deleted since the ids were read
        entry = workflow.queue_item(catalogue, image, on, state=state, approvals=approvals[image_id])
        rows.append(
            QueueRow(
                image_id=image.id,
                name=Path(image.path).name,
                path=image.path,
                shoot=shoots.get(image.shoot_id, "—") if image.shoot_id is not None else "—",
                taken=(image.captured_at or "")[:16].replace("T", " "),
                blockers=blocker_text(entry, state),
                blocked=entry.blockers.total > 0 or bool(entry.takedown),
                summary=entry.summary,
            )
        )
    return rows


def queue_loader(locator: str) -> Loader:
    """Reads the ids to verify once per load (kept for paging and for the review's next/previous); rows
    are built only for the page shown."""

    def load(want: int) -> Loaded:
        on = date.today()
        with Catalogue.open(locator, create=False) as catalogue:
            ids = catalogue.image_ids_to_verify(on)
            shoots = {s["id"]: s["name"] for s in catalogue.shoots()}
            first = queue_rows(catalogue, ids[:want], shoots, on)

        def fetch(offset: int, limit: int) -> list[QueueRow]:
            with Catalogue.open(locator, create=False) as catalogue:
                return queue_rows(catalogue, ids[offset : offset + limit], shoots, on)

        return Loaded(len(ids), first, fetch, extra=ids)

    return load


class QueueModel(PagedModel):
    COLUMNS = ("Photo or clip", "Shoot", "Taken", "What blocks it", "Summary")

    def cell(self, row: QueueRow, column: int, role: int) -> Any:
        if role == ID_ROLE:
            return row.image_id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (row.name, row.shoot, row.taken, row.blockers, row.summary)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                row.path
                if column == 0
                else (row.name, row.shoot, row.taken, row.blockers, row.summary)[column]
            )
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            return QColor("#D5281B" if row.blocked else "#007F3B")
        return None


class QueuePage(Page):
    TITLE = "To verify"
    COLUMNS = QueueModel.COLUMNS

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(catalogue, parent)
        self._ids: list[int] = []
        self._select: int | None = None
        self.model = QueueModel(key=lambda r: r.image_id, parent=self)
        self.model.loaded.connect(self._loaded)
        self.model.fetched.connect(self._apply_selection)
        self.model.failed.connect(self._failed)
        self.table = QTreeView()
        self.table.setObjectName("queueTable")
        self.table.setAccessibleName("Photos and clips to verify")
        # the view paints from a C++ copy of the loaded rows: no Python call per cell (see item_mirror)
        self.shown = ItemMirror(self.model, roles=(ID_ROLE,), parent=self)
        self.table.setModel(self.shown)
        self.shown.fetch_near_the_end(self.table)
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAllColumnsShowFocus(True)
        header = self.table.header()
        header.setStretchLastSection(True)
        # fixed starting widths: sizing to contents would measure every row on each change
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        em = self.fontMetrics().horizontalAdvance("M")
        for column, ems in enumerate((16, 12, 10, 22)):
            header.resizeSection(column, ems * em)
        self.table.activated.connect(self._activated)
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.show_action = QAction(self.TITLE, self)
        self.show_action.setShortcut(QKeySequence("Ctrl+T"))
        self.show_action.setProperty("menu", "Review")
        self.show_action.triggered.connect(self._show_from_menu)
        self.role_note = text_label("", "hint", name="queueRoleNote")
        self.role_note.hide()
        layout = self.page_layout()
        layout.addLayout(self.page_header())
        layout.addWidget(self.role_note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        self.setFocusProxy(self.table)

    # --- the page contract ---------------------------------------------------------------------------

    def load(self) -> None:
        self.subtitle.setText("Reading the photos and clips to verify…")
        self.model.load(queue_loader(self.catalogue.locator))

    def refresh(self) -> None:
        """Decisions made elsewhere (review, withdrawals) change the list: re-read the rows shown."""
        self._select = self.current_id() if self._select is None else self._select
        self.start_loading()
        self.model.load(queue_loader(self.catalogue.locator), incremental=True)

    def clear(self) -> None:
        self._ids = []
        self.model.clear()

    def review_order(self) -> list[int]:
        return list(self._ids)

    def select_image(self, image_id: int) -> bool:
        return self.select_id(image_id)

    def roles_changed(self, roles: set[str]) -> None:
        may_review = team.allowed(roles, "review")
        self.role_note.setText(
            ""
            if may_review
            else "What still blocks each photo or clip, for you to see: deciding, approving and rejecting are "
            "for reviewers (the social media team). Enter opens one to look at."
        )
        self.role_note.setVisible(not may_review)

    def page_actions(self) -> list[QAction]:
        return [self.show_action]

    # --- rows ----------------------------------------------------------------------------------------

    def _loaded(self, ids: list[int]) -> None:
        self._ids = list(ids)
        count = self.model.total
        self.subtitle.setText(
            f"{count} image{'s' if count != 1 else ''} waiting · Enter opens the review" if count else ""
        )
        self.empty.setText(
            "Nothing to verify. Imported photos and clips appear here until they are approved or rejected."
        )
        self.table.setVisible(bool(count))
        self.empty.setVisible(not count)
        if count:
            self._apply_selection()
        self.finish_loading()

    def _apply_selection(self) -> None:
        if self._select is not None and self._select not in self._ids:
            self._select = None  # approved or rejected meanwhile: it is no longer in the list
        wanted = self._select if self._select is not None else self.current_id()
        if not self.model.rows:
            return
        if wanted is not None and self.select_id(wanted):
            self._select = None
        elif not self.table.currentIndex().isValid() or self.current_id() not in self._ids:
            self._set_current(0)

    def _failed(self, exc: BaseException) -> None:
        self.subtitle.setText(
            f"The photos and clips to verify could not be read ({exc}). Check the catalogue is reachable, then "
            "choose To verify again."
        )
        self.finish_loading()

    def image_ids(self) -> list[int]:
        """The ids of the rows loaded so far, in order."""
        return [r.image_id for r in self.model.rows]

    def current_id(self) -> int | None:
        row = self.model.row_at(self.table.currentIndex().row())
        return row.image_id if row is not None else None

    def select_id(self, image_id: int | None) -> bool:
        row = self.model.row_of(image_id) if image_id is not None else -1
        if row < 0:
            return False
        self._set_current(row)
        return True

    def _set_current(self, row: int) -> None:
        index = self.shown.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )

    def _activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.review_requested.emit(row.image_id)

    def _show_from_menu(self) -> None:
        self.show_requested.emit()
        self.table.setFocus()
