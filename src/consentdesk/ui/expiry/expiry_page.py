"""The "Expiry & withdrawals" page: consents ending soon, and photos that have lost clearance and why.

It presents what `core.protection.expiry.expiry_dashboard` computes (a read-only view for today), a page
at a time: both tables are paged models filled by workers when the page is first shown, and refreshed
(the rows loaded so far) whenever it is shown again, so it is right on any day without a nightly job.
The "Linked photos" count is the slow part (it follows the face links), so it is filled in afterwards,
for the rows loaded, in one grouped query. The tables paint from C++ copies of the loaded rows
(`ItemMirror`), so a repaint never waits for a worker's hold on the interpreter lock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QSpinBox,
    QTableView,
    QWidget,
)

from consentdesk.core.protection import expiry
from consentdesk.core.protection.clips import person_spans
from consentdesk.core.protection.expiry import BlockedImage, ExpiringConsent
from consentdesk.core.store import Catalogue, ConsentQuery
from consentdesk.core.values import Consent, seen_words
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import in_catalogue
from consentdesk.ui.kit.item_mirror import ItemMirror
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.lazy_model import Loaded, Loader, PagedModel
from consentdesk.ui.kit.page import Page
from consentdesk.ui.kit.tables import data_view
from consentdesk.ui.kit.words import item_word
from consentdesk.ui.kit.workers import TaskControl, run_task
from consentdesk.ui.releases.record_dialog import RecordDialog, format_date

DEFAULT_DAYS = 30
CONSENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
WHY_TEXT = {"withdrawn": "withdrawn", "expired": "expired", "erased": "erased"}
PAGE_SIZE = 50
LINKED_UNKNOWN = -1  # "Linked photos" not counted yet


def days_text(days: int) -> str:
    if days <= 0:
        return "Ends today"
    return "1 day" if days == 1 else f"{days} days"


def why_text(reasons: tuple[tuple[str, str], ...], take_down: tuple[str, ...] = ()) -> str:
    """e.g. "CD-X withdrawn · Take down approval AP-1": the take-down in words, never by colour alone."""
    why = "; ".join(f"{cid} {WHY_TEXT.get(status, status)}" for cid, status in reasons)
    if take_down:
        why += f" · Take down approval{'s' if len(take_down) != 1 else ''} {', '.join(take_down)}"
    return why


def expiring_loader(locator: str, days: int, today: date) -> Loader:
    """Worker side: active consents ending within `days` of `today`, soonest first, as in
    `expiry_dashboard`, with the linked-photo count left for later (LINKED_UNKNOWN).

    A store method that would make this flat: `list_consents(query, limit, offset, order="expires_on")`."""

    def load(want: int) -> Loaded:
        with Catalogue.open(locator, create=False) as catalogue:
            soon = catalogue.list_consents(
                ConsentQuery(expiring_before=today + timedelta(days=days), today=today)
            )
        rows = sorted(
            (
                ExpiringConsent(c, (c.expires_on - today).days, LINKED_UNKNOWN)
                for c in soon
                if c.expires_on is not None
            ),
            key=lambda e: (e.days_left, e.consent.id),
        )
        return Loaded(len(rows), rows[:want], lambda offset, limit: rows[offset : offset + limit])

    return load


def count_linked(locator: str, rows: list[ExpiringConsent]) -> list[ExpiringConsent]:
    """Worker side: the rows with their linked-photo counts (one grouped query for all of them)."""
    with Catalogue.open(locator, create=False) as catalogue:
        counts = catalogue.linked_image_counts([e.consent.id for e in rows])
    return [replace(e, linked_images=counts.get(e.consent.id, 0)) for e in rows]


def blocked_loader(locator: str, today: date) -> Loader:
    """Worker side: images that lost clearance (`expiry.lost_clearance`: linked to lapsed consents, or
    with a copy out there that relied on one), by image id, with the image records read a page at a time.
    Store methods that would make this flat: `lapsed_links(today, limit, offset)` grouped by image, and
    `count_images_with_lapsed_links(today)`."""

    def load(want: int) -> Loaded:
        with Catalogue.open(locator, create=False) as catalogue:
            reasons = expiry.lost_clearance(catalogue, today)
            first = _blocked_rows(catalogue, reasons[:want])

        def fetch(offset: int, limit: int) -> list[BlockedRow]:
            with Catalogue.open(locator, create=False) as catalogue:
                return _blocked_rows(catalogue, reasons[offset : offset + limit])

        return Loaded(len(reasons), first, fetch)

    return load


@dataclass(frozen=True, slots=True)
class BlockedRow:
    """A blocked photo or clip as the page shows it: the core's row and, for a clip, when the people whose
    release lapsed are on screen (what to look for in a post that must come down)."""

    blocked: BlockedImage
    seen: str = ""

    @property
    def what(self) -> str:
        kind = item_word(self.blocked.is_clip).capitalize()
        return f"{kind}: {self.seen}" if self.seen else kind


def _blocked_rows(
    catalogue: Catalogue, reasons: list[tuple[int, tuple[tuple[str, str], ...], tuple[str, ...]]]
) -> list[BlockedRow]:
    """A page of rows: its image records in one query; an image deleted meanwhile is left out; for each
    clip, the seconds its lapsed releases' people are seen (read from the stored tracks)."""
    links: dict[str, dict[int, list[int]]] = {}  # each consent's links, read once for the page

    def linked(cid: str) -> dict[int, list[int]]:
        if cid not in links:
            links[cid] = catalogue.images_linked_to(cid)
        return links[cid]

    def seen(row: BlockedImage) -> str:
        numbers = sorted({n for cid, _status in row.reasons for n in linked(cid).get(row.image.id, [])})
        return seen_words(person_spans(catalogue, row.image.id, numbers))

    rows = expiry.blocked_images(catalogue, reasons)
    return [BlockedRow(row, seen(row)) if row.is_clip else BlockedRow(row) for row in rows]


class ExpiringModel(PagedModel):
    COLUMNS = ("ID", "Name", "Ends", "Days left", "Linked photos")

    def cell(self, e: ExpiringConsent, column: int, role: int) -> Any:
        c = e.consent
        if role == CONSENT_ID_ROLE:
            return c.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            linked = "counting…" if e.linked_images == LINKED_UNKNOWN else str(e.linked_images)
            return (c.id, c.full_name, format_date(c.expires_on), days_text(e.days_left), linked)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            if e.days_left <= 7:
                return QColor("#A81F14")
            if e.days_left <= 30:
                return QColor("#7A4100")
        return None


class BlockedModel(PagedModel):
    COLUMNS = ("Photo or clip", "Why it is blocked", "What · when seen", "Folder")

    def cell(self, row: BlockedRow, column: int, role: int) -> Any:
        b = row.blocked
        path = Path(b.image.path)
        if role == CONSENT_ID_ROLE:
            return b.reasons[0][0] if b.reasons else None
        texts = (path.name, why_text(b.reasons, b.take_down), row.what, str(path.parent))
        if role == Qt.ItemDataRole.DisplayRole:
            return texts[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return b.image.path if column == 0 else texts[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QColor("#A81F14")
        return None


class ExpiryPage(Page):
    """Two lists: consents ending within N days (double-click opens the record) and blocked photos."""

    TITLE = "Expiry & withdrawals"

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(catalogue, parent)
        self.today = date.today()
        self._waiting: set[str] = set()  # tables whose load or refresh has not arrived yet
        self._counting = False
        self.expiring_model = ExpiringModel(key=lambda e: e.consent.id, page_size=PAGE_SIZE, parent=self)
        self.blocked_model = BlockedModel(key=lambda r: r.blocked.image.id, page_size=PAGE_SIZE, parent=self)
        self.expiring_model.loaded.connect(lambda _x: self._expiring_loaded())
        self.expiring_model.fetched.connect(self._count_linked)
        self.blocked_model.loaded.connect(lambda _x: self._blocked_loaded())
        self.expiring_model.failed.connect(lambda exc: self._failed("expiring", exc))
        self.blocked_model.failed.connect(lambda exc: self._failed("blocked", exc))
        self._build()

    def _build(self) -> None:
        hint = (
            "Consents that are about to end, and photos and clips that can no longer be posted because a person's "
            "consent has expired, was withdrawn or was erased."
        )
        self.expiring_title, self.expiring_table, self.expiring_empty = self._section(
            self.expiring_model, "expiringTable", "Consents ending soon", (14, 20, 12, 11)
        )
        self.blocked_title, self.blocked_table, self.blocked_empty = self._section(
            self.blocked_model, "blockedTable", "Photos and clips that lost clearance", (16, 30, 20)
        )
        layout = self.page_layout(gap=spacing.GAP)
        layout.addLayout(self.page_header(hint, wrap=True))
        layout.addSpacing(4)
        layout.addWidget(self._build_controls())
        for title, table, empty, stretch in (
            (self.expiring_title, self.expiring_table, self.expiring_empty, 3),
            (self.blocked_title, self.blocked_table, self.blocked_empty, 2),
        ):
            layout.addSpacing(6)
            layout.addWidget(title)
            layout.addWidget(table, stretch)
            layout.addWidget(empty)
        layout.addStretch(0)

    def _build_controls(self) -> QFrame:
        """How far ahead to look, and the day the lists are for."""
        self.days = QSpinBox()
        self.days.setRange(0, 3650)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.days.setMinimumWidth(self.days.fontMetrics().horizontalAdvance("0000 days") + 40)
        self.days.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.days.setAccessibleName("Look ahead this many days")
        self.days.valueChanged.connect(lambda _v: self._reload_expiring())
        controls, bar = self.filter_bar()
        self.add_labelled(bar, "Show consents ending within", self.days)
        bar.addStretch(1)
        self.today_label = text_label("", "hint", wrap=False)
        bar.addWidget(self.today_label)
        return controls

    def _section(
        self, model: PagedModel, name: str, accessible: str, widths: tuple[int, ...]
    ) -> tuple[QLabel, QTableView, QLabel]:
        """A titled table of a paged model (Enter or a double-click opens the record), and its empty text."""
        title = text_label("", "sectionTitle", wrap=False)
        table = data_view(ItemMirror(model, roles=(CONSENT_ID_ROLE,), parent=self), name)
        self._widths(table, widths)
        table.setAccessibleName(accessible)
        table.activated.connect(lambda index: self._open_row(table, index.row()))
        empty = text_label("", wrap=False, name="emptyState")
        empty.setProperty("compact", True)
        return title, table, empty

    @staticmethod
    def _widths(table: QTableView, ems: tuple[int, ...]) -> None:
        """Starting column widths in letter widths (the user can drag them; the last column stretches)."""
        em = table.fontMetrics().horizontalAdvance("M")
        for column, n in enumerate(ems):
            table.horizontalHeader().resizeSection(column, n * em)

    # --- data --------------------------------------------------------------------------------------

    def load(self) -> None:
        self._load(incremental=False)

    def refresh(self) -> None:
        """Shown again (or records changed): re-read the rows loaded so far, for today."""
        self._load(incremental=True)

    def clear(self) -> None:
        self.expiring_model.clear()
        self.blocked_model.clear()

    def _load(self, incremental: bool) -> None:
        self.today = date.today()
        self.today_label.setText(f"As of {format_date(self.today)}")
        self.start_loading()
        self._waiting = {"expiring", "blocked"}
        locator = self.catalogue.locator
        self.expiring_model.load(expiring_loader(locator, self.days.value(), self.today), incremental)
        self.blocked_model.load(blocked_loader(locator, self.today), incremental)

    def _reload_expiring(self) -> None:
        self.start_loading()
        self._waiting.add("expiring")
        self.expiring_model.load(expiring_loader(self.catalogue.locator, self.days.value(), self.today))

    def _one_loaded(self, table: str) -> None:
        self._waiting.discard(table)
        if not self._waiting:
            self.finish_loading()

    def _expiring_loaded(self) -> None:
        n = self.expiring_model.total
        days = self.days.value()
        self.expiring_title.setText(
            f"Consents ending within {days} days ({n})" if n else f"Consents ending within {days} days"
        )
        self.expiring_table.setVisible(bool(n))
        self.expiring_empty.setVisible(not n)
        self.expiring_empty.setText(f"No consents end in the next {days} days.")
        self._count_linked()
        self._one_loaded("expiring")

    def _count_linked(self) -> None:
        """Fill in "Linked photos" for the loaded rows that lack it (one query for them all)."""
        if self._counting:
            return
        missing = [e for e in self.expiring_model.rows if e.linked_images == LINKED_UNKNOWN]
        if not missing:
            return
        self._counting = True
        locator = self.catalogue.locator

        def job(_control: TaskControl) -> list[ExpiringConsent] | BaseException:
            try:
                return count_linked(locator, missing)
            except Exception as exc:  # the count stays "…"; the list itself is fine
                return exc

        run_task(job, self._linked_counted)  # a bound method: dropped if the page is gone

    def _linked_counted(self, rows: list[ExpiringConsent] | BaseException) -> None:
        self._counting = False
        if isinstance(rows, BaseException):
            return
        self.expiring_model.update_rows(rows)  # rows of an older load have other keys or are equal
        self._count_linked()

    def _blocked_loaded(self) -> None:
        n = self.blocked_model.total
        title = "Photos and clips that lost clearance"
        self.blocked_title.setText(f"{title} ({n})" if n else title)
        self.blocked_table.setVisible(bool(n))
        self.blocked_empty.setVisible(not n)
        self.blocked_empty.setText("No photos or clips have lost clearance.")
        self._one_loaded("blocked")

    def _failed(self, table: str, exc: BaseException) -> None:
        self.today_label.setText(f"Could not be read ({exc}). Check the catalogue is reachable.")
        self._one_loaded(table)

    # --- actions -----------------------------------------------------------------------------------

    def _open_row(self, table: QTableView, row: int) -> None:
        consent_id = table.model().index(row, 0).data(CONSENT_ID_ROLE)
        if consent_id:
            self.open_consent(consent_id)

    def open_consent(self, consent_id: str) -> None:
        """Read the record in a worker, then show it (the blocked-photos table holds only its id)."""
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: cat.find_consent(consent_id)),
            self._show_consent,
            lambda exc: self._failed("blocked", exc),
            owner=self,
        )

    def _show_consent(self, consent: Consent | None) -> None:
        if consent is None:
            return
        view = RecordDialog(self.catalogue, consent, self)
        view.changed.connect(lambda _c: self._changed())
        view.exec()

    def _changed(self) -> None:
        self.refresh()
        self.records_changed.emit()
