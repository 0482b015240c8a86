"""Running a data-protection job off the GUI thread with a calm "working…" window, and showing the outcome.

A job that needs the catalogue gets it through `in_catalogue`: given the window's `Catalogue`, the job
shares its engine (each thread has its own transaction; connections come from the thread-safe pool, warm,
so a key in the review does not pay for a new, authenticated server connection); given a locator, the job
opens a connection of its own for its whole run (jobs that must not share, such as a backup). SQLite's WAL
mode lets the GUI thread and workers read while one writes.
Jobs go through `workers.run_task`; widgets are touched only in the callbacks, on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from consentdesk.core.store import Catalogue
from consentdesk.core.store.errors import RefusedError
from consentdesk.ui.kit.announce import announce
from consentdesk.ui.kit.dialog import Dialog
from consentdesk.ui.kit.labels import text_label
from consentdesk.ui.kit.progress import Progress
from consentdesk.ui.kit.workers import TaskControl, run_task


class BusyDialog(Dialog):
    """A window-modal "working…" note with a progress bar; it closes itself when the job ends.

    The bar is busy (indeterminate) until the job reports a fraction. With `stop` (the sentence shown while
    stopping: what is kept and what is not), the note has a Stop button, also pressed by Escape,
    that calls `on_stop` once: a long job the person may give up on."""

    def __init__(self, parent: QWidget | None, title: str, text: str, stop: str = "") -> None:
        super().__init__(parent, title=title, name="busyDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.label = text_label(text)
        self.progress = Progress(title)  # busy until the job reports a fraction (most core jobs do not)
        self.bar = self.progress.bar
        items: list[QWidget] = [self.label, self.progress]
        self.stop_button: QPushButton | None = None
        self.stopping_text, self.on_stop, self.stopping = stop, None, False
        if stop:
            footer = self.footer()
            self.stop_button = footer.cancel("Stop", self.stop)
            self.stop_button.setAccessibleDescription(stop)
            items.append(footer)
        self.plain(*items, margins=(24, 20, 24, 20))
        self.setMinimumWidth(420)
        self._done = False

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    def set_fraction(self, fraction: float) -> None:
        """Show how much of the job is done (0..1), in the bar and as a percentage in words."""
        self.progress.set_fraction(fraction)

    def stop(self) -> None:
        """Ask the job to stop (once); the note stays until the job has cleaned up and ended."""
        if self._done or self.stopping or self.stop_button is None:
            return
        self.stopping = True
        self.set_text(self.stopping_text)
        announce(self.label, self.stopping_text)
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Stopping…")
        if self.on_stop is not None:
            self.on_stop()

    def finish(self) -> None:
        self._done = True
        self.accept()

    def reject(self) -> None:  # Escape must not hide a job that is still writing; it stops one that may stop
        if self._done:
            super().reject()
        else:
            self.stop()


def in_catalogue(
    where: Catalogue | str, job: Callable[[Catalogue, TaskControl], Any]
) -> Callable[[TaskControl], Any]:
    """Wrap `job(catalogue, control)` to run on a worker with the shared catalogue `where`, or on a
    connection of its own to the catalogue at locator `where`."""

    def run(control: TaskControl) -> Any:
        if isinstance(where, Catalogue):
            return job(where, control)
        with Catalogue.open(where, create=False) as catalogue:
            return job(catalogue, control)

    return run


def run_busy(
    parent: QWidget | None,
    title: str,
    text: str,
    fn: Callable[[TaskControl], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    stop: str = "",
) -> TaskControl:
    """Run `fn` through run_task while a BusyDialog shows `text`; progress values replace the text (a str)
    or move the bar (a fraction, 0..1). With `stop` (the words shown while stopping), the note offers Stop,
    which cancels the task's control: the job sees `control.cancelled` and ends as it sees fit."""
    dialog = BusyDialog(parent, title, text, stop)
    dialog.show()

    def done(result: Any) -> None:
        dialog.finish()
        dialog.deleteLater()
        on_done(result)

    def failed(exc: BaseException) -> None:
        dialog.finish()
        dialog.deleteLater()
        on_error(exc)

    def progressed(value: Any) -> None:
        if isinstance(value, float):
            dialog.set_fraction(value)
        else:
            dialog.set_text(str(value))

    control = run_task(fn, on_done=done, on_error=failed, on_progress=progressed, long=True)
    dialog.on_stop = control.cancel
    return control


def describe_error(exc: BaseException) -> str:
    """A plain sentence for an exception from a job (OSError gets its reason and the file's name), without
    its final full stop: callers embed it ("Not saved: {…}. Try again.") and end the sentence themselves."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        name = Path(exc.filename).name if exc.filename else ""
        text = f"{reason} ({name})" if name else reason
    else:
        text = str(exc) or type(exc).__name__
    return text.rstrip().rstrip(".")


def try_again_advice(exc: BaseException) -> str:
    """What to do after a failed save: check the connection, unless the catalogue refused on purpose (a
    role the person lacks, a rule it enforces), where trying again would change nothing."""
    if isinstance(exc, RefusedError):
        return "Nothing changed."
    return "Nothing changed; check the connection to the catalogue and try again."


def show_message(
    parent: QWidget | None,
    title: str,
    text: str,
    *,
    icon: QMessageBox.Icon = QMessageBox.Icon.Information,
    details: str | None = None,
    folder: Path | None = None,
    folder_button: str = "Show in folder",
) -> QMessageBox:
    """A message box; with `folder`, a button opens it in the file manager."""
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if details:
        box.setInformativeText(details)
    open_button = box.addButton(folder_button, QMessageBox.ButtonRole.ActionRole) if folder else None
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if open_button is not None and box.clickedButton() is open_button and folder is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    return box


def show_problem(parent: QWidget | None, title: str, text: str, details: str | None = None) -> QMessageBox:
    return show_message(parent, title, text, icon=QMessageBox.Icon.Warning, details=details)
