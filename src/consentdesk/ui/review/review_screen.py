"""The review view: one photo large with numbered boxes, the faces and findings beside it, and keyboard
actions for every decision. Each decision calls `core.review`, then the view re-reads the status from
core; no rule is decided here.

The view walks through a list of image ids (the "To verify" queue or the library's order) with
Page Down / Page Up (or J / K).

Nothing here touches the catalogue on the GUI thread: reading a photo's status, each decision (with the
status read back in the same worker) and decoding the photo at screen size all run through `run_task`, each
on its own connection (`in_catalogue`), so a distant team server never freezes the window. A key pressed
while a decision is still being saved waits for it (`_when_settled`): the next key then acts on what the
screen shows after that decision, as it would if the save were instant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from consentdesk.core.media import imaging
from consentdesk.core.photos.cache import PhotoUnavailable, local_photo
from consentdesk.core.review import policy, workflow
from consentdesk.core.store import Catalogue, ConflictError, team
from consentdesk.core.store.audit_chain import AuditEntry
from consentdesk.core.values import STATE_WORDS, FaceState, FindingState, ImageState
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.busy import describe_error, in_catalogue, try_again_advice
from consentdesk.ui.kit.dialog import scroll_area
from consentdesk.ui.kit.image_canvas import ImageCanvas, legend_label, rgb_to_qimage
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.words import approved_copies, face_word, item_word
from consentdesk.ui.kit.workers import Latest, run_task
from consentdesk.ui.releases.takedown_dialog import RecordTakedownDialog
from consentdesk.ui.review.approve_dialog import ApproveDialog
from consentdesk.ui.review.clip_review import ClipReview, is_clip
from consentdesk.ui.review.consent_picker import ConsentPicker
from consentdesk.ui.review.reason_dialog import ReasonDialog
from consentdesk.ui.review.review_panel import ReviewPanel, capitalise, faces_words, help_html, overlays

#: (name, menu text, shortcuts, what the help box says). The first shortcut is shown in menus.
ACTIONS: list[tuple[str, str, list[str], str]] = [
    ("next_image", "Next image", ["PgDown", "J"], "next image"),
    ("previous_image", "Previous image", ["PgUp", "K"], "previous image"),
    ("next_item", "Next item that needs a decision", ["N"], "next to decide"),
    ("link", "Link face to a release…", ["L"], "link face to a release"),
    ("blur", "Blur face on export", ["B"], "blur face on export"),
    ("blur_others", "Blur everyone not linked", ["Shift+B"], "blur everyone not linked"),
    ("not_person", "Not a person", ["P"], "not a person"),
    ("redact", "Redact finding on export", ["R"], "redact finding"),
    ("dismiss", "Dismiss finding…", ["D"], "dismiss finding (reason)"),
    ("undo", "Undo decision", ["U"], "undo decision"),
    ("reject", "Reject image…", ["X"], "reject image (reason)"),
    ("reopen", "Reopen rejected image", ["Shift+X"], "reopen rejected image"),
    ("approve", "Approve and export…", ["A"], "approve and export"),
    ("takedown", "Record take-down…", ["T"], "record take-down"),
    ("zoom_in", "Zoom in", ["+", "="], "zoom in"),
    ("zoom_out", "Zoom out", ["-"], "zoom out"),
    ("zoom_selection", "Zoom to the selected faces", ["Z"], "zoom to selection"),
    ("zoom_fit", "Show the whole photo", ["0"], "whole photo"),
    ("back", "Back to the list", ["Esc"], "back to the list"),
]

#: Actions that decide something: the review's role (`team.CAPABILITIES`); looking is for everyone.
REVIEW_DECISIONS = {
    "link", "blur", "blur_others", "not_person", "redact", "dismiss", "undo", "reject", "reopen", "approve",
    "takedown",
}

#: Actions that only move the view: they never wait for a decision being saved.
VIEW_ONLY = {"back", "zoom_in", "zoom_out", "zoom_selection", "zoom_fit"}

#: Actions a clip does not have: its preview is shown whole (no zoom).
PHOTO_ONLY = {"zoom_in", "zoom_out", "zoom_selection", "zoom_fit"}


def help_rows(allowed: set[str], clip: bool) -> list[tuple[str, str]]:
    """The keyboard help's (keys, words) lines for what this person may do. On a clip the help must not
    contradict the clip's own line: PgUp/PgDn move its scrubber, there is no zoom, and its faces are people."""
    rows = []
    for name, _text, keys, words in ACTIONS:
        if name not in allowed or (clip and name in PHOTO_ONLY):
            continue
        if clip:
            keys = [k for k in keys if k not in ("PgDown", "PgUp")]
            words = words.replace("face", "person")
        rows.append((" / ".join(keys), words))
    return rows


#: Buttons under the list, for mouse users (the keyboard does the same), in Tab order.
BUTTONS = [
    [("link", "Link…"), ("blur", "Blur"), ("not_person", "Not a person")],
    [("blur_others", "Blur others"), ("redact", "Redact"), ("dismiss", "Dismiss…")],
    [("undo", "Undo"), ("reject", "Reject…"), ("takedown", "Take down…")],
    [("approve", "Approve…")],
]


#: After this long a decision still being saved is said, so a reviewer knows why keys wait.
SLOW_SAVE_MS = 400
#: How often a photo whose review could not be read (a lost connection) is read again.
RETRY_MS = 5000


def load_preview(path: str, max_side: int) -> tuple[QImage, QSize]:
    """Decode the photo reduced to screen size (worker thread) as a QImage and its full oriented size."""
    loaded = imaging.load(path, max_side=max_side)
    return rgb_to_qimage(loaded.rgb), QSize(loaded.info.width, loaded.info.height)


def change_words(entry: AuditEntry, item: str = "photo") -> str:
    """One audit entry about the photo or clip shown (`item` says which), made by someone else, as a
    sentence ("" when not worth saying): "sam changed face 1: linked to CD-…"."""
    d, who = entry.details, entry.actor
    state = STATE_WORDS.get(str(d.get("state", "")), str(d.get("state", "")))
    if entry.action == "review.face":
        linked = f" to {d['consent']}" if d.get("consent") else ""
        return f"{who} changed face {d.get('face')}: {state}{linked}."
    if entry.action == "review.faces":
        return f"{who} changed {faces_words(list(d.get('faces', []))).lower()}: {state}."
    if entry.action == "review.finding":
        return f"{who} changed finding {d.get('finding')}: {state}."
    if entry.action == "review.image":
        return f"{who} {'rejected' if d.get('state') == 'rejected' else 'reopened'} this {item}."
    if entry.action == "image.approved":
        return f"{who} approved this {item} for {', '.join(d.get('channels', []))}."
    if entry.action == "approval.taken_down":
        return f"{who} recorded the take-down of approval {d.get('approval')}."
    return ""


def _decision_words(outcome: object, done: str) -> tuple[str, bool]:
    """What the view says after a decision came back, and whether it is an error (said assertively)."""
    if isinstance(outcome, workflow.ReviewError):
        return f"{capitalise(str(outcome))}.", True
    if isinstance(outcome, ConflictError):  # someone else decided meanwhile: their decision is shown
        return capitalise(str(outcome)), True
    if isinstance(outcome, str) and outcome:  # a link that cannot clear the photo
        return f"{done} Warning: {capitalise(outcome)}.", True
    return done, False


class ReviewScreen(QWidget):
    back_requested = Signal()
    decision_made = Signal(int)  # image id: lists showing it should refresh

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewView")
        self.catalogue = catalogue
        self.image_ids: list[int] = []
        self.image_id: int | None = None
        self.status: workflow.ReviewStatus | None = None
        self.preview = QImage()
        self.original_size = QSize()
        self.dialog: QWidget | None = None  # the open picker / approve / reason dialog
        self._previews = Latest()  # the photo being decoded; older results are dropped
        self._statuses = Latest()  # the newest status read or decision; older results are dropped
        self._in_flight = 0  # status reads and decisions not yet back from their worker
        self._waiting: deque[Callable[[], object]] = deque()  # keys pressed meanwhile, in order
        self._refresh_waiting = False
        self._slow_save = QTimer(self)  # a save that takes long (a busy or distant server) is said
        self._slow_save.setSingleShot(True)
        self._slow_save.setInterval(SLOW_SAVE_MS)
        self._slow_save.timeout.connect(self._say_still_saving)
        self.unreadable = ""  # why the photo's review could not be read, said again by any key that needs it
        self._retry = QTimer(self)  # a lost connection: read again until it comes back
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._try_again)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_actions()
        self._build()

    # --- building ---------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        handlers: dict[str, Callable[[], object]] = {
            "next_image": lambda: self.step(1),
            "previous_image": lambda: self.step(-1),
            "next_item": self.next_item,
            "link": self.link,
            "blur": lambda: self.set_face(FaceState.BLUR),
            "blur_others": self.blur_others,
            "zoom_in": lambda: self.canvas.zoom_in(),
            "zoom_out": lambda: self.canvas.zoom_out(),
            "zoom_selection": self.zoom_to_selection,
            "zoom_fit": lambda: self.canvas.zoom_to_fit(),
            "not_person": lambda: self.set_face(FaceState.NOT_A_PERSON),
            "redact": self.redact,
            "dismiss": self.dismiss,
            "undo": self.undo,
            "reject": self.reject,
            "reopen": self.reopen,
            "approve": self.approve,
            "takedown": self.record_takedown,
            "back": self.back_requested.emit,
        }
        for name, text, keys, _help in ACTIONS:
            action = QAction(text, self)
            action.setObjectName(f"review_{name}")
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shown = " or ".join(
                QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys
            )
            action.setToolTip(f"{text.rstrip('…')} ({shown})")
            handler = handlers[name]
            if name not in VIEW_ONLY:  # leaving and looking never wait
                handler = self._when_settled_handler(handler)
            action.triggered.connect(handler)
            self.addAction(action)
            self.actions_by_name[name] = action

    def _build(self) -> None:
        self.message = text_label("", name="reviewMessage")
        self.message.hide()
        self.role_note = text_label("", "hint", name="reviewRoleNote")  # why the decisions are not offered
        self.role_note.hide()
        self.canvas = ImageCanvas()
        self.canvas.setObjectName("reviewCanvas")
        self.canvas.overlay_clicked.connect(self._canvas_clicked)
        self.canvas.picked.connect(self._canvas_picked)
        self.panel = ReviewPanel(actions=self._build_buttons())  # Tab: the list, these, the clearance
        self.panel.selection_changed.connect(self.canvas.set_selected_keys)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_photo_side())
        splitter.addWidget(self._build_panel_side())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = spacing.vbox(self, spacing.REVIEW, spacing.GAP)
        layout.addWidget(self.role_note)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        # In last: the screen's focus goes to the list, and Tab from there reaches the buttons, the
        # clearance, then ← Back (anything put in before the list would be skipped by Tab).
        layout.insertLayout(0, self._build_header())
        self.setFocusProxy(self.panel.items)

    def _build_header(self) -> QGridLayout:
        """← Back, the photo's name, and where it sits in the list it was opened from."""
        self.back_button = QPushButton("← Back")
        self.back_button.setProperty("flat", True)
        self.back_button.setToolTip("Back to the list (Esc)")
        self.back_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab reaches it; a click leaves focus be
        self.back_button.clicked.connect(self.back_requested.emit)
        self.title = text_label("", "pageTitle", wrap=False)
        self.position = text_label("", "hint", wrap=False)
        self.badge = text_label("", wrap=False, name="reviewBadge")  # the photo's state in words
        self.badge.setAccessibleName("State")
        self.badge.hide()
        header = QGridLayout()
        header.setHorizontalSpacing(spacing.BLOCK)
        header.addWidget(self.back_button, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.title, 0, 1)
        header.addWidget(self.position, 1, 1)
        header.addWidget(self.badge, 0, 2, Qt.AlignmentFlag.AlignTop)
        header.setColumnStretch(1, 1)
        return header

    def _build_buttons(self) -> QGridLayout:
        """Buttons under the list for every decision, each the same action as its key."""
        buttons = QGridLayout()
        buttons.setSpacing(6)
        for row, group in enumerate(BUTTONS):
            for col, (name, label) in enumerate(group):
                button = QToolButton()
                self.actions_by_name[name].setIconText(label)  # short text on the button, full in menus
                button.setDefaultAction(self.actions_by_name[name])
                button.setObjectName(f"button_{name}")
                # Tab reaches every button (Enter or Space presses it); a click leaves the focus in the list,
                # and the letter keys work wherever the focus is in the review
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                if name == "approve":
                    button.setProperty("primary", True)
                span = 4 - len(group) if col == len(group) - 1 else 1  # the last one fills the row
                buttons.addWidget(button, row, col, 1, span)
        return buttons

    def _build_photo_side(self) -> QWidget:
        """The photo with its boxes, the key to the box tags and the keyboard help."""
        self._allowed = {name for name, *_rest in ACTIONS}
        self.help = QLabel(help_html(help_rows(self._allowed, clip=False)))
        self.help.setObjectName("keyboardHelp")
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.RichText)
        self.help.setAccessibleName("Keyboard shortcuts")
        self.legend = legend_label()
        self.crowd_hint = text_label("", "hint", name="crowdHint")
        self.crowd_hint.hide()
        self.canvas.tags_hidden.connect(self._show_crowd_hint)
        left = QWidget()
        left_layout = spacing.vbox(left, spacing.NONE, 8)
        left_layout.addWidget(self._with_clip_review(self.canvas), 1)
        left_layout.addWidget(self.crowd_hint)
        left_layout.addWidget(self.legend)
        left_layout.addWidget(self.help)
        return left

    def _with_clip_review(self, photo: QWidget) -> QStackedWidget:
        """A clip is shown by the clip review (frame, player, timeline) in the photo's place; the key to the
        tags, the keyboard help, its tracks' rows in the list and the decisions stay this screen's. Lane
        and row are one selection."""
        self.clip_review = ClipReview()
        self.clip_review.attach(self, tab_after=self.panel.items)
        self.clip_review.lane_chosen.connect(lambda key: self.panel.select_key(key))
        self.clip_review.said.connect(self._say)
        self.clip_review.decide.connect(lambda do, done: self._when_settled(lambda: self._decide(do, done)))
        self.clip_review.ask.connect(self._open_dialog)
        self.panel.selected.connect(self.clip_review.select)
        self.left_side = QStackedWidget()
        self.left_side.addWidget(photo)
        self.left_side.addWidget(self.clip_review)
        return self.left_side

    def _build_panel_side(self) -> QFrame:
        """The panel, scrolling as a whole when the window is too low for all of it (a take-down, a crowd's
        groups and the buttons on a small screen), so nothing is ever drawn over anything else."""
        scroll = scroll_area(self.panel, "Review panel")
        scroll.setObjectName("reviewSideScroll")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its contents take the focus, not the frame
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side = QFrame()
        side.setObjectName("reviewSide")
        spacing.vbox(side, (16, 14, 16, 14)).addWidget(scroll)
        bar = scroll.style().pixelMetric(scroll.style().PixelMetric.PM_ScrollBarExtent) + 6
        side.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36 + bar)  # room for its scroll bar
        return side

    # --- who is looking, and what others do meanwhile -------------------------------------------------

    def roles_changed(self, roles: set[str]) -> None:
        """A person who may not decide sees the photo, its boxes and what blocks it, and why the buttons
        are not there (the window hides the decisions their role lacks; the server would refuse them)."""
        may_review = team.allowed(roles, "review")
        allowed = {
            name
            for name, *_rest in ACTIONS
            if name not in REVIEW_DECISIONS
            or team.allowed(roles, "takedown" if name == "takedown" else "review")
        }
        self._allowed = allowed
        self.help.setText(help_html(help_rows(allowed, self.is_clip)))
        self.role_note.setText(
            ""
            if may_review
            else "You can look at each photo's or clip's faces and findings and what still blocks it. Deciding, "
            "approving and rejecting are for reviewers (the social media team)"
            + ("; you may record take-downs (T)." if team.allowed(roles, "takedown") else ".")
        )
        self.role_note.setVisible(not may_review)
        self.clip_review.roles_changed(may_review)

    def changed_elsewhere(self, entries: list[AuditEntry]) -> None:
        """Others' changes arrived: read this photo again, and say who changed what on it (a decision you
        made, overridden by another reviewer, is not left saying what you decided)."""
        if self.image_id is None:
            return
        news = [
            line
            for e in entries
            if e.subject == f"image:{self.image_id}" and e.actor != self.catalogue.actor
            for line in [change_words(e, self.item)]
            if line
        ]
        if not news:
            self.refresh()
            return
        text = " ".join(news) + f" The {self.item} is shown as it is now."
        self._when_settled(lambda: self._after_elsewhere(text))

    def _after_elsewhere(self, text: str) -> None:
        if self.image_id is not None:
            self._read_status(self.image_id, then=lambda _status: self._say(text))

    def connection_restored(self) -> None:
        """The catalogue answers again: an error about it is stale now, and what is shown is read again."""
        if self.message.property("kind") == "error" and self.message.isVisible():
            self._say(f"The catalogue answers again; the {self.item} is read again. Decide again what was not saved.")
        if self.image_id is not None and self.isVisible():
            self.refresh()

    # --- which image --------------------------------------------------------------------------------

    @property
    def is_clip(self) -> bool:
        """Whether a clip is shown (its faces are people, its texts say clip); False until it is read."""
        return self.status is not None and is_clip(self.status)

    @property
    def item(self) -> str:
        """"clip" or "photo": what is shown, for every text that names it ("photo" until it is read)."""
        return item_word(self.is_clip)

    def set_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.image_ids, self.image_id, self.status = [], None, None
        self._waiting.clear()
        self._refresh_waiting = False
        self._statuses.drop()
        self._previews.drop()

    def open_images(self, image_ids: list[int], current: int) -> None:
        """Show `current`, with next/previous walking `image_ids` (the list it was opened from)."""
        ids = list(dict.fromkeys(image_ids))
        self.image_ids = ids if current in ids else [current]
        self._waiting.clear()  # keys still waiting were meant for the photo shown before
        self._refresh_waiting = False
        self.show_image(current)

    def show_image(self, image_id: int) -> None:
        """Switch to `image_id` at once (nothing of the last photo stays on screen), then fill it in as its
        status and its pixels arrive from workers."""
        self.image_id = image_id
        self.status = None
        self.clip_review.leave()
        self.panel.items.clearSelection()
        self.panel.items.setCurrentRow(-1)
        self.panel.clear("Reading the review…")
        self.canvas.set_overlays([])
        self.preview = QImage()
        self._previews.drop()
        self.canvas.set_message("Loading…")
        self.title.setText("Loading…")
        self.title.setToolTip("")
        self.position.setText("")
        self._say("")
        self._read_status(image_id, then=self._load_preview)
        self.panel.items.setFocus()

    def _load_preview(self, status: workflow.ReviewStatus) -> None:
        self.left_side.setCurrentIndex(1 if is_clip(status) else 0)
        self.help.setText(help_html(help_rows(self._allowed, is_clip(status))))
        if is_clip(status):
            self.clip_review.open(self.catalogue, status)
            self.clip_review.timeline.setFocus()  # arrows walk the lanes; the decision keys work here too
            return
        image = status.image
        side = self._preview_side()
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: load_preview(str(local_photo(cat, image)), side)),
            self._preview_ready,
            self._preview_failed,
            owner=self,
            latest=self._previews,  # the reviewer may have moved on to another photo
        )

    def _preview_side(self) -> int:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return 2048
        size = screen.size() * screen.devicePixelRatio()
        return max(800, min(4096, max(size.width(), size.height())))

    def _preview_ready(self, result: tuple[QImage, QSize]) -> None:
        self.preview, self.original_size = result
        self.canvas.set_image(self.preview, self.original_size)

    def _preview_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PhotoUnavailable):  # says where it was looked for and how to reconnect it
            self.canvas.set_message(f"{capitalise(str(exc))}\nThe decisions beside it still apply.")
        else:
            self.canvas.set_message(
                f"The photo cannot be shown: {describe_error(exc)}.\nIf it was moved, put it back or run "
                "`consentdesk check --relink FOLDER`; the decisions beside it still apply."
            )

    def _update_position(self) -> None:
        if self.status is None:
            return
        image = self.status.image
        where = []
        if self.image_id in self.image_ids and len(self.image_ids) > 1:
            where.append(f"Image {self.image_ids.index(self.image_id) + 1} of {len(self.image_ids)}")
        if image.captured_at:
            where.append(f"taken {image.captured_at[:16].replace('T', ' ')}")
        where.append(f"{image.width} × {image.height}")
        self.position.setText(" · ".join(where))

    def step(self, delta: int) -> None:
        if self.image_id is None or self.image_id not in self.image_ids:
            return
        index = self.image_ids.index(self.image_id) + delta
        if not 0 <= index < len(self.image_ids):
            edge = "last" if delta > 0 else "first"
            self._say(f"This is the {edge} image in the list. Esc goes back to the list.")
            return
        self.show_image(self.image_ids[index])

    # --- reading from core --------------------------------------------------------------------------

    def is_settled(self) -> bool:
        """True when no status read or decision is on its way and no key waits for one."""
        return self._in_flight == 0 and not self._waiting

    def refresh(self) -> None:
        """Re-read the status from core (in a worker) and redraw the panel and the boxes.

        While a read or a decision is on its way, the re-read waits for it (once, however often it was
        asked for): starting it now would drop that answer, and with it the photo's preview or what was
        said about the decision."""
        if self.image_id is None or self._refresh_waiting:
            return
        if self._in_flight:
            self._refresh_waiting = True
            self._waiting.append(self._refresh_now)
        else:
            self._read_status(self.image_id)

    def _refresh_now(self) -> None:
        self._refresh_waiting = False
        if self.image_id is not None:
            self._read_status(self.image_id)

    def _read_status(
        self, image_id: int, then: Callable[[workflow.ReviewStatus], None] | None = None
    ) -> None:
        self._in_flight += 1
        run_task(
            in_catalogue(self.catalogue, lambda cat, _c: workflow.status(cat, image_id)),
            lambda status: self._status_read(status, then),
            self._show_unreadable,
            owner=self,
            latest=self._statuses,
            on_settled=self._end,
        )

    def _end(self, _settled: object = None) -> None:
        """A status read or a decision came back (shown, or dropped as out of date): keys waiting for it
        act now."""
        self._in_flight -= 1
        if self._in_flight == 0:
            self._slow_save.stop()
        while self._in_flight == 0 and self._waiting:
            self._waiting.popleft()()  # may start a read or decision: then the rest waits again

    def _status_read(
        self, status: workflow.ReviewStatus, then: Callable[[workflow.ReviewStatus], None] | None
    ) -> None:
        self._show_status(status)
        if then is not None:
            then(status)

    def _show_status(self, status: workflow.ReviewStatus) -> None:
        if self.status is None and self.unreadable:  # back after a lost connection
            self._say(f"The {item_word(is_clip(status))}'s review is read again.")
        self.status, self.unreadable = status, ""
        image = status.image
        self.title.setText(Path(image.path).name)
        self.title.setToolTip(image.path)
        self._show_badge(status.badge())
        self._update_position()
        self.panel.show_status(status)
        self.clip_review.show_status(status)
        self.canvas.set_overlays(overlays(status))
        self.canvas.set_selected_keys(self.panel.selected_keys())

    def _show_badge(self, badge: policy.Badge | None) -> None:
        self.badge.setVisible(badge is not None)
        if badge is None:
            return
        self.badge.setText(badge.words)
        if self.badge.property("badge") != badge.value:
            self.badge.setProperty("badge", badge.value)
            self.badge.style().unpolish(self.badge)
            self.badge.style().polish(self.badge)

    def _show_unreadable(self, exc: BaseException) -> None:
        """Nothing is shown as decided or cleared; a lost connection is tried again every few seconds."""
        self.status = None
        self.canvas.set_overlays([])
        self._show_badge(None)
        self.title.setText("This review cannot be read")
        if isinstance(exc, workflow.ReviewError):
            self.unreadable = f"{capitalise(str(exc))}."
        else:
            self.unreadable = (
                f"The review could not be read: {describe_error(exc)}. Check the connection to "
                "the catalogue; ConsentDesk tries again every few seconds."
            )
            self._retry.start()
        self.panel.clear("Not known: nothing can be decided or approved until the review is read.")
        self._say(self.unreadable, error=True)

    def _try_again(self) -> None:
        if self.status is None and self.image_id is not None and self.isVisible():
            self.refresh()

    def _when_settled(self, do: Callable[[], object]) -> None:
        if self.is_settled():
            do()
        else:
            self._waiting.append(do)

    def _when_settled_handler(self, do: Callable[[], object]) -> Callable[..., None]:
        return lambda *_args: self._when_settled(do)

    def _canvas_clicked(self, key: tuple[str, int]) -> None:
        self.panel.select_key(key)
        self.panel.items.setFocus()

    def _canvas_picked(self, keys: list[tuple[str, int]], mode: str) -> None:
        """Faces chosen on the photo (Ctrl/Shift+click, a rubber band) become the list's selection."""
        self.panel.select_keys(keys, mode)
        self.panel.items.setFocus()
        chosen = [k[1] for k in self.panel.selected_keys() if k[0] == "face"]
        if chosen:
            self._say(f"{faces_words(chosen, self.is_clip)} selected: B blurs, P marks not a person, U undoes, for all of them.")

    def _show_crowd_hint(self, hidden: int) -> None:
        self.crowd_hint.setText(
            f"{hidden} box label{'s are' if hidden != 1 else ' is'} hidden where boxes crowd: zoom in (+, Z "
            "for the selected faces) or work from the list beside the photo, which names every face."
            if hidden
            else ""
        )
        self.crowd_hint.setVisible(bool(hidden))

    def zoom_to_selection(self) -> None:
        keys = self.panel.selected_keys()
        if keys:
            self.canvas.zoom_to(keys)
        else:
            self._say("Select a face or a finding in the list first; Z then zooms to it.")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("kind", "error" if error else "info")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))
        announce(self.message, text, assertive=error)  # shown beside the photo; focus stays in the list

    # --- deciding -----------------------------------------------------------------------------------

    def _selected(self, kind: str) -> int | None:
        if self.status is None and self.unreadable:
            self._say(self.unreadable, error=True)  # the reason, not "select a face first"
            return None
        key = self.panel.current_key()
        if key is None or key[0] != kind:
            hint = "N jumps to the next one that needs a decision, or use ↑/↓"
            what = face_word(self.is_clip) if kind == "face" else kind
            self._say(f"Select a {what} first: {hint}.", error=True)
            return None
        return key[1]

    def _seen(self) -> ImageState | None:
        """What this screen shows now: a decision made on it is refused if someone changed it since."""
        return self.status.state if self.status is not None else None

    def _decide(self, do: Callable[[Catalogue, ImageState | None], object], done: str) -> None:
        """Save one decision in a worker and read the status back on the same connection."""
        if self.image_id is None or self.status is None:
            return
        image_id, seen = self.image_id, self._seen()

        def work(catalogue: Catalogue, _control: object) -> tuple[Any, workflow.ReviewStatus]:
            try:
                outcome = do(catalogue, seen)
            except (workflow.ReviewError, ConflictError) as exc:
                outcome = exc  # refused: still read what the photo's review is now
            return outcome, workflow.status(catalogue, image_id)

        self._in_flight += 1
        self._slow_save.start()
        run_task(
            in_catalogue(self.catalogue, work),
            lambda result: self._decided(done, *result),
            self._decision_failed,
            owner=self,
            latest=self._statuses,  # the reviewer may have moved on: nothing is said over that
            on_settled=lambda result: self._saved(image_id, result),
        )

    def _decided(self, done: str, outcome: object, status: workflow.ReviewStatus) -> None:
        self._show_status(status)
        self._say(*_decision_words(outcome, done))

    def _saved(self, image_id: int, result: object) -> None:
        """Whether shown or not: lists showing the photo refresh, wherever the view is now."""
        outcome = result[0] if isinstance(result, tuple) else result
        if isinstance(result, tuple) and not isinstance(outcome, workflow.ReviewError):
            self.decision_made.emit(image_id)  # saved, or refused for someone else's change
        self._end()

    def _say_still_saving(self) -> None:
        if self._in_flight:
            self._say("Saving the decision… Keys pressed meanwhile act once it is saved.")

    def _decision_failed(self, exc: BaseException) -> None:
        self._say(f"The decision was not saved: {describe_error(exc)}. {try_again_advice(exc)}", error=True)

    def next_item(self) -> None:
        key = self.panel.next_needing()
        if key is None:
            self._say(
                f"Nothing left to decide on this {self.item}. Press A to approve it, or Page Down for the next."
            )
            return
        self.panel.select_key(key)
        self.panel.items.setFocus()
        if self.left_side.currentWidget() is self.clip_review:
            self.clip_review.show_chosen()  # the frame shows what is to be decided

    def _selected_faces(self) -> list[int]:
        """The numbers of the faces selected (several for a crowd); says why when there are none."""
        faces = [k[1] for k in self.panel.selected_keys() if k[0] == "face"]
        if not faces:
            self._selected("face")  # says why nothing can be done
        return faces

    def set_face(self, state: FaceState) -> None:
        ns = self._selected_faces()
        if not ns or self.image_id is None:
            return
        image_id = self.image_id
        plural = len(ns) > 1
        words = {
            FaceState.BLUR: "will be blurred on export",
            FaceState.NOT_A_PERSON: "are marked not a person" if plural else "is marked not a person",
            FaceState.UNRESOLVED: "need a decision again" if plural else "needs a decision again",
        }
        if plural:
            self._decide(
                lambda cat, seen: workflow.set_faces(cat, image_id, ns, state, seen=seen),
                f"{faces_words(ns, self.is_clip)} {words[state]}.",
            )
        else:
            (n,) = ns
            self._decide(
                lambda cat, seen: workflow.set_face(cat, image_id, n, state, seen=seen),
                f"{faces_words([n], self.is_clip)} {words[state]}.",
            )

    def blur_others(self) -> None:
        """Blur everyone not linked to a release (every face still needing a decision)."""
        if not self._readable() or self.image_id is None:
            return
        assert self.status is not None
        others = [f.n for f in self.status.state.faces if f.state is FaceState.UNRESOLVED]
        if not others:
            self._say(f"Every {face_word(self.is_clip)} is linked or decided already; nobody is left to blur.")
            return
        image_id = self.image_id
        self._decide(
            lambda cat, seen: workflow.blur_others(cat, image_id, seen=seen),
            f"{faces_words(others, self.is_clip)} not linked to a release will be blurred on export.",
        )

    def _face_crop(self, n: int) -> QImage | None:
        if self.left_side.currentWidget() is self.clip_review:
            return self.clip_review.face_crop(n)  # from the frame on screen, where the person is now
        if self.status is None or self.preview.isNull() or self.original_size.isEmpty():
            return None
        face = next((f for f in self.status.state.faces if f.n == n), None)
        if face is None:
            return None
        scale = self.preview.width() / self.original_size.width()
        pad_w, pad_h = face.box.w * 0.35, face.box.h * 0.35
        rect = QRect(
            int((face.box.x - pad_w) * scale),
            int((face.box.y - pad_h) * scale),
            int((face.box.w + 2 * pad_w) * scale),
            int((face.box.h + 2 * pad_h) * scale),
        ).intersected(self.preview.rect())
        return self.preview.copy(rect)

    def link(self) -> None:
        if len([k for k in self.panel.selected_keys() if k[0] == "face"]) > 1:
            self._say(f"Select one {face_word(self.is_clip)} to link: a release covers one person.", error=True)
            return
        n = self._selected("face")
        if n is None or self.image_id is None:
            return
        image_id = self.image_id
        picker = ConsentPicker(self.catalogue, image_id, n, self._face_crop(n), parent=self, clip=self.is_clip)

        def picked() -> None:
            consent_id = picker.chosen
            if consent_id:
                self._decide(
                    lambda cat, seen: workflow.link_face(cat, image_id, n, consent_id, seen=seen),
                    f"{faces_words([n], self.is_clip)} is linked to {consent_id}.",
                )

        self._open_dialog(picker, picked)

    def redact(self) -> None:
        n = self._selected("finding")
        if n is not None and self.image_id is not None:
            image_id = self.image_id
            self._decide(
                lambda cat, seen: workflow.set_finding(cat, image_id, n, FindingState.REDACT, seen=seen),
                f"Finding {n} will be redacted on export.",
            )

    def dismiss(self) -> None:
        n = self._selected("finding")
        if n is None or self.image_id is None:
            return
        image_id, seen, catalogue = self.image_id, self._seen(), self.catalogue

        def submit(reason: str) -> None:  # on a worker thread
            workflow.set_finding(catalogue, image_id, n, FindingState.DISMISSED, reason, seen=seen)

        dialog = ReasonDialog(
            f"Dismiss finding {n}",
            f"Why is finding {n} harmless? The reason is kept in the audit trail.",
            "Dismiss finding",
            submit,
            "e.g. a made-up number on a training poster",
            parent=self,
        )
        self._open_dialog(dialog, lambda: self._after(f"Finding {n} is dismissed."))

    def undo(self) -> None:
        key = self.panel.current_key()
        if key is None or self.image_id is None:
            self._selected("face")
            return
        faces = [k[1] for k in self.panel.selected_keys() if k[0] == "face"]
        if len(faces) > 1:
            self.set_face(FaceState.UNRESOLVED)
            return
        kind, n = key
        image_id = self.image_id
        if kind == "face":
            self._decide(
                lambda cat, seen: workflow.set_face(cat, image_id, n, FaceState.UNRESOLVED, seen=seen),
                f"{faces_words([n], self.is_clip)} needs a decision again.",
            )
        else:
            self._decide(
                lambda cat, seen: workflow.set_finding(cat, image_id, n, FindingState.UNRESOLVED, seen=seen),
                f"Finding {n} is unresolved again.",
            )

    def _readable(self) -> bool:
        """True when this photo's review is on screen; otherwise says why nothing can be done yet."""
        if self.image_id is None:
            return False
        if self.status is None:
            self._say(
                self.unreadable or "The review is still being read.", error=bool(self.unreadable)
            )
            return False
        return True

    def reject(self) -> None:
        if not self._readable():
            return
        image_id, catalogue = self.image_id, self.catalogue

        def submit(reason: str) -> None:  # on a worker thread
            workflow.reject(catalogue, image_id, reason)

        dialog = ReasonDialog(
            f"Reject this {self.item}",
            f"Why must this {self.item} never be posted? It leaves the To verify list (Shift+X reopens it).",
            f"Reject {self.item}",
            submit,
            "e.g. patient's wristband legible in several places",
            parent=self,
        )
        self._open_dialog(dialog, lambda: self._after(f"The {self.item} is rejected and will not be posted."))

    def reopen(self) -> None:
        if self.image_id is not None and self.status is not None and self.status.state.rejected:
            image_id = self.image_id
            self._decide(
                lambda cat, _seen: workflow.reopen(cat, image_id), f"The {self.item} is open for review again."
            )
        else:
            self._say(f"This {self.item} is not rejected; there is nothing to reopen.")

    def approve(self) -> None:
        if not self._readable():
            return
        assert self.status is not None
        if self.status.state.rejected:
            why = f" ({self.status.state.rejection_reason})" if self.status.state.rejection_reason else ""
            self._say(
                f"This {self.item} is rejected{why}. Press Shift+X to reopen it before approving.", error=True
            )
            return
        dialog = ApproveDialog(self.catalogue, self.image_id, status=self.status, parent=self)

        def done() -> None:
            if dialog.result_ is not None:
                self._after(f"Approved. The cleaned copy is at {dialog.result_.path}")

        self._open_dialog(dialog, done)

    def record_takedown(self) -> None:
        """Record that the photo's approved copies that must come down were taken down."""
        if not self._readable():
            return
        assert self.status is not None and self.image_id is not None
        live = [a for a in self.status.approvals if a.live]
        if not live:
            self._say(f"This {self.item} has no approved copy out there; there is nothing to take down.")
            return
        due = {a.id for a in self.status.to_take_down}
        dialog = RecordTakedownDialog(
            self.catalogue, self.image_id, live, due, self, name=Path(self.status.image.path).name
        )

        def done() -> None:
            n = len(dialog.recorded)
            self._after(f"Take-down recorded for {approved_copies(n)}.")

        self._open_dialog(dialog, done)

    def _after(self, text: str) -> None:
        """A dialog saved a decision: read the status back, then say what was done."""
        if self.image_id is None:
            return
        image_id = self.image_id
        self.decision_made.emit(image_id)
        self._read_status(image_id, then=lambda _status: self._say(text))

    def _open_dialog(self, dialog: QWidget, on_accept: Callable[[], None]) -> None:
        """Window-modal and non-blocking (`open`), so the event loop and tests keep running."""
        self.dialog = dialog
        dialog.accepted.connect(on_accept)  # type: ignore[attr-defined]
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))  # type: ignore[attr-defined]
        dialog.open()  # type: ignore[attr-defined]

    def _dialog_closed(self, dialog: QWidget) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        self.window().activateWindow()  # the keys go straight back to the review
        self.panel.items.setFocus()
        self.clip_review.take_focus_back()
        self.refresh()  # a dialog refused for someone else's change: show that change now
