"""QApplication start-up: environment, catalogue, style, main window.

`run()` never lets a traceback reach the user for problems they can act on: a catalogue that cannot be
opened is explained in a message box and the app exits with code 2.

For tests and screenshots, `CONSENTDESK_QUIT_AFTER_MS=<ms>` quits that long after the main window is
first exposed on screen; "ConsentDesk window shown" is printed to stdout when it is.
"""

from __future__ import annotations

import os
import sys

from consentdesk import APP_NAME, __version__, paths
from consentdesk.qt_env import prepare_qt_environment

QUIT_AFTER_ENV = "CONSENTDESK_QUIT_AFTER_MS"
SHOWN_LINE = "ConsentDesk window shown"


def _quit_after_ms() -> int | None:
    value = os.environ.get(QUIT_AFTER_ENV, "").strip()
    try:
        return max(0, int(value)) if value else None
    except ValueError:
        return None


def run(catalog: str | None, qt_args: list[str]) -> int:
    prepare_qt_environment()  # must precede QApplication: see qt_env for the OpenCV plugin trap

    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from consentdesk.core.store import Catalogue, CatalogueError
    from consentdesk.ui.main_window import MainWindow
    from consentdesk.ui.style import apply_style
    from consentdesk.ui.workers import wait_for_all

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
    quit_after = _quit_after_ms()

    from consentdesk.ui.settings import remembered_catalogue

    locator = paths.catalogue_locator(catalog, remembered_catalogue())
    try:
        catalogue = Catalogue.open(locator)
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
        return 2

    window = MainWindow(catalogue)

    class _ExposeWatcher(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.done = False

        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
            if not self.done and event.type() == QEvent.Type.Expose and obj.isExposed():
                self.done = True
                print(SHOWN_LINE, flush=True)
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
    try:
        code = app.exec()
    finally:
        wait_for_all()  # no worker may still be writing when the catalogue closes or Python exits
        window.catalogue.close()
    return int(code)
