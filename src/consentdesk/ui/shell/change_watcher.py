"""Other people's changes reaching an open window within a few seconds.

Every change to a catalogue appends an audit entry, so watching the chain's head is enough: every few
seconds a worker reads the newest sequence number (one indexed row) and, when it moved, the entries since
(ids and actions only). Works the same on a desk file shared by two windows and on a team register; no
server push is needed and a network hiccup only delays the next look.

The same looks tell how the connection is: `connection_changed(state)` with "connected", "reconnecting"
(a look failed; the next ones keep trying) or "offline" (looks have failed for `OFFLINE_AFTER_S`
seconds). The window says it in words, and when the catalogue is back it reads again what it shows.
"""

from __future__ import annotations

import contextlib
import time

from PySide6.QtCore import QObject, QTimer, Signal

from consentdesk.core.store import Catalogue
from consentdesk.core.store.audit_chain import AuditEntry
from consentdesk.ui.kit.workers import run_task

DEFAULT_INTERVAL_MS = 3000
#: After this long without a successful look the catalogue counts as offline, not just reconnecting.
OFFLINE_AFTER_S = 10.0
CONNECTED, RECONNECTING, OFFLINE = "connected", "reconnecting", "offline"


class ChangeWatcher(QObject):
    """Emits `changed(entries)` with the audit entries others (or this window's workers) added."""

    changed = Signal(list)
    connection_changed = Signal(str)  # CONNECTED, RECONNECTING or OFFLINE

    def __init__(
        self, catalogue: Catalogue, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None
    ):
        super().__init__(parent)
        self._locator = catalogue.locator
        self._seen: int | None = None  # read by the first look, in a worker: nothing at start-up
        self._busy = False
        self._own: Catalogue | None = None  # the watcher's own connection, used by one worker at a time
        self.state = CONNECTED
        self._failing_since: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)
        self._timer.start()
        self.poll()  # note where the trail ends now (in a worker), so later looks report what is new

    def watch(self, catalogue: Catalogue) -> None:
        """Follow another catalogue from now on (the window opened a different one)."""
        self._locator = catalogue.locator
        self._seen = None
        self._failing_since = None
        self._set_state(CONNECTED)

    def acknowledge(self, seq: int) -> None:
        """This window made the changes up to `seq` itself and has already shown them."""
        self._seen = max(self._seen or 0, seq)

    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        locator, seen = self._locator, self._seen

        def job(_control) -> tuple[str, int, list[AuditEntry]]:  # noqa: ANN001
            if self._own is None or self._own.locator != locator:
                if self._own is not None:
                    self._own.close()
                self._own = Catalogue.open(locator, create=False)
            head = self._own.audit_head_seq()
            if seen is None or head <= seen:
                return locator, head, []  # the first look only notes where the trail ends
            return locator, head, self._own.audit_page(seen, 500)

        run_task(job, self._arrived, self._failed)

    def _arrived(self, result: tuple[str, int, list[AuditEntry]]) -> None:
        self._busy = False
        locator, head, entries = result
        if locator != self._locator:
            return  # the window moved to another catalogue meanwhile
        self._failing_since = None
        self._set_state(CONNECTED)
        if self._seen is None:
            self._seen = head
        if not entries:
            return
        self._seen = max(self._seen, entries[-1].seq)
        self.changed.emit(entries)

    def _failed(self, _exc: BaseException) -> None:
        self._busy = False  # the server may be back by the next look
        own, self._own = self._own, None  # a connection that failed is not trusted again: the next look
        if own is not None:  # opens a fresh one (closing a dead one may fail too: it is dropped anyway)
            with contextlib.suppress(Exception):
                own.close()
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        self._set_state(OFFLINE if now - self._failing_since >= OFFLINE_AFTER_S else RECONNECTING)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.connection_changed.emit(state)

    def stop(self) -> None:
        """Stop looking (the window closes); the connection closes once no look is under way."""
        self._timer.stop()
        if self._own is not None and not self._busy:
            self._own.close()
            self._own = None
