"""The library grid's model and delegate: rows of `LibraryRow`, thumbnails made off the GUI thread.

A thumbnail is asked for only when the view paints its item (data(DecorationRole)); it is made (or read
from the cache) by `photos.cache.thumbnail` in a worker of a small pool of its own, decoded to a QImage
there, and turned into a pixmap on the GUI thread, which is cheap at thumbnail size. Until then the
delegate draws a calm placeholder. On a team register a photo whose original is on another computer is
drawn from the register's working copy; the jobs share one `photos.StoredCopies`, which opens a
connection only for those and closes it when the batch of thumbnails is done.

The rows themselves are paged (`PagedModel`): the library page gives a loader that reads the first page
of rows in a worker, and more pages are read as the grid is scrolled.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    QThreadPool,
)
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from consentdesk.core.photos import cache as photos
from consentdesk.core.store import Catalogue
from consentdesk.core.values import ImageRecord
from consentdesk.ui.kit.lazy_model import PagedModel
from consentdesk.ui.kit.workers import TaskControl, run_task
from consentdesk.ui.library.library_rows import STATE_WORDS, LibraryRow

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
IMAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
THUMB_SIZE = 256
MAX_PIXMAPS = 600  # thumbnails kept in memory (least recently drawn dropped): memory stays flat

#: (text, background) per badge state; NHS palette, AA contrast.
BADGE_COLOURS = {
    "take_down": ("#FFFFFF", "#A81F14"),  # the most urgent: a post that must come down
    "attention": ("#A81F14", "#FBE3E1"),
    "cleared": ("#00562A", "#DDF1E4"),
    "approved": ("#FFFFFF", "#007F3B"),
    "rejected": ("#4C6272", "#E8EDEE"),
    "unreadable": ("#7A4100", "#FFF1CC"),
}
#: (text, background) of the "Clip · 0:42" chip drawn on a clip's frame: white on near-black, 15:1.
CLIP_CHIP = ("#FFFFFF", "#212B32")
FOCUS_RING = "#212B32"  # the keyboard-focus ring on a card: 3:1 or more against the white card
PLACEHOLDER_TEXT = "#4C6272"  # "Loading…" on the grey placeholder: 4.5:1 or more
PLACEHOLDER_FILL = "#F0F4F5"


def _thumbnail_job(image: ImageRecord, cache: Path, copies: photos.StoredCopies | None) -> QImage:
    """Worker side: make (or reuse) the cached JPEG and decode it into a QImage (never a QPixmap here)."""
    out = photos.thumbnail(image, THUMB_SIZE, copies, cache)
    decoded = QImage(str(out))
    if decoded.isNull():
        raise photos.PhotoUnavailable("the thumbnail could not be read")
    return decoded


class LibraryModel(PagedModel):
    """Rows of the grid, a page at a time; a refresh applies the difference, so selection stays."""

    COLUMNS = ("Photo",)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(key=lambda r: r.image_id, parent=parent)
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._failed: dict[int, str] = {}
        self._pending: set[int] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._cache_dir: Path | None = None
        self._copies: photos.StoredCopies | None = None  # where missing originals are read from

    # --- rows --------------------------------------------------------------------------------------

    def index(
        self,
        row: int,
        column: int = 0,
        parent: QModelIndex | QPersistentModelIndex = QModelIndex(),  # noqa: B008
    ) -> QModelIndex:
        return super().index(row, column, parent)

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Thumbnails of photos whose original is not here come from this catalogue's working copies (a
        team register keeps them). Cheap when it is the same catalogue as before; nothing is opened here."""
        if self._copies is not None and self._copies.catalogue is catalogue:
            return
        self._copies = photos.StoredCopies.of(catalogue)
        self._failed.clear()  # a photo missing in the last catalogue may be readable from this one

    @property
    def stored_copies(self) -> photos.StoredCopies | None:
        """Where thumbnails of photos whose original is not here are read from (None before a load)."""
        return self._copies

    def forget_thumbnails(self, sha256s: set[str] | None = None) -> None:
        """Drop the thumbnails held in memory (of these photos only, when given), so the cards draw again
        from what this computer and the register still hold: after an erasure elsewhere removed their
        copies (`photos.cache.prune_cache`), the card says the photo is not available instead of showing it."""
        dropped = [r.image_id for r in self.rows if sha256s is None or r.image.sha256 in sha256s]
        if sha256s is None:
            self._pixmaps.clear()
            self._failed.clear()
        for image_id in dropped:
            self._pixmaps.pop(image_id, None)
            self._failed.pop(image_id, None)
        for image_id in dropped:
            self._changed(image_id)

    # --- Qt model ----------------------------------------------------------------------------------

    def cell(self, row: LibraryRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name
        if role == ROW_ROLE:
            return row
        if role == IMAGE_ID_ROLE:
            return row.image_id
        if role == STATE_ROLE:
            return row.state
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(row)
        clip = f", {row.clip_words}" if row.clip_words else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.name}{clip}\n{STATE_WORDS[row.state]}: {row.summary}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.name}{clip}, {STATE_WORDS[row.state]}, {row.badge_text}"
        return None

    # --- thumbnails --------------------------------------------------------------------------------

    def thumbnail_error(self, image_id: int) -> str | None:
        return self._failed.get(image_id)

    def has_thumbnail(self, image_id: int) -> bool:
        return image_id in self._pixmaps

    def thumbnail(self, row: LibraryRow) -> QPixmap | None:
        """The pixmap if ready; otherwise asks for it. Python callers use this, not data(DecorationRole):
        a None crossing the QVariant boundary many times a second is where PySide's refcounts are weakest."""
        return self._thumbnail(row)

    def _thumbnail(self, row: LibraryRow) -> QPixmap | None:
        pixmap = self._pixmaps.get(row.image_id)
        if pixmap is not None:
            self._pixmaps.move_to_end(row.image_id)
            return pixmap
        if row.image_id not in self._pending and row.image_id not in self._failed:
            self._request(row)
        return None

    def _request(self, row: LibraryRow) -> None:
        if self._cache_dir is None:
            self._cache_dir = photos.thumbnail_folder()
        image_id, image, cache, copies = row.image_id, row.image, self._cache_dir, self._copies
        self._pending.add(image_id)

        def task(_: TaskControl) -> tuple[int, QImage | None, str | None]:
            try:
                return image_id, _thumbnail_job(image, cache, copies), None
            except Exception as exc:  # a missing or broken file: the card says so
                return image_id, None, str(exc) or type(exc).__name__

        # A bound method of this QObject: Qt drops the call if the model is gone when the result arrives.
        run_task(task, on_done=self._thumbnail_ready, pool=self._pool)

    def _thumbnail_ready(self, result: tuple[int, QImage | None, str | None]) -> None:
        image_id, image, error = result
        self._pending.discard(image_id)
        if image is None:
            self._failed[image_id] = error or "unreadable"
        else:
            self._pixmaps[image_id] = QPixmap.fromImage(image)
            while len(self._pixmaps) > MAX_PIXMAPS:
                self._pixmaps.popitem(last=False)
        self._changed(image_id)

    def _changed(self, image_id: int) -> None:
        row = self.row_of(image_id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def wait_for_thumbnails(self, timeout_ms: int = 30_000) -> bool:
        return self._pool.waitForDone(timeout_ms)


class ThumbnailDelegate(QStyledItemDelegate):
    """A card: the thumbnail (or a placeholder), the file name, and a coloured badge with words."""

    CARD = QSize(244, 236)
    PAD = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return self.CARD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        model = index.model()
        if not isinstance(model, LibraryModel):
            return
        row = model.row_at(index.row())
        if row is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        card = self._paint_card(painter, option)
        pad, line = self.PAD, option.fontMetrics.height()
        thumb_area = QRectF(
            card.x() + pad, card.y() + pad, card.width() - 2 * pad, card.height() - 3 * pad - 2 * line - 8
        )
        self._paint_thumbnail(painter, model, row, thumb_area)
        name_rect = QRect(
            int(card.x() + pad), int(thumb_area.bottom() + 6), int(card.width() - 2 * pad), line
        )
        painter.setPen(QColor("#212B32"))
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            option.fontMetrics.elidedText(row.name, Qt.TextElideMode.ElideMiddle, name_rect.width()),
        )
        badge_row = QRectF(card.x() + pad, name_rect.bottom() + 6, card.width() - 2 * pad, 0)
        self._paint_badge(painter, option, row, badge_row)
        painter.restore()

    @staticmethod
    def _paint_card(painter: QPainter, option: QStyleOptionViewItem) -> QRectF:
        """The card, outlined when selected, with the focus ring when it has the keyboard focus."""
        card = QRectF(option.rect).adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        painter.setPen(QPen(QColor("#005EB8"), 3) if selected else QPen(QColor("#D8DDE0"), 1))
        painter.setBrush(QColor("#E8F1FA") if selected else QColor("white"))
        painter.drawRoundedRect(card, 8, 8)
        if focused and not selected:
            painter.setPen(QPen(QColor(FOCUS_RING), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(card.adjusted(1, 1, -1, -1), 8, 8)
        return card

    @staticmethod
    def _paint_thumbnail(painter: QPainter, model: LibraryModel, row: LibraryRow, area: QRectF) -> None:
        """The thumbnail fitted into `area`, or a placeholder saying it is loading or cannot be read."""
        pixmap = model.thumbnail(row)
        if pixmap is not None and not pixmap.isNull():
            scaled = pixmap.size().scaled(area.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(
                area.x() + (area.width() - scaled.width()) / 2,
                area.y() + (area.height() - scaled.height()) / 2,
                scaled.width(),
                scaled.height(),
            )
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            ThumbnailDelegate._paint_clip_chip(painter, row, target)
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(PLACEHOLDER_FILL))
        painter.drawRoundedRect(area, 6, 6)
        error = model.thumbnail_error(row.image_id)
        painter.setPen(QColor(PLACEHOLDER_TEXT))
        painter.drawText(
            area.toRect(),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            "File not found or unreadable" if error else "Loading…",
        )
        ThumbnailDelegate._paint_clip_chip(painter, row, area)

    @staticmethod
    def _paint_clip_chip(painter: QPainter, row: LibraryRow, over: QRectF) -> None:
        """"Clip · 0:42" in words on a dark chip in the frame's lower left corner (a clip is never told
        from a photo by its picture alone)."""
        if not row.clip_words:
            return
        metrics = painter.fontMetrics()
        chip = QRectF(
            over.x() + 6,
            over.bottom() - metrics.height() - 10,
            metrics.horizontalAdvance(row.clip_words) + 12,
            metrics.height() + 4,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(CLIP_CHIP[1]))
        painter.drawRoundedRect(chip, 4, 4)
        painter.setPen(QColor(CLIP_CHIP[0]))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, row.clip_words)

    @staticmethod
    def _paint_badge(painter: QPainter, option: QStyleOptionViewItem, row: LibraryRow, at: QRectF) -> None:
        """The state in words on its colour (colour is never the only cue), the counts beside it, in the
        row that starts at `at`'s top left and ends at its right edge."""
        fg, bg = BADGE_COLOURS.get(row.state, ("#212B32", "#E8EDEE"))
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        painter.setFont(font)
        bold = painter.fontMetrics()
        words = STATE_WORDS.get(row.state, row.state)
        pill_h = bold.height() + 4
        pill = QRectF(at.x(), at.y(), bold.horizontalAdvance(words) + 14, pill_h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(pill, pill_h / 2, pill_h / 2)
        painter.setPen(QColor(fg))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, words)
        if row.state == "unreadable":
            return
        painter.setFont(option.font)
        painter.setPen(QColor("#4C6272"))
        counts = QRectF(pill.right() + 6, pill.y(), at.right() - pill.right() - 6, pill_h)
        painter.drawText(
            counts,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            option.fontMetrics.elidedText(row.badge_text, Qt.TextElideMode.ElideRight, int(counts.width())),
        )
