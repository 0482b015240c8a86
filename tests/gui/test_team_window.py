"""On a team register the window shows each person only what their role may do (the server decides)."""

from __future__ import annotations

from tests.data.team_people import url_for

from consentdesk.core.store import Catalogue
from consentdesk.ui.consent_register import ConsentRegister
from consentdesk.ui.main_window import MainWindow
from consentdesk.ui.workers import wait_for_all


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
    register = photographer.page(ConsentRegister)
    assert photographer.roles == {"photographer"}
    assert photographer.new_action.isVisible() and photographer.scan_forms_action.isVisible()
    assert not register.erase_action.isVisible() and not photographer.backup_action.isVisible()
    assert not register.withdraw_button.isVisibleTo(photographer)
    assert "Signed in as pat (photographer)" in photographer.statusBar().currentMessage()
    close(photographer)

    officer = open_window(qtbot, team_register, "dora")
    register = officer.page(ConsentRegister)
    assert register.erase_action.isVisible() and officer.backup_action.isVisible()
    assert register.withdraw_button.isVisibleTo(officer) and not officer.new_action.isVisible()
    close(officer)
