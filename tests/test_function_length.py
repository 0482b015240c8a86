"""House rule: no function or method over 60 lines in src/, bench/ or scripts/ (tests may be longer).

Long work is split into named steps, so each step can be read, named and changed on its own. The length
of a function runs from its `def` line to its last line, nested functions included.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("src", "bench", "scripts")
LIMIT = 60

# Known exceptions, being split on other branches: the lead empties this list as that work lands on main.
BEING_SPLIT: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LongFunction:
    path: str  # relative to the root scanned, with forward slashes
    line: int
    name: str  # qualified within its module: Class.method, outer.inner
    length: int

    @property
    def key(self) -> str:
        return f"{self.path}::{self.name}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name} is {self.length} lines"


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.scope: list[str] = []
        self.found: list[LongFunction] = []

    def _enter(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._enter(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        length = node.end_lineno - node.lineno + 1
        if length > LIMIT:
            name = ".".join([*self.scope, node.name])
            self.found.append(LongFunction(self.path, node.lineno, name, length))
        self._enter(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def long_functions(root: Path, folders: tuple[str, ...] = CHECKED) -> list[LongFunction]:
    """Every function or method over LIMIT lines in the Python files under `folders` of `root`."""
    found: list[LongFunction] = []
    for folder in folders:
        for file in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in file.parts:
                continue
            relative = file.relative_to(root).as_posix()
            finder = _Finder(relative)
            finder.visit(ast.parse(file.read_text(encoding="utf-8"), filename=relative))
            found.extend(finder.found)
    return found


def test_no_function_is_over_60_lines():
    offenders = [f for f in long_functions(ROOT) if f.key not in BEING_SPLIT]
    assert not offenders, f"functions over {LIMIT} lines (split them into named steps):\n" + "\n".join(
        f"  {f}" for f in offenders
    )


def test_every_function_being_split_is_still_long():
    """An entry whose function is now short (or gone) comes off BEING_SPLIT, so the list cannot hide a
    new long function under an old name."""
    still_long = {f.key for f in long_functions(ROOT)}
    done = sorted(BEING_SPLIT - still_long)
    assert not done, "no longer over the limit; remove from BEING_SPLIT:\n" + "\n".join(
        f"  {k}" for k in done
    )


def _assignments(count: int, indent: int) -> str:
    return "".join(f"{' ' * indent}x{i} = {i}\n" for i in range(count))


def test_a_long_function_is_found_and_named(tmp_path):
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "module.py").write_text(
        "import os\n\n\n"
        "def just_fits():\n" + _assignments(LIMIT - 1, 4) + "\n\n"  # 60 lines: allowed
        "class Page:\n"
        "    def build(self):\n" + _assignments(LIMIT, 8) + "\n"
        "    async def load(self):\n"
        "        def step():\n" + _assignments(LIMIT, 12) + "        return step\n",
        encoding="utf-8",
    )
    found = long_functions(tmp_path, ("src",))
    assert [str(f) for f in found] == [
        "src/pkg/module.py:67 Page.build is 61 lines",
        "src/pkg/module.py:129 Page.load is 63 lines",
        "src/pkg/module.py:130 Page.load.step is 61 lines",
    ]
