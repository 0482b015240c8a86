"""Another person's change reaches an open window within seconds, on both engines."""

from __future__ import annotations

from datetime import date

from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.store import Catalogue
from consentdesk.ui.shell.change_watcher import ChangeWatcher


def test_a_change_made_elsewhere_is_reported(qtbot, catalogue_locator: str):
    with Catalogue.open(catalogue_locator) as window_side, Catalogue.open(catalogue_locator) as elsewhere:
        person = add_person(window_side, "Watched Person")
        watcher = ChangeWatcher(window_side, interval_ms=100)
        try:
            with qtbot.assertNotEmitted(watcher.changed, wait=400):
                pass  # nothing changed: nothing reported
            elsewhere.withdraw_consent(person.id, date.today(), "asked by phone")
            with qtbot.waitSignal(watcher.changed, timeout=5000) as blocker:
                pass
            (entries,) = blocker.args
            assert [(e.action, e.subject) for e in entries] == [("consent.withdrawn", person.id)]
        finally:
            watcher.stop()
            qtbot.waitUntil(lambda: not watcher._busy, timeout=5000)
            watcher.stop()


def test_the_reviewers_window_sees_a_withdrawal_made_elsewhere(qtbot, catalogue_locator: str, tmp_path):
    """A withdrawal recorded by the data-protection officer (another connection) blocks the photo on the
    reviewer's open review without a restart."""
    from tests.data.lifecycle_fixtures import add_photo

    from consentdesk.core.review import workflow
    from consentdesk.ui.kit.image_canvas import tag_text
    from consentdesk.ui.review.review_panel import STATE_ROLE
    from consentdesk.ui.shell.main_window import MainWindow

    with Catalogue.open(catalogue_locator) as officer:
        person = add_person(officer, "Linked Person")
        image = add_photo(officer, tmp_path / "x.jpg", [[100, 100, 80, 100]], sha="c" * 64)
        workflow.link_face(officer, image, 1, person.id)
        reviewer_side = Catalogue.open(catalogue_locator)
        win = MainWindow(reviewer_side)
        qtbot.addWidget(win)
        win.show()
        win.open_review(image, [image])
        qtbot.waitUntil(lambda: win.review_view.status is not None, timeout=5000)
        assert win.review_view.status.clearances["website"].cleared
        assert [tag_text(o) for o in win.review_view.canvas.overlays] == ["1 ✓"]
        qtbot.waitUntil(lambda: win.change_watcher._seen is not None, timeout=5000)  # its first look
        officer.withdraw_consent(person.id, date.today(), "asked by phone")
        win.change_watcher.poll()  # what its timer does every few seconds
        qtbot.waitUntil(lambda: not win.review_view.status.clearances["website"].cleared, timeout=5000)
        assert any("withdrawn" in reason for reason in win.review_view.status.clearances["website"].reasons)
        qtbot.waitUntil(lambda: win.review_view.is_settled(), timeout=5000)
        # The link stays, but it no longer looks settled: on the photo and in the list, in words too.
        assert [tag_text(o) for o in win.review_view.canvas.overlays] == ["1 !"]
        row = win.review_view.panel.items.item(0)
        assert row.data(STATE_ROLE) == "linked_invalid" and "withdrawn" in row.text()
        win.close()
        from consentdesk.ui.kit.workers import wait_for_all

        wait_for_all(10_000)
        win.change_watcher.stop()
        reviewer_side.close()


def test_a_decision_on_a_stale_review_is_refused_and_the_review_reloads(
    qtbot, catalogue_locator: str, tmp_path
):
    from tests.data.lifecycle_fixtures import add_photo

    from consentdesk.core.review import workflow
    from consentdesk.core.values import FaceState
    from consentdesk.ui.kit.workers import wait_for_all
    from consentdesk.ui.shell.main_window import MainWindow

    with Catalogue.open(catalogue_locator) as colleague:
        image = add_photo(colleague, tmp_path / "x.jpg", [[100, 100, 80, 100]], sha="d" * 64)
        mine = Catalogue.open(catalogue_locator)
        win = MainWindow(mine)
        qtbot.addWidget(win)
        win.show()
        win.open_review(image, [image])
        qtbot.waitUntil(lambda: win.review_view.status is not None, timeout=5000)
        workflow.set_face(colleague, image, 1, FaceState.NOT_A_PERSON)  # a colleague, a moment earlier
        view = win.review_view
        view.panel.select_key(("face", 1))  # still unresolved on this screen
        view.set_face(FaceState.BLUR)  # what B does
        qtbot.waitUntil(view.is_settled, timeout=10_000)
        assert "was just changed" in view.message.text()
        assert view.status.state.faces[0].state is FaceState.NOT_A_PERSON  # reloaded: the colleague's stands
        assert mine.review_state(image).faces[0].state is FaceState.NOT_A_PERSON
        win.close()
        wait_for_all(10_000)
        win.change_watcher.stop()
        mine.close()


def test_a_lost_server_shows_nothing_as_decided_and_the_review_comes_back_by_itself(
    qtbot, pg_server, tmp_path
):
    """The register stops answering mid-review: the next photo shows no decisions and no clearance (not the
    last photo's), every key says why, and the review is read again once the server is back."""
    from PySide6.QtCore import Qt
    from tests.data.lifecycle_fixtures import add_photo
    from tests.ui.conftest import press

    from consentdesk.ui.kit.workers import wait_for_all
    from consentdesk.ui.shell.main_window import MainWindow

    database = pg_server.new_database()
    with Catalogue.open(pg_server.url(database)) as setup:
        first = add_photo(setup, tmp_path / "a.jpg", [], sha="a" * 64)  # nothing in it: cleared everywhere
        second = add_photo(setup, tmp_path / "b.jpg", [[100, 100, 80, 100]], sha="b" * 64)
    catalogue = Catalogue.open(pg_server.url(database))
    win = MainWindow(catalogue)
    qtbot.addWidget(win)
    win.show()
    win.open_review(first, [first, second])
    view = win.review_view
    qtbot.waitUntil(lambda: view.status is not None and view.is_settled(), timeout=10_000)
    assert "Cleared for" in view.panel.clearance.text() or "✓" in view.panel.clearance.text()

    def connections(allowed: bool) -> None:
        with pg_server.admin() as conn:
            conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
                )

    try:
        connections(False)
        view.panel.items.setFocus()
        press(qtbot, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda: view.unreadable != "", timeout=15_000)
        assert view.image_id == second and view.status is None
        assert view.panel.summary.text().startswith("Not known") and view.panel.clearance.text() == ""
        assert view.panel.items.count() == 0 and view.canvas.overlays == []
        assert "tries again" in view.message.text()
        press(qtbot, Qt.Key.Key_A)  # approve: refused with the reason, no dialog
        assert view.dialog is None and "could not be read" in view.message.text()
        press(qtbot, Qt.Key.Key_B)
        assert "could not be read" in view.message.text()  # not "select a face first"
    finally:
        connections(True)
    qtbot.waitUntil(lambda: view.status is not None, timeout=20_000)  # read again on its own
    assert view.image_id == second and view.panel.items.count() == 1
    assert "read again" in view.message.text()
    win.close()
    wait_for_all(10_000)
    win.change_watcher.stop()
    catalogue.close()
