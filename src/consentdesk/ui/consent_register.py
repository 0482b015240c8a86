"""The consent register: a searchable, filterable table of release records with record actions.

The table model only adapts `Catalogue.list_consents(ConsentQuery)` results; filtering happens in the
catalogue, so the same query backs the register, the CLI and (later) a shared server.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.catalogue import Catalogue, ConsentQuery
from consentdesk.core.forms import FormDefinition, load_form
from consentdesk.core.model import Consent, ConsentStatus
from consentdesk.ui.consent_view import (
    EXPIRING_DAYS,
    STATUS_TEXT,
    ConsentView,
    format_date,
    save_pdf,
    status_key,
    withdraw,
)
from consentdesk.ui.erase_dialog import erase_person
from consentdesk.ui.sar_export import export_sar

# (text colour, background) for each status badge; NHS palette, AA contrast on the pale backgrounds.
BADGE_COLOURS = {
    "active": ("#00562A", "#DDF1E4"),
    "expiring": ("#7A4100", "#FFF1CC"),
    "expired": ("#4C6272", "#E8EDEE"),
    "withdrawn": ("#A81F14", "#FBE3E1"),
    "erased": ("#4C6272", "#E8EDEE"),
}
STATUS_KEY_ROLE = Qt.ItemDataRole.UserRole + 1
CONSENT_ROLE = Qt.ItemDataRole.UserRole + 2


class ConsentTableModel(QAbstractTableModel):
    COLUMNS = ("ID", "Name", "Role", "Location", "Signed", "Expires", "Status")

    def __init__(self, form: FormDefinition, parent: Any = None) -> None:
        super().__init__(parent)
        self.form = form
        self.consents: list[Consent] = []
        self.today = date.today()
        try:
            self._roles = {o.id: o.label for o in form.field("role").options}
        except KeyError:
            self._roles = {}

    def set_consents(self, consents: list[Consent], today: date | None = None) -> None:
        self.beginResetModel()
        self.consents = consents
        self.today = today or date.today()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.consents)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        consent = self.consents[index.row()]
        column = index.column()
        if role == CONSENT_ROLE:
            return consent
        if role == STATUS_KEY_ROLE:
            return status_key(consent, self.today)
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            answers = consent.answers
            if column == 0:
                return consent.id
            if column == 1:
                return consent.full_name
            if column == 2:
                role_id = str(answers.get("role", ""))
                return self._roles.get(role_id, role_id)
            if column == 3:
                return str(answers.get("location", ""))
            if column == 4:
                return format_date(consent.signed_at.date())
            if column == 5:
                return format_date(consent.expires_on, "Until withdrawn")
            if column == 6:
                key = status_key(consent, self.today)
                text = STATUS_TEXT.get(key, key)
                if role == Qt.ItemDataRole.ToolTipRole and consent.withdrawal_reason:
                    return f"{text}: {consent.withdrawal_reason}"
                return text
        if role == Qt.ItemDataRole.FontRole and column == 0:
            from PySide6.QtGui import QFontDatabase

            return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        return None


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the status as a rounded, coloured badge (colour is never the only cue: the text says it)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        fg, bg = BADGE_COLOURS.get(index.data(STATUS_KEY_ROLE), ("#212B32", "#E8EDEE"))
        metrics = opt.fontMetrics
        pad_x, height = metrics.height() * 0.6, metrics.height() + 6
        width = metrics.horizontalAdvance(text) + 2 * pad_x
        rect = QRectF(opt.rect.x() + 8, opt.rect.center().y() - height / 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(fg))
        font = opt.font
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width() + option.fontMetrics.height() * 2, size.height())


class ConsentRegister(QWidget):
    """The register page. Emits `count_changed(shown, total)` whenever the table is refreshed."""

    count_changed = Signal(int, int)
    records_changed = Signal()
    TITLE = "Consent register"

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.form = load_form()
        self.model = ConsentTableModel(self.form, self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.refresh)
        self._build()
        self.refresh()

    # --- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel(self.TITLE)
        title.setProperty("role", "pageTitle")
        self.subtitle = QLabel("")
        self.subtitle.setProperty("role", "hint")

        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search name, ID, location or photographer")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the register")
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self.refresh)

        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status filter")
        self.status_filter.addItem("Any status", None)
        for status in (ConsentStatus.ACTIVE, ConsentStatus.EXPIRED, ConsentStatus.WITHDRAWN):
            self.status_filter.addItem(STATUS_TEXT[str(status)], str(status))
        self.role_filter = QComboBox()
        self.role_filter.setAccessibleName("Role filter")
        self.role_filter.addItem("Any role", None)
        for option in self.form.field("role").options:
            self.role_filter.addItem(option.label, option.id)
        self.location_filter = QComboBox()
        self.location_filter.setAccessibleName("Location filter")
        self.location_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.expiring = QCheckBox(f"Expiring within {EXPIRING_DAYS} days")
        for combo in (self.status_filter, self.role_filter, self.location_filter):
            combo.currentIndexChanged.connect(self.refresh)
        self.expiring.toggled.connect(self.refresh)

        self.table = QTableView()
        self.table.setObjectName("registerTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 18)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # location takes the spare room
        self.table.setItemDelegateForColumn(6, StatusBadgeDelegate(self.table))
        self.table.setAccessibleName("Consent records")
        self.table.doubleClicked.connect(lambda _index: self.view_selected())
        self.table.activated.connect(lambda _index: self.view_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)

        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.view_action = QAction("View", self)
        self.view_action.setShortcut(QKeySequence(Qt.Key.Key_Return))
        self.pdf_action = QAction("Save PDF…", self)
        self.pdf_action.setShortcut(QKeySequence("Ctrl+P"))
        self.withdraw_action = QAction("Withdraw…", self)
        self.sar_action = QAction("Export subject access bundle…", self)
        self.sar_action.setStatusTip("Export everything held about this person as a .zip (SAR)")
        self.erase_action = QAction("Erase person…", self)
        self.erase_action.setStatusTip("Erase this person's data for good, keeping an id-only tombstone")
        self.sar_action.triggered.connect(self.sar_selected)
        self.erase_action.triggered.connect(self.erase_selected)
        self.view_action.triggered.connect(self.view_selected)
        self.pdf_action.triggered.connect(self.save_pdf_selected)
        self.withdraw_action.triggered.connect(self.withdraw_selected)
        self.pdf_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.pdf_action)

        self.view_button = QPushButton("View")
        self.pdf_button = QPushButton("Save PDF…")
        self.withdraw_button = QPushButton("Withdraw…")
        self.withdraw_button.setProperty("danger", True)
        self.more_button = QPushButton("Data protection")
        self.more_button.setToolTip("Subject access bundle and erasure for the selected record")
        more_menu = QMenu(self.more_button)
        more_menu.addAction(self.sar_action)
        more_menu.addSeparator()
        more_menu.addAction(self.erase_action)
        self.more_button.setMenu(more_menu)
        for button, action in (
            (self.view_button, self.view_action),
            (self.pdf_button, self.pdf_action),
            (self.withdraw_button, self.withdraw_action),
        ):
            button.clicked.connect(action.trigger)

        heading = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(title)
        titles.addWidget(self.subtitle)
        heading.addLayout(titles, 1)
        heading.addWidget(self.view_button, 0, Qt.AlignmentFlag.AlignBottom)
        heading.addWidget(self.pdf_button, 0, Qt.AlignmentFlag.AlignBottom)
        heading.addWidget(self.withdraw_button, 0, Qt.AlignmentFlag.AlignBottom)
        heading.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignBottom)

        filters = QFrame()
        filters.setObjectName("filterBar")
        bar = QHBoxLayout(filters)
        bar.setContentsMargins(12, 10, 12, 10)
        bar.setSpacing(10)
        bar.addWidget(self.search, 3)
        # Visible labels with buddies: every platform's screen reader names a combo box by its purpose.
        for text, combo in (
            ("S&tatus", self.status_filter),
            ("R&ole", self.role_filter),
            ("Lo&cation", self.location_filter),
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            bar.addWidget(label)
            bar.addWidget(combo)
        bar.addWidget(self.expiring)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 16)
        layout.setSpacing(14)
        layout.addLayout(heading)
        layout.addWidget(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        self.setTabOrder(self.search, self.status_filter)
        self.setTabOrder(self.status_filter, self.role_filter)
        self.setTabOrder(self.role_filter, self.location_filter)
        self.setTabOrder(self.location_filter, self.expiring)
        self.setTabOrder(self.expiring, self.table)
        self._reload_locations()
        self._update_actions()

    def _reload_locations(self) -> None:
        current = self.location_filter.currentData()
        self.location_filter.blockSignals(True)
        self.location_filter.clear()
        self.location_filter.addItem("Any location", None)
        for location in self.catalogue.locations():
            self.location_filter.addItem(location, location)
        index = self.location_filter.findData(current) if current else 0
        self.location_filter.setCurrentIndex(max(0, index))
        self.location_filter.blockSignals(False)

    # --- data --------------------------------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._reload_locations()
        self.refresh()

    def query(self) -> ConsentQuery:
        today = date.today()
        status = self.status_filter.currentData()  # Qt hands the enum back as a plain str
        return ConsentQuery(
            text=self.search.text().strip(),
            status=ConsentStatus(status) if status else None,
            role=self.role_filter.currentData(),
            location=self.location_filter.currentData(),
            expiring_before=today + timedelta(days=EXPIRING_DAYS) if self.expiring.isChecked() else None,
            today=today,
        )

    def refresh(self) -> None:
        self._search_timer.stop()
        selected = self.selected_consent()
        consents = self.catalogue.list_consents(self.query())
        total = len(self.catalogue.list_consents()) if self._filtered() else len(consents)
        self.model.set_consents(consents)
        if selected is not None:
            self.select_id(selected.id)
        has_rows = bool(consents)
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        if total == 0:
            self.empty.setText("No releases yet.\nPress New release (Ctrl+N) to record the first one.")
        elif not has_rows:
            self.empty.setText(
                "No records match these filters.\nClear the search or choose “Any” in the filters."
            )
        self.subtitle.setText(
            f"{total} release{'s' if total != 1 else ''} in this catalogue"
            + (f" · {len(consents)} shown" if self._filtered() else "")
        )
        self._update_actions()
        self.count_changed.emit(len(consents), total)

    def _filtered(self) -> bool:
        q = self.query()
        return bool(q.text or q.status or q.role or q.location or q.expiring_before)

    def select_id(self, consent_id: str) -> bool:
        for row, consent in enumerate(self.model.consents):
            if consent.id == consent_id:
                self.table.selectRow(row)
                return True
        return False

    def selected_consent(self) -> Consent | None:
        if not hasattr(self, "table") or self.table.selectionModel() is None:
            return None
        rows = self.table.selectionModel().selectedRows()
        return self.model.consents[rows[0].row()] if rows else None

    def _update_actions(self, *_args: object) -> None:
        consent = self.selected_consent()
        has = consent is not None
        active = has and consent.status is ConsentStatus.ACTIVE
        for widget in (self.view_action, self.pdf_action, self.view_button, self.pdf_button):
            widget.setEnabled(has)
        self.withdraw_action.setEnabled(active)
        self.withdraw_button.setEnabled(active)
        not_erased = has and consent.status is not ConsentStatus.ERASED
        for widget in (self.sar_action, self.erase_action, self.more_button):
            widget.setEnabled(not_erased)

    def record_added(self, consent: Consent) -> None:
        self._reload_locations()
        self.refresh()
        self.select_id(consent.id)
        self.records_changed.emit()

    # --- actions -----------------------------------------------------------------------------------

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.addAction(self.view_action)
        menu.addAction(self.pdf_action)
        menu.addSeparator()
        menu.addAction(self.sar_action)
        menu.addSeparator()
        menu.addAction(self.withdraw_action)
        menu.addAction(self.erase_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def view_selected(self) -> None:
        consent = self.selected_consent()
        if consent is None:
            return
        view = ConsentView(self.catalogue, consent, self)
        view.changed.connect(lambda _c: self._after_change())
        view.exec()

    def save_pdf_selected(self) -> None:
        consent = self.selected_consent()
        if consent is not None:
            save_pdf(self, self.catalogue, consent)

    def withdraw_selected(self) -> None:
        consent = self.selected_consent()
        if consent is not None and withdraw(self, self.catalogue, consent) is not None:
            self._after_change()

    def sar_selected(self) -> None:
        consent = self.selected_consent()
        if consent is not None:
            export_sar(self, self.catalogue, consent)

    def erase_selected(self) -> None:
        consent = self.selected_consent()
        if consent is not None:
            erase_person(self, self.catalogue, consent, lambda _c: self._after_change())

    def _after_change(self) -> None:
        self.refresh()
        self.records_changed.emit()
