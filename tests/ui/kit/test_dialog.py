"""The base dialog and the page header helpers: every dialog and page of the app is built with them."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from consentdesk.ui.kit.dialog import Dialog

UI = Path(__file__).resolve().parents[3] / "src" / "consentdesk" / "ui"


def _dialog_classes() -> dict[str, list[str]]:
    """Every class in ui/ whose bases name a Qt dialog or Dialog: module -> [class(base)]."""
    found: dict[str, list[str]] = {}
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith("Dialog") for b in bases):
                    found.setdefault(path.relative_to(UI).as_posix(), []).append(f"{node.name}({bases[0]})")
    return found


def test_every_dialog_in_the_ui_derives_from_the_base_dialog():
    classes = [c for cs in _dialog_classes().values() for c in cs]
    assert len(classes) >= 12
    assert [c for c in classes if not c.endswith("(Dialog)") and not c.startswith("Dialog(")] == []
    for path in UI.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "QDialog(" not in text.replace("class Dialog(QDialog)", ""), path  # no bare dialogs either


def _dialog_with_footer(qtbot, destructive: bool = False):
    dialog = Dialog(title="Test")
    pressed: list[str] = []
    field = QLineEdit()
    footer = dialog.footer()
    cancel = footer.cancel(slot=lambda: pressed.append("cancel"))
    action = (footer.destructive if destructive else footer.primary)("Go", lambda: pressed.append("go"))
    dialog.plain(field, footer)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    return dialog, field, cancel, action, pressed


def test_enter_presses_the_focused_button_and_the_primary_one_from_a_field(qtbot):
    dialog, field, cancel, primary, pressed = _dialog_with_footer(qtbot)
    assert primary.isDefault() and primary.property("primary") and not cancel.isDefault()
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert pressed == ["go"]  # the default button, from a field
    cancel.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is cancel)
    qtbot.keyClick(cancel, Qt.Key.Key_Return)
    assert pressed == ["go", "cancel"]  # the button with the focus, not the default
    primary.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is primary)
    qtbot.keyClick(primary, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert pressed == ["go", "cancel", "go"]


def test_a_destructive_button_is_never_pressed_by_enter_from_a_field(qtbot):
    dialog, field, cancel, destructive, pressed = _dialog_with_footer(qtbot, destructive=True)
    assert destructive.property("danger") and not destructive.isDefault() and not destructive.autoDefault()
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert pressed == []
    destructive.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is destructive)
    qtbot.keyClick(destructive, Qt.Key.Key_Return)
    assert pressed == ["go"]  # on purpose: it had the focus


def test_every_page_heads_itself_with_its_navigation_title(qtbot, catalogue):
    from consentdesk.ui.shell.main_window import PAGES

    for page_class in PAGES:
        page = page_class(catalogue)
        qtbot.addWidget(page)
        assert page.title_label.text() == page.TITLE != ""
        assert page.title_label.property("role") == "pageTitle"
        assert page.subtitle.property("role") == "hint"
