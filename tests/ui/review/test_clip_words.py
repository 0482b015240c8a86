"""A clip is called a clip and its faces people, in the review's messages and dialogs, as photos keep theirs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from tests.ui.conftest import press
from tests.ui.review.test_clip_review import clip_catalogue, clip_template, open_clip  # noqa: F401 - fixtures

from consentdesk.ui.review.consent_picker import ConsentPicker
from consentdesk.ui.review.reason_dialog import ReasonDialog
from consentdesk.ui.review.review_panel import faces_words


def test_the_review_of_a_clip_says_clip_and_person_never_photo_and_face(qtbot, clip_catalogue):  # noqa: F811
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    assert screen.item == "clip"
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: screen.is_settled() and "blurred" in screen.message.text(), timeout=10_000)
    assert screen.message.text() == "Person 2 will be blurred on export."
    press(qtbot, Qt.Key.Key_L)
    picker = screen.dialog
    assert isinstance(picker, ConsentPicker)
    assert picker.windowTitle() == "Link person 2 to a release" and picker.link_button.text() == "Link person 2"
    texts = " ".join(w.text() for w in picker.findChildren(type(screen.message)))
    assert "Person 2 in this clip" in texts and "photo in this" not in texts
    picker.reject()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clip.timeline, timeout=3000)
    press(qtbot, Qt.Key.Key_X)
    dialog = screen.dialog
    assert isinstance(dialog, ReasonDialog) and dialog.windowTitle() == "Reject this clip"
    dialog.reject()
    assert faces_words([3, 4], clip=True) == "People 3 and 4" and faces_words([3, 4]) == "Faces 3 and 4"
