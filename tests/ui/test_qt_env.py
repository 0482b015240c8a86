"""sanitize_qt_environment removes only what opencv-python's cv2 set, never a user's own Qt paths."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from consentdesk.qt_env import child_environment, sanitize_qt_environment


def _cv2_dir() -> Path:
    spec = importlib.util.find_spec("cv2")
    assert spec is not None and spec.origin
    return Path(spec.origin).parent


def test_removes_cv2_qt_paths_and_keeps_others():
    cv2_dir = _cv2_dir()
    env = {
        "QT_QPA_PLATFORM_PLUGIN_PATH": str(cv2_dir / "qt" / "plugins"),
        "QT_QPA_FONTDIR": str(cv2_dir / "qt" / "fonts"),
        "LD_LIBRARY_PATH": f"{cv2_dir}/../../lib64:/opt/mine/lib",
        "QT_QPA_PLATFORM": "xcb",
    }
    removed = sanitize_qt_environment(env)
    assert set(removed) == {"QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR", "LD_LIBRARY_PATH"}
    assert "QT_QPA_PLATFORM_PLUGIN_PATH" not in env and "QT_QPA_FONTDIR" not in env
    assert env["LD_LIBRARY_PATH"] == "/opt/mine/lib"
    assert env["QT_QPA_PLATFORM"] == "xcb"


def test_leaves_user_values_elsewhere_alone(tmp_path):
    env = {
        "QT_QPA_PLATFORM_PLUGIN_PATH": str(tmp_path / "my-plugins"),
        "QT_QPA_FONTDIR": "/usr/share/fonts",
        "LD_LIBRARY_PATH": "/opt/mine/lib",
    }
    before = dict(env)
    assert sanitize_qt_environment(env) == []
    assert env == before


def test_recognises_another_environments_cv2_by_path_shape():
    env = {"QT_QPA_PLATFORM_PLUGIN_PATH": "/elsewhere/venv/lib/python3.12/site-packages/cv2/qt/plugins"}
    sanitize_qt_environment(env)
    assert env == {}


def test_child_environment_is_clean_after_cv2_import(monkeypatch):
    import cv2  # noqa: F401

    cv2_plugins = str(_cv2_dir() / "qt" / "plugins")
    monkeypatch.setenv("QT_QPA_PLATFORM_PLUGIN_PATH", cv2_plugins)
    env = child_environment()
    assert "QT_QPA_PLATFORM_PLUGIN_PATH" not in env
    sanitize_qt_environment()
    import os

    assert "QT_QPA_PLATFORM_PLUGIN_PATH" not in os.environ


def test_installed_pyside_keeps_none_alive():
    """PySide6 6.12.0 lost a reference to None on each void call and crashed CPython 3.11 ("none_dealloc")
    after a few thousand; pyproject excludes it. This fails loudly if such a build is installed again."""
    import sys

    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("x")
    assert sys.getrefcount(None) >= before - 50
