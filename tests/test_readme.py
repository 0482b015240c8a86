"""The README is the first thing a new user follows: its commands must exist and must be runnable as shown."""

from __future__ import annotations

import re
from pathlib import Path

from consentdesk.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -c requirements.lock . && .venv/bin/consentdesk"
TEST = (
    "python3 -m venv .venv && .venv/bin/pip install -c requirements.lock -e '.[test]' && .venv/bin/python -m pytest"
)


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_bare_consentdesk_command_is_explained_before_it_is_used():
    """Set-up leaves `consentdesk` in .venv/bin; the README must say so (and how to activate) before the
    first command that calls it without a path."""
    first_bare = min(README.index(line) for line in _shell_lines() if line.startswith("consentdesk "))
    before = README[:first_bare]
    assert ".venv/bin/" in before and "source .venv/bin/activate" in before
    assert INSTALL in before


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


def test_set_up_is_two_commands_through_the_lock_and_ci_runs_the_second():
    set_up = README[README.index("## Set up") : README.index("## Using it")]
    commands = [line for line in _shell_lines() if line.startswith("python3 -m venv") and line in set_up]
    assert commands == [INSTALL, TEST]
    assert TEST in CI_RUN.splitlines()  # exactly, on a line of its own
    assert (ROOT / "requirements.lock").is_file()


def test_the_linux_libraries_listed_are_the_ones_ci_installs():
    listed = set(re.search(r"sudo apt-get install (libxcb-cursor0[^`]*)`", README.replace("\n", " ")).group(1).split())
    installed = set(re.search(r"apt-get install -y -qq --no-install-recommends(.*?)>", CI_RUN, re.S).group(1).split())
    assert listed and listed <= installed - {"\\"}
    assert {"libegl1", "libgl1", "libfontconfig1", "libdbus-1-3", "libxcb-cursor0"} <= listed


def test_the_exit_code_table_is_the_one_the_commands_use():
    from consentdesk.cli.common import ExitCode

    table = README[README.index("### Exit codes") :].split("\n\n")[1]
    codes = [int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)]
    assert codes == [int(code) for code in ExitCode]
