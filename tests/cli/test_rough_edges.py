"""Bad input and a server that goes away get one plain sentence, never a traceback, on both engines: a name
holding a lone surrogate (half of a UTF-16 pair, which JSON can spell and UTF-8 cannot store), bytes on
the command line that are not UTF-8, and the team register stopping in the middle of an import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.data.photo_files import one_face, photograph

from consentdesk import paths
from consentdesk.cli import main
from consentdesk.core.photos.importer import import_paths
from consentdesk.core.store import Catalogue, CatalogueError, ConsentQuery


def test_a_lone_surrogate_in_a_name_is_refused_with_the_field_named(catalogue_locator: str, tmp_path: Path, capsys):
    raw = json.loads((paths.forms_dir() / "examples" / "adult.json").read_text(encoding="utf-8"))
    raw["answers"]["full_name"] = "Broken \ud800 Name"
    raw["files"]["signature"] = str(paths.forms_dir() / "examples" / "signature-adult.png")
    submission = tmp_path / "broken.json"
    submission.write_text(json.dumps(raw), encoding="utf-8")  # json writes it as "\\ud800": valid JSON
    Catalogue.open(catalogue_locator).close()
    assert main(["--catalog", catalogue_locator, "consent", "add", "--json", str(submission)]) == 2
    err = capsys.readouterr().err
    assert "answers.full_name: holds a broken character" in err and "Traceback" not in err
    with Catalogue.open(catalogue_locator, create=False) as cat:
        assert cat.count_consents() == 0
        # Past the form (any caller of the store): the store says so in a sentence too.
        with pytest.raises(CatalogueError, match="broken character"):
            cat.list_consents(ConsentQuery(text="a\ud800b"))


def test_command_line_bytes_that_are_not_utf8_are_named(capsys):
    assert main(["consent", "list", "--search", "\udced\udca0\udc80"]) == 2  # b"\xed\xa0\x80", decoded by Python
    assert "not UTF-8 text" in capsys.readouterr().err


def test_the_register_stopping_in_the_middle_of_an_import(tmp_path: Path, capsys):
    """The server stops after the first photo is stored: the import says what happened and what to do, keeps
    what it stored, and the command prints a sentence, no traceback."""
    from tests.data import pg_server as pg

    try:
        server = pg.start_server()
    except pg.ServerUnavailable as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
    try:
        url = server.url(server.new_database())
        folder = tmp_path / "card"
        for n in range(3):
            photograph(folder, f"p{n}.jpg", (60 * n, 90, 200))
        checked: list[str] = []

        def stop_after_the_first(path: str):
            if checked:
                server.stop()
            checked.append(path)
            return one_face(path)

        with Catalogue.open(url) as cat:
            report = import_paths(cat, [str(folder)], checker=stop_after_the_first, workers=1)
        assert len(report.added) == 1 and report.stopped
        assert "When the team register answers again, import the same folder again" in report.stopped
        capsys.readouterr()
        assert main(["--catalog", url, "import", str(folder)]) == 2
        err = capsys.readouterr().err
        assert "cannot reach the team register" in err and "Traceback" not in err
    finally:
        server.stop()
