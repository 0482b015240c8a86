"""The README is the first thing a new user follows: its commands must exist and must be runnable as shown."""

from __future__ import annotations

import re
from pathlib import Path

from consentdesk.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_bare_consentdesk_command_is_explained_before_it_is_used():
    """Set-up leaves `consentdesk` in .venv/bin; the README must say so (and how to activate) before the
    first command that calls it without a path."""
    first_bare = min(README.index(line) for line in _shell_lines() if line.startswith("consentdesk "))
    before = README[:first_bare]
    assert ".venv/bin/" in before and "source .venv/bin/activate" in before
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/consentdesk" in before


def test_every_command_in_the_readme_exists():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them here
    checked = 0
    for line in _shell_lines():
        for call in re.split(r"\s;\s", line.split("  #")[0]):
            words = call.split()
            if not words or words[0] != "consentdesk":
                continue
            words = words[1:]
            while words and words[0].startswith("--catalog"):  # the option and its value, if separate
                words = words[1:] if "=" in words[0] else words[2:]
            if not words or words[0].startswith("-"):
                continue
            assert words[0] in commands, call
            checked += 1
            if words[0] == "consent":
                actions = commands["consent"]._subparsers._group_actions[0].choices  # noqa: SLF001
                assert words[1] in actions, call
    assert checked >= 20  # the README's command lists were really read
