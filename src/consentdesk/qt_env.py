"""The one place that deals with the OpenCV / Qt plugin-path trap on Linux.

Why this exists
---------------
The Linux ``opencv-python`` wheel bundles its own Qt 5 (for ``cv2.imshow``). Importing ``cv2`` runs
``cv2/config-3.py``, which sets, for the whole process and every child it later starts:

* ``QT_QPA_PLATFORM_PLUGIN_PATH`` -> ``.../site-packages/cv2/qt/plugins`` (Qt 5 platform plugins)
* ``QT_QPA_FONTDIR``              -> ``.../site-packages/cv2/qt/fonts``

and prepends ``.../site-packages/cv2/../../lib64`` to ``LD_LIBRARY_PATH``. PySide6 (Qt 6) honours
``QT_QPA_PLATFORM_PLUGIN_PATH``, finds only Qt 5's ``libqxcb.so`` there, cannot load it and aborts with
"Could not load the Qt platform plugin xcb" on a real X display. Offscreen tests do not show it: cv2's
folder holds only ``platforms/libqxcb.so``, so Qt 6 finds ``offscreen`` in its own plugin folder, while
for ``xcb`` it picks up the Qt 5 library first and fails. The xcb path is exactly what users run.

What we do
----------
* :func:`prepare_qt_environment` is called by ``app.run`` right before ``QApplication`` is created. It
  imports ``cv2`` first when it is installed (so its import-time side effects happen *now*, not later
  behind our back when the vision engine imports it) and then calls :func:`sanitize_qt_environment`.
  Once ``cv2`` is in ``sys.modules`` a later ``import cv2`` anywhere in the process is a no-op, so it can
  never set the variables again.
* :func:`sanitize_qt_environment` removes those variables only when they point inside the ``cv2``
  package (a value a user set to somewhere else is left alone) and drops cv2's entry from
  ``LD_LIBRARY_PATH``.
* Before starting worker **processes** (vision analysis), call :func:`child_environment` (or
  :func:`sanitize_qt_environment` again): a spawned child re-imports ``cv2`` and sets the variables in
  *its* environment, which is harmless for the child (it never creates a window), but anything the child
  or we launch from an already polluted environment would inherit them. Sanitising before each spawn keeps
  the rule simple: no ConsentDesk process ever hands cv2's Qt 5 paths to another process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import MutableMapping
from pathlib import Path

#: Variables opencv-python sets to its bundled Qt 5 folders.
QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def _cv2_dirs() -> list[Path]:
    """Folders of the cv2 package (found without importing it), plus the common path marker."""
    dirs: list[Path] = []
    try:
        spec = importlib.util.find_spec("cv2")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        for location in spec.submodule_search_locations or ():
            dirs.append(Path(location).resolve())
        if spec.origin and spec.origin not in ("namespace", "built-in"):
            dirs.append(Path(spec.origin).resolve().parent)
    return dirs


def _inside_cv2(value: str, cv2_dirs: list[Path]) -> bool:
    if not value:
        return False
    try:
        resolved = Path(value).resolve()
    except (OSError, RuntimeError):
        resolved = Path(value)
    for folder in cv2_dirs:
        if resolved == folder or folder in resolved.parents:
            return True
    # Fall back to the path shape when cv2 is not importable from here (another venv's cv2).
    parts = Path(value).parts
    return any(
        a in ("site-packages", "dist-packages") and b == "cv2" for a, b in zip(parts, parts[1:], strict=False)
    )


def sanitize_qt_environment(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Remove cv2's Qt 5 plugin/font paths from `environ` (default: os.environ); return what was removed."""
    env = os.environ if environ is None else environ
    cv2_dirs = _cv2_dirs()
    removed: list[str] = []
    for name in QT_VARIABLES:
        value = env.get(name)
        if value is not None and _inside_cv2(value, cv2_dirs):
            del env[name]
            removed.append(name)
    ld_path = env.get("LD_LIBRARY_PATH")
    if ld_path:
        parts = ld_path.split(":")
        kept = [p for p in parts if not (p and "cv2" in Path(p).parts and _inside_cv2(p, cv2_dirs))]
        if kept != parts:
            removed.append("LD_LIBRARY_PATH")
            if any(kept):
                env["LD_LIBRARY_PATH"] = ":".join(p for p in kept if p)
            else:
                del env["LD_LIBRARY_PATH"]
    return removed


def prepare_qt_environment() -> None:
    """Make the environment safe for PySide6 before QApplication exists (see the module docstring)."""
    if importlib.util.find_spec("cv2") is not None:
        # Imported for its side effects, once, now. A broken OpenCV must not stop the register opening.
        with contextlib.suppress(Exception):
            import cv2  # noqa: F401
    sanitize_qt_environment()


def child_environment(base: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment for a subprocess, with cv2's Qt paths removed."""
    env = dict(os.environ if base is None else base)
    sanitize_qt_environment(env)
    return env
