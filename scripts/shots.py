"""What every screenshot script does around what it shows: run inside Xvfb with a temporary app home, and
open the real main window, styled as users see it, on the script's demo catalogue.

Shared by the scripts in this folder (scripts/ is on sys.path when one of them runs).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xvfb import is_inner, rerun_under_xvfb

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from consentdesk.core.store import Catalogue
    from consentdesk.ui.shell.main_window import MainWindow


def run(script: str, take: Callable[[Path], None], screen: str = "1440x1000x24") -> int:
    """Outside Xvfb: start it and run `script` again inside. Inside: `take(folder)`, the folder a temporary
    one that is also the app's home, so no real catalogue or setting is read or changed."""
    if not is_inner():
        return rerun_under_xvfb(script, screen)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CONSENTDESK_HOME"] = tmp
        take(Path(tmp))
    return 0


def open_main_window(
    catalogue_path: Path, size: tuple[int, int]
) -> tuple[QApplication, Catalogue, MainWindow]:
    """The app (keep the returned QApplication referenced while shooting) and its main window on
    `catalogue_path`, shown at `size` and exposed on screen."""
    from consentdesk.qt_env import prepare_qt_environment

    prepare_qt_environment()
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from consentdesk.core.store import Catalogue
    from consentdesk.ui.kit.style import apply_style
    from consentdesk.ui.shell.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    app.setApplicationName("ConsentDesk")
    apply_style(app)
    catalogue = Catalogue.open(catalogue_path)
    window = MainWindow(catalogue)
    window.resize(*size)
    window.show()
    QTest.qWaitForWindowExposed(window)
    return app, catalogue, window
