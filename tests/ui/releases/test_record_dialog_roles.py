"""A record's view on a team register shows Withdraw… and the data-protection buttons (Subject access
bundle…, Erase person…) only to the roles allowed them, as the register page does; a desk shows them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.data.lifecycle_fixtures import add_person
from tests.data.team_people import url_for

from consentdesk.core.store import Catalogue
from consentdesk.ui.kit.workers import wait_for_all
from consentdesk.ui.releases.record_dialog import RecordDialog
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.shell.main_window import MainWindow


def shown(view: RecordDialog) -> dict[str, bool]:
    return {
        "pdf": view.pdf_button.isVisibleTo(view),
        "sar": view.sar_button.isVisibleTo(view),
        "withdraw": view.withdraw_button.isVisibleTo(view),
        "erase": view.erase_button.isVisibleTo(view),
    }


EXPECTED = {
    "pat": {"pdf": True, "sar": False, "withdraw": False, "erase": False},
    "rita": {"pdf": True, "sar": False, "withdraw": True, "erase": False},
    "dora": {"pdf": True, "sar": True, "withdraw": True, "erase": True},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_record_view_shows_each_role_its_own_buttons(qtbot, team_register, name):
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Viewed Person")
    win = MainWindow(Catalogue.open(url_for(team_register, name), create=False))
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: hasattr(win, "roles"), timeout=10_000)
        register = win.page(RegisterPage)
        assert register.sar_action.isVisible() is EXPECTED[name]["sar"]
        assert register.erase_action.isVisible() is EXPECTED[name]["erase"]
        assert register.withdraw_button.isVisibleTo(win) is EXPECTED[name]["withdraw"]
        view = RecordDialog(win.catalogue, win.catalogue.get_consent(person.id), register)
        qtbot.addWidget(view)
        assert shown(view) == EXPECTED[name]
        view._render()  # drawn again (as after a withdrawal): still by role
        assert shown(view) == EXPECTED[name]
    finally:
        win.close()
        wait_for_all(10_000)
        win.change_watcher.stop()
        win.catalogue.close()


def test_a_record_view_outside_a_window_asks_the_server_for_the_roles(qtbot, team_register):
    with Catalogue.open(url_for(team_register, "pat"), create=False) as pat:
        person = add_person(pat, "Viewed Alone")
        view = RecordDialog(pat, pat.get_consent(person.id))
        qtbot.addWidget(view)
        assert shown(view) == EXPECTED["pat"]  # nothing role-bound shown before the server answers
        wait_for_all(10_000)
        qtbot.wait(50)  # the answer's callback runs on the GUI thread
        assert shown(view) == EXPECTED["pat"]
    with Catalogue.open(url_for(team_register, "dora"), create=False) as dora:
        view = RecordDialog(dora, dora.get_consent(person.id))
        qtbot.addWidget(view)
        qtbot.waitUntil(lambda: shown(view) == EXPECTED["dora"], timeout=10_000)
        wait_for_all(10_000)


def test_a_desk_catalogue_shows_every_button(qtbot, tmp_path: Path):
    with Catalogue.open(tmp_path / "desk.sqlite") as cat:
        person = add_person(cat, "Desk Person")
        view = RecordDialog(cat, cat.get_consent(person.id))
        qtbot.addWidget(view)
        assert shown(view) == EXPECTED["dora"]
        wait_for_all(10_000)
