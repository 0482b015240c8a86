"""A signature pad: strokes drawn with a mouse, finger (touch) or pen (tablet, with pressure).

Strokes are kept as vectors (points with a width) so they render smoothly at any scale and export as a
cropped PNG for the record. The widget knows nothing about consents; the dialog asks it for `to_png()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QShortcut,
    QTabletEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

INK = QColor("#0b1f4b")
HINT_COLOUR = QColor("#4C6272")  # the hint and the "×" on the pad: 4.5:1 or more on white
BORDER_COLOUR = QColor("#768692")  # the pad's edge: 3:1 or more on white, like every input's border
FOCUS_COLOUR = QColor("#005EB8")
PAD_BACKGROUND = QColor("white")
BASE_WIDTH = 2.6  # logical pixels at pressure 0.5 / mouse
MAX_PNG_WIDTH = 1200
HINT = "Sign with mouse, finger or pen"


@dataclass
class Stroke:
    points: list[QPointF] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)

    def add(self, point: QPointF, width: float) -> None:
        if self.points and (self.points[-1] - point).manhattanLength() < 0.5:
            return
        self.points.append(QPointF(point))
        self.widths.append(width)

    def bounds(self) -> QRectF:
        xs = [p.x() for p in self.points]
        ys = [p.y() for p in self.points]
        pad = max(self.widths, default=BASE_WIDTH)
        return QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad)


def paint_strokes(painter: QPainter, strokes: list[Stroke], colour: QColor = INK) -> None:
    """Draw strokes as smooth curves through segment midpoints; width follows the pen pressure."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for stroke in strokes:
        pts, widths = stroke.points, stroke.widths
        if not pts:
            continue
        if len(pts) == 1:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            r = widths[0] / 2
            painter.drawEllipse(pts[0], r, r)
            continue
        uniform = max(widths) - min(widths) < 0.05
        if uniform:
            path = QPainterPath(pts[0])
            for i in range(1, len(pts) - 1):
                mid = (pts[i] + pts[i + 1]) / 2
                path.quadTo(pts[i], mid)
            path.lineTo(pts[-1])
            pen = QPen(colour, widths[0], Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            continue
        # Pressure-sensitive: one short curve per segment, each with its own width.
        start = pts[0]
        for i in range(1, len(pts)):
            end = (pts[i] + pts[i + 1]) / 2 if i + 1 < len(pts) else pts[i]
            seg = QPainterPath(start)
            seg.quadTo(pts[i], end)
            pen = QPen(
                colour, (widths[i - 1] + widths[i]) / 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap
            )
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(seg)
            start = end


class SignatureCanvas(QWidget):
    """The drawing surface. Emits `strokes_changed` after each finished stroke, undo or clear."""

    strokes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signatureCanvas")
        self.strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(QSize(320, 130))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Signature pad")
        self.setAccessibleDescription(HINT)
        self.setToolTip(HINT)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(520, 150)

    # --- stroke building ---------------------------------------------------------------------------

    def _begin(self, pos: QPointF, width: float) -> None:
        self._current = Stroke()
        self._current.add(pos, width)
        self.strokes.append(self._current)
        self.update()

    def _extend(self, pos: QPointF, width: float) -> None:
        if self._current is not None:
            self._current.add(pos, width)
            self.update()

    def _end(self, pos: QPointF | None = None, width: float = BASE_WIDTH) -> None:
        if self._current is None:
            return
        if pos is not None:
            self._current.add(pos, width)
        self._current = None
        self.update()
        self.strokes_changed.emit()

    # --- input: mouse, tablet, touch ---------------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._begin(event.position(), BASE_WIDTH)
            event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position(), BASE_WIDTH)
            event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._end(event.position(), BASE_WIDTH)
            event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802
        width = BASE_WIDTH * (0.35 + 1.3 * max(0.0, min(1.0, event.pressure())))
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position(), width)
        elif kind == QTabletEvent.Type.TabletMove and event.pressure() > 0:
            self._extend(event.position(), width)
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()  # stop Qt from also synthesising mouse events

    def event(self, event) -> bool:
        kind = event.type()
        if kind in (
            event.Type.TouchBegin,
            event.Type.TouchUpdate,
            event.Type.TouchEnd,
            event.Type.TouchCancel,
        ):
            points = event.points()
            if points:
                pos = points[0].position()
                if kind == event.Type.TouchBegin:
                    self._begin(pos, BASE_WIDTH)
                elif kind == event.Type.TouchUpdate:
                    self._extend(pos, BASE_WIDTH)
                else:
                    self._end(pos, BASE_WIDTH)
            event.accept()
            return True
        return super().event(event)

    # --- editing -----------------------------------------------------------------------------------

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self._current = None
            self.update()
            self.strokes_changed.emit()

    def clear(self) -> None:
        if self.strokes:
            self.strokes.clear()
            self._current = None
            self.update()
            self.strokes_changed.emit()

    def is_empty(self) -> bool:
        return not any(s.points for s in self.strokes)

    # --- output ------------------------------------------------------------------------------------

    def ink_bounds(self) -> QRectF:
        rect = QRectF()
        for stroke in self.strokes:
            if stroke.points:
                rect = rect.united(stroke.bounds())
        return rect

    def to_png(
        self, margin: int = 12, max_width: int = MAX_PNG_WIDTH, background: QColor | None = None
    ) -> bytes:
        """The ink as PNG, cropped to the strokes plus `margin`, at most `max_width` pixels wide."""
        if self.is_empty():
            return b""
        bounds = self.ink_bounds().adjusted(-margin, -margin, margin, margin)
        scale = min(3.0, max_width / max(bounds.width(), 1.0))  # render sharp, never wider than max
        width = max(1, min(max_width, round(bounds.width() * scale)))
        height = max(1, round(bounds.height() * scale))
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(background if background is not None else QColor("white"))
        painter = QPainter(image)
        painter.scale(scale, scale)
        painter.translate(-bounds.topLeft())
        paint_strokes(painter, self.strokes)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        return bytes(data.data())

    # --- painting ----------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(self.rect())
        painter.fillRect(rect, PAD_BACKGROUND)
        baseline_y = rect.height() * 0.74
        painter.setPen(QPen(QColor("#aeb7bd"), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(24, baseline_y), QPointF(rect.width() - 24, baseline_y))
        painter.setPen(HINT_COLOUR)
        painter.drawText(QPointF(26, baseline_y - 6), "×")
        if self.is_empty():
            painter.setPen(HINT_COLOUR)
            painter.drawText(rect.adjusted(0, 0, 0, -rect.height() * 0.3), Qt.AlignmentFlag.AlignCenter, HINT)
        paint_strokes(painter, self.strokes)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.hasFocus():  # a 3 px ring, white to blue is 6.4:1 (the 1 px edge alone would not show)
            painter.setPen(QPen(FOCUS_COLOUR, 3))
            painter.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), 6, 6)
        else:
            painter.setPen(QPen(BORDER_COLOUR, 1))
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.end()

    def focusInEvent(self, event) -> None:  # noqa: N802
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.update()


class SignaturePad(QWidget):
    """Canvas plus Undo and Clear buttons and a hint; the widget the form uses."""

    strokes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = SignatureCanvas(self)
        self.undo_button = QPushButton("Undo stroke")
        self.clear_button = QPushButton("Clear")
        for button in (self.undo_button, self.clear_button):
            button.setProperty("flat", True)
            button.setEnabled(False)
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z while the pad has focus)")
        self.clear_button.setToolTip("Remove the whole signature (Delete while the pad has focus)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button.clicked.connect(self.canvas.clear)
        hint = QLabel(HINT)
        hint.setProperty("role", "hint")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(hint, 1)
        row.addWidget(self.undo_button)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.canvas)
        layout.addLayout(row)
        for keys, slot in ((QKeySequence.StandardKey.Undo, self.canvas.undo), ("Delete", self.canvas.clear)):
            shortcut = QShortcut(QKeySequence(keys), self.canvas)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.canvas.strokes_changed.connect(self._changed)
        self.setFocusProxy(self.canvas)

    def _changed(self) -> None:
        has_ink = not self.canvas.is_empty()
        self.undo_button.setEnabled(has_ink)
        self.clear_button.setEnabled(has_ink)
        self.strokes_changed.emit()

    def undo(self) -> None:
        self.canvas.undo()

    def clear(self) -> None:
        self.canvas.clear()

    def is_empty(self) -> bool:
        return self.canvas.is_empty()

    def to_png(self, **kwargs) -> bytes:
        return self.canvas.to_png(**kwargs)
