"""Fixtures for GUI tests: a real catalogue in tmp_path and helpers to drive the generated widgets."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from consentdesk import paths
from consentdesk.core.store import Catalogue

EXAMPLES = paths.forms_dir() / "examples"


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test():
    """A task still running after its test could touch a deleted widget or outlive the interpreter."""
    yield
    from consentdesk.ui.kit.workers import wait_for_all

    assert wait_for_all(30_000), "a background task did not finish within 30 s"


@pytest.fixture
def catalogue(tmp_path):
    cat = Catalogue.open(tmp_path / "register.sqlite")
    yield cat
    cat.close()


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def draw_signature(qtbot, canvas, offset: int = 0) -> None:
    """A real mouse stroke across the pad."""
    start = QPoint(40 + offset, 80)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 16):
        qtbot.mouseMove(canvas, QPoint(40 + offset + i * 14, 80 + (12 if i % 2 else -12)))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(40 + offset + 16 * 14, 70))


def type_text(qtbot, widget, text: str) -> None:
    """Type like a keyboard would. QTest only knows ASCII keys, so other characters (â, Æ, ø…) are sent
    as key events carrying their text, which is what an input method delivers."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
                )


def cli_add(catalogue_path: Path, document: dict, folder: Path) -> str:
    from consentdesk.cli import main

    source = folder / "release.json"
    document = dict(document)
    document["files"] = {k: str(EXAMPLES / v) for k, v in document.get("files", {}).items()}
    source.write_text(json.dumps(document), encoding="utf-8")
    assert main(["--catalog", str(catalogue_path), "consent", "add", "--json", str(source)]) == 0
    return source.name


def module_catalogue(tmp_path_factory, name: str, build):
    """A catalogue built once per test module (`build(catalogue, folder)` returns what the tests need), in
    a data folder of its own; tests open copies of it with `window_on_copy`. Returns (path, built)."""
    folder = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONSENTDESK_HOME", str(folder / "home"))
        path = folder / "catalogue.sqlite"
        with Catalogue.open(path) as catalogue:
            built = build(catalogue, folder)
    return path, built


@contextlib.contextmanager
def window_on_copy(catalogue_file: Path, tmp_path: Path, qtbot):
    """The main window, shown, on a copy of a prepared catalogue file (tests may change it freely)."""
    from consentdesk.ui.kit.workers import wait_for_all
    from consentdesk.ui.shell.main_window import MainWindow

    copy = tmp_path / "catalogue.sqlite"
    shutil.copy(catalogue_file, copy)
    catalogue = Catalogue.open(copy)
    win = MainWindow(catalogue)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    try:
        yield win
    finally:
        wait_for_all()
        catalogue.close()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press on whatever has the keyboard focus, as a user's keyboard would send it; then wait, as
    a user would, until the work it started in the background has come back (reads and saves run in
    workers, so what a key did shows a few milliseconds later)."""
    from PySide6.QtWidgets import QApplication

    from consentdesk.ui.kit.workers import idle

    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has the keyboard focus"
    qtbot.keyClick(focus, key, modifier)
    qtbot.waitUntil(idle, timeout=20_000)


@contextlib.contextmanager
def sql_on_the_gui_thread():
    """Every SQL statement run on the GUI thread inside the block (any catalogue, either engine): the
    window must read and write the catalogue only in workers, so a slow server never freezes it."""
    import threading

    from sqlalchemy import Engine, event

    gui = threading.main_thread()
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if threading.current_thread() is gui:
            seen.append(statement.split("\n")[0][:120])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
