"""Take-downs in the real window: an approved photo whose release was withdrawn (or erased) says "Take down"
in words in the Library, the To verify list and the review, until its take-down is recorded there; the
Expiry page keeps listing it after an erasure."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from tests.data.lifecycle_fixtures import add_person, add_photo, approve, decide_face, write_group_photo
from tests.ui.conftest import module_catalogue, press, window_on_copy

from consentdesk.core.protection import erasure
from consentdesk.core.protection.withdrawal import withdraw
from consentdesk.core.review import workflow
from consentdesk.ui.expiry.expiry_page import ExpiryPage
from consentdesk.ui.library.library_page import LibraryPage
from consentdesk.ui.releases.takedown_dialog import RecordTakedownDialog
from consentdesk.ui.review.queue_page import QueuePage


def approved_only(cat, folder):
    photo, faces = write_group_photo(folder / "shoot")
    hannah = add_person(cat, "Hannah Lewis")
    image_id = add_photo(cat, photo, faces)
    decide_face(cat, image_id, faces[0], "linked", hannah.id)
    for box in faces[1:]:
        decide_face(cat, image_id, box, "blur")
    approve(cat, image_id, "AP-7K2Q", ["instagram"], str(folder / "group-instagram.jpg"), [hannah.id])
    return image_id, hannah.id


def approved_then_withdrawn(cat, folder):
    image_id, hannah = approved_only(cat, folder)
    withdraw(cat, hannah, "asked by email")
    return image_id, hannah


@pytest.fixture(scope="module")
def withdrawn(tmp_path_factory):
    """A photo approved for Instagram relying on Hannah's release, which she then withdrew."""
    path, (image_id, hannah) = module_catalogue(tmp_path_factory, "takedown", approved_then_withdrawn)
    return path, image_id, hannah


def show(win, page_class):
    page = win.page(page_class)
    win.show_page(page)
    return page


def test_library_queue_and_review_say_take_down_until_it_is_recorded(withdrawn, tmp_path, qtbot):
    path, image_id, _hannah = withdrawn
    with window_on_copy(path, tmp_path, qtbot) as win:
        library = show(win, LibraryPage)
        qtbot.waitUntil(lambda: bool(library.visible_rows()), timeout=20_000)
        (row,) = library.visible_rows()
        assert row.state == "take_down" and row.needs_attention
        library.select_image(image_id)
        qtbot.waitUntil(lambda: library.takedown_button.isVisible(), timeout=20_000)
        assert library.preview_state.text() == "Take down"  # in words, on its badge
        assert "Approval AP-7K2Q" in library.preview_reasons.text()

        queue = show(win, QueuePage)
        qtbot.waitUntil(queue.is_loaded, timeout=20_000)
        assert queue.image_ids() == [image_id]  # back on the list although it was approved
        assert queue.model.index(0, 3).data().startswith("Take down: 1 approved copy")  # in words

        win.open_review(image_id, [image_id])
        view = win.review_view
        qtbot.waitUntil(lambda: view.status is not None, timeout=20_000)
        assert view.badge.text() == "Take down" and view.badge.isVisible()
        assert view.panel.takedown.isVisible() and "AP-7K2Q" in view.panel.takedown.text()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is view.panel.items, timeout=3000)
        press(qtbot, Qt.Key.Key_T)
        dialog = view.dialog
        assert isinstance(dialog, RecordTakedownDialog)
        assert dialog.boxes["AP-7K2Q"].isChecked()  # the copy that must come down is ticked
        dialog.record_button.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.record_button, timeout=3000)
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: view.dialog is None, timeout=20_000)
        qtbot.waitUntil(lambda: view.status is not None and not view.status.takedown, timeout=20_000)
        assert view.badge.text() == "Needs attention" and not view.panel.takedown.isVisible()
        assert "Take-down recorded for 1 approved copy." in view.message.text()
        (approval,) = win.catalogue.review_approvals(image_id)
        assert not approval.live and approval.taken_down.recorded_by == win.catalogue.actor


def test_after_an_erasure_the_expiry_page_still_lists_the_photo_to_take_down(withdrawn, tmp_path, qtbot):
    path, image_id, hannah = withdrawn
    with window_on_copy(path, tmp_path, qtbot) as win:
        erasure.erase(win.catalogue, hannah)
        expiry = show(win, ExpiryPage)
        qtbot.waitUntil(expiry.is_loaded, timeout=20_000)
        assert expiry.blocked_model.total == 1
        why = expiry.blocked_model.index(0, 1).data()
        assert f"{hannah} erased" in why and "Take down approval AP-7K2Q" in why
        assert workflow.status(win.catalogue, image_id).badge().words == "Take down"
        library = show(win, LibraryPage)
        qtbot.waitUntil(lambda: bool(library.visible_rows()), timeout=20_000)
        assert library.visible_rows()[0].state == "take_down"  # not "Rejected": the post is still out there


def test_a_release_withdrawn_elsewhere_turns_the_selected_preview_to_take_down(tmp_path_factory, tmp_path, qtbot):
    """The photo selected in the Library is read again when its row changed elsewhere: its badge, reasons
    and Record take-down… follow, not only its thumbnail."""
    from consentdesk.core.store import Catalogue

    path, (image_id, hannah) = module_catalogue(tmp_path_factory, "approved", approved_only)
    with window_on_copy(path, tmp_path, qtbot) as win:
        library = show(win, LibraryPage)
        qtbot.waitUntil(lambda: bool(library.visible_rows()), timeout=20_000)
        library.select_image(image_id)
        qtbot.waitUntil(lambda: library.preview_state.text() == "Approved", timeout=20_000)
        with Catalogue.open(win.catalogue.locator) as elsewhere:  # another window, another connection
            withdraw(elsewhere, hannah, "asked by email")
        win.change_watcher.poll()  # what its timer does every few seconds
        qtbot.waitUntil(lambda: "Approval AP-7K2Q" in library.preview_reasons.text(), timeout=20_000)
        assert library.preview_state.text() == "Take down" and library.takedown_button.isVisible()
        assert library.selected_image_id() == image_id  # the selection stays where it was


def test_a_preview_read_before_a_change_elsewhere_is_read_again(tmp_path_factory, tmp_path, qtbot, monkeypatch):
    """The race two windows showed: the preview of the photo just selected was read before the release was
    withdrawn elsewhere and arrives after the grid was read again; it must not stay saying "Approved"."""
    import threading

    from consentdesk.core.store import Catalogue
    from consentdesk.ui.library import library_page

    path, (image_id, hannah) = module_catalogue(tmp_path_factory, "approved-race", approved_only)
    read, go = threading.Event(), threading.Event()
    real = library_page.preview_for

    def slow_first_preview(*args):
        data = real(*args)
        if not read.is_set():  # the first preview: read now, arrives only once the test says so
            read.set()
            go.wait(30)
        return data

    with window_on_copy(path, tmp_path, qtbot) as win:
        library = show(win, LibraryPage)
        qtbot.waitUntil(lambda: bool(library.visible_rows()), timeout=20_000)
        monkeypatch.setattr(library_page, "preview_for", slow_first_preview)
        library.select_image(image_id)
        qtbot.waitUntil(read.is_set, timeout=20_000)
        with Catalogue.open(win.catalogue.locator) as elsewhere:
            withdraw(elsewhere, hannah, "asked by email")
        win.change_watcher.poll()
        qtbot.waitUntil(lambda: library.visible_rows()[0].state == "take_down", timeout=20_000)
        go.set()
        qtbot.waitUntil(lambda: "Approval AP-7K2Q" in library.preview_reasons.text(), timeout=20_000)
        assert library.preview_state.text() == "Take down" and library.takedown_button.isVisible()
