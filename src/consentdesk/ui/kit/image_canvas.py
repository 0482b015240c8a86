"""A photo with numbered face and finding boxes drawn over it, shared by the library preview and review.

Boxes arrive in original-image pixels (as the core stores them) and the canvas maps them onto whatever
reduced preview it was given, so decoding stays off the GUI thread and at screen size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QLabel, QRubberBand, QSizePolicy, QWidget

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
    "info": QColor("#4C6272"),  # harmless text nobody has to decide on: calm, so red means "decide"
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
    "info": "info",
}
LEGEND = (
    "Box tags: number, then state. ? needs a decision · ✓ linked to a release · ! linked, but the release "
    "does not clear it (withdrawn, expired, unsigned…) · blur: blurred on export · "
    "✗ not a person · redact: hidden on export · dismissed · info: for information, does not block. Solid boxes are faces, dashed boxes are "
    "findings (F1, F2…)."
)


def tag_text(overlay: Overlay) -> str:
    """The text on a box's tag: its number and its state, so the state never rests on colour alone."""
    mark = STATE_MARKS.get(overlay.state, "")
    return f"{overlay.label} {mark}".strip()


def _place(room: float, size: float, centre: float) -> float:
    """Where a photo `size` long starts in `room`: centred when it fits, else with `centre` (0..1 of the
    photo) in the middle but never leaving an empty margin at either end."""
    if size <= room:
        return (room - size) / 2
    return min(0.0, max(room - size, room / 2 - centre * size))


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
    """The photo, its boxes and their tags; several boxes may be selected (a crowd's selection).

    - A click picks the smallest box under the pointer (`overlay_clicked`); Ctrl+click toggles a box in
      the selection, Shift+click adds it, and a drag over empty photo draws a rubber band that selects
      every face inside it (`picked(keys, mode)`, mode "replace", "add" or "toggle").
    - Zoom (`zoom_in`, `zoom_out`, `zoom_to_fit`, `zoom_to`, Ctrl+wheel) and pan (wheel, Shift+wheel).
    - Tags never pile up: each is drawn only where it overlaps no tag already drawn (selected boxes'
      first, then boxes that need a decision); `hidden_tags` counts the rest, which zooming in brings
      back. Every tag is always in the accessible description and in the list beside the photo.
    """

    overlay_clicked = Signal(object)  # the Overlay.key
    picked = Signal(object, str)  # [Overlay.key, ...] and "replace", "add" or "toggle"
    tags_hidden = Signal(int)  # how many tags were left out for lack of room, after each paint

    MAX_ZOOM = 16.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._original = QSize()
        self._overlays: list[Overlay] = []
        self._selected: set[tuple[str, int]] = set()
        self._message = ""
        self._zoom = 1.0
        self._centre = QPointF(0.5, 0.5)  # the point of the photo (0..1 each way) at the canvas's centre
        self._band: QRubberBand | None = None
        self._band_origin = QPoint()
        self._hidden_tags = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)
        self.setAccessibleName("Photo with numbered faces and findings")

    # --- state ---------------------------------------------------------------------------------------

    def set_image(self, image: QImage, original_size: QSize) -> None:
        """`image` may be a reduced preview; `original_size` is the size the overlay boxes refer to."""
        if image.size() != self._image.size() or original_size != self._original:
            self._zoom, self._centre = 1.0, QPointF(0.5, 0.5)  # another photo starts whole
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
        self.set_selected_keys([key] if key is not None else [])

    def set_selected_keys(self, keys: list[tuple[str, int]]) -> None:
        self._selected = {tuple(k) for k in keys}
        if self._zoom > 1.0 and keys:  # zoomed in: the last one chosen comes into view
            self.centre_on(keys[-1])
        self.update()

    @property
    def selected_keys(self) -> set[tuple[str, int]]:
        return set(self._selected)

    @property
    def overlays(self) -> list[Overlay]:
        return list(self._overlays)

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def hidden_tags(self) -> int:
        """Tags left out at the last paint because they would have covered others."""
        return self._hidden_tags

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(800, 600)

    # --- zoom ----------------------------------------------------------------------------------------

    def zoom_in(self) -> None:
        self._set_zoom(self._zoom * 1.6)

    def zoom_out(self) -> None:
        self._set_zoom(self._zoom / 1.6)

    def zoom_to_fit(self) -> None:
        self._zoom, self._centre = 1.0, QPointF(0.5, 0.5)
        self.update()

    def zoom_to(self, keys: list[tuple[str, int]]) -> None:
        """Zoom until the boxes of `keys` fill about half the canvas, centred on them."""
        boxes = [o for o in self._overlays if o.key in {tuple(k) for k in keys}]
        if not boxes or self._original.isEmpty():
            return
        left, top = min(o.x for o in boxes), min(o.y for o in boxes)
        right, bottom = max(o.x + o.w for o in boxes), max(o.y + o.h for o in boxes)
        fit = self._fit_scale()
        if fit <= 0:
            return
        span = max((right - left) * fit / max(1, self.width()), (bottom - top) * fit / max(1, self.height()))
        self._centre = QPointF((left + right) / 2 / self._original.width(), (top + bottom) / 2 / self._original.height())
        self._set_zoom(0.5 / span if span > 0 else self.MAX_ZOOM)

    def centre_on(self, key: tuple[str, int]) -> None:
        box = next((o for o in self._overlays if o.key == tuple(key)), None)
        if box is None or self._original.isEmpty():
            return
        self._centre = QPointF(
            (box.x + box.w / 2) / self._original.width(), (box.y + box.h / 2) / self._original.height()
        )
        self._clamp_centre()
        self.update()

    def _set_zoom(self, zoom: float) -> None:
        self._zoom = max(1.0, min(self.MAX_ZOOM, zoom))
        self._clamp_centre()
        self.update()

    def _clamp_centre(self) -> None:
        """Keep the photo covering the canvas when zoomed (no empty margin beside a zoomed photo)."""
        half = 0.5 / self._zoom
        self._centre = QPointF(
            min(max(self._centre.x(), half), 1 - half), min(max(self._centre.y(), half), 1 - half)
        )

    # --- geometry ------------------------------------------------------------------------------------

    def _fit_scale(self) -> float:
        """Original pixels to widget pixels with the whole photo shown."""
        if self._original.isEmpty():
            return 0.0
        return min(self.width() / self._original.width(), self.height() / self._original.height())

    def _target_rect(self) -> QRectF:
        if self._image.isNull() or self._original.isEmpty():
            return QRectF()
        scale = self._fit_scale() * self._zoom
        w, h = self._original.width() * scale, self._original.height() * scale
        return QRectF(
            _place(self.width(), w, self._centre.x()), _place(self.height(), h, self._centre.y()), w, h
        )

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

    # --- painting ------------------------------------------------------------------------------------

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
        order = sorted(self._overlays, key=self._tag_priority)
        for overlay in order:
            self._paint_box(painter, overlay)
        hidden = self._paint_tags(painter, order)
        if hidden != self._hidden_tags:
            self._hidden_tags = hidden
            self.tags_hidden.emit(hidden)

    def _tag_priority(self, overlay: Overlay) -> tuple[int, int, int]:
        """Selected boxes' tags first, then those that need a decision, then bigger boxes before smaller."""
        return (overlay.key not in self._selected, overlay.state != "unresolved", -overlay.w * overlay.h)

    def _paint_box(self, painter: QPainter, overlay: Overlay) -> None:
        rect = self.overlay_rect(overlay)
        colour = STATE_COLOURS.get(overlay.state, STATE_COLOURS["unresolved"])
        selected = overlay.key in self._selected
        pen = QPen(colour, 4 if selected else 2)
        if overlay.key[0] == "finding":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        if selected:
            painter.setPen(QPen(QColor("white"), 1))
            painter.drawRect(rect.adjusted(-3, -3, 3, 3))

    def _paint_tags(self, painter: QPainter, order: list[Overlay]) -> int:
        """Each box's tag where it covers no tag already drawn; returns how many were left out."""
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        drawn: list[QRectF] = []
        hidden = 0
        for overlay in order:
            rect = self.overlay_rect(overlay)
            tag = tag_text(overlay)
            tag_w, tag_h = metrics.horizontalAdvance(tag) + 8, metrics.height() + 2
            tag_rect = QRectF(rect.x(), max(0.0, rect.y() - tag_h), tag_w, tag_h)
            if not self.rect().toRectF().intersects(tag_rect):
                continue  # off screen while zoomed: not hidden, just elsewhere
            if any(tag_rect.intersects(r) for r in drawn):  # selected ones come first: theirs win
                hidden += 1
                continue
            drawn.append(tag_rect)
            painter.fillRect(tag_rect, STATE_COLOURS.get(overlay.state, STATE_COLOURS["unresolved"]))
            painter.setPen(TAG_TEXT)
            painter.drawText(tag_rect, Qt.AlignmentFlag.AlignCenter, tag)
        return hidden

    # --- input ---------------------------------------------------------------------------------------

    def overlay_at(self, point: QPointF) -> Overlay | None:
        """The smallest box under the point, so a face inside a document box can still be picked."""
        hits = [o for o in self._overlays if self.overlay_rect(o).adjusted(-3, -3, 3, 3).contains(point)]
        return min(hits, key=lambda o: o.w * o.h) if hits else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        mods = event.modifiers()
        hit = self.overlay_at(event.position())
        if hit is not None and mods & Qt.KeyboardModifier.ControlModifier:
            self.picked.emit([hit.key], "toggle")
        elif hit is not None and mods & Qt.KeyboardModifier.ShiftModifier:
            self.picked.emit([hit.key], "add")
        elif hit is not None:
            self.set_selected(hit.key)
            self.overlay_clicked.emit(hit.key)
        else:  # empty photo: a rubber band picks every face it covers
            self._band_origin = event.position().toPoint()
            if self._band is None:
                self._band = QRubberBand(QRubberBand.Shape.Rectangle, self)
            self._band.setGeometry(QRect(self._band_origin, QSize()))
            self._band.show()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._band is not None and self._band.isVisible():
            self._band.setGeometry(QRect(self._band_origin, event.position().toPoint()).normalized())
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._band is not None and self._band.isVisible():
            self._band.hide()
            area = QRectF(self._band.geometry())
            if area.width() > 3 or area.height() > 3:
                keys = [o.key for o in self._overlays if o.key[0] == "face" and area.intersects(self.overlay_rect(o))]
                shift = event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier)
                self.picked.emit(keys, "add" if shift else "replace")
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        """Ctrl+wheel zooms around the pointer; the wheel pans a zoomed photo (Shift: sideways)."""
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            target = self._target_rect()
            if not target.isNull():
                at = event.position()
                self._centre = QPointF(
                    (at.x() - target.x()) / target.width(), (at.y() - target.y()) / target.height()
                )
            self._set_zoom(self._zoom * (1.25**steps))
        elif self._zoom > 1.0:
            move = -steps * 0.1 / self._zoom
            sideways = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._centre += QPointF(move, 0) if sideways else QPointF(0, move)
            self._clamp_centre()
            self.update()
        event.accept()
