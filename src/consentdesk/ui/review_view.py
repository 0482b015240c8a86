"""The review view: one photo large with numbered boxes, the faces and findings beside it, and keyboard
actions for every decision. Each decision calls `core.review`, then the view re-reads the status from
core; no rule is decided here.

The view walks through a list of image ids (the "To verify" queue or the library's order) with
Page Down / Page Up (or J / K). Photos are decoded at screen size off the GUI thread (`run_task`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core import imaging, review
from consentdesk.core.decisions import FaceState, FindingState
from consentdesk.core.photos import local_photo
from consentdesk.core.store import Catalogue, ConflictError
from consentdesk.ui.announce import announce
from consentdesk.ui.approve_dialog import ApproveDialog
from consentdesk.ui.busy import in_catalogue
from consentdesk.ui.consent_picker import ConsentPicker
from consentdesk.ui.image_canvas import ImageCanvas, legend_label, rgb_to_qimage
from consentdesk.ui.reason_dialog import ReasonDialog
from consentdesk.ui.review_panel import ReviewPanel, capitalise, help_html, overlays
from consentdesk.ui.workers import run_task

#: (name, menu text, shortcuts, what the help box says). The first shortcut is shown in menus.
ACTIONS: list[tuple[str, str, list[str], str]] = [
    ("next_image", "Next image", ["PgDown", "J"], "next image"),
    ("previous_image", "Previous image", ["PgUp", "K"], "previous image"),
    ("next_item", "Next item that needs a decision", ["N"], "next to decide"),
    ("link", "Link face to a release…", ["L"], "link face to a release"),
    ("blur", "Blur face on export", ["B"], "blur face on export"),
    ("not_person", "Not a person", ["P"], "not a person"),
    ("redact", "Redact finding on export", ["R"], "redact finding"),
    ("dismiss", "Dismiss finding…", ["D"], "dismiss finding (reason)"),
    ("undo", "Undo decision", ["U"], "undo decision"),
    ("reject", "Reject image…", ["X"], "reject image (reason)"),
    ("reopen", "Reopen rejected image", ["Shift+X"], "reopen rejected image"),
    ("approve", "Approve and export…", ["A"], "approve and export"),
    ("back", "Back to the list", ["Esc"], "back to the list"),
]

#: Buttons under the list, for mouse users (the keyboard does the same).
BUTTONS = [
    [("link", "Link…"), ("blur", "Blur"), ("not_person", "Not a person")],
    [("redact", "Redact"), ("dismiss", "Dismiss…"), ("undo", "Undo")],
    [("reject", "Reject…"), ("approve", "Approve…")],
]


def load_preview(path: str, max_side: int) -> tuple[QImage, QSize]:
    """Decode the photo reduced to screen size (worker thread) as a QImage and its full oriented size."""
    loaded = imaging.load(path, max_side=max_side)
    return rgb_to_qimage(loaded.rgb), QSize(loaded.info.width, loaded.info.height)


class ReviewView(QWidget):
    back_requested = Signal()
    decision_made = Signal(int)  # image id: lists showing it should refresh

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewView")
        self.catalogue = catalogue
        self.image_ids: list[int] = []
        self.image_id: int | None = None
        self.status: review.ReviewStatus | None = None
        self.preview = QImage()
        self.original_size = QSize()
        self.dialog: QWidget | None = None  # the open picker / approve / reason dialog
        self._load_token = 0
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
            "not_person": lambda: self.set_face(FaceState.NOT_A_PERSON),
            "redact": self.redact,
            "dismiss": self.dismiss,
            "undo": self.undo,
            "reject": self.reject,
            "reopen": self.reopen,
            "approve": self.approve,
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
            action.triggered.connect(handlers[name])
            self.addAction(action)
            self.actions_by_name[name] = action

    def _build(self) -> None:
        self.back_button = QPushButton("← Back")
        self.back_button.setProperty("flat", True)
        self.back_button.setToolTip("Back to the list (Esc)")
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_button.clicked.connect(self.back_requested.emit)
        self.title = QLabel("")
        self.title.setProperty("role", "pageTitle")
        self.position = QLabel("")
        self.position.setProperty("role", "hint")
        self.message = QLabel("")
        self.message.setObjectName("reviewMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        header = QGridLayout()
        header.setHorizontalSpacing(12)
        header.addWidget(self.back_button, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.title, 0, 1)
        header.addWidget(self.position, 1, 1)
        header.setColumnStretch(1, 1)

        self.canvas = ImageCanvas()
        self.canvas.setObjectName("reviewCanvas")
        self.canvas.overlay_clicked.connect(self._canvas_clicked)
        self.panel = ReviewPanel()
        self.panel.selected.connect(self.canvas.set_selected)
        buttons = QGridLayout()
        buttons.setSpacing(6)
        for row, group in enumerate(BUTTONS):
            for col, (name, label) in enumerate(group):
                button = QToolButton()
                self.actions_by_name[name].setIconText(label)  # short text on the button, full in menus
                button.setDefaultAction(self.actions_by_name[name])
                button.setObjectName(f"button_{name}")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # focus stays in the list: keys keep working
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                if name == "approve":
                    button.setProperty("primary", True)
                span = 2 if len(group) == 2 and col == 1 else 1
                buttons.addWidget(button, row, col, 1, span)
        self.panel.actions_row.addLayout(buttons)
        self.help = QLabel(help_html([(" / ".join(keys), h) for _, _, keys, h in ACTIONS]))
        self.help.setObjectName("keyboardHelp")
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.RichText)
        self.help.setAccessibleName("Keyboard shortcuts")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(8)
        left_layout.addWidget(self.canvas, 1)
        self.legend = legend_label()
        left_layout.addWidget(self.legend)
        left_layout.addWidget(self.help)
        side = QFrame()
        side.setObjectName("reviewSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(16, 14, 16, 14)
        side_layout.addWidget(self.panel)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        side.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.setFocusProxy(self.panel.items)

    # --- which image --------------------------------------------------------------------------------

    def set_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.image_ids, self.image_id, self.status = [], None, None

    def open_images(self, image_ids: list[int], current: int) -> None:
        """Show `current`, with next/previous walking `image_ids` (the list it was opened from)."""
        ids = list(dict.fromkeys(image_ids))
        self.image_ids = ids if current in ids else [current]
        self.show_image(current)

    def show_image(self, image_id: int) -> None:
        self.image_id = image_id
        self.panel.items.clearSelection()
        self.panel.items.setCurrentRow(-1)
        self._say("")
        if not self.refresh():
            return
        assert self.status is not None
        image = self.status.image
        self.title.setText(Path(image.path).name)
        self.title.setToolTip(image.path)
        self._update_position()
        self.preview = QImage()
        self.canvas.set_message("Loading the photo…")
        self._load_token += 1
        token = self._load_token
        side = self._preview_side()
        run_task(
            in_catalogue(
                self.catalogue.locator, lambda cat, _c: load_preview(str(local_photo(cat, image)), side)
            ),
            lambda result: self._preview_ready(token, result),
            lambda exc: self._preview_failed(token, exc),
        )
        self.panel.items.setFocus()

    def _preview_side(self) -> int:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return 2048
        size = screen.size() * screen.devicePixelRatio()
        return max(800, min(4096, max(size.width(), size.height())))

    def _preview_ready(self, token: int, result: tuple[QImage, QSize]) -> None:
        if token != self._load_token:
            return  # the reviewer has moved on to another photo
        self.preview, self.original_size = result
        self.canvas.set_image(self.preview, self.original_size)

    def _preview_failed(self, token: int, exc: BaseException) -> None:
        if token == self._load_token:
            self.canvas.set_message(
                f"The photo cannot be shown: {exc}.\nIf it was moved, put it back or re-import it; "
                "the decisions below still apply."
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

    def refresh(self) -> bool:
        """Re-read the status from core and redraw the panel and the boxes."""
        if self.image_id is None:
            return False
        try:
            self.status = review.status(self.catalogue, self.image_id)
        except review.ReviewError as exc:
            self.status = None
            self._say(f"{capitalise(str(exc))}.", error=True)
            return False
        self.panel.show_status(self.status)
        self.canvas.set_overlays(overlays(self.status))
        self.canvas.set_selected(self.panel.current_key())
        return True

    def _canvas_clicked(self, key: tuple[str, int]) -> None:
        self.panel.select_key(key)
        self.panel.items.setFocus()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("kind", "error" if error else "info")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))
        announce(self.message, text, assertive=error)  # shown beside the photo; focus stays in the list

    # --- deciding -----------------------------------------------------------------------------------

    def _selected(self, kind: str) -> int | None:
        key = self.panel.current_key()
        if key is None or key[0] != kind:
            hint = "N jumps to the next one that needs a decision, or use ↑/↓"
            self._say(f"Select a {kind} first: {hint}.", error=True)
            return None
        return key[1]

    def _seen(self):  # noqa: ANN202 - an ImageState or None
        """What this screen shows now: a decision made on it is refused if someone changed it since."""
        return self.status.state if self.status is not None else None

    def _decide(self, do: Callable[[], object], done: str) -> None:
        if self.image_id is None:
            return
        try:
            warning = do()
        except review.ReviewError as exc:
            self._say(f"{capitalise(str(exc))}.", error=True)
            return
        except ConflictError as exc:  # someone else decided meanwhile: show their decision, then say so
            self.refresh()
            self.decision_made.emit(self.image_id)
            self._say(f"{capitalise(str(exc))}", error=True)
            return
        self.refresh()
        self.decision_made.emit(self.image_id)
        if isinstance(warning, str) and warning:
            self._say(f"{done} Warning: {capitalise(warning)}.", error=True)
        else:
            self._say(done)

    def next_item(self) -> None:
        key = self.panel.next_needing()
        if key is None:
            self._say(
                "Nothing left to decide on this photo. Press A to approve it, or Page Down for the next."
            )
            return
        self.panel.select_key(key)
        self.panel.items.setFocus()

    def set_face(self, state: FaceState) -> None:
        n = self._selected("face")
        if n is not None and self.image_id is not None:
            image_id = self.image_id
            words = {
                FaceState.BLUR: "will be blurred on export",
                FaceState.NOT_A_PERSON: "is marked not a person",
            }
            self._decide(
                lambda: review.set_face(self.catalogue, image_id, n, state, seen=self._seen()),
                f"Face {n} {words[state]}.",
            )

    def _face_crop(self, n: int) -> QImage | None:
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
        n = self._selected("face")
        if n is None or self.image_id is None:
            return
        image_id = self.image_id
        picker = ConsentPicker(self.catalogue, image_id, n, self._face_crop(n), parent=self)

        def picked() -> None:
            consent_id = picker.chosen
            if consent_id:
                self._decide(
                    lambda: review.link_face(self.catalogue, image_id, n, consent_id, seen=self._seen()),
                    f"Face {n} is linked to {consent_id}.",
                )

        self._open_dialog(picker, picked)

    def redact(self) -> None:
        n = self._selected("finding")
        if n is not None and self.image_id is not None:
            image_id = self.image_id
            self._decide(
                lambda: review.set_finding(
                    self.catalogue, image_id, n, FindingState.REDACT, seen=self._seen()
                ),
                f"Finding {n} will be redacted on export.",
            )

    def dismiss(self) -> None:
        n = self._selected("finding")
        if n is None or self.image_id is None:
            return
        image_id = self.image_id

        def submit(reason: str) -> None:
            review.set_finding(self.catalogue, image_id, n, FindingState.DISMISSED, reason, seen=self._seen())

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
        kind, n = key
        image_id = self.image_id
        if kind == "face":
            self._decide(
                lambda: review.set_face(self.catalogue, image_id, n, FaceState.UNRESOLVED, seen=self._seen()),
                f"Face {n} needs a decision again.",
            )
        else:
            self._decide(
                lambda: review.set_finding(
                    self.catalogue, image_id, n, FindingState.UNRESOLVED, seen=self._seen()
                ),
                f"Finding {n} is unresolved again.",
            )

    def reject(self) -> None:
        if self.image_id is None:
            return
        image_id = self.image_id
        dialog = ReasonDialog(
            "Reject this image",
            "Why must this image never be posted? It leaves the To verify list (Shift+X reopens it).",
            "Reject image",
            lambda reason: review.reject(self.catalogue, image_id, reason),
            "e.g. patient's wristband legible in several places",
            parent=self,
        )
        self._open_dialog(dialog, lambda: self._after("The image is rejected and will not be posted."))

    def reopen(self) -> None:
        if self.image_id is not None and self.status is not None and self.status.state.rejected:
            image_id = self.image_id
            self._decide(
                lambda: review.reopen(self.catalogue, image_id), "The image is open for review again."
            )
        else:
            self._say("This image is not rejected; there is nothing to reopen.")

    def approve(self) -> None:
        if self.image_id is None:
            return
        dialog = ApproveDialog(self.catalogue, self.image_id, parent=self)

        def done() -> None:
            if dialog.result_ is not None:
                self._after(f"Approved. The cleaned copy is at {dialog.result_.path}")

        self._open_dialog(dialog, done)

    def _after(self, text: str) -> None:
        self.refresh()
        if self.image_id is not None:
            self.decision_made.emit(self.image_id)
        self._say(text)

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
