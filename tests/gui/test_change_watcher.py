"""Another person's change reaches an open window within seconds, on both engines."""

from __future__ import annotations

from datetime import date

from tests.data.lifecycle_fixtures import add_person

from consentdesk.core.store import Catalogue
from consentdesk.ui.change_watcher import ChangeWatcher


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
