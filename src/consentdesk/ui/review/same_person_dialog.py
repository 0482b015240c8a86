""""Same person as…": the reviewer says a clip's person track is someone already seen in another track (the
tracker lost them behind a pillar, or at a cut). Nobody is identified by the app; the reviewer decides.

The dialog only picks the other track; the decision itself is `workflow.same_person`, saved by the review
screen like every other decision (in a worker, the status read back, a conflict said).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from consentdesk.ui.kit import spacing
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.review.clip_timeline import Lane, clock


def lane_line(lane: Lane) -> str:
    return f"{lane.title} — {lane.words} — seen {clock(lane.track.first)} to {clock(lane.track.last)}"


class SamePersonDialog(Dialog):
    """Choose the person track that `lane` is the same person as (the other person lanes, in order)."""

    def __init__(self, lane: Lane, others: list[Lane], parent: QWidget | None = None) -> None:
        super().__init__(parent, title=f"{lane.title} is the same person as…", name="samePersonDialog")
        self.chosen: int | None = None
        self.choices = QListWidget()
        self.choices.setObjectName("samePersonChoices")
        self.choices.setAccessibleName("People in this clip")
        self.choices.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for other in others:
            item = QListWidgetItem(lane_line(other))
            item.setData(Qt.ItemDataRole.UserRole, other.key[1])
            self.choices.addItem(item)
        self.choices.setCurrentRow(0)
        self.choices.itemActivated.connect(lambda _item: self.accept())
        prompt = text_label(
            f"{lane_line(lane)}.\nChoose the track this person already has: their decision (link, blur) then "
            "covers both, and they are counted once. Shift+S makes them separate again."
        )
        prompt.setBuddy(self.choices)
        footer = self.footer()
        footer.cancel()
        footer.primary("Same person")
        self.plain(prompt, (self.choices, 1), footer, gap=spacing.GAP)
        self.resize(560, 360)
        self.choices.setFocus()

    def accept(self) -> None:
        item = self.choices.currentItem()
        if item is None:
            return
        self.chosen = int(item.data(Qt.ItemDataRole.UserRole))
        super().accept()
