"""Reviewing a clip: the timeline's lanes, the frame one keypress away, decisions on the selected track, the
preview that plays, and approving with progress and cancel, on real widgets.

A builder clip (three people, one walking through, a cut, a patient label) is imported once per module
through the real importer into a SQLite catalogue; each test reviews its own copy.
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from tests.data.clip_builder import ClipSpec, write_clip
from tests.ui.conftest import module_catalogue, press

from consentdesk.core.photos import importer
from consentdesk.core.review import policy, workflow
from consentdesk.core.store import Catalogue
from consentdesk.core.values import FaceState, FindingState
from consentdesk.ui.review.approve_dialog import ApproveDialog
from consentdesk.ui.review.clip_review import ClipReview
from consentdesk.ui.review.clip_timeline import clock
from consentdesk.ui.review.consent_picker import ConsentPicker
from consentdesk.ui.review.review_screen import ReviewScreen
from consentdesk.ui.review.same_person_dialog import SamePersonDialog


def _one_clip(catalogue, folder):
    shoot = folder / "donor-day-clips"
    shoot.mkdir()
    write_clip(shoot / "reel.mp4", ClipSpec(seconds=6.0))
    report = importer.import_paths(catalogue, [str(shoot)], workers=1)
    assert len(report.added) == 1, report.errors
    return report.added[0]


@pytest.fixture(scope="module")
def clip_template(tmp_path_factory):
    return module_catalogue(tmp_path_factory, "clip-review", _one_clip)


@pytest.fixture
def clip_catalogue(clip_template, tmp_path):
    path, image_id = clip_template
    copy = tmp_path / "catalogue.sqlite"
    shutil.copy(path, copy)
    with Catalogue.open(copy) as catalogue:
        yield catalogue, image_id


def open_clip(qtbot, catalogue, image_id) -> tuple[ReviewScreen, ClipReview]:
    screen = ReviewScreen(catalogue)
    qtbot.addWidget(screen)
    screen.resize(1400, 900)
    screen.show()
    qtbot.waitExposed(screen)
    screen.activateWindow()
    screen.open_images([image_id], image_id)
    clip = screen.clip_review
    qtbot.waitUntil(lambda: clip.clip is not None and clip.frame_t is not None, timeout=20_000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clip.timeline, timeout=5000)
    return screen, clip


def lane_titles(clip: ClipReview) -> list[str]:
    return [lane.title for lane in clip.timeline.lanes]


def test_a_clip_opens_with_one_lane_per_track_its_state_in_words_and_its_first_frame(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    status = workflow.status(catalogue, image_id)
    stored = catalogue.stored_clip(image_id)
    assert screen.left_side.currentWidget() is clip  # the clip view in the photo's place
    people = [f"Person {f.n}" for f in status.state.faces]
    assert len(people) == len(stored.face_tracks) >= 3
    assert lane_titles(clip)[: len(people)] == people  # persons first, then findings
    findings = lane_titles(clip)[len(people) :]
    assert len(findings) == len(status.state.findings) and findings
    assert all(t.startswith("Finding ") and t.endswith(")") for t in findings)  # "Finding 2 (QR code)"
    assert clip.timeline.lanes[0].words == "needs a decision"
    rows = [screen.panel.items.item(i).text() for i in range(screen.panel.items.count())]
    assert "Person 1 — needs a decision" in rows  # a clip's faces are people in the list too
    assert clip.timeline.lanes[0].track.seen_times == stored.face_tracks[0].seen_times
    assert screen.panel.current_key() == ("face", 1)  # lane and row are one selection
    assert clip.time_label.text() == f"0:00.0 / {clock(stored.info.duration)}"
    assert not clip.canvas._image.isNull()
    assert "Person 1" in clip.timeline.accessibleDescription()
    assert screen.panel.summary.text() == status.summary  # counted by core: people are tracks
    assert status.summary.startswith(f"{len(people)} people detected")
    assert screen.panel.look.text() == policy.look_yourself(is_clip=True) and screen.panel.look.isVisible()


def test_arrows_choose_a_lane_and_step_to_its_sightings_with_the_frame_shown(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    seen = catalogue.stored_clip(image_id).face_tracks[1].seen_times
    assert seen[0] > 0  # person 2 walks in after the start

    press(qtbot, Qt.Key.Key_Down)
    assert clip.timeline.current_key() == ("face", 2) == screen.panel.current_key()
    press(qtbot, Qt.Key.Key_Right)
    assert clip.t == pytest.approx(seen[0])
    qtbot.waitUntil(lambda: clip.frame_t == pytest.approx(seen[0]), timeout=10_000)
    assert clip.time_label.text().startswith(clock(seen[0]))
    assert clip.scrubber.value() == int(seen[0] * 1000)
    assert ("face", 2) in [o.key for o in clip.canvas.overlays]  # its box is drawn where it is then
    assert "Person 2 at" in screen.message.text()

    press(qtbot, Qt.Key.Key_Period)
    assert clip.t == pytest.approx(seen[1])
    press(qtbot, Qt.Key.Key_Comma)
    press(qtbot, Qt.Key.Key_Left)
    assert clip.t == pytest.approx(seen[0])  # nothing before the first sighting: it stays
    assert "not seen earlier" in screen.message.text()
    press(qtbot, Qt.Key.Key_End)
    assert clip.t == pytest.approx(clip.duration)
    press(qtbot, Qt.Key.Key_Home)
    assert clip.t == 0.0
    qtbot.waitUntil(lambda: clip.frame_t == 0.0, timeout=10_000)


def test_a_decision_acts_on_the_selected_track_and_the_summary_follows(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    before = screen.panel.summary.text()
    assert "3 need attention" in before

    press(qtbot, Qt.Key.Key_Down)  # person 2
    press(qtbot, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: screen.is_settled() and clip.timeline.lanes[1].words == "blur on export", timeout=10_000)
    assert workflow.image_state(catalogue, image_id).faces[1].state is FaceState.BLUR
    assert workflow.image_state(catalogue, image_id).faces[0].state is FaceState.UNRESOLVED
    assert screen.panel.summary.text() == workflow.status(catalogue, image_id).summary != before
    assert "2 need attention" in screen.panel.summary.text()
    assert clip.timeline.current_key() == ("face", 2)  # the selection stays on the lane decided
    assert QApplication.focusWidget() is clip.timeline

    press(qtbot, Qt.Key.Key_Down)  # person 3
    press(qtbot, Qt.Key.Key_Down)  # the first finding
    assert clip.timeline.current_key() == ("finding", 1)
    press(qtbot, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: screen.is_settled() and "redact" in clip.timeline.lanes[3].words, timeout=10_000)


def test_space_plays_at_the_clips_pace_and_pauses(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    qtbot.keyClick(clip.timeline, Qt.Key.Key_Space)
    assert clip.play_button.text() == "Pause" and clip.player.playing
    qtbot.waitUntil(lambda: clip.t > 0.6, timeout=10_000)  # the playhead follows the frames shown
    assert clip.frame_t == clip.t
    qtbot.keyClick(clip.timeline, Qt.Key.Key_Space)
    assert clip.play_button.text() == "Play" and not clip.player.playing
    paused_at = clip.t
    qtbot.wait(300)
    assert clip.t == paused_at and "Paused at" in screen.message.text()


def test_playing_stops_at_the_end(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    clip.scrubber.setValue(int((clip.duration - 1.0) * 1000))  # as a drag would
    assert clip.t == pytest.approx(clip.duration - 1.0)
    clip.play_button.click()
    with qtbot.waitSignal(clip.player.stopped, timeout=10_000):
        pass
    assert clip.play_button.text() == "Play"
    assert clip.t > clip.duration - 0.2
    assert "the end of the clip" in screen.message.text()


def test_leaving_the_clip_stops_playing(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    clip.play_button.click()
    assert clip.player.playing
    screen.hide()
    assert not clip.player.playing


def resolve_everything(catalogue, image_id) -> None:
    state = workflow.image_state(catalogue, image_id)
    for face in state.faces:
        workflow.set_face(catalogue, image_id, face.n, FaceState.BLUR)
    for finding in state.findings:
        workflow.set_finding(catalogue, image_id, finding.n, FindingState.REDACT)


def approve_dialog(qtbot, catalogue, image_id, folder) -> ApproveDialog:
    dialog = ApproveDialog(catalogue, image_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
    dialog.set_folder(folder)
    box = next(b for b in dialog.boxes.values() if b.isEnabled())
    box.setChecked(True)
    return dialog


def test_approving_a_clip_shows_the_export_progress(qtbot, clip_catalogue, tmp_path):
    catalogue, image_id = clip_catalogue
    resolve_everything(catalogue, image_id)
    dialog = approve_dialog(qtbot, catalogue, image_id, tmp_path / "out")
    (tmp_path / "out").mkdir()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and dialog.progress.isVisible() and dialog.cancel_button.text() == "Stop export"
    said: list[str] = []
    dialog.progress.bar.valueChanged.connect(lambda _v: said.append(dialog.progress.text()))
    qtbot.waitUntil(lambda: dialog.progress.value() > 0 or dialog.result_ is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    assert said and said[-1].endswith("% written")  # in words beside the bar, never over its fill
    assert dialog.result_ is not None, dialog.error
    assert dialog.result_.path.suffix == ".mp4" and dialog.result_.path.is_file()
    assert not dialog.progress.isVisible() and dialog.cancel_button.text() == "Close"


def test_stopping_a_clip_export_leaves_nothing_and_approves_nothing(qtbot, clip_catalogue, tmp_path):
    catalogue, image_id = clip_catalogue
    resolve_everything(catalogue, image_id)
    out = tmp_path / "out"
    out.mkdir()
    dialog = approve_dialog(qtbot, catalogue, image_id, out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=30_000)  # under way
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Escape (or Stop export) stops it; the dialog stays
    assert dialog.isVisible() and "Stopping the export" in dialog.message.text()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.result_ is None and dialog.error.startswith("Export stopped")
    assert list(out.iterdir()) == []
    assert catalogue.review_approvals(image_id) == []
    assert dialog.cancel_button.isEnabled() and dialog.cancel_button.text() == "Cancel"


def test_same_person_as_joins_two_tracks_and_they_are_counted_once(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    assert screen.panel.summary.text().startswith("3 people detected")
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Down)  # person 3, after the cut
    press(qtbot, Qt.Key.Key_S)
    dialog = screen.dialog
    assert isinstance(dialog, SamePersonDialog)
    assert [dialog.choices.item(i).text().split(" — ")[0] for i in range(dialog.choices.count())] == [
        "Person 1",
        "Person 2",
    ]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.choices, timeout=3000)
    press(qtbot, Qt.Key.Key_Return)  # Person 1
    qtbot.waitUntil(lambda: screen.is_settled() and clip.timeline.lanes[2].same_as == 1, timeout=10_000)
    assert clip.timeline.lanes[2].words.startswith("same person as 1, ")
    rows = [screen.panel.items.item(i).text() for i in range(screen.panel.items.count())]
    assert any(r.startswith("Person 3 — same person as 1, ") for r in rows), rows  # the list says it too
    assert workflow.image_state(catalogue, image_id).faces[2].same_as == 1
    assert screen.panel.summary.text().startswith("2 people detected")  # core counts people, not tracks

    # the dialog closed: the keys are the timeline's again
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clip.timeline, timeout=3000)
    assert clip.timeline.current_key() == ("face", 3)
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: screen.is_settled() and clip.timeline.lanes[2].same_as is None, timeout=10_000)
    assert screen.panel.summary.text().startswith("3 people detected")
    assert "separate person again" in screen.message.text()


def test_link_offers_the_person_as_seen_on_the_frame_shown(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    seen = catalogue.stored_clip(image_id).face_tracks[1].seen_times
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: clip.frame_t == pytest.approx(seen[0]), timeout=10_000)
    crop = clip.face_crop(2)
    assert crop is not None and 10 < crop.width() < clip.frame.width() / 2
    assert clip.face_crop(3) is None  # person 3 only appears after the cut
    press(qtbot, Qt.Key.Key_L)
    assert isinstance(screen.dialog, ConsentPicker) and screen.dialog.face_n == 2
    screen.dialog.reject()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clip.timeline, timeout=3000)
    press(qtbot, Qt.Key.Key_Right)  # arrows still step through person 2's sightings
    assert clip.t == pytest.approx(seen[1])


def test_n_goes_to_the_next_track_to_decide_and_the_timeline_keeps_the_keys(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    workflow.set_face(catalogue, image_id, 2, FaceState.BLUR)
    screen, clip = open_clip(qtbot, catalogue, image_id)
    seen = catalogue.stored_clip(image_id).face_tracks[2].seen_times
    press(qtbot, Qt.Key.Key_N)  # from person 1: person 2 is decided, person 3 is next
    assert clip.timeline.current_key() == ("face", 3) == screen.panel.current_key()
    assert QApplication.focusWidget() is clip.timeline
    # person 3 is only seen after the cut: the playhead goes there, so the frame shows who is decided
    assert clip.t == pytest.approx(seen[0])
    qtbot.waitUntil(lambda: ("face", 3) in [o.key for o in clip.canvas.overlays], timeout=10_000)
    press(qtbot, Qt.Key.Key_Right)
    assert clip.t == pytest.approx(seen[1])


def test_a_click_on_a_lane_chooses_it_and_moves_the_playhead_and_the_scrubber_takes_keys(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    timeline = clip.timeline
    y = timeline.lane_top(2) + timeline.lane_height() // 2  # person 3
    x = round(timeline.x_of(clip.duration * 0.75))
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert timeline.current_key() == ("face", 3) == screen.panel.current_key()
    assert clip.t == pytest.approx(clip.duration * 0.75, abs=clip.duration / timeline.track_area().width() * 2)
    qtbot.waitUntil(lambda: clip.frame_t == clip.t, timeout=10_000)
    assert ("face", 3) in [o.key for o in clip.canvas.overlays]

    clip.scrubber.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clip.scrubber, timeout=3000)
    before = clip.t
    press(qtbot, Qt.Key.Key_Left)  # a tenth of a second back
    assert clip.t == pytest.approx(before - 0.1, abs=0.002)
    assert clip.time_label.text().startswith(clock(clip.t))


def test_page_keys_on_the_scrubber_jump_a_tenth_of_the_clip_and_stay_on_it(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    step = max(1.0, clip.duration / 10)
    clip.scrubber.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clip.scrubber, timeout=3000)
    press(qtbot, Qt.Key.Key_PageDown)  # not the review's "next image": the scrubber has the focus
    assert clip.t == pytest.approx(step, abs=0.002) and screen.image_id == image_id
    press(qtbot, Qt.Key.Key_PageDown)
    press(qtbot, Qt.Key.Key_PageUp)
    assert clip.t == pytest.approx(step, abs=0.002)
    qtbot.waitUntil(lambda: clip.frame_t == clip.t, timeout=10_000)  # the frame follows
    press(qtbot, Qt.Key.Key_End)
    assert clip.t == pytest.approx(clip.duration, abs=0.002)
    assert "PgUp / PgDn" in clip.help_line.text()


def test_same_person_keys_are_not_offered_to_someone_who_may_only_look(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    actions = {a.objectName(): a for a in clip.shortcuts}
    screen.roles_changed({"photographer"})
    for name in ("clip_same_person", "clip_separate"):
        assert not actions[name].isEnabled() and not actions[name].isVisible()
    assert actions["clip_next"].isEnabled()  # looking keys stay
    assert "same person" not in clip.help_line.text() and "separate" not in clip.help_line.text()
    assert screen.role_note.isVisibleTo(screen) and "for reviewers" in screen.role_note.text()  # why, in words
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_S)
    assert screen.dialog is None or not isinstance(screen.dialog, SamePersonDialog)
    clip.same_person()  # reached another way: told why, nothing asked
    assert "for reviewers" in screen.message.text()

    screen.roles_changed({"reviewer"})
    assert actions["clip_same_person"].isEnabled() and "same person as" in clip.help_line.text()
    screen.open_images([image_id], image_id)  # opening a clip again offers them as the role allows
    qtbot.waitUntil(lambda: actions["clip_separate"].isEnabled(), timeout=20_000)
    screen.roles_changed({"photographer"})
    screen.open_images([image_id], image_id)
    assert not actions["clip_next"].isEnabled()  # nothing of the clip works until it is read again
    qtbot.waitUntil(lambda: screen.status is not None and actions["clip_next"].isEnabled(), timeout=20_000)
    assert not actions["clip_separate"].isEnabled()


def test_the_keyboard_help_of_a_clip_agrees_with_the_clips_own_keys(qtbot, clip_catalogue):
    catalogue, image_id = clip_catalogue
    screen, clip = open_clip(qtbot, catalogue, image_id)
    help_text = screen.help.text()
    assert "PgUp / PgDn" in clip.help_line.text()  # the scrubber's: not "next image" as well
    assert "PgDown" not in help_text and "PgUp" not in help_text and "zoom" not in help_text, help_text
    assert "J" in help_text and "next image" in help_text and "blur person on export" in help_text
    assert "blur face" not in help_text
    screen.roles_changed({"photographer"})  # a role change keeps the clip's help
    assert "PgDown" not in screen.help.text() and "blur person" not in screen.help.text()


def test_a_lane_gives_a_dismissal_reason_whole_even_when_it_holds_a_dash(qtbot, clip_catalogue):
    """The lane words come from the panel's own words, not from cutting its row text at " — "."""
    catalogue, image_id = clip_catalogue
    reason = "Our own poster — approved for use by comms"
    workflow.set_finding(catalogue, image_id, 1, FindingState.DISMISSED, reason=reason)
    screen, clip = open_clip(qtbot, catalogue, image_id)
    lane = next(lane for lane in clip.timeline.lanes if lane.key == ("finding", 1))
    assert lane.words == f"dismissed: {reason}"
    rows = [screen.panel.items.item(i).text() for i in range(screen.panel.items.count())]
    assert any(row.startswith("Finding 1 — ") and row.endswith(f" — dismissed: {reason}") for row in rows)
