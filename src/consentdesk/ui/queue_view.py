"""The "To verify" page: every image neither approved nor rejected, by shoot and capture date, with what
blocks each one. Enter or a double-click opens the review, which then walks this same list.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core import policy, review
from consentdesk.core.decisions import FindingState, ImageState
from consentdesk.core.store import Catalogue

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _plural(n: int, words: str) -> str:
    if n == 1:
        return f"1 {words}"
    return f"{n} {words}es" if words.endswith(("s", "x")) else f"{n} {words}s"


def blocker_text(item: review.QueueItem, state: ImageState | None) -> str:
    """ "2 faces without consent · 1 NHS number" — the counts from core, in plain words."""
    b = item.blockers
    parts = []
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


class QueueView(QWidget):
    review_requested = Signal(int)
    TITLE = "To verify"
    COLUMNS = ("Photo", "Shoot", "Taken", "What blocks it", "Summary")

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        title = QLabel(self.TITLE)
        title.setProperty("role", "pageTitle")
        self.subtitle = QLabel("")
        self.subtitle.setProperty("role", "hint")
        self.table = QTreeWidget()
        self.table.setObjectName("queueTable")
        self.table.setAccessibleName("Images to verify")
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAllColumnsShowFocus(True)
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemActivated.connect(self._activated)
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        self.setFocusProxy(self.table)
        self.refresh()

    def set_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.refresh()

    def refresh(self) -> None:
        current = self.current_id()
        items = review.queue(self.catalogue)
        shoots = {s["id"]: s["name"] for s in self.catalogue.shoots()}
        self.table.clear()
        for entry in items:
            image = entry.image
            blocked = entry.blockers.total > 0
            state = (
                review.image_state(self.catalogue, image.id) if entry.blockers.unresolved_findings else None
            )
            row = QTreeWidgetItem(
                [
                    Path(image.path).name,
                    shoots.get(image.shoot_id, "—") if image.shoot_id is not None else "—",
                    (image.captured_at or "")[:16].replace("T", " "),
                    blocker_text(entry, state),
                    entry.summary,
                ]
            )
            row.setData(0, ID_ROLE, image.id)
            row.setToolTip(0, image.path)
            row.setForeground(3, QColor("#D5281B" if blocked else "#007F3B"))
            self.table.addTopLevelItem(row)
        count = len(items)
        ready = sum(1 for e in items if e.blockers.total == 0)
        self.subtitle.setText(
            f"{count} image{'s' if count != 1 else ''} waiting · {ready} ready to approve · "
            "Enter opens the review"
            if count
            else ""
        )
        self.empty.setText(
            "Nothing to verify. Imported photos appear here until they are approved or rejected."
        )
        self.table.setVisible(bool(count))
        self.empty.setVisible(not count)
        if count:
            self.select_id(current if current in self.image_ids() else self.image_ids()[0])

    def image_ids(self) -> list[int]:
        return [self.table.topLevelItem(i).data(0, ID_ROLE) for i in range(self.table.topLevelItemCount())]

    def current_id(self) -> int | None:
        item = self.table.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def select_id(self, image_id: int | None) -> None:
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            if item.data(0, ID_ROLE) == image_id:
                self.table.setCurrentItem(item)
                return

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.review_requested.emit(item.data(0, ID_ROLE))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        self.refresh()  # decisions made elsewhere (review, withdrawals) change the list
        super().showEvent(event)
