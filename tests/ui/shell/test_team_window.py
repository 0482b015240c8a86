"""On a team register the window shows each person only what their role may do (the server decides)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton
from tests.data.team_people import url_for

from consentdesk.core.store import Catalogue
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.shell.main_window import MainWindow


def open_window(qtbot, register, name: str) -> MainWindow:
    win = MainWindow(Catalogue.open(url_for(register, name), create=False))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: hasattr(win, "roles"), timeout=10_000)
    return win


def close(win: MainWindow) -> None:
    win.close()
    wait_for_all(10_000)
    win.change_watcher.stop()
    win.catalogue.close()


def test_each_role_sees_its_own_actions(qtbot, team_register):
    photographer = open_window(qtbot, team_register, "pat")
    register = photographer.page(RegisterPage)
    assert photographer.roles == {"photographer"}
    assert photographer.new_action.isVisible() and photographer.scan_forms_action.isVisible()
    assert not register.erase_action.isVisible() and not photographer.backup_action.isVisible()
    assert not register.withdraw_button.isVisibleTo(photographer)
    assert "Signed in as pat (photographer)" in photographer.statusBar().currentMessage()
    close(photographer)

    officer = open_window(qtbot, team_register, "dora")
    register = officer.page(RegisterPage)
    assert register.erase_action.isVisible() and officer.backup_action.isVisible()
    assert register.withdraw_button.isVisibleTo(officer) and not officer.new_action.isVisible()
    close(officer)


def test_the_remembered_register_asks_for_the_password_at_start_and_never_stores_it(
    qtbot, team_register, monkeypatch
):
    from tests.data.team_people import PASSWORDS

    from consentdesk import paths
    from consentdesk.app import open_at_start
    from consentdesk.ui.kit.settings import remember_catalogue, remembered_catalogue
    from consentdesk.ui.shell.team_register_dialog import TeamRegisterDialog

    remember_catalogue(url_for(team_register, "pat"))  # opened with a password last time
    address = remembered_catalogue()
    assert address and PASSWORDS["pat"] not in address
    assert PASSWORDS["pat"] not in (paths.data_dir() / "settings.ini").read_text(encoding="utf-8")

    asked: list[tuple[str, str]] = []

    def type_the_password(dialog: TeamRegisterDialog) -> int:
        asked.append((dialog.error.text(), dialog.focusWidget().accessibleName()))
        if len(asked) == 1:
            dialog.password.setText("not-my-password")  # a slip of the finger first
        else:
            dialog.password.setText(PASSWORDS["pat"])
        dialog._check_and_accept()
        return dialog.result()

    monkeypatch.setattr(TeamRegisterDialog, "exec", type_the_password)
    catalogue = open_at_start(address, named=False)
    try:
        assert catalogue.is_team_register and catalogue.actor == "pat"
    finally:
        catalogue.close()
        wait_for_all(10_000)
    assert "needs your password" in asked[0][0] and asked[0][1] == "Password"
    assert "refused the user name or password" in asked[1][0] and asked[1][1] == "Password"
    assert len(asked) == 2


def test_a_register_out_of_reach_at_start_falls_back_to_this_computers_catalogue(
    qtbot, tmp_path, monkeypatch
):
    from consentdesk import paths
    from consentdesk.app import open_at_start
    from consentdesk.core.store import CatalogueError
    from consentdesk.ui.shell.team_register_dialog import TeamRegisterDialog

    nowhere = f"postgresql://pat@/consentdesk?host={tmp_path / 'no-server'}&port=1"
    said: list[tuple[str, str, list[str]]] = []

    def cancel(dialog: TeamRegisterDialog) -> int:
        buttons = [b.text() for b in dialog.findChildren(QPushButton)]
        said.append((dialog.error.text(), dialog.address.text(), buttons))
        return 0  # Cancel

    monkeypatch.setattr(TeamRegisterDialog, "exec", cancel)
    catalogue = open_at_start(nowhere, named=False)  # remembered from last time: start offline
    try:
        assert not catalogue.is_team_register and catalogue.path == paths.default_catalogue_path()
    finally:
        catalogue.close()
    problem, address, buttons = said[0]
    assert "not answering" in problem and address == nowhere
    assert "Use this computer's catalogue" in buttons  # what Cancel does, in its own words
    with pytest.raises(CatalogueError, match="sign-in cancelled"):  # named for this start: it ends
        open_at_start(nowhere, named=True)
    assert "Quit" in said[1][2]
    wait_for_all(10_000)


def test_a_decision_refused_for_the_role_says_so_without_blaming_the_connection(
    qtbot, team_register, tmp_path
):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QToolButton
    from tests.data.lifecycle_fixtures import add_photo
    from tests.ui.conftest import press

    from consentdesk.core.values import FaceState

    win = open_window(qtbot, team_register, "pat")  # a photographer: imports, never decides
    image = add_photo(win.catalogue, tmp_path / "mine.jpg", [[100, 100, 80, 100]], sha="e" * 64)
    qtbot.waitUntil(lambda: getattr(win, "roles", None) == {"photographer"}, timeout=10_000)
    win.open_review(image, [image])
    view = win.review_view
    qtbot.waitUntil(lambda: view.status is not None and view.is_settled(), timeout=10_000)
    view.panel.items.setFocus()
    press(qtbot, Qt.Key.Key_N)
    # The window mirrors the role: no decision is offered, and it says why (the server decides anyway).
    blur = view.actions_by_name["blur"]
    assert not blur.isEnabled() and not view.findChild(QToolButton, "button_blur").isVisible()
    assert view.role_note.isVisible() and "reviewers" in view.role_note.text()
    assert "blur face on export" not in view.help.text() and "next image" in view.help.text()
    press(qtbot, Qt.Key.Key_B)
    assert view.status.state.faces[0].state is FaceState.UNRESOLVED and "role" not in view.message.text()
    # A decision sent all the same (a client that does not mirror roles) is refused by the server, in words.
    view.set_face(FaceState.BLUR)
    qtbot.waitUntil(view.is_settled, timeout=10_000)
    said = view.message.text()
    assert "needs the reviewer (social media team) role" in said and said.endswith("Nothing changed.")
    assert "connection" not in said and ".." not in said
    close(win)
