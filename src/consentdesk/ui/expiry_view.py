"""The "Expiry & withdrawals" page: consents ending soon, and photos that have lost clearance and why.

It presents `core.lifecycle.expiry.expiry_dashboard` (a read-only view computed for today) and refreshes
whenever it is shown, so it is right on any day without a nightly job.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.lifecycle.expiry import BlockedImage, ExpiringConsent, ExpiryDashboard, expiry_dashboard
from consentdesk.core.store import Catalogue
from consentdesk.ui.consent_view import ConsentView, format_date
from consentdesk.ui.tables import data_table

DEFAULT_DAYS = 30
CONSENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
WHY_TEXT = {"withdrawn": "withdrawn", "expired": "expired", "erased": "erased"}


def _cell(text: str, consent_id: str | None = None, tooltip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if consent_id:
        item.setData(CONSENT_ID_ROLE, consent_id)
    item.setToolTip(tooltip or text)
    return item


def days_text(days: int) -> str:
    if days <= 0:
        return "Ends today"
    return "1 day" if days == 1 else f"{days} days"


def why_text(reasons: tuple[tuple[str, str], ...]) -> str:
    return "; ".join(f"{cid} {WHY_TEXT.get(status, status)}" for cid, status in reasons)


class ExpiryView(QWidget):
    """Two lists: consents ending within N days (double-click opens the record) and blocked photos."""

    TITLE = "Expiry & withdrawals"
    records_changed = Signal()

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.dashboard: ExpiryDashboard | None = None
        self._build()
        self.refresh()

    def _build(self) -> None:
        title = QLabel(self.TITLE)
        title.setProperty("role", "pageTitle")
        hint = QLabel(
            "Consents that are about to end, and photos that can no longer be posted because a person's "
            "consent has expired, was withdrawn or was erased."
        )
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)

        self.days = QSpinBox()
        self.days.setRange(0, 3650)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.days.setMinimumWidth(self.days.fontMetrics().horizontalAdvance("0000 days") + 40)
        self.days.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.days.setAccessibleName("Look ahead this many days")
        self.days.valueChanged.connect(lambda _v: self.refresh())
        days_label = QLabel("Show consents ending within")
        days_label.setBuddy(self.days)

        self.expiring_title = QLabel("")
        self.expiring_title.setProperty("role", "sectionTitle")
        self.expiring_table = data_table(
            ("ID", "Name", "Ends", "Days left", "Linked photos"), "expiringTable", word_wrap=False
        )
        self.expiring_table.setAccessibleName("Consents ending soon")
        self.expiring_table.doubleClicked.connect(
            lambda index: self._open_row(self.expiring_table, index.row())
        )
        self.expiring_table.activated.connect(lambda index: self._open_row(self.expiring_table, index.row()))
        self.expiring_empty = QLabel("")
        self.expiring_empty.setObjectName("emptyState")
        self.expiring_empty.setProperty("compact", True)

        self.blocked_title = QLabel("")
        self.blocked_title.setProperty("role", "sectionTitle")
        self.blocked_table = data_table(
            ("Photo", "Why it is blocked", "Folder"), "blockedTable", word_wrap=False
        )
        self.blocked_table.setAccessibleName("Photos that lost clearance")
        self.blocked_table.doubleClicked.connect(
            lambda index: self._open_row(self.blocked_table, index.row())
        )
        self.blocked_table.activated.connect(lambda index: self._open_row(self.blocked_table, index.row()))
        self.blocked_empty = QLabel("")
        self.blocked_empty.setObjectName("emptyState")
        self.blocked_empty.setProperty("compact", True)

        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(title)
        heading.addWidget(hint)

        controls = QFrame()
        controls.setObjectName("filterBar")
        bar = QHBoxLayout(controls)
        bar.setContentsMargins(12, 8, 12, 8)
        bar.addWidget(days_label)
        bar.addWidget(self.days)
        bar.addStretch(1)
        self.today_label = QLabel("")
        self.today_label.setProperty("role", "hint")
        bar.addWidget(self.today_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 16)
        layout.setSpacing(10)
        layout.addLayout(heading)
        layout.addSpacing(4)
        layout.addWidget(controls)
        layout.addSpacing(6)
        layout.addWidget(self.expiring_title)
        layout.addWidget(self.expiring_table, 3)
        layout.addWidget(self.expiring_empty)
        layout.addSpacing(6)
        layout.addWidget(self.blocked_title)
        layout.addWidget(self.blocked_table, 2)
        layout.addWidget(self.blocked_empty)
        layout.addStretch(0)

    # --- data --------------------------------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        dash = expiry_dashboard(self.catalogue, self.days.value())
        self.dashboard = dash
        self.today_label.setText(f"As of {format_date(dash.today)}")
        self._fill_expiring(dash.expiring)
        self._fill_blocked(dash.blocked)

    def _fill_expiring(self, rows: tuple[ExpiringConsent, ...]) -> None:
        n = len(rows)
        self.expiring_title.setText(
            f"Consents ending within {self.days.value()} days ({n})"
            if n
            else f"Consents ending within {self.days.value()} days"
        )
        table = self.expiring_table
        table.setRowCount(n)
        for row, e in enumerate(rows):
            c = e.consent
            days = _cell(days_text(e.days_left), c.id)
            if e.days_left <= 7:
                days.setForeground(QColor("#A81F14"))
            elif e.days_left <= 30:
                days.setForeground(QColor("#7A4100"))
            linked = _cell(str(e.linked_images), c.id)
            for column, item in enumerate(
                (
                    _cell(c.id, c.id),
                    _cell(c.full_name, c.id),
                    _cell(format_date(c.expires_on), c.id),
                    days,
                    linked,
                )
            ):
                table.setItem(row, column, item)
        table.setVisible(bool(n))
        self.expiring_empty.setVisible(not n)
        self.expiring_empty.setText(f"No consents end in the next {self.days.value()} days.")

    def _fill_blocked(self, rows: tuple[BlockedImage, ...]) -> None:
        n = len(rows)
        self.blocked_title.setText(f"Photos that lost clearance ({n})" if n else "Photos that lost clearance")
        table = self.blocked_table
        table.setRowCount(n)
        for row, b in enumerate(rows):
            path = Path(b.image.path)
            first = b.reasons[0][0] if b.reasons else None
            why = _cell(why_text(b.reasons), first)
            why.setForeground(QColor("#A81F14"))
            table.setItem(row, 0, _cell(path.name, first, b.image.path))
            table.setItem(row, 1, why)
            table.setItem(row, 2, _cell(str(path.parent), first))
        table.setVisible(bool(n))
        self.blocked_empty.setVisible(not n)
        self.blocked_empty.setText("No photos have lost clearance.")

    # --- actions -----------------------------------------------------------------------------------

    def _open_row(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        consent_id = item.data(CONSENT_ID_ROLE) if item else None
        if consent_id:
            self.open_consent(consent_id)

    def open_consent(self, consent_id: str) -> None:
        consent = self.catalogue.find_consent(consent_id)
        if consent is None:
            return
        view = ConsentView(self.catalogue, consent, self)
        view.changed.connect(lambda _c: self._changed())
        view.exec()

    def _changed(self) -> None:
        self.refresh()
        self.records_changed.emit()
