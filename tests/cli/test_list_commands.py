"""List commands print their first page before the rest is read, stream the rest, and stop at --limit.

A catalogue of 130 photos (more than two pages) is listed in-process; a wrapped reader records how much
had already been written to the terminal (and flushed) each time the next page was asked for.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from consentdesk.cli import listing, main
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue, NewImage
from consentdesk.core.values import Analysis, Box, Face

PHOTOS = 130


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("lists") / "c.sqlite")
    with Catalogue.open(path) as catalogue:
        shoot = catalogue.create_shoot("day", "test")
        for i in range(PHOTOS):
            name = f"/photos/p{i:03d}.jpg"
            analysis = Analysis(name, 1000, 800, faces=(Face(Box(100, 100, 120, 150), 0.9),), analyser_version="t")
            new = NewImage(sha256=f"{i:064x}", path=name, file_size=1, width=1000, height=800)
            catalogue.add_image(new, analysis, shoot)
    return path


class Terminal(io.StringIO):
    """A stdout that remembers what had been flushed, i.e. what a person or `head` could see."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = ""

    def flush(self) -> None:
        self.seen = self.getvalue()


def test_queue_prints_its_first_page_before_reading_the_next(catalogue: str, monkeypatch):
    terminal = Terminal()
    seen_when_asked: list[int] = []
    read = workflow.queue

    def queue(*args, **kwargs):
        seen_when_asked.append(terminal.seen.count("\n"))
        return read(*args, **kwargs)

    monkeypatch.setattr(workflow, "queue", queue)
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["--catalog", catalogue, "queue"]) == 0
    assert seen_when_asked[:2] == [0, listing.FIRST_PAGE]  # the first page was out before page two
    assert terminal.getvalue().count("\n") == PHOTOS


@pytest.mark.parametrize(
    "command",
    [["queue"], ["images"], ["consent", "list"], ["audit", "list"], ["forms", "scans"], ["expiring"]],
)
def test_limit_and_json_arrays(catalogue: str, command: list[str], capsys):
    assert main(["--catalog", catalogue, *command, "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert main(["--catalog", catalogue, *command, "--json", "--limit", "3"]) == 0
    three = json.loads(capsys.readouterr().out)
    assert main(["--catalog", catalogue, *command, "--json", "--limit", "0"]) == 0
    none = json.loads(capsys.readouterr().out)
    if command == ["expiring"]:  # an object of two lists, each cut
        assert three == {**everything, "expiring": everything["expiring"][:3], "lost_clearance": everything["lost_clearance"][:3]}
        assert none == {**everything, "expiring": [], "lost_clearance": []}
    else:
        assert three == everything[:3] and none == []


def test_whole_lists_stream_in_order_and_match_a_page_by_page_read(catalogue: str, capsys):
    assert main(["--catalog", catalogue, "images", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == list(range(1, PHOTOS + 1))
    assert {r["badge_words"] for r in listed} == {"Needs attention"} and all(r["faces"] == 1 for r in listed)
    assert main(["--catalog", catalogue, "queue", "--limit", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 60 and lines[59].split()[0] == "60"
    with pytest.raises(SystemExit) as usage:
        main(["--catalog", catalogue, "images", "--limit", "nine"])
    assert usage.value.code == 2


def test_a_list_piped_into_head_stops_quietly(catalogue: str):
    done = subprocess.run(
        f"{sys.executable} -m consentdesk --catalog {catalogue} audit list | head -2",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 2 and "Traceback" not in done.stderr


def test_pages_move_by_what_was_asked_and_stop_at_an_empty_page():
    asked = []

    def fetch(offset: int, count: int) -> list[int]:
        asked.append((offset, count))
        return [n for n in range(offset, min(offset + count, 120)) if n % 10]  # some rows gone

    got = [n for page in listing.pages(fetch) for n in page]
    assert got == [n for n in range(120) if n % 10]
    assert asked == [(0, listing.FIRST_PAGE), (listing.FIRST_PAGE, listing.PAGE), (listing.FIRST_PAGE + listing.PAGE, listing.PAGE)]
    assert [n for page in listing.pages(fetch, limit=7) for n in page] == [1, 2, 3, 4, 5, 6, 7]
