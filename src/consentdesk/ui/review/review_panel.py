"""The side panel of the review view: the plain summary, one row per face and finding with its state,
the clearance per channel and the keyboard help.

It only words what `core.review.status` returns; every rule (what clears, what blocks) stays in core.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.forms import load_form
from consentdesk.core.media.kinds import is_clip_path
from consentdesk.core.review import policy, workflow
from consentdesk.core.values import FaceReview, FaceState, FindingReview, FindingState
from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.dialog import scroll_area
from consentdesk.ui.kit.image_canvas import STATE_COLOURS, Overlay
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.words import face_word, item_word

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # ("face", n) or ("finding", n)
NEEDS_ROLE = Qt.ItemDataRole.UserRole + 2  # True when the row still needs the reviewer
STATE_ROLE = Qt.ItemDataRole.UserRole + 3

GREEN, RED = "#007F3B", "#D5281B"


def channel_labels() -> dict[str, str]:
    return {c.id: c.label for c in load_form(workflow.CURRENT_FORM).channels}


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def face_row(face: FaceReview, status: workflow.ReviewStatus) -> tuple[str, bool]:
    """The row text for a face and whether it still needs the reviewer: "Face 2 — blur on export"; a clip's
    faces are person tracks: "Person 5 — same person as 3, blur on export"."""
    words, needs = face_words(face, status)
    return f"{capitalise(face_word(is_clip_path(status.image.path)))} {face.n} — {words}", needs


def face_words(face: FaceReview, status: workflow.ReviewStatus) -> tuple[str, bool]:
    """A face's state in words (the row's text after its name; the clip timeline's lane words) and whether
    it still needs the reviewer; a warning about its release follows on a line of its own."""
    words, needs = _face_words(face, status)
    same_as = getattr(face, "same_as", None)
    if same_as is not None and is_clip_path(status.image.path):
        words = f"same person as {same_as}, {words}"
    return words, needs


def _face_words(face: FaceReview, status: workflow.ReviewStatus) -> tuple[str, bool]:
    if face.state is FaceState.LINKED:
        consent = status.consents.get(face.consent_id or "")
        if consent is None:
            return f"linked to {face.consent_id}, which is not in the register", True
        text = f"linked to {consent.id} · {consent.full_name}"
        warning = workflow.consent_warning(consent, status.on)
        return (text + f"\n⚠ {capitalise(warning)}", True) if warning else (text, False)
    if face.state is FaceState.BLUR:
        return "blur on export", False
    if face.state is FaceState.NOT_A_PERSON:
        return "not a person", False
    return "needs a decision", True


def face_state(face: FaceReview, status: workflow.ReviewStatus) -> str:
    """The state a face is drawn in (`ReviewStatus.face_state`: a link that no longer holds is not shown
    as settled, in the list or on the photo)."""
    return status.face_state(face)


def finding_row(finding: FindingReview) -> tuple[str, bool]:
    """The row text for a finding ("Finding 1 — QR code — unresolved") and whether it blocks."""
    what = capitalise(f"{policy.kind_words(finding.kind)} {finding.text}".strip())
    return f"Finding {finding.n} — {what} — {finding_words(finding)}", (
        finding.state is FindingState.UNRESOLVED and finding.severity in policy.BLOCKING_SEVERITIES
    )


def finding_words(finding: FindingReview) -> str:
    """A finding's state in words (the row's last part; the clip timeline's lane words)."""
    if finding.state is FindingState.REDACT:
        return "redact on export"
    if finding.state is FindingState.DISMISSED:
        return f"dismissed: {finding.reason}" if finding.reason else "dismissed"
    return "unresolved" if finding.severity in policy.BLOCKING_SEVERITIES else "for information (does not block)"


def overlays(status: workflow.ReviewStatus) -> list[Overlay]:
    """The numbered boxes for the canvas: faces "1", "2"…, findings "F1", "F2"…"""
    boxes = [
        Overlay(("face", f.n), f.box.x, f.box.y, f.box.w, f.box.h, str(f.n), face_state(f, status))
        for f in status.state.faces
    ]
    boxes += [
        Overlay(("finding", f.n), f.box.x, f.box.y, f.box.w, f.box.h, f"F{f.n}", status.finding_state(f))
        for f in status.state.findings
    ]
    return boxes


def clearance_html(status: workflow.ReviewStatus, labels: dict[str, str]) -> str:
    """Cleared channels in one line, what blocks every channel once, then each blocked channel's own
    reason (once nothing blocks every channel; the approve dialog always shows them)."""
    cleared = [labels.get(c, c) for c in status.cleared_channels]
    parts = []
    if cleared:
        ticks = " &nbsp; ".join(f"✓&nbsp;{escape(label)}" for label in cleared)
        parts.append(f"<p style='color:{GREEN}'><b>Cleared for</b><br>{ticks}</p>")
    else:
        parts.append(f"<p style='color:{RED}'><b>Not cleared for any channel yet</b></p>")
    common = status.common_reasons()
    if common:
        items = "".join(f"<li>{escape(r)}</li>" for r in common)
        parts.append(f"<p><b>Blocks every channel</b></p><ul style='margin-left:-22px'>{items}</ul>")
    blocked = [c for c in status.channels if not status.clearances[c].cleared]
    if blocked and not common:
        lines = []
        for channel in blocked:
            reasons = status.clearances[channel].reasons
            more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
            label = escape(labels.get(channel, channel))
            lines.append(
                f"<span style='color:{RED}'>✗&nbsp;<b>{label}</b></span>: {escape(reasons[0])}{more}"
            )
        parts.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(parts)


def number_ranges(ns: list[int]) -> str:
    """e.g. [1, 2, 3, 7, 9, 10] -> "1–3, 7, 9, 10": a crowd's face numbers in a line anyone can read."""
    parts: list[str] = []
    run: list[int] = []
    for n in sorted(set(ns)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)))
        run = [n]
    if run:
        parts.append(f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)))
    return ", ".join(parts)


def faces_words(ns: list[int], clip: bool = False) -> str:
    """"Face 3", "Faces 3 and 4", "Faces 3, 4 and 7", or for a crowd "28 faces (16–43)"; in a clip
    "Person 3", "People 3 and 4"…"""
    ns = sorted(set(ns))
    one, many = face_word(clip, 1), face_word(clip, 2)
    if len(ns) == 1:
        return f"{capitalise(one)} {ns[0]}"
    if len(ns) <= 6:
        return f"{capitalise(many)} " + ", ".join(map(str, ns[:-1])) + f" and {ns[-1]}"
    return f"{len(ns)} {many} ({number_ranges(ns)})"


#: The face groups of the summary, in the order a reviewer works through them.
GROUPS = (
    ("unresolved", "Need a decision"),
    ("linked_invalid", "Linked, release does not clear"),
    ("linked", "Linked to a release"),
    ("blur", "Blurred on export"),
    ("not_a_person", "Not a person"),
)


def groups_text(status: workflow.ReviewStatus) -> str:
    """The faces grouped by state, each group with its count and numbers, one group a line."""
    by_state: dict[str, list[int]] = {}
    for face in status.state.faces:
        by_state.setdefault(face_state(face, status), []).append(face.n)
    lines = [
        f"{words} ({len(by_state[state])}): {number_ranges(by_state[state])}"
        for state, words in GROUPS
        if by_state.get(state)
    ]
    return "\n".join(lines)


def help_html(rows: list[tuple[str, str]]) -> str:
    """The keyboard help as one wrapping line of key caps and what they do."""
    cap = "<span style='background:#E8EDEE; color:#212B32; font-weight:700'>&nbsp;{}&nbsp;</span>"
    return " &nbsp;&nbsp; ".join(
        f"<span style='white-space:nowrap'>{cap.format(escape(keys))}&nbsp;{escape(what)}</span>"
        for keys, what in rows
    )


class ReviewPanel(QWidget):
    """Summary, the list of faces and findings (selection = highlighted box), clearance, help."""

    selected = Signal(object)  # ("face", n), ("finding", n) or None: the row with the keyboard focus
    selection_changed = Signal(object)  # every key selected ([] for none), for the photo's boxes

    def __init__(self, parent: QWidget | None = None, *, actions: QLayout | None = None) -> None:
        """`actions`: the buttons for the decisions, shown (and reached by Tab) after the list."""
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.labels = channel_labels()
        self.summary = text_label("", name="reviewSummary")
        self.summary.setAccessibleName("Summary")
        self.takedown = text_label("", name="takedownBanner")  # above everything else while it must
        self.takedown.setAccessibleName("Take down")
        self.takedown.hide()
        self.groups = text_label("", "hint", name="faceGroups")
        self.groups.setAccessibleName("Faces by state")
        self._build_items()
        # the check's limits, under the list's title: an empty list must never read as "nothing here"
        self.look = text_label(policy.look_yourself(), "hint", name="lookYourself")
        self.clearance = text_label("", name="clearance")
        self.clearance.setTextFormat(Qt.TextFormat.RichText)
        self.clearance.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.clearance.setAccessibleName("Clearance per channel")
        self.layout_ = spacing.vbox(self, spacing.NONE, 8)
        lists = text_label("Faces and findings", "sectionTitle")
        for widget in (self.takedown, self.summary, self.groups, lists, self.look):
            self.layout_.addWidget(widget)
        self.layout_.addWidget(self.items, 3)
        self.actions_row = QVBoxLayout()
        if actions is not None:
            self.actions_row.addLayout(actions)
        self.layout_.addLayout(self.actions_row)
        self.layout_.addWidget(text_label("Clearance", "sectionTitle"))
        self.clearance_scroll = scroll_area(self.clearance, "Clearance per channel")
        self.clearance_scroll.setObjectName("clearanceScroll")
        self.layout_.addWidget(self.clearance_scroll, 2)

    def _build_items(self) -> None:
        """One row per face and finding; several rows may be selected (a crowd's bulk decisions)."""
        self.items = QListWidget()
        self.items.setObjectName("reviewItems")
        self.items.setAccessibleName("Faces and findings")
        # Shift/Ctrl with the arrows, Space or the mouse select several faces (a crowd's bulk decisions)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.items.setWordWrap(True)
        self.items.setTextElideMode(Qt.TextElideMode.ElideNone)
        # rows wrap to the list's width, whatever width the splitter gives it: never a sideways scroll
        self.items.setResizeMode(QListView.ResizeMode.Adjust)
        self.items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.items.setMinimumHeight((self.fontMetrics().height() + 18) * 5)
        self.items.currentItemChanged.connect(self._current_changed)
        self.items.itemSelectionChanged.connect(lambda: self.selection_changed.emit(self.selected_keys()))

    # --- showing ----------------------------------------------------------------------------------

    def show_status(self, status: workflow.ReviewStatus) -> None:
        keep = self.current_key()
        keep_selected = self.selected_keys()
        self.takedown.setText(
            "Take down: " + " ".join(f"{r}." for r in status.takedown) + " Press T to record it once done."
            if status.takedown
            else ""
        )
        self.takedown.setVisible(bool(status.takedown))
        self.summary.setText(status.summary)
        self.look.setText(policy.look_yourself(is_clip_path(status.image.path)))
        self.groups.setText(groups_text(status))
        self.groups.setVisible(bool(status.state.faces))
        needs = status.blockers.total > 0
        self.summary.setProperty("state", "attention" if needs else "clear")
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self.items.blockSignals(True)
        self.items.clear()
        rows = [(("face", f.n), *face_row(f, status), face_state(f, status)) for f in status.state.faces]
        rows += [(("finding", f.n), *finding_row(f), status.finding_state(f)) for f in status.state.findings]
        for key, text, attention, state in rows:
            item = QListWidgetItem(text)
            item.setData(KEY_ROLE, key)
            item.setData(NEEDS_ROLE, attention)
            item.setData(STATE_ROLE, state)
            item.setForeground(QColor(RED) if attention else QColor("#212B32"))
            item.setData(
                Qt.ItemDataRole.DecorationRole, STATE_COLOURS.get(state, STATE_COLOURS["unresolved"])
            )
            self.items.addItem(item)
        if not rows:
            empty = QListWidgetItem(
                f"No faces or findings detected in this {item_word(is_clip_path(status.image.path))}"
            )
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.items.addItem(empty)
        self.items.blockSignals(False)
        if status.state.rejected:
            why = f": {status.state.rejection_reason}" if status.state.rejection_reason else ""
            self.clearance.setText(f"<p style='color:{RED}'><b>Rejected{escape(why)}</b></p>")
        else:
            self.clearance.setText(clearance_html(status, self.labels))
        if keep is not None:
            self.select_key(keep, emit=False)
        if len(keep_selected) > 1:  # a crowd's selection outlives the decision made on it
            self.items.blockSignals(True)
            self.select_keys(keep_selected, "replace")
            if keep is not None:
                self.select_keys([keep], "add")  # the focused row stays the focused row
            self.items.blockSignals(False)

    def clear(self, text: str) -> None:
        """Nothing of another photo may stay on screen: while this one's review is read, or when it
        cannot be, the panel says so and shows no clearance."""
        self.takedown.hide()
        self.groups.hide()
        self.summary.setText(text)
        self.summary.setProperty("state", "attention")
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self.items.blockSignals(True)
        self.items.clear()
        self.items.blockSignals(False)
        self.clearance.setText("")

    # --- selection --------------------------------------------------------------------------------

    def rows(self) -> list[QListWidgetItem]:
        return [self.items.item(i) for i in range(self.items.count())]

    def current_key(self) -> tuple[str, int] | None:
        item = self.items.currentItem()
        key = item.data(KEY_ROLE) if item is not None else None
        return tuple(key) if key else None

    def selected_keys(self) -> list[tuple[str, int]]:
        """The rows selected, in list order; the focused row alone when none is selected."""
        keys = [tuple(item.data(KEY_ROLE)) for item in self.rows() if item.isSelected() and item.data(KEY_ROLE)]
        if not keys and self.current_key() is not None:
            keys = [self.current_key()]
        return keys

    def select_keys(self, keys: list[tuple[str, int]], mode: str = "replace") -> None:
        """Select these rows: instead of the selection ("replace"), added to it ("add"), or each switched
        ("toggle"); the last becomes the focused row (the photo's boxes follow)."""
        wanted = {tuple(k) for k in keys}
        model = self.items.selectionModel()
        last = None
        if mode == "replace":
            self.items.clearSelection()
        for row, item in enumerate(self.rows()):
            key = item.data(KEY_ROLE)
            if key and tuple(key) in wanted:
                flag = QItemSelectionModel.SelectionFlag.Toggle if mode == "toggle" else QItemSelectionModel.SelectionFlag.Select
                model.select(self.items.model().index(row, 0), flag)
                last = row
        if last is not None:
            model.setCurrentIndex(self.items.model().index(last, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.items.scrollToItem(self.items.item(last))

    def select_key(self, key: tuple[str, int] | None, emit: bool = True) -> bool:
        for i, item in enumerate(self.rows()):
            if item.data(KEY_ROLE) and tuple(item.data(KEY_ROLE)) == tuple(key or ()):
                if not emit:
                    self.items.blockSignals(True)
                self.items.setCurrentRow(i)
                self.items.blockSignals(False)
                self.items.scrollToItem(item)
                return True
        return False

    def next_needing(self) -> tuple[str, int] | None:
        """The next row after the current one (wrapping) that still needs a decision."""
        rows = self.rows()
        start = self.items.currentRow()
        for step in range(1, len(rows) + 1):
            item = rows[(start + step) % len(rows)]
            if item.data(NEEDS_ROLE):
                return tuple(item.data(KEY_ROLE))
        return None

    def _current_changed(self, current: QListWidgetItem | None, _previous: object = None) -> None:
        key = current.data(KEY_ROLE) if current is not None else None
        self.selected.emit(tuple(key) if key else None)
