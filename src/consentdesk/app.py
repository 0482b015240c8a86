"""QApplication start-up: environment, catalogue, style, main window.

`run()` never lets a traceback reach the user for problems they can act on: a catalogue that cannot be
opened is explained in a message box and the app exits with code 2.

For tests and screenshots, `CONSENTDESK_QUIT_AFTER_MS=<ms>` quits that long after the main window is
first exposed on screen; "ConsentDesk window shown" is printed to stdout when it is.
"""

from __future__ import annotations

import os
import sys

from consentdesk import APP_NAME, __version__, paths, support_log
from consentdesk.qt_env import prepare_qt_environment

QUIT_AFTER_ENV = "CONSENTDESK_QUIT_AFTER_MS"
SHOWN_LINE = "ConsentDesk window shown"


def _quit_after_ms() -> int | None:
    value = os.environ.get(QUIT_AFTER_ENV, "").strip()
    try:
        return max(0, int(value)) if value else None
    except ValueError:
        return None


def open_at_start(locator: str, named: bool):  # noqa: ANN201 - a Catalogue (Qt is imported late)
    """The catalogue to start on. A team register that wants the person's password, refuses it or cannot
    be reached is not the end: the sign-in asks (again), saying why; cancelling it opens the catalogue on
    this computer when the register was only remembered from last time (a photographer at a mobile session
    without network still starts), and ends the start when it was named (--catalog, CONSENTDESK_CATALOG).
    """
    from consentdesk.core.store import Catalogue, CatalogueError
    from consentdesk.core.store.locator import without_password
    from consentdesk.ui.kit.busy import describe_error
    from consentdesk.ui.shell.sign_in import connect, sign_in

    if not parse_locator(locator).is_server:
        return Catalogue.open(locator)
    outcome = connect(None, locator)  # a "Connecting…" note shows while a distant server answers
    if isinstance(outcome, Catalogue):
        return outcome
    problem = describe_error(outcome)
    text = problem[:1].upper() + problem[1:] + "."
    cancel = "Quit" if named else "Use this computer's catalogue"
    catalogue = sign_in(None, without_password(locator), text, cancel_text=cancel)
    if catalogue is not None:
        return catalogue
    if named:
        raise CatalogueError(f"{problem} (sign-in cancelled)")
    return Catalogue.open(paths.default_catalogue_path())


def parse_locator(locator: str):  # noqa: ANN201 - a Locator
    from consentdesk.core.store.locator import parse

    return parse(locator)


def run(catalog: str | None, qt_args: list[str]) -> int:
    prepare_qt_environment()  # must precede QApplication: see qt_env for the OpenCV plugin trap

    from consentdesk.ui.kit.workers import wait_for_all
    from consentdesk.ui.shell.main_window import MainWindow

    app = _application(qt_args)
    quit_after = _quit_after_ms()
    locator = _locator(catalog)
    catalogue = _catalogue_or_explain(catalog, locator, quit_after)
    if catalogue is None:
        return 2
    window = MainWindow(catalogue)
    if not catalogue.is_team_register and parse_locator(locator).is_server:
        window.statusBar().showMessage(
            "The team register was not opened: this is the catalogue on this computer. "
            "File → Open team register… signs in again.",
            15000,
        )
    watcher = _announce_when_shown(window, app, quit_after)  # noqa: F841 - kept alive while the app runs
    try:
        code = app.exec()
    finally:
        wait_for_all()  # no worker may still be writing when the catalogue closes or Python exits
        window.catalogue.close()
    return int(code)


def _application(qt_args: list[str]):  # noqa: ANN202 - a QApplication (Qt is imported late)
    """The one QApplication, named, with the icon and style, at the scale the desktop asks for."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from consentdesk.ui.kit.style import apply_style

    app = QApplication.instance()
    if app is None:
        # Fractional scaling (125 %, 150 %) as the desktop asks, not rounded to whole pixels.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([sys.argv[0] if sys.argv else APP_NAME, *qt_args])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("consentdesk")
    icon = paths.resources_dir() / "icons" / "consentdesk.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_style(app)
    return app


def _locator(catalog: str | None) -> str:
    from consentdesk.ui.kit.settings import remembered_catalogue

    return paths.catalogue_locator(catalog, remembered_catalogue())


def _catalogue_or_explain(catalog: str | None, locator: str, quit_after: int | None):  # noqa: ANN202 - a Catalogue or None
    """The catalogue to start on, or None after a message box saying why it cannot be opened."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from consentdesk.core.store import CatalogueError

    asked_for = catalog or os.environ.get(paths.CATALOG_ENV)  # named this time, not just remembered
    try:
        return open_at_start(locator, bool(asked_for and asked_for.strip()))
    except CatalogueError as exc:
        print(f"consentdesk: {exc}", file=sys.stderr)
        box = QMessageBox(QMessageBox.Icon.Critical, "Catalogue cannot be opened", str(exc))
        box.setInformativeText(
            "ConsentDesk will close. Fix the problem described above, or start ConsentDesk with another "
            "catalogue (consentdesk --catalog PATH-OR-postgresql://ADDRESS)."
        )
        if quit_after is not None:
            QTimer.singleShot(quit_after, box.close)
        box.exec()
        return None


def _announce_when_shown(window, app, quit_after: int | None):  # noqa: ANN001, ANN202 - Qt objects
    """Show the window; print SHOWN_LINE once it is really on screen (exposed), and quit `quit_after` ms
    later when asked to (tests and screenshots). Returns the event filter, which must stay alive."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _ExposeWatcher(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.done = False

        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
            if not self.done and event.type() == QEvent.Type.Expose and obj.isExposed():
                self.done = True
                print(SHOWN_LINE, flush=True)
                support_log.get("app").info("window shown %.3f s after start", support_log.since_start())
                if quit_after is not None:
                    QTimer.singleShot(quit_after, app.quit)
            return False

    watcher = _ExposeWatcher()
    window.show()
    handle = window.windowHandle()
    if handle is not None:
        handle.installEventFilter(watcher)
        if handle.isExposed():
            watcher.eventFilter(handle, QEvent(QEvent.Type.Expose))
    return watcher
