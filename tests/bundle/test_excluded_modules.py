"""The app bundle leaves some of numpy's submodules out (build.spec's `excludes`): code that uses one works
from the source and fails in the bundled app ("No module named 'numpy.fft'"), which only the bundle's own
smoke tests would show, after a build. This reads build.spec's list and the app's source instead."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "consentdesk"


def excluded_numpy_modules(spec_text: str) -> set[str]:
    """The numpy submodules named in build.spec's `excludes=[...]` (e.g. {'fft', 'random'})."""
    for node in ast.walk(ast.parse(spec_text)):
        if isinstance(node, ast.keyword) and node.arg == "excludes" and isinstance(node.value, ast.List):
            names = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            return {n.split(".", 1)[1] for n in names if n.startswith("numpy.")}
    raise AssertionError("build.spec has no excludes list")


def uses(source: str, filename: str, modules: set[str]) -> list[str]:
    """'file:line numpy.name' for each use of an excluded numpy submodule: `np.fft.…`, `numpy.fft.…`,
    `import numpy.fft`, `from numpy import fft`, `from numpy.fft import …`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        name = None
        if isinstance(node, ast.Attribute) and node.attr in modules and isinstance(node.value, ast.Name):
            name = node.attr if node.value.id in ("np", "numpy") else None
        elif isinstance(node, ast.Import):
            name = next((a.name.split(".")[1] for a in node.names if a.name.split(".")[:1] == ["numpy"]
                         and len(a.name.split(".")) > 1 and a.name.split(".")[1] in modules), None)  # fmt: skip
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "numpy" and len(parts) > 1 and parts[1] in modules:
                name = parts[1]
            elif node.module == "numpy":
                name = next((a.name for a in node.names if a.name in modules), None)
        if name:
            found.append(f"{filename}:{node.lineno} numpy.{name}")
    return found


def test_the_app_uses_no_numpy_module_the_bundle_leaves_out():
    modules = excluded_numpy_modules((ROOT / "build.spec").read_text(encoding="utf-8"))
    assert modules, "build.spec excludes no numpy module: this test guards nothing"
    found = []
    for path in sorted(SRC.rglob("*.py")):
        found += uses(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)), modules)
    assert found == []


def test_a_planted_use_is_caught():
    planted = (
        "import numpy as np\nimport numpy.random\nfrom numpy import fft\nfrom numpy.fft import rfft\n\n"
        "def power(p):\n    return np.abs(np.fft.rfft(p))\n"
    )
    assert sorted(uses(planted, "planted.py", {"fft", "random"})) == [
        "planted.py:2 numpy.random",
        "planted.py:3 numpy.fft",
        "planted.py:4 numpy.fft",
        "planted.py:7 numpy.fft",
    ]
