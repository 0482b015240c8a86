"""A clip's timeline: one lane per person track, then one per finding track, each with its state in words,
its span (first to last sighting) and a tick wherever a detector saw it, under a playhead.

The lanes only word what `core.review.status` says about each track (through the review panel's
`face_words` and `finding_words`, the one source for them); the timeline decides nothing. It is drawn by
hand so a clip with thirty people stays one cheap widget, and it is keyboard first: Up/Down choose a lane,
Left/Right step to the selected track's previous/next sighting, Home/End go to the start/end, Space plays
or pauses.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from consentdesk.core.review import policy, workflow
from consentdesk.core.values import ClipTrack, clock
from consentdesk.ui.kit.image_canvas import STATE_COLOURS
from consentdesk.ui.review.review_panel import face_state, face_words, finding_words

TEXT = QColor("#212B32")  # 15:1 on white
HINT = QColor("#4C6272")  # 6:1 on white, 5.6:1 on the selected lane's blue
SELECTED_FILL = QColor("#E8F1FA")
SELECTED_EDGE = QColor("#005EB8")
AXIS = QColor("#AEB7BD")
PLAYHEAD = QColor("#212B32")
#: Seconds within which a sighting counts as "here" when stepping to the next or previous one.
NEAR = 1e-3


@dataclass(frozen=True, slots=True)
class Lane:
    """One track as the timeline shows it."""

    key: tuple[str, int]  # ("face", n) or ("finding", n), the review panel's key
    title: str  # "Person 3", "Finding 2 (QR code)"
    words: str  # its state in words: "needs a decision", "linked to CD-… · Sam Jones"
    state: str  # the colour key (image_canvas.STATE_COLOURS)
    track: ClipTrack
    same_as: int | None = None  # the person track this one was joined to by the reviewer

    @property
    def seen(self) -> list[float]:
        return self.track.seen_times or [p.t for p in self.track.points]


def lanes_for(
    status: workflow.ReviewStatus, face_tracks: tuple[ClipTrack, ...], finding_tracks: tuple[ClipTrack, ...]
) -> list[Lane]:
    """The lanes of a clip, persons first then findings, in the order core numbers them."""
    lanes = []
    for face in status.state.faces:
        if face.n <= len(face_tracks):
            words = face_words(face, status)[0].replace("\n⚠ ", " — ⚠ ")  # "same person as 3, blur on export"
            same_as = getattr(face, "same_as", None)
            title, state, track = f"Person {face.n}", face_state(face, status), face_tracks[face.n - 1]
            lanes.append(Lane(("face", face.n), title, words, state, track, same_as))
    for finding in status.state.findings:
        if finding.n <= len(finding_tracks):
            title = f"Finding {finding.n} ({policy.kind_words(finding.kind)})"
            words = finding_words(finding)
            lanes.append(Lane(("finding", finding.n), title, words, status.finding_state(finding), finding_tracks[finding.n - 1]))
    return lanes


def next_sighting(seen: list[float], t: float, delta: int) -> float | None:
    """The first sighting after `t` (delta > 0) or the last before it (delta < 0); None at either end."""
    if delta > 0:
        return next((s for s in seen if s > t + NEAR), None)
    return next((s for s in reversed(seen) if s < t - NEAR), None)


class ClipTimeline(QWidget):
    """The lanes and the playhead. It says what was asked through signals; the clip review acts."""

    lane_chosen = Signal(object)  # the lane's key, chosen by keyboard or mouse
    time_chosen = Signal(float)  # a click or drag on the lanes
    key_action = Signal(str)  # "previous", "next", "home", "end", "play"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clipTimeline")
        self.setAccessibleName("Timeline")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.lanes: list[Lane] = []
        self.duration = 0.0
        self.t = 0.0
        self.current = -1

    # --- what is shown ----------------------------------------------------------------------------

    def set_lanes(self, lanes: list[Lane], duration: float) -> None:
        keep = self.current_key()
        self.lanes, self.duration = lanes, max(duration, 0.001)
        keys = [lane.key for lane in lanes]
        self.current = keys.index(keep) if keep in keys else (0 if lanes else -1)
        self.setFixedHeight(self.lane_top(len(lanes)) + 6)
        self._describe()
        self.update()

    def set_time(self, t: float) -> None:
        self.t = min(max(0.0, t), self.duration)
        self._describe()
        self.update()

    def current_key(self) -> tuple[str, int] | None:
        return self.lanes[self.current].key if 0 <= self.current < len(self.lanes) else None

    def current_lane(self) -> Lane | None:
        return self.lanes[self.current] if 0 <= self.current < len(self.lanes) else None

    def select(self, key: tuple[str, int] | None) -> bool:
        for i, lane in enumerate(self.lanes):
            if lane.key == key:
                self.current = i
                self._describe()
                self.update()
                return True
        return False

    def _describe(self) -> None:
        """What a screen reader says on focus: the lane, its state and span, and where the playhead is."""
        lane = self.current_lane()
        at = f"at {clock(self.t)} of {clock(self.duration)}"
        if lane is None:
            self.setAccessibleDescription(f"No people or findings in this clip; {at}")
            return
        seen = lane.seen
        self.setAccessibleDescription(
            f"{lane.title}, {lane.words}; seen {len(seen)} time{'s' if len(seen) != 1 else ''} from "
            f"{clock(lane.track.first)} to {clock(lane.track.last)}; {at}. Up and Down choose a lane, Left "
            "and Right step to its sightings, Space plays."
        )

    # --- geometry ---------------------------------------------------------------------------------

    def lane_height(self) -> int:
        return 2 * self.fontMetrics().height() + 12

    def axis_height(self) -> int:
        return self.fontMetrics().height() + 8

    def lane_top(self, i: int) -> int:
        return self.axis_height() + i * self.lane_height()

    def label_width(self) -> int:
        return min(self.fontMetrics().horizontalAdvance("M") * 22, self.width() // 2)

    def track_area(self) -> QRectF:
        left = self.label_width() + 12
        return QRectF(left, 0, max(10, self.width() - left - 10), self.height())

    def x_of(self, t: float) -> float:
        area = self.track_area()
        return area.x() + area.width() * min(max(t / self.duration, 0.0), 1.0)

    def t_of(self, x: float) -> float:
        area = self.track_area()
        return min(max((x - area.x()) / area.width(), 0.0), 1.0) * self.duration

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(640, self.lane_top(max(1, len(self.lanes))) + 6)

    # --- painting ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        self._paint_axis(painter)
        for i, lane in enumerate(self.lanes):
            self._paint_lane(painter, i, lane)
        if not self.lanes:
            painter.setPen(HINT)
            painter.drawText(
                QRectF(0, self.axis_height(), self.width(), self.lane_height()),
                Qt.AlignmentFlag.AlignCenter,
                "No people or findings were found in this clip",
            )
        x = self.x_of(self.t)
        painter.setPen(QPen(PLAYHEAD, 2))
        painter.drawLine(QPointF(x, 2), QPointF(x, self.height() - 2))
        painter.end()

    def _paint_axis(self, painter: QPainter) -> None:
        """Second marks along the top, labelled every few seconds (as many as fit)."""
        area, h = self.track_area(), self.axis_height()
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(QPointF(area.left(), h - 2), QPointF(area.right(), h - 2))
        step = 1
        room = self.fontMetrics().horizontalAdvance("00:00") * 1.6
        while step < self.duration and area.width() * step / self.duration < room:
            step = {1: 2, 2: 5, 5: 10, 10: 15, 15: 30, 30: 60}.get(step, step * 2)
        second = 0
        while second <= self.duration + NEAR:
            x = self.x_of(second)
            painter.setPen(QPen(AXIS, 1))
            painter.drawLine(QPointF(x, h - 6), QPointF(x, h - 2))
            painter.setPen(HINT)
            left = min(x - room / 2, self.width() - room)  # the last mark's label stays whole
            painter.drawText(QRectF(left, 0, room, h - 6), Qt.AlignmentFlag.AlignCenter, clock(second, False))
            second += step

    def _paint_lane(self, painter: QPainter, i: int, lane: Lane) -> None:
        top, h = self.lane_top(i), self.lane_height()
        row = QRectF(0, top, self.width(), h)
        selected = i == self.current
        if selected:
            painter.fillRect(row, SELECTED_FILL)
            painter.fillRect(QRectF(0, top, 4, h), SELECTED_EDGE)
            if self.hasFocus():  # the keyboard focus, visible on the lane it acts on
                painter.setPen(QPen(TEXT, 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(row.adjusted(1, 1, -1, -1))
        self._paint_label(painter, lane, QRectF(10, top + 4, self.label_width() - 6, h - 8))
        colour = STATE_COLOURS.get(lane.state, STATE_COLOURS["unresolved"])
        band = QRectF(self.x_of(lane.track.first), top + h * 0.3, 0, h * 0.4)
        band.setRight(max(band.left() + 3, self.x_of(lane.track.last)))
        fill = QColor(colour)
        fill.setAlpha(60)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(band, 3, 3)
        painter.setPen(QPen(colour, 2))
        for seen in lane.seen:
            x = self.x_of(seen)
            painter.drawLine(QPointF(x, band.top() - 3), QPointF(x, band.bottom() + 3))
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(QPointF(0, top + h - 0.5), QPointF(self.width(), top + h - 0.5))

    def _paint_label(self, painter: QPainter, lane: Lane, at: QRectF) -> None:
        """The lane's name in bold and its state in words beneath (never colour alone)."""
        line = self.fontMetrics().height()
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(TEXT)
        painter.drawText(QRectF(at.x(), at.y(), at.width(), line), Qt.AlignmentFlag.AlignLeft, lane.title)
        painter.setFont(self.font())
        painter.setPen(HINT)
        words = self.fontMetrics().elidedText(lane.words, Qt.TextElideMode.ElideRight, int(at.width()))
        painter.drawText(QRectF(at.x(), at.y() + line + 2, at.width(), line), Qt.AlignmentFlag.AlignLeft, words)

    # --- keyboard and mouse -----------------------------------------------------------------------

    KEYS = {
        Qt.Key.Key_Left: "previous",
        Qt.Key.Key_Comma: "previous",
        Qt.Key.Key_Right: "next",
        Qt.Key.Key_Period: "next",
        Qt.Key.Key_Home: "home",
        Qt.Key.Key_End: "end",
        Qt.Key.Key_Space: "play",
    }

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = Qt.Key(event.key())
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.lanes:
            step = -1 if key == Qt.Key.Key_Up else 1
            self.current = min(max(0, self.current + step), len(self.lanes) - 1)
            self._describe()
            self.update()
            self.lane_chosen.emit(self.lanes[self.current].key)
        elif key in self.KEYS:
            self.key_action.emit(self.KEYS[key])
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        y = event.position().y()
        i = int((y - self.axis_height()) // self.lane_height()) if y >= self.axis_height() else -1
        if 0 <= i < len(self.lanes) and i != self.current:
            self.current = i
            self.lane_chosen.emit(self.lanes[i].key)
        if event.position().x() >= self.track_area().left():
            self.time_chosen.emit(self.t_of(event.position().x()))
        self._describe()
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.time_chosen.emit(self.t_of(event.position().x()))

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().focusOutEvent(event)
        self.update()
