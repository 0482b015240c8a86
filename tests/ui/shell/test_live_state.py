"""Live state on a real team register: the connection said in words, stale errors cleared when the register
answers again, and a decision overridden by another person said with their name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from tests.data.lifecycle_fixtures import add_photo
from tests.ui.conftest import press
from tests.ui.shell.test_team_window import close, open_window

from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, team
from consentdesk.core.values import FaceState
from consentdesk.ui.kit.announce import announcer
from consentdesk.ui.shell import change_watcher

FACES = [[100, 100, 80, 100], [600, 100, 80, 100]]


def photo_on_register(register, tmp_path) -> int:
    _server, _database, admin_url = register
    with Catalogue.open(admin_url) as admin:
        return add_photo(admin, tmp_path / "team.jpg", FACES, sha="f" * 64)


def cut_off(register, name: str, allowed: bool) -> None:
    """The register stops (or starts again) answering `name`: their group may not connect, and their open
    connections are ended, as a server going away does to them."""
    server, database, _ = register
    with server.admin() as conn:
        if allowed:
            conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO consentdesk_reviewer')
        else:
            conn.execute(f'REVOKE CONNECT ON DATABASE "{database}" FROM consentdesk_reviewer')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))


def test_the_connection_is_said_in_words_and_stale_errors_go_when_the_register_is_back(
    qtbot, team_register, tmp_path, monkeypatch
):
    monkeypatch.setattr(change_watcher, "OFFLINE_AFTER_S", 1.0)
    image = photo_on_register(team_register, tmp_path)
    win = open_window(qtbot, team_register, "rita")
    said: list[tuple[str, bool]] = []
    announcer().announced.connect(lambda text, assertive: said.append((text, assertive)))
    try:
        win.change_watcher._timer.setInterval(200)
        label = win.connection_label
        assert label.isVisible() and label.text() == "Team register: connected"
        win.open_review(image, [image])
        view = win.review_view
        qtbot.waitUntil(lambda: view.status is not None and view.is_settled(), timeout=10_000)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is view.panel.items, timeout=3000)

        cut_off(team_register, "rita", allowed=False)
        press(qtbot, Qt.Key.Key_N)
        press(qtbot, Qt.Key.Key_B)  # saved into a register that does not answer
        qtbot.waitUntil(view.is_settled, timeout=20_000)
        assert view.message.property("kind") == "error" and "not saved" in view.message.text()
        qtbot.waitUntil(lambda: label.text() == "Team register: offline", timeout=20_000)
        assert label.property("state") == "offline" and "cannot be reached" in label.toolTip()
        assert any("Offline" in text and assertive for text, assertive in said)

        cut_off(team_register, "rita", allowed=True)
        qtbot.waitUntil(lambda: label.text() == "Team register: connected", timeout=20_000)
        qtbot.waitUntil(lambda: view.message.property("kind") != "error", timeout=20_000)
        assert "answers again" in view.message.text()  # the stale error is gone, and it says why
        assert any(text == "Connected to the team register." for text, _a in said)
    finally:
        cut_off(team_register, "rita", allowed=True)
        close(win)


def test_a_decision_overridden_by_another_person_is_said_with_their_name(qtbot, team_register, tmp_path):
    image = photo_on_register(team_register, tmp_path)
    server, database, admin_url = team_register
    with Catalogue.open(admin_url) as admin:  # a second reviewer, elsewhere
        team.add_user(admin, "sam", "reviewer", "sam-secret-123")
    win = open_window(qtbot, team_register, "rita")
    try:
        win.open_review(image, [image])
        view = win.review_view
        qtbot.waitUntil(lambda: view.status is not None and view.is_settled(), timeout=10_000)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is view.panel.items, timeout=3000)
        press(qtbot, Qt.Key.Key_N)
        press(qtbot, Qt.Key.Key_B)
        assert view.message.text() == "Face 1 will be blurred on export."
        qtbot.waitUntil(lambda: win.change_watcher._seen is not None, timeout=5000)
        with Catalogue.open(server.url(database, user="sam", password="sam-secret-123"), create=False) as sam:
            workflow.set_face(sam, image, 1, FaceState.NOT_A_PERSON)
        win.change_watcher.poll()  # what its timer does every few seconds
        qtbot.waitUntil(lambda: "sam changed face 1" in view.message.text(), timeout=10_000)
        assert "marked not a person" in view.message.text() and "will be blurred" not in view.message.text()
        assert view.status.state.faces[0].state is FaceState.NOT_A_PERSON
        assert view.message.property("kind") == "info"
    finally:
        close(win)
