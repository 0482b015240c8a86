"""A photo with numbered face and finding boxes drawn over it, shared by the library preview and review.

Boxes arrive in original-image pixels (as the core stores them) and the canvas maps them onto whatever
reduced preview it was given, so decoding stays off the GUI thread and at screen size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

#: Colours by state: what still needs a decision is loud, what is settled is calm. Colour is never the
#: only cue: each box's tag also says its state (`STATE_MARKS`) and `LEGEND` explains the marks. Every
#: colour carries white tag text at 4.5:1 or more (tests/ui/test_contrast.py).
STATE_COLOURS = {
    "unresolved": QColor("#DA291C"),  # NHS red
    "linked": QColor("#007F3B"),  # NHS dark green
    "linked_invalid": QColor("#DA291C"),  # linked, but the release no longer clears it: needs attention
    "blur": QColor("#005EB8"),  # NHS blue
    "not_a_person": QColor("#4C6272"),  # NHS dark grey
    "redact": QColor("#005EB8"),
    "dismissed": QColor("#4C6272"),
}
TAG_TEXT = QColor("white")
BACKDROP = QColor("#1F2933")  # behind the photo, and behind "Loading…" or why a photo cannot be shown
MESSAGE_TEXT = QColor("#E8EDEE")

#: The state in words on each box's tag: "1 ?", "2 ✓", "F3 redact".
STATE_MARKS = {
    "unresolved": "?",
    "linked": "✓",
    "linked_invalid": "!",
    "blur": "blur",
    "not_a_person": "✗",
    "redact": "redact",
    "dismissed": "dismissed",
}
LEGEND = (
    "Box tags: number, then state. ? needs a decision · ✓ linked to a release · ! linked, but the release "
    "does not clear it (withdrawn, expired, unsigned…) · blur: blurred on export · "
    "✗ not a person · redact: hidden on export · dismissed. Solid boxes are faces, dashed boxes are "
    "findings (F1, F2…)."
)


def tag_text(overlay: Overlay) -> str:
    """The text on a box's tag: its number and its state, so the state never rests on colour alone."""
    mark = STATE_MARKS.get(overlay.state, "")
    return f"{overlay.label} {mark}".strip()


@dataclass(frozen=True, slots=True)
class Overlay:
    """One box to draw. `key` identifies it in clicks and selection, e.g. ("face", 3)."""

    key: tuple[str, int]
    x: int
    y: int
    w: int
    h: int
    label: str
    state: str = "unresolved"


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """Copy an 8-bit RGB array into a QImage that owns its pixels (safe to pass across threads)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def legend_label() -> QLabel:
    """The key to the box tags, shown under every canvas that draws them."""
    label = QLabel(LEGEND)
    label.setObjectName("overlayLegend")
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


class ImageCanvas(QWidget):
    overlay_clicked = Signal(object)  # the Overlay.key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._original = QSize()
        self._overlays: list[Overlay] = []
        self._selected: tuple[str, int] | None = None
        self._message = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)
        self.setAccessibleName("Photo with numbered faces and findings")

    # --- state ---------------------------------------------------------------------------------------

    def set_image(self, image: QImage, original_size: QSize) -> None:
        """`image` may be a reduced preview; `original_size` is the size the overlay boxes refer to."""
        self._image = image
        self._original = original_size
        self._message = ""
        self.update()

    def set_message(self, text: str) -> None:
        """Shown instead of a photo: 'Loading…', or why the photo cannot be shown."""
        self._image = QImage()
        self._message = text
        self.update()

    def set_overlays(self, overlays: list[Overlay]) -> None:
        self._overlays = list(overlays)
        # What the boxes say, for a screen reader: the same words as the tags.
        tags = ", ".join(tag_text(o) for o in self._overlays)
        self.setAccessibleDescription(f"Boxes: {tags}." if tags else "No boxes.")
        self.update()

    def set_selected(self, key: tuple[str, int] | None) -> None:
        self._selected = key
        self.update()

    @property
    def overlays(self) -> list[Overlay]:
        return list(self._overlays)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(800, 600)

    # --- geometry ------------------------------------------------------------------------------------

    def _target_rect(self) -> QRectF:
        if self._image.isNull():
            return QRectF()
        img_w, img_h = self._image.width(), self._image.height()
        scale = min(self.width() / img_w, self.height() / img_h)
        w, h = img_w * scale, img_h * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def overlay_rect(self, overlay: Overlay) -> QRectF:
        """Where an overlay's box is drawn in widget coordinates."""
        target = self._target_rect()
        if target.isNull() or self._original.isEmpty():
            return QRectF()
        sx = target.width() / self._original.width()
        sy = target.height() / self._original.height()
        return QRectF(
            target.x() + overlay.x * sx, target.y() + overlay.y * sy, overlay.w * sx, overlay.h * sy
        )

    # --- painting and input --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), BACKDROP)
        if self._image.isNull():
            painter.setPen(MESSAGE_TEXT)
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message
            )
            return
        painter.drawImage(self._target_rect(), self._image)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for overlay in self._overlays:
            rect = self.overlay_rect(overlay)
            colour = STATE_COLOURS.get(overlay.state, STATE_COLOURS["unresolved"])
            selected = overlay.key == self._selected
            pen = QPen(colour, 4 if selected else 2)
            if overlay.key[0] == "finding":
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
            if selected:
                painter.setPen(QPen(QColor("white"), 1))
                painter.drawRect(rect.adjusted(-3, -3, 3, 3))
            tag = tag_text(overlay)
            tag_w, tag_h = metrics.horizontalAdvance(tag) + 8, metrics.height() + 2
            tag_rect = QRectF(rect.x(), max(0.0, rect.y() - tag_h), tag_w, tag_h)
            painter.fillRect(tag_rect, colour)
            painter.setPen(TAG_TEXT)
            painter.drawText(tag_rect, Qt.AlignmentFlag.AlignCenter, tag)

    def overlay_at(self, point: QPointF) -> Overlay | None:
        """The smallest box under the point, so a face inside a document box can still be picked."""
        hits = [o for o in self._overlays if self.overlay_rect(o).adjusted(-3, -3, 3, 3).contains(point)]
        return min(hits, key=lambda o: o.w * o.h) if hits else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        hit = self.overlay_at(event.position())
        if hit is not None:
            self.set_selected(hit.key)
            self.overlay_clicked.emit(hit.key)
        super().mousePressEvent(event)
