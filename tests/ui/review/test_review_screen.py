"""The review view and the "To verify" queue, driven with the keyboard only.

A real photo with three people and a planted NHS number (the acceptance test's builder) is imported
through `core.importer.import_paths` into a real SQLite catalogue with two releases signed today that
permit Instagram. The import runs once per module; each test gets its own copy of the catalogue.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from tests.cli.test_verify_workflow import build_photo
from tests.ui.conftest import EXAMPLES, press, sql_on_the_gui_thread, type_text, window_on_copy

from consentdesk.cli import main as cli
from consentdesk.core.photos import importer
from consentdesk.core.review import policy, workflow
from consentdesk.core.store import Catalogue
from consentdesk.ui.review.approve_dialog import ApproveDialog
from consentdesk.ui.review.consent_picker import ConsentPicker
from consentdesk.ui.review.queue_page import QueuePage
from consentdesk.ui.review.reason_dialog import ReasonDialog
from consentdesk.ui.shell.main_window import MainWindow

NAMES = ("Siân O'Brien-Ærø", "Kwame Mensah")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review-template")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONSENTDESK_HOME", str(folder / "home"))
        shoot = folder / "donor-day-shoot"
        shoot.mkdir()
        build_photo(shoot / "donor-day.jpg")
        path = folder / "catalogue.sqlite"
        consent_ids = []
        for name in NAMES:
            data = json.loads((EXAMPLES / "adult.json").read_text(encoding="utf-8"))
            data["answers"] |= {"full_name": name, "session_date": date.today().isoformat()}
            data["files"] = {k: str(EXAMPLES / v) for k, v in data["files"].items()}
            assert "instagram" in data["answers"]["channels"]
            source = folder / f"{len(consent_ids)}.json"
            source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            assert cli(["--catalog", str(path), "consent", "add", "--json", str(source)]) == 0
        with Catalogue.open(path) as catalogue:
            by_name = {c.full_name: c.id for c in catalogue.list_consents()}
            consent_ids = [by_name[name] for name in NAMES]
            report = importer.import_paths(catalogue, [str(shoot)], workers=1)
    assert len(report.added) == 1
    return path, report.added[0], consent_ids


@pytest.fixture
def window(template, tmp_path, qtbot):
    path, _image_id, _ids = template
    with window_on_copy(path, tmp_path, qtbot) as win:
        yield win


def focus_on(qtbot, widget) -> None:
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=3000)


def queue_page(win: MainWindow) -> QueuePage:
    return next(p for p in win.pages if isinstance(p, QueuePage))


def settle(qtbot, page) -> None:
    """Pages read the catalogue in a worker: wait for the rows of the last load or refresh."""
    qtbot.waitUntil(page.is_loaded, timeout=10_000)


def open_from_queue(qtbot, win: MainWindow) -> None:
    queue = queue_page(win)
    queue.show_action.trigger()  # Ctrl+T
    settle(qtbot, queue)
    focus_on(qtbot, queue.table)
    press(qtbot, Qt.Key.Key_Return)
    assert win.stack.currentWidget() is win.review_view
    focus_on(qtbot, win.review_view.panel.items)
    qtbot.waitUntil(lambda: not win.review_view.preview.isNull(), timeout=10000)


def give_reason(qtbot, view, key, reason: str) -> ReasonDialog:
    """Press the key that asks why (D dismiss, X reject), type the reason and press Enter."""
    press(qtbot, key)
    dialog = view.dialog
    assert isinstance(dialog, ReasonDialog)
    focus_on(qtbot, dialog.reason)
    type_text(qtbot, dialog.reason, reason)
    press(qtbot, Qt.Key.Key_Return)
    return dialog


def summary(win: MainWindow) -> str:
    return win.review_view.panel.summary.text()


def link_with_picker(qtbot, win: MainWindow, text: str) -> None:
    press(qtbot, Qt.Key.Key_L)
    picker = win.review_view.dialog
    assert isinstance(picker, ConsentPicker)
    focus_on(qtbot, picker.search)
    assert picker.list.count() == 2  # both releases signed today are suggested, with the reason why
    whys = [picker.list.item(i).text().splitlines()[1] for i in range(picker.list.count())]
    assert all(w.startswith(("signed on", "linked in")) for w in whys), whys
    assert not picker.face_photo.pixmap().isNull()  # the face crop beside the list, for a human to compare
    assert picker.reference_photo.text() == "No reference photo on this record"  # read in a worker
    type_text(qtbot, picker.search, text)
    press(qtbot, Qt.Key.Key_Return)  # Enter before the debounce fires still searches what was typed
    qtbot.waitUntil(lambda: win.review_view.dialog is None)
    focus_on(qtbot, win.review_view.panel.items)
    assert picker.chosen is not None


def test_keyboard_review_from_queue_to_export(window, template, tmp_path, qtbot):
    win = window
    _path, image_id, consent_ids = template
    queue = queue_page(win)
    assert queue.show_action.shortcut().toString() == "Ctrl+T"
    queue.show_action.trigger()
    settle(qtbot, queue)
    assert queue.image_ids() == [image_id]
    blockers = queue.model.index(0, 3).data()
    assert blockers == "3 faces without consent · 1 NHS number"

    with sql_on_the_gui_thread() as gui_sql:
        result = walk_to_export(qtbot, win, tmp_path, consent_ids)
    assert gui_sql == []  # reading, every decision, the picker and the approval all ran in workers
    exported = result.path
    assert exported.exists() and exported.parent == (tmp_path / "approved").resolve()
    approvals = win.catalogue.review_approvals(image_id)
    assert len(approvals) == 1 and approvals[0].channels == ("instagram",)

    press(qtbot, Qt.Key.Key_Escape)  # back to where the review was opened from
    assert win.stack.currentWidget() is queue
    settle(qtbot, queue)
    assert queue.image_ids() == []  # approved images leave the list
    assert workflow.queue(win.catalogue) == []

    # the folder is remembered for the next approval
    from consentdesk.ui.review.approve_dialog import default_folder

    assert Path(default_folder()) == (tmp_path / "approved").resolve()


def walk_to_export(qtbot, win: MainWindow, tmp_path: Path, consent_ids: list[str]):
    """Keyboard only, from the queue's first photo to its cleaned copy; returns the export's result."""
    open_from_queue(qtbot, win)
    view = win.review_view
    assert summary(win) == "3 people detected, 0 with consent — 3 need attention, 1 finding to resolve"
    # under the list, every time: the findings are what the check saw, not all there is
    assert view.panel.look.isVisible() and view.panel.look.text() == policy.look_yourself()
    assert len(view.canvas.overlays) == len(view.status.state.faces) + len(view.status.state.findings)

    press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("face", 1)
    assert view.canvas.selected_keys == {("face", 1)}  # the row and its box are highlighted together
    assert view.panel.items.currentItem().text() == "Face 1 — needs a decision"
    link_with_picker(qtbot, win, "Brien")
    assert summary(win) == "3 people detected, 1 with consent — 2 need attention, 1 finding to resolve"
    assert view.panel.items.currentItem().text().startswith(f"Face 1 — linked to {consent_ids[0]}")

    press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("face", 2)
    link_with_picker(qtbot, win, "Mensah")
    assert summary(win) == "3 people detected, 2 with consent — 1 needs attention, 1 finding to resolve"
    assert view.status.state.faces[1].consent_id == consent_ids[1]

    press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("face", 3)
    press(qtbot, Qt.Key.Key_B)
    assert (
        summary(win)
        == "3 people detected, 2 with consent, 1 to blur — all people accounted for, 1 finding to resolve"
    )
    assert "Face 3 — blur on export" in view.panel.items.currentItem().text()

    press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("finding", 1)
    assert "NHS number" in view.panel.items.currentItem().text()
    assert "✓&nbsp;Instagram" not in view.panel.clearance.text()
    press(qtbot, Qt.Key.Key_R)
    assert "redact on export" in view.panel.items.currentItem().text()
    assert view.status.clearances["instagram"].cleared
    assert "✓&nbsp;Instagram" in view.panel.clearance.text()
    press(qtbot, Qt.Key.Key_N)
    assert "Nothing left to decide" in view.message.text()

    out = tmp_path / "approved"
    out.mkdir()
    press(qtbot, Qt.Key.Key_A)
    dialog = view.dialog
    assert isinstance(dialog, ApproveDialog)
    assert dialog.boxes["instagram"].isEnabled() and not dialog.boxes["youtube"].isEnabled()
    assert dialog.why["youtube"].text() != ""  # a blocked channel says why
    dialog.set_folder(out)
    focus_on(qtbot, dialog.boxes["facebook"])  # the first cleared channel
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.boxes["instagram"]
    press(qtbot, Qt.Key.Key_Space)
    assert dialog.chosen_channels() == ["instagram"]
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result_ is not None or dialog.error is not None, timeout=20000)
    assert dialog.error is None
    assert str(dialog.result_.path) in dialog.message.text() and dialog.show_button.isVisible()
    result = dialog.result_
    focus_on(qtbot, dialog.cancel_button)
    press(qtbot, Qt.Key.Key_Return)  # Close
    qtbot.waitUntil(lambda: view.dialog is None)
    focus_on(qtbot, view.panel.items)
    qtbot.waitUntil(view.is_settled)
    assert "Approved" in view.message.text()
    return result


def test_dismiss_needs_a_reason_and_reject_takes_the_image_off_the_queue(window, template, qtbot):
    win = window
    _path, image_id, _ids = template
    open_from_queue(qtbot, win)
    view = win.review_view

    press(qtbot, Qt.Key.Key_D)  # nothing selected yet: the view says what to do
    assert view.dialog is None and "Select a finding first" in view.message.text()
    for _ in range(4):
        press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("finding", 1)
    press(qtbot, Qt.Key.Key_B)  # a face action on a finding is refused with a plain message
    assert "Select a face first" in view.message.text()

    press(qtbot, Qt.Key.Key_D)
    dialog = view.dialog
    assert isinstance(dialog, ReasonDialog)
    focus_on(qtbot, dialog.reason)
    press(qtbot, Qt.Key.Key_Return)  # empty reason: refused, the dialog stays open and says why
    assert dialog.isVisible() and "reason is required" in dialog.error.text()
    assert view.status.state.findings[0].state == "unresolved"
    type_text(qtbot, dialog.reason, "made-up number on a training poster")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.dialog is None)
    focus_on(qtbot, view.panel.items)
    assert view.status.state.findings[0].state == "dismissed"
    assert "dismissed: made-up number on a training poster" in view.panel.items.currentItem().text()

    press(qtbot, Qt.Key.Key_U)  # undo puts it back
    assert view.status.state.findings[0].state == "unresolved"

    give_reason(qtbot, view, Qt.Key.Key_X, "wristband legible")
    qtbot.waitUntil(lambda: view.dialog is None)
    focus_on(qtbot, view.panel.items)
    assert view.status.state.rejected
    assert "Rejected: wristband legible" in view.panel.clearance.text()
    assert workflow.queue(win.catalogue) == []

    press(qtbot, Qt.Key.Key_PageDown)  # one image in the list: says so, stays put
    assert "last image" in view.message.text() and view.image_id == image_id

    press(qtbot, Qt.Key.Key_X, Qt.KeyboardModifier.ShiftModifier)  # reopen
    assert not view.status.state.rejected
    press(qtbot, Qt.Key.Key_Escape)
    settle(qtbot, queue_page(win))
    assert queue_page(win).image_ids() == [image_id]


def test_next_and_previous_walk_the_list_it_was_opened_from(window, template, tmp_path, qtbot):
    from PIL import Image

    from consentdesk.ui.library.library_page import LibraryPage

    win = window
    _path, first, _ids = template
    second_dir = tmp_path / "second-shoot"
    second_dir.mkdir()
    build_photo(second_dir / "donor-day.jpg")
    with Image.open(second_dir / "donor-day.jpg") as im:  # same scene, different file
        im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(second_dir / "flipped.jpg", quality=85)
    (second_dir / "donor-day.jpg").unlink()
    second = importer.import_paths(win.catalogue, [str(second_dir)], workers=1).added[0]

    win.open_review(first, [second, first])
    view = win.review_view
    focus_on(qtbot, view.panel.items)
    assert view.title.text() == "Loading…"  # the photo's status is read in a worker
    qtbot.waitUntil(view.is_settled)
    assert view.image_id == first and "Image 2 of 2" in view.position.text()
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.image_id == first and "last image" in view.message.text()
    press(qtbot, Qt.Key.Key_K)
    assert view.image_id == second and view.title.text() == "flipped.jpg"
    press(qtbot, Qt.Key.Key_J)
    assert view.image_id == first
    press(qtbot, Qt.Key.Key_PageUp)
    assert view.image_id == second
    qtbot.waitUntil(lambda: not view.preview.isNull(), timeout=10000)

    # opened from the library, the review walks the library's order and Esc goes back there
    library = next(p for p in win.pages if isinstance(p, LibraryPage))
    win.nav.setCurrentRow(win.pages.index(library))
    qtbot.waitUntil(lambda: len(library.visible_rows()) == 2, timeout=10000)
    library.review_requested.emit(second)
    assert win.stack.currentWidget() is view
    qtbot.waitUntil(view.is_settled)
    assert view.image_ids == [r.image_id for r in library.visible_rows()]
    focus_on(qtbot, view.panel.items)
    press(qtbot, Qt.Key.Key_Escape)
    assert win.stack.currentWidget() is library


def test_keys_pressed_while_a_decision_is_saving_wait_for_it_in_order(window, template, qtbot):
    """Another program holds the catalogue's write lock, so saving takes a while: the window keeps
    responding, says it is saving, and the keys typed meanwhile act in order on what that save left."""
    import sqlite3

    win = window
    open_from_queue(qtbot, win)
    view = win.review_view
    press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("face", 1)

    blocker = sqlite3.connect(win.catalogue.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        for key in (Qt.Key.Key_B, Qt.Key.Key_N, Qt.Key.Key_B):  # typed fast, without waiting
            qtbot.keyClick(QApplication.focusWidget(), key)
        qtbot.waitUntil(lambda: "Saving the decision" in view.message.text(), timeout=5000)
        assert not view.is_settled()
        assert view.panel.current_key() == ("face", 1)  # N waits for the blur: it must skip face 1
        assert [f.state for f in view.status.state.faces] == ["unresolved"] * 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    qtbot.waitUntil(view.is_settled, timeout=15_000)
    assert [str(f.state) for f in view.status.state.faces] == ["blur", "blur", "unresolved"]
    assert view.panel.current_key() == ("face", 2)
    assert view.message.text() == "Face 2 will be blurred on export."


def test_a_dismissal_refused_for_a_colleagues_decision_keeps_the_reason_and_shows_theirs(
    window, template, qtbot
):
    from consentdesk.core.values import FindingState

    win = window
    _path, image_id, _ids = template
    open_from_queue(qtbot, win)
    view = win.review_view
    for _ in range(4):
        press(qtbot, Qt.Key.Key_N)
    assert view.panel.current_key() == ("finding", 1)
    with Catalogue.open(win.catalogue.path) as colleague:  # another desk, a moment earlier
        workflow.set_finding(colleague, image_id, 1, FindingState.REDACT)
    dialog = give_reason(qtbot, view, Qt.Key.Key_D, "poster prop")
    assert dialog.isVisible() and "was just changed" in dialog.error.text()
    assert dialog.reason.text() == "poster prop"  # nothing typed is lost
    assert dialog.reason.accessibleDescription() == dialog.error.text()
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.dialog is None)
    qtbot.waitUntil(view.is_settled)
    assert view.status.state.findings[0].state == "redact"  # the colleague's decision, shown
    assert "redact on export" in view.panel.items.currentItem().text()


def test_a_photo_moved_away_says_where_it_was_looked_for_and_its_decisions_stay(window, tmp_path, qtbot):
    win = window
    folder = tmp_path / "memory-card"
    folder.mkdir()
    build_photo(folder / "original.jpg")
    from PIL import Image

    with Image.open(
        folder / "original.jpg"
    ) as im:  # the same scene, another file (the template has the first)
        im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "moved.jpg", quality=85)
    (folder / "original.jpg").unlink()
    image_id = importer.import_paths(win.catalogue, [str(folder)], workers=1).added[0]
    (folder / "moved.jpg").unlink()  # the card went home with the photographer
    win.open_review(image_id, [image_id])
    view = win.review_view
    qtbot.waitUntil(lambda: "not at" in view.canvas._message, timeout=10_000)
    assert "relink" in view.canvas._message and "decisions beside it still apply" in view.canvas._message
    assert view.status is not None and len(view.status.state.faces) == 3  # the review itself still works
