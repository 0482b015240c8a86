"""The review of a clip: its frame with the tracks' boxes at the playhead, Play/Pause, a scrubber, the time,
and the timeline with one lane per person track and per finding track.

The review screen shows this in place of the photo; the list of faces and findings beside it, the
decisions, their keys and the approve flow stay the screen's own (a track is a face or a finding to core).
The selected lane and the selected row are one selection: choosing either selects the other, so B, L, P,
R, D and U act on the selected track. Everything read or decoded runs in workers (`run_task`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFocusEvent, QImage, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QPushButton, QSlider, QWidget

from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.photos.cache import PhotoUnavailable, local_clip
from consentdesk.core.review import workflow
from consentdesk.core.review.clip_export import box_at
from consentdesk.core.store import Catalogue, StoredClip
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.busy import describe_error, in_catalogue
from consentdesk.ui.kit.dialog import scroll_area
from consentdesk.ui.kit.image_canvas import ImageCanvas, Overlay
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.workers import Latest, run_task
from consentdesk.ui.review.clip_preview import ClipPlayer
from consentdesk.ui.review.clip_timeline import ClipTimeline, Lane, clock, lanes_for, next_sighting
from consentdesk.ui.review.review_panel import capitalise, face_state, help_html
from consentdesk.ui.review.same_person_dialog import SamePersonDialog

#: The clip's own keys, for the help line (the decisions' keys are the review's, shown beside it).
CLIP_KEYS = [
    ("↑ / ↓", "choose a person or finding"),
    ("← / → or , / .", "previous / next time it is seen"),
    ("Home / End", "start / end"),
    ("PgUp / PgDn", "a tenth of the clip back / on (scrubber)"),
    ("Space", "play / pause"),
    ("S", "same person as…"),
    ("Shift+S", "separate again"),
]
#: The clip's keys that decide something: offered only to people who may review (as the photo's are).
CLIP_DECISIONS = {"same_person": "S", "separate": "Shift+S"}
#: Keys of the clip review that work wherever the focus is in the review: (name, key, menu text).
CLIP_ACTIONS = [
    ("previous", ",", "Previous sighting"),
    ("next", ".", "Next sighting"),
    ("same_person", "S", "Same person as…"),
    ("separate", "Shift+S", "A separate person again"),
]
LANES_SHOWN = 6  # lanes visible before the timeline scrolls
LANES_AT_LEAST = 4  # lanes kept visible however low the window


def is_clip(status: workflow.ReviewStatus) -> bool:
    return is_clip_path(status.image.path)


def overlays_at(status: workflow.ReviewStatus, clip: StoredClip, t: float) -> list[Overlay]:
    """The tracks' boxes where they are at `t` (interpolated between sightings, no margin), tagged like a
    photo's boxes so the state is in words on each."""
    wanted = [
        (("face", f.n), clip.face_tracks, str(f.n), face_state(f, status)) for f in status.state.faces
    ] + [(("finding", f.n), clip.finding_tracks, f"F{f.n}", status.finding_state(f)) for f in status.state.findings]
    boxes = []
    for key, tracks, label, state in wanted:
        at = box_at(tracks[key[1] - 1].points, t, margin=0, lead=0) if key[1] <= len(tracks) else None
        if at is not None:
            x0, y0, x1, y1 = at
            boxes.append(Overlay(key, x0, y0, x1 - x0, y1 - y0, label, state))
    return boxes


def read_clip(catalogue: Catalogue, image_id: int, image) -> tuple[StoredClip | None, str | None, str]:
    """Worker: the clip's tracks, and a readable file of it: the original, or on a team register the
    register's low-resolution proxy (the canvas maps the tracks' boxes onto whichever it shows)."""
    clip = catalogue.stored_clip(image_id)
    try:
        return clip, str(local_clip(catalogue, image).path), ""
    except PhotoUnavailable as exc:
        return clip, None, f"{capitalise(str(exc))}\nThe timeline and the decisions beside it still apply."


def page_step_ms(duration: float) -> int:
    """PgUp/PgDn on the scrubber: a tenth of the clip, at least a second (ten presses cross any clip)."""
    return max(1000, round(duration * 100))


class Scrubber(QSlider):
    """The clip's position slider. PgUp/PgDn move it by its page step while it has the focus; without
    this the review's own PgUp/PgDn (previous/next image) would take the keys and leave the clip."""


    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
            and not event.modifiers()
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        """PgDn goes on (later) and PgUp back, as PgDn is "next" everywhere in the review (a plain
        slider does the opposite)."""
        pages = {Qt.Key.Key_PageDown: self.SliderAction.SliderPageStepAdd, Qt.Key.Key_PageUp: self.SliderAction.SliderPageStepSub}
        if event.key() in pages and not event.modifiers():
            self.triggerAction(pages[Qt.Key(event.key())])
            event.accept()
            return
        super().keyPressEvent(event)


class ClipReview(QWidget):
    lane_chosen = Signal(object)  # ("face", n) / ("finding", n): the screen selects that row
    said = Signal(str, bool)  # what to tell the reviewer, and whether it is an error
    decide = Signal(object, str)  # do(catalogue, seen) and what is said once saved: the screen saves it
    ask = Signal(object, object)  # a dialog and what to do when it is accepted: the screen opens it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clipReview")
        self.status: workflow.ReviewStatus | None = None
        self.clip: StoredClip | None = None
        self.image_id: int | None = None
        self.t = 0.0
        self.frame_t: float | None = None  # the time of the frame on screen
        self.frame = QImage()  # the frame on screen (reduced), for the link picker's crop
        self.may_decide = True  # until the window knows the signed-in person's roles (see roles_changed)
        self._reads = Latest()
        self.player = ClipPlayer(self)
        self.player.frame_ready.connect(self._frame_ready)
        self.player.stopped.connect(self._stopped)
        self.player.failed.connect(self.canvas_message)
        self._build()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.canvas = ImageCanvas()
        self.canvas.setObjectName("clipCanvas")
        self.canvas.setAccessibleName("Clip frame")
        self.canvas.overlay_clicked.connect(self._box_clicked)
        self.timeline = ClipTimeline()
        self.timeline.lane_chosen.connect(self._lane_chosen)
        self.timeline.time_chosen.connect(self._scrubbed)
        self.timeline.key_action.connect(self.key_action)
        lanes = scroll_area(self.timeline, "Timeline lanes")
        lanes.setObjectName("clipLanes")
        lanes.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the timeline inside takes the focus
        lanes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lanes.setMaximumHeight(self.timeline.lane_top(LANES_SHOWN) + 8)
        self.lanes = lanes
        help_line = self.help_line = QLabel(help_html(CLIP_KEYS))
        help_line.setObjectName("clipHelp")
        help_line.setWordWrap(True)
        help_line.setTextFormat(Qt.TextFormat.RichText)
        help_line.setAccessibleName("Clip keyboard shortcuts")
        layout = spacing.vbox(self, spacing.NONE, 8)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(self._build_controls())
        layout.addWidget(text_label("Timeline", "sectionTitle", wrap=False))
        layout.addWidget(lanes)
        layout.addWidget(help_line)
        self.setFocusProxy(self.timeline)

    def _build_controls(self):
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("clipPlay")
        self.play_button.setAccessibleName("Play")
        self.play_button.setToolTip("Play or pause the preview (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.scrubber = Scrubber(Qt.Orientation.Horizontal)
        self.scrubber.setObjectName("clipScrubber")
        self.scrubber.setAccessibleName("Position in the clip")
        self.scrubber.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scrubber.setSingleStep(100)
        self.scrubber.setPageStep(1000)
        self.scrubber.setToolTip("← / → a tenth of a second, PgUp / PgDn a tenth of the clip, Home / End")
        self.scrubber.valueChanged.connect(self._slider_moved)
        self.time_label = text_label("0:00.0 / 0:00.0", "hint", wrap=False, name="clipTime")
        self.time_label.setAccessibleName("Time in the clip")
        row = spacing.hbox(spacing=spacing.GAP)
        row.addWidget(self.play_button)
        row.addWidget(self.scrubber, 1)
        row.addWidget(self.time_label)
        return row

    def attach(self, screen: QWidget, tab_after: QWidget) -> None:
        """, and . step to the selected track's sightings wherever the focus is in the review; Tab goes
        from `tab_after` (the list of tracks) to the timeline, Play and the scrubber."""
        self._tab_after = tab_after
        self._list = tab_after
        tab_after.installEventFilter(self)
        self.shortcuts = []
        for name, keys, what in CLIP_ACTIONS:
            action = QAction(what, screen)
            action.setObjectName(f"clip_{name}")
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setEnabled(False)
            action.triggered.connect(lambda _c=False, n=name: self.key_action(n))
            screen.addAction(action)
            self.shortcuts.append(action)

    # --- which clip -------------------------------------------------------------------------------

    def open(self, catalogue: Catalogue, status: workflow.ReviewStatus) -> None:
        """Show `status`'s clip: its tracks and a readable file are read in a worker."""
        self.leave()
        self.status, self.clip, self.image_id = status, None, status.image.id
        self.t, self.frame_t = 0.0, None
        self.canvas.set_overlays([])
        self.canvas.set_message("Loading the clip…")
        self.timeline.set_lanes([], 1.0)
        self._set_shortcuts(True)
        self._order_tabs()
        image_id, image = status.image.id, status.image
        run_task(
            in_catalogue(catalogue, lambda cat, _c: read_clip(cat, image_id, image)),
            self._clip_read,
            lambda exc: self.canvas_message(f"The clip cannot be shown: {describe_error(exc)}."),
            owner=self,
            latest=self._reads,
        )

    def _order_tabs(self) -> None:
        """Once in the screen's window: the screen's focus goes to its list, so the clip's controls follow
        it in the Tab chain (before them they would be skipped)."""
        after = getattr(self, "_tab_after", None)
        if after is not None and after.window() is self.window():
            QWidget.setTabOrder(after, self.timeline)
            QWidget.setTabOrder(self.timeline, self.play_button)
            QWidget.setTabOrder(self.play_button, self.scrubber)
            self._tab_after = None

    def leave(self) -> None:
        """Another image (or another page) is shown: stop playing and forget the clip."""
        self.player.open(None)
        self._reads.drop()
        self._set_play_words(False)
        self._set_shortcuts(False)

    def _set_shortcuts(self, on: bool) -> None:
        """The clip's keys work while a clip is shown; its decisions only for a person who may review."""
        for action in getattr(self, "shortcuts", []):
            decides = action.objectName().removeprefix("clip_") in CLIP_DECISIONS
            action.setVisible(self.may_decide or not decides)
            action.setEnabled(on and (self.may_decide or not decides))

    def roles_changed(self, may_decide: bool) -> None:
        """Whether the signed-in person may decide: S and Shift+S, like the photo's decision keys, are not
        offered to someone who may only look (the server would refuse them), nor in the help line."""
        self.may_decide = may_decide
        keys = [k for k in CLIP_KEYS if may_decide or k[0] not in CLIP_DECISIONS.values()]
        self.help_line.setText(help_html(keys))
        self._set_shortcuts(self.image_id is not None and self.status is not None)

    def _clip_read(self, result: tuple[StoredClip | None, str | None, str]) -> None:
        clip, path, problem = result
        if clip is None:
            self.canvas_message("This clip's tracks were not found: import it again to check it.")
            return
        self.clip = clip
        self.player.open(path)
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, int(clip.info.duration * 1000))
        self.scrubber.setPageStep(page_step_ms(clip.info.duration))
        self.scrubber.blockSignals(False)
        if self.status is not None:
            self.show_status(self.status)
        if self.timeline.current_key() is not None:  # the first lane is chosen: its row too
            self.lane_chosen.emit(self.timeline.current_key())
        if problem:
            self.canvas_message(problem)
        self.seek(0.0)

    def show_status(self, status: workflow.ReviewStatus) -> None:
        """The review was read again (a decision, someone else's change): lanes and boxes follow it."""
        self.status = status
        if self.clip is None or status.image.id != self.image_id:
            return
        lanes = lanes_for(status, self.clip.face_tracks, self.clip.finding_tracks)
        self.timeline.set_lanes(lanes, self.duration)
        shown = min(max(len(lanes), 1), LANES_AT_LEAST)  # the frame gives way to a few lanes and the axis
        self.lanes.setMinimumHeight(self.timeline.lane_top(shown) + 8)
        self._show_boxes()

    @property
    def duration(self) -> float:
        return self.clip.info.duration if self.clip is not None else 0.0

    def select(self, key: tuple[str, int] | None) -> None:
        """The row chosen in the list beside: its lane is chosen too."""
        if self.timeline.select(key):
            self._lane_visible()
            self.canvas.set_selected(key)

    def show_chosen(self) -> None:
        """The lane chosen by N (next to decide): if its person or finding is not on the frame shown, go to
        where it is first seen (after the playhead, else its first sighting), so what is decided is seen."""
        lane = self.timeline.current_lane()
        if lane is None or self.clip is None or self.player.playing:
            return
        if any(o.key == lane.key for o in self.canvas.overlays):
            return
        seen = lane.seen
        t = next_sighting(seen, self.t, 1) or (seen[0] if seen else None)
        if t is not None:
            self._scrubbed(t)

    # --- time -------------------------------------------------------------------------------------

    def seek(self, t: float) -> None:
        """Move the playhead to `t` and show the frame there (decoded in a worker unless playing)."""
        self.t = min(max(0.0, t), self.duration)
        self._show_time()
        if not self.player.playing:
            self.player.show_at(self.t)

    def _show_time(self) -> None:
        self.timeline.set_time(self.t)
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(int(self.t * 1000))
        self.scrubber.blockSignals(False)
        self.time_label.setText(f"{clock(self.t)} / {clock(self.duration)}")
        self.scrubber.setAccessibleDescription(f"{clock(self.t)} of {clock(self.duration)}")
        self._show_boxes()

    def _show_boxes(self) -> None:
        if self.clip is not None and self.status is not None:
            self.canvas.set_overlays(overlays_at(self.status, self.clip, self.t))
            self.canvas.set_selected(self.timeline.current_key())

    def _frame_ready(self, t: float, image: QImage) -> None:
        if self.clip is None:
            return
        self.frame_t, self.frame = t, image
        self.canvas.set_image(image, QSize(self.clip.info.width, self.clip.info.height))
        if self.player.playing:  # the playhead follows the frames; a still frame was asked for at self.t
            self.t = t
            self._show_time()

    def _scrubbed(self, t: float) -> None:
        self.player.pause()
        self._set_play_words(False)
        self.seek(t)

    def _slider_moved(self, value: int) -> None:
        self._scrubbed(value / 1000)

    # --- keys -------------------------------------------------------------------------------------

    def key_action(self, what: str) -> None:
        if what == "play":
            self.toggle_play()
        elif what in ("home", "end"):
            self._scrubbed(0.0 if what == "home" else self.duration)
        elif what == "same_person":
            self.same_person()
        elif what == "separate":
            self.separate()
        else:
            self.step_sighting(1 if what == "next" else -1)

    def step_sighting(self, delta: int) -> None:
        """To the selected track's next (previous) sighting, its frame shown."""
        lane = self.timeline.current_lane()
        if lane is None:
            self.said.emit("Choose a person or a finding on the timeline first (↑ / ↓).", True)
            return
        t = next_sighting(lane.seen, self.t, delta)
        if t is None:
            edge = "later" if delta > 0 else "earlier"
            self.said.emit(f"{lane.title} is not seen {edge} than {clock(self.t)}.", False)
            return
        self._scrubbed(t)
        self.said.emit(f"{lane.title} at {clock(t)}: {lane.words}.", False)

    def _chosen_person(self, key: str) -> Lane | None:
        if not self.may_decide:  # the key is not offered; a click that got here anyway is told why
            self.said.emit("Saying who is the same person is for reviewers (the social media team).", True)
            return None
        lane = self.timeline.current_lane()
        if lane is None or lane.key[0] != "face" or self.image_id is None:
            self.said.emit(f"Choose a person on the timeline first (↑ / ↓); then {key}.", True)
            return None
        return lane

    def same_person(self) -> None:
        """Ask which other person track this one is, then let the screen save `workflow.same_person`."""
        lane = self._chosen_person("S says they are the same person as another")
        if lane is None:
            return
        others = [o for o in self.timeline.lanes if o.key[0] == "face" and o.key != lane.key and o.same_as is None]
        if not others:
            self.said.emit("There is no other person in this clip to be the same as.", True)
            return
        dialog = SamePersonDialog(lane, others, parent=self)
        image_id, n = self.image_id, lane.key[1]

        def chosen() -> None:
            as_n = dialog.chosen
            if as_n is not None:
                self.decide.emit(
                    lambda cat, seen: workflow.same_person(cat, image_id, n, as_n, seen=seen),
                    f"{lane.title} is the same person as Person {as_n}: counted once, decided once.",
                )

        self.ask.emit(dialog, chosen)

    def separate(self) -> None:
        lane = self._chosen_person("Shift+S makes them a separate person again")
        if lane is not None:
            image_id, n = self.image_id, lane.key[1]
            self.decide.emit(
                lambda cat, seen: workflow.separate_person(cat, image_id, n, seen=seen),
                f"{lane.title} is a separate person again, with the decision it had before.",
            )

    def toggle_play(self) -> None:
        if self.clip is None or self.player.path is None:
            self.said.emit("This clip cannot be played here: its file is not on this computer.", True)
            return
        if self.player.playing:
            self.player.pause()
            self._set_play_words(False)
            self.said.emit(f"Paused at {clock(self.t)}.", False)
            return
        if self.t >= self.duration - 0.05:
            self.t = 0.0
        self.player.play(self.t)
        self._set_play_words(True)

    def _stopped(self, t: float) -> None:
        self._set_play_words(False)
        if t >= 0:
            self.said.emit(f"Played to {clock(t)}, the end of the clip.", False)

    def _set_play_words(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setAccessibleName("Pause" if playing else "Play")

    # --- selection --------------------------------------------------------------------------------

    def _lane_chosen(self, key: tuple[str, int]) -> None:
        self._lane_visible()
        self.canvas.set_selected(key)
        self.lane_chosen.emit(key)

    def _box_clicked(self, key: tuple[str, int]) -> None:
        if self.timeline.select(key):
            self._lane_chosen(key)
        self.timeline.setFocus()

    def _lane_visible(self) -> None:
        i = self.timeline.current
        if i >= 0:
            h = self.timeline.lane_height()
            self.lanes.ensureVisible(0, self.timeline.lane_top(i) + h // 2, 0, h)

    def face_crop(self, n: int) -> QImage | None:
        """Person `n` cut from the frame on screen (with some room around), for the link picker; None when
        they are not in it."""
        if self.clip is None or self.frame.isNull() or self.frame_t is None or n > len(self.clip.face_tracks):
            return None
        at = box_at(self.clip.face_tracks[n - 1].points, self.frame_t, margin=0.35, lead=0)
        if at is None:
            return None
        k = self.frame.width() / self.clip.info.width
        x0, y0, x1, y1 = (round(v * k) for v in at)
        return self.frame.copy(QRect(x0, y0, x1 - x0, y1 - y0).intersected(self.frame.rect()))

    def current_lane(self) -> Lane | None:
        return self.timeline.current_lane()

    def canvas_message(self, text: str) -> None:
        self.canvas.set_message(text)

    def take_focus_back(self) -> None:
        """A dialog closed: on a clip the keys go back to the timeline (the screen's list otherwise)."""
        if self.isVisible() and self.clip is not None:
            self.timeline.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """The screen puts the focus back in its list after a dialog or N; on a clip the timeline takes it,
        so ←/→, Home/End and Space go on working (Tab and a click still reach the list)."""
        if (
            watched is getattr(self, "_list", None)
            and event.type() == QEvent.Type.FocusIn
            and isinstance(event, QFocusEvent)
            and event.reason() == Qt.FocusReason.OtherFocusReason
            and self.isVisible()
            and self.clip is not None
        ):
            self.timeline.setFocus(Qt.FocusReason.OtherFocusReason)
        return False

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Nothing plays where nobody can see it."""
        if self.player.playing:
            self.player.pause()
            self._set_play_words(False)
        super().hideEvent(event)
