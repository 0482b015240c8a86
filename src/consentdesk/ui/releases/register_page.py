"""The consent register: a searchable, filterable table of release records with record actions.

The table model only adapts `Catalogue.list_consents(ConsentQuery)` results; filtering happens in the
catalogue, so the same query backs the register, the CLI and (later) a shared server. The query runs in
a worker when the page is shown or a filter changes; the table holds the first page of records and
fetches more as it is scrolled (`PagedModel`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
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
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from consentdesk.core.consent.releases import EXPIRING_DAYS, with_paper_signatures
from consentdesk.core.forms import FormDefinition, load_form
from consentdesk.core.store import Catalogue, ConsentQuery
from consentdesk.core.values import Consent, ConsentStatus
from consentdesk.ui.kit.lazy_model import Loaded, Loader, PagedModel
from consentdesk.ui.kit.lazy_rows import shrink
from consentdesk.ui.kit.page import Page
from consentdesk.ui.releases.erase_dialog import erase_person
from consentdesk.ui.releases.record_dialog import (
    STATUS_TEXT,
    RecordDialog,
    format_date,
    save_pdf,
    status_key,
)
from consentdesk.ui.releases.sar_dialog import export_sar
from consentdesk.ui.releases.withdraw_dialog import withdraw

# (text colour, background) for each status badge; NHS palette, AA contrast on the pale backgrounds.
BADGE_COLOURS = {
    "active": ("#00562A", "#DDF1E4"),
    "expiring": ("#7A4100", "#FFF1CC"),
    "expired": ("#4C6272", "#E8EDEE"),
    "withdrawn": ("#A81F14", "#FBE3E1"),
    "erased": ("#4C6272", "#E8EDEE"),
    "awaiting_scan": ("#7A4100", "#FFF1CC"),
}
STATUS_KEY_ROLE = Qt.ItemDataRole.UserRole + 1
CONSENT_ROLE = Qt.ItemDataRole.UserRole + 2


def register_loader(locator: str, query: ConsentQuery, filtered: bool) -> Loader:
    """Worker side: the records matching `query` (first page, then by id), the unfiltered total and the
    locations for the filter.

    Store methods that would make this flat: `list_consents(query, limit, offset)`,
    `count_consents(query)`; until then the ids are read once per load and later pages by id."""

    def load(want: int) -> Loaded:
        with Catalogue.open(locator, create=False) as catalogue:
            consents = catalogue.list_consents(query)
            if filtered:
                everything = catalogue.list_consents()
                total = len(everything)
                shrink(everything)
            else:
                total = len(consents)
            locations = catalogue.locations()
            ids = [c.id for c in consents]
            shrink(consents, want)
            consents = [with_paper_signatures(catalogue, c) for c in consents]  # its state says so

        def fetch(offset: int, limit: int) -> list[Consent]:
            with Catalogue.open(locator, create=False) as catalogue:
                found = (catalogue.find_consent(i) for i in ids[offset : offset + limit])
                return [with_paper_signatures(catalogue, c) for c in found if c is not None]

        return Loaded(len(ids), consents, fetch, extra=(total, locations))

    return load


class ConsentTableModel(PagedModel):
    COLUMNS = ("ID", "Name", "Role", "Location", "Signed", "Expires", "Status")

    def __init__(self, form: FormDefinition, parent: Any = None) -> None:
        super().__init__(key=lambda c: c.id, parent=parent)
        self.form = form
        self.today = date.today()
        try:
            self._roles = {o.id: o.label for o in form.field("role").options}
        except KeyError:
            self._roles = {}

    @property
    def consents(self) -> list[Consent]:
        """The records loaded so far, in table order."""
        return self.rows

    def cell(self, consent: Consent, column: int, role: int) -> Any:
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


class RegisterPage(Page):
    """The register page. Its status text counts the records ("N consent records · M shown")."""

    count_changed = Signal(int, int)
    TITLE = "Consent register"

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(catalogue, parent)
        self.form = load_form()
        self.model = ConsentTableModel(self.form, self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)
        self._select: str | None = None
        self._sized = False  # columns fitted to the first rows shown
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._requery)
        self._build()

    # --- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self._build_filters()
        self._build_table()
        self._build_row_actions()
        layout = self.page_layout()
        layout.addWidget(self._filter_bar())
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        # In last, so Tab goes search, filters, the records, then what acts on the record chosen (the
        # page's focus goes to the search box: buttons put in before it were never reached by Tab).
        layout.insertLayout(
            0,
            self.page_header(buttons=(self.view_button, self.pdf_button, self.withdraw_button, self.more_button)),
        )
        self.empty.hide()  # until the first rows arrive the table shows, empty
        self._set_locations([])
        self._update_actions()

    def _build_filters(self) -> None:
        """The search box (typing straight away searches), the status, role and location filters."""
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search name, ID, location or photographer")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the register")
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._requery)
        self.setFocusProxy(self.search)
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
            combo.currentIndexChanged.connect(self._requery)
        self.expiring.toggled.connect(self._requery)

    def _filter_bar(self) -> QFrame:
        filters, bar = self.filter_bar()
        bar.addWidget(self.search, 3)
        for text, combo in (
            ("S&tatus", self.status_filter),
            ("R&ole", self.role_filter),
            ("Lo&cation", self.location_filter),
        ):
            self.add_labelled(bar, text, combo)
        bar.addWidget(self.expiring)
        return filters

    def _build_table(self) -> None:
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
        # sized to the first page of rows once (see _loaded): sizing to contents on every change would
        # measure every cell again each time a page of rows arrives
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # location takes the spare room
        self.table.setItemDelegateForColumn(6, StatusBadgeDelegate(self.table))
        self.table.setAccessibleName("Consent records")
        # Enter, or a double-click (which Qt also reports as activation: connecting both opened it twice).
        self.table.activated.connect(lambda _index: self.view_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

    def _build_row_actions(self) -> None:
        """What can be done to the selected record: menu actions (and their shortcuts) and buttons."""
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

    def _set_locations(self, locations: list[str]) -> None:
        current = self.location_filter.currentData()
        listed = [self.location_filter.itemData(i) for i in range(1, self.location_filter.count())]
        if self.location_filter.count() and listed == locations:
            return
        self.location_filter.blockSignals(True)
        self.location_filter.clear()
        self.location_filter.addItem("Any location", None)
        for location in locations:
            self.location_filter.addItem(location, location)
        index = self.location_filter.findData(current) if current else 0
        self.location_filter.setCurrentIndex(max(0, index))
        self.location_filter.blockSignals(False)

    # --- data --------------------------------------------------------------------------------------

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

    def load(self) -> None:
        self._query(incremental=False)

    def refresh(self) -> None:
        """Re-read the records loaded so far (a change elsewhere): rows that did not change stay put."""
        self._query(incremental=True)

    def clear(self) -> None:
        self.model.clear()
        self._set_locations([])

    def show_record(self, consent_id: str) -> bool:
        if not self.select_id(consent_id):
            self._select = consent_id  # selected when the refresh under way arrives
        return True

    def _requery(self) -> None:
        """A filter changed: the first page of the new result replaces the table."""
        self._query(incremental=False)

    def _query(self, incremental: bool) -> None:
        self._search_timer.stop()
        selected = self.selected_consent()
        if selected is not None and self._select is None:
            self._select = selected.id
        self.start_loading()
        self.model.today = date.today()
        self.model.load(
            register_loader(self.catalogue.locator, self.query(), self._filtered()), incremental=incremental
        )

    def _failed(self, exc: BaseException) -> None:
        self.subtitle.setText(f"The register could not be read ({exc}). Check the catalogue is reachable.")
        self.finish_loading()

    def _loaded(self, extra: tuple[int, list[str]]) -> None:
        total, locations = extra
        self._set_locations(locations)
        consents = self.model.consents
        if self._select is not None:
            self.select_id(self._select)
            self._select = None
        has_rows = bool(consents)
        if has_rows and not self._sized:
            self._sized = True
            self.table.resizeColumnsToContents()
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        if total == 0:
            self.empty.setText("No releases yet.\nPress New release (Ctrl+N) to record the first one.")
        elif not has_rows:
            self.empty.setText(
                "No records match these filters.\nClear the search or choose “Any” in the filters."
            )
        shown = self.model.total
        self.subtitle.setText(
            f"{total} release{'s' if total != 1 else ''} in this catalogue"
            + (f" · {shown} shown" if self._filtered() else "")
        )
        self._update_actions()
        status = f"{total} consent record{'s' if total != 1 else ''}"
        self.set_status(status + (f" · {shown} shown" if shown != total else ""))
        self.count_changed.emit(shown, total)
        self.finish_loading()

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
        self.show_record(consent.id)
        self.refresh()
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
        view = RecordDialog(self.catalogue, consent, self)
        view.changed.connect(lambda _c: self._after_change())
        view.exec()

    def save_pdf_selected(self) -> None:
        consent = self.selected_consent()
        if consent is not None:
            save_pdf(self, self.catalogue, consent)

    def withdraw_selected(self) -> None:
        consent = self.selected_consent()
        if consent is not None:
            withdraw(self, self.catalogue, consent, lambda _c: self._after_change())

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
