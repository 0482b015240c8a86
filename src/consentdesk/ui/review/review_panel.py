"""The side panel of the review view: the plain summary, one row per face and finding with its state,
the clearance per channel and the keyboard help.

It only words what `core.review.status` returns; every rule (what clears, what blocks) stays in core.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from consentdesk.core.forms import load_form
from consentdesk.core.review import policy, workflow
from consentdesk.core.values import FaceReview, FaceState, FindingReview, FindingState
from consentdesk.ui.kit.image_canvas import STATE_COLOURS, Overlay

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # ("face", n) or ("finding", n)
NEEDS_ROLE = Qt.ItemDataRole.UserRole + 2  # True when the row still needs the reviewer
STATE_ROLE = Qt.ItemDataRole.UserRole + 3

GREEN, RED = "#007F3B", "#D5281B"


def channel_labels() -> dict[str, str]:
    return {c.id: c.label for c in load_form(workflow.CURRENT_FORM).channels}


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def face_row(face: FaceReview, status: workflow.ReviewStatus) -> tuple[str, bool]:
    """The row text for a face and whether it still needs the reviewer."""
    if face.state is FaceState.LINKED:
        consent = status.consents.get(face.consent_id or "")
        if consent is None:
            return f"Face {face.n} — linked to {face.consent_id}, which is not in the register", True
        text = f"Face {face.n} — linked to {consent.id} · {consent.full_name}"
        warning = workflow.consent_warning(consent, status.on)
        return (text + f"\n⚠ {capitalise(warning)}", True) if warning else (text, False)
    if face.state is FaceState.BLUR:
        return f"Face {face.n} — blur on export", False
    if face.state is FaceState.NOT_A_PERSON:
        return f"Face {face.n} — not a person", False
    return f"Face {face.n} — needs a decision", True


def face_state(face: FaceReview, status: workflow.ReviewStatus) -> str:
    """The state a face is drawn in: a link whose release no longer clears the photo (withdrawn, expired,
    unsigned…) is not shown as settled, in the list or on the photo."""
    if face.state is FaceState.LINKED and face_row(face, status)[1]:
        return "linked_invalid"
    return str(face.state)


def finding_row(finding: FindingReview) -> tuple[str, bool]:
    what = capitalise(f"{policy.kind_words(finding.kind)} {finding.text}".strip())
    blocking = finding.severity in policy.BLOCKING_SEVERITIES
    if finding.state is FindingState.REDACT:
        state = "redact on export"
    elif finding.state is FindingState.DISMISSED:
        state = f"dismissed: {finding.reason}" if finding.reason else "dismissed"
    else:
        state = "unresolved" if blocking else "for information (does not block)"
    return f"Finding {finding.n} — {what} — {state}", finding.state is FindingState.UNRESOLVED and blocking


def overlays(status: workflow.ReviewStatus) -> list[Overlay]:
    """The numbered boxes for the canvas: faces "1", "2"…, findings "F1", "F2"…"""
    boxes = [
        Overlay(("face", f.n), f.box.x, f.box.y, f.box.w, f.box.h, str(f.n), face_state(f, status))
        for f in status.state.faces
    ]
    boxes += [
        Overlay(("finding", f.n), f.box.x, f.box.y, f.box.w, f.box.h, f"F{f.n}", str(f.state))
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


def help_html(rows: list[tuple[str, str]]) -> str:
    """The keyboard help as one wrapping line of key caps and what they do."""
    cap = "<span style='background:#E8EDEE; color:#212B32; font-weight:700'>&nbsp;{}&nbsp;</span>"
    return " &nbsp;&nbsp; ".join(
        f"<span style='white-space:nowrap'>{cap.format(escape(keys))}&nbsp;{escape(what)}</span>"
        for keys, what in rows
    )


class ReviewPanel(QWidget):
    """Summary, the list of faces and findings (selection = highlighted box), clearance, help."""

    selected = Signal(object)  # ("face", n), ("finding", n) or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.labels = channel_labels()
        self.summary = QLabel("")
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary")
        self.items = QListWidget()
        self.items.setObjectName("reviewItems")
        self.items.setAccessibleName("Faces and findings")
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items.setWordWrap(True)
        self.items.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.items.currentItemChanged.connect(self._current_changed)
        self.clearance = QLabel("")
        self.clearance.setObjectName("clearance")
        self.clearance.setWordWrap(True)
        self.clearance.setTextFormat(Qt.TextFormat.RichText)
        self.clearance.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.clearance.setAccessibleName("Clearance per channel")
        items_title = QLabel("Faces and findings")
        items_title.setProperty("role", "sectionTitle")
        clearance_title = QLabel("Clearance")
        clearance_title.setProperty("role", "sectionTitle")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(8)
        self.layout_.addWidget(self.summary)
        self.layout_.addWidget(items_title)
        self.items.setMinimumHeight((self.fontMetrics().height() + 18) * 5)
        self.layout_.addWidget(self.items, 3)
        self.actions_row = QVBoxLayout()
        self.layout_.addLayout(self.actions_row)
        self.layout_.addWidget(clearance_title)
        scroll = QScrollArea()
        scroll.setObjectName("clearanceScroll")
        scroll.setAccessibleName("Clearance per channel")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.clearance)
        self.layout_.addWidget(scroll, 2)

    # --- showing ----------------------------------------------------------------------------------

    def show_status(self, status: workflow.ReviewStatus) -> None:
        keep = self.current_key()
        self.summary.setText(status.summary)
        needs = status.blockers.total > 0
        self.summary.setProperty("state", "attention" if needs else "clear")
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self.items.blockSignals(True)
        self.items.clear()
        rows = [(("face", f.n), *face_row(f, status), face_state(f, status)) for f in status.state.faces]
        rows += [(("finding", f.n), *finding_row(f), str(f.state)) for f in status.state.findings]
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
            empty = QListWidgetItem("No faces or findings detected in this photo")
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

    def clear(self, text: str) -> None:
        """Nothing of another photo may stay on screen: while this one's review is read, or when it
        cannot be, the panel says so and shows no clearance."""
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
