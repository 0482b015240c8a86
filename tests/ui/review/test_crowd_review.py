"""Crowd review with the real widgets: a generated crowd photo of 214 faces behind two people who signed.

Bulk decisions (a keyboard selection in the list, a rubber band on the photo, "Blur everyone not linked"),
tags that stay readable (crowded tags are left out and zooming brings them back; the list names every face)
and the summary that groups the faces by state.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from tests.data.lifecycle_fixtures import add_person, add_photo, decide_face, write_crowd_photo
from tests.ui.conftest import module_catalogue, press, window_on_copy

from consentdesk.core.values import FaceState


def two_signed_in_front_of_a_crowd(cat, folder):
    photo, boxes = write_crowd_photo(folder / "shoot")
    ada, ben = add_person(cat, "Ada Front"), add_person(cat, "Ben Front")
    image_id = add_photo(cat, photo, boxes)
    decide_face(cat, image_id, boxes[0], "linked", ada.id)
    decide_face(cat, image_id, boxes[1], "linked", ben.id)
    return image_id, boxes


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    path, (image_id, boxes) = module_catalogue(tmp_path_factory, "crowd", two_signed_in_front_of_a_crowd)
    return path, image_id, boxes


@pytest.fixture
def review(crowd, tmp_path, qtbot):
    path, image_id, _boxes = crowd
    with window_on_copy(path, tmp_path, qtbot) as win:
        win.open_review(image_id, [image_id])
        view = win.review_view
        qtbot.waitUntil(lambda: view.status is not None and not view.preview.isNull(), timeout=20_000)
        yield win, view


def face_states(view) -> dict[int, FaceState]:
    return {f.n: f.state for f in view.status.state.faces}


def test_a_crowd_is_counted_grouped_by_state_and_every_face_is_in_the_list(review):
    _win, view = review
    faces = view.status.state.faces
    assert len(faces) == 214
    assert view.panel.items.count() == 214  # list-first: every face named, whatever the photo's density
    groups = view.panel.groups.text().splitlines()
    linked = [n for n, s in face_states(view).items() if s is FaceState.LINKED]
    assert len(linked) == 2 and any(line.startswith("Linked to a release (2): ") for line in groups)
    assert any(line.startswith("Need a decision (212): ") for line in groups)


def test_shift_arrows_select_several_faces_and_one_key_decides_them_all(review, qtbot):
    _win, view = review
    qtbot.waitUntil(lambda: view.panel.items.hasFocus(), timeout=3000)
    press(qtbot, Qt.Key.Key_N)  # the first face needing a decision
    first = view.panel.current_key()
    for _ in range(4):
        press(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    chosen = [k[1] for k in view.panel.selected_keys()]
    assert len(chosen) == 5 and chosen[0] == first[1]
    assert view.canvas.selected_keys == {("face", n) for n in chosen}  # the boxes follow the list
    press(qtbot, Qt.Key.Key_P)
    states = face_states(view)
    assert all(states[n] is FaceState.NOT_A_PERSON for n in chosen)
    assert view.message.text().startswith(f"Faces {chosen[0]}, ")  # said once, for all of them
    press(qtbot, Qt.Key.Key_U)  # undo: the same faces need a decision again
    assert all(face_states(view)[n] is FaceState.UNRESOLVED for n in chosen)


def test_a_rubber_band_on_the_photo_selects_the_faces_it_covers(review, qtbot):
    _win, view = review
    canvas = view.canvas
    boxes = {o.key: canvas.overlay_rect(o) for o in canvas.overlays}
    row = [k for k in boxes if k[0] == "face" and 3 <= k[1] <= 8]
    area = boxes[row[0]].united(boxes[row[-1]])
    start = (area.topLeft() - QPoint(3, 3)).toPoint()
    end = (area.bottomRight() + QPoint(3, 3)).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start - QPoint(2, 2))
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    picked = {k for k in view.panel.selected_keys()}
    assert set(row) <= picked and all(k[0] == "face" for k in picked)
    assert "selected" in view.message.text()
    # Ctrl+click takes one out again
    one = row[0]
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, boxes[one].center().toPoint())
    assert one not in set(view.panel.selected_keys())


def test_blur_everyone_not_linked_keeps_the_people_who_signed(review, qtbot):
    win, view = review
    qtbot.waitUntil(lambda: view.panel.items.hasFocus(), timeout=3000)
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    states = face_states(view)
    assert sum(s is FaceState.BLUR for s in states.values()) == 212
    assert sum(s is FaceState.LINKED for s in states.values()) == 2
    assert "212 faces" in view.message.text() and "blurred on export" in view.message.text()
    assert any(line.startswith("Blurred on export (212): ") for line in view.panel.groups.text().splitlines())
    entry = win.catalogue.audit_entries(f"image:{view.image_id}")[-1]
    assert entry.action == "review.faces" and len(entry.details["faces"]) == 212  # one action, one entry
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert "nobody is left to blur" in view.message.text()


def test_crowded_tags_give_way_and_zoom_brings_them_back(review, qtbot):
    _win, view = review
    view.window().resize(1400, 900)
    qtbot.wait(100)
    canvas = view.canvas
    canvas.repaint()
    hidden_whole = canvas.hidden_tags
    assert hidden_whole > 0  # at this density some tags would cover others: they are left out
    assert view.crowd_hint.isVisible() and str(hidden_whole) in view.crowd_hint.text()
    assert len(canvas.accessibleDescription().split(", ")) == 214  # every tag, in words, for a screen reader
    qtbot.waitUntil(lambda: view.panel.items.hasFocus(), timeout=3000)
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_Z)  # zoom to the selected face
    assert canvas.zoom > 1
    canvas.repaint()
    assert canvas.hidden_tags < hidden_whole
    press(qtbot, Qt.Key.Key_0)  # the whole photo again
    assert canvas.zoom == 1
