"""`consentdesk forms blank|list` and `consent pdf` end to end, in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from consentdesk import paths
from consentdesk.cli import main
from consentdesk.core.consent.releases import parse_consent_json, record_consent
from consentdesk.core.store import Catalogue

CONSENTDESK = Path(sys.executable).with_name("consentdesk")
EXAMPLES = paths.forms_dir() / "examples"


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("CONSENTDESK_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def catalogue(home: Path):
    with Catalogue.open(home / "c.sqlite") as cat:
        yield cat


def qr_per_page(pdf: Path, folder: Path) -> list[list[str]]:
    folder.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(folder / "p")], check=True)
    pages = sorted(folder.glob("p-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    out = []
    for png in pages:
        with Image.open(png) as img:
            out.append(
                [b.text for b in zxingcpp.read_barcodes(img) if b.format == zxingcpp.BarcodeFormat.QRCode]
            )
    return out


def check_blank_pdf(pdf: Path, ids: list[str], catalogue: Catalogue, render_dir: Path) -> None:
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2 * len(ids)  # two pages per form
    codes = qr_per_page(pdf, render_dir)
    assert all(len(c) == 1 for c in codes)
    found = [c[0] for c in codes]
    assert found == [i for i in ids for _ in range(2)]
    assert len(set(found)) == len(ids)
    assert all(catalogue.form_id_state(i) == "reserved" for i in set(found))
    fields = reader.get_fields()
    assert all(f"{i}.full_name" in fields for i in ids)


def test_forms_blank_in_process(catalogue, home, capsys):
    out = home / "f.pdf"
    rc = main(["--catalog", str(home / "c.sqlite"), "forms", "blank", "--count", "5", "--out", str(out)])
    assert rc == 0
    lines = capsys.readouterr().out.split()
    assert lines[0] == str(out)
    ids = lines[1:]
    assert len(ids) == 5
    check_blank_pdf(out, ids, catalogue, home / "render")


def test_forms_blank_subprocess(catalogue, home):
    out = home / "sub.pdf"
    result = subprocess.run(
        [
            str(CONSENTDESK),
            "--catalog",
            str(home / "c.sqlite"),
            "forms",
            "blank",
            "--count",
            "5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[0] == str(out) and len(lines[1:]) == 5
    check_blank_pdf(out, lines[1:], catalogue, home / "render")


@pytest.mark.parametrize("count", ["0", "100000", "-3"])
def test_count_out_of_range(home, capsys, count):
    out = home / "bad.pdf"
    rc = main(["--catalog", str(home / "c.sqlite"), "forms", "blank", "--count", count, "--out", str(out)])
    assert rc != 0
    assert "between 1 and 500" in capsys.readouterr().err
    assert not out.exists()


def test_count_not_a_number(home, capsys):
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "--catalog",
                str(home / "c.sqlite"),
                "forms",
                "blank",
                "--count",
                "ten",
                "--out",
                str(home / "x.pdf"),
            ]
        )
    assert exc.value.code != 0


def _no_reservations(db: Path) -> bool:
    with Catalogue.open(db) as cat:
        return not any(e.action == "form_ids.reserved" for e in cat.audit_entries())


def test_missing_folder(home, capsys):
    out = home / "missing" / "f.pdf"
    rc = main(["--catalog", str(home / "c.sqlite"), "forms", "blank", "--count", "2", "--out", str(out)])
    assert rc != 0
    err = capsys.readouterr().err
    assert "does not exist" in err and "no form ids were reserved" in err
    assert not out.parent.exists()
    assert _no_reservations(home / "c.sqlite")


def test_parent_is_a_file(home, capsys):
    (home / "afile").write_text("x")
    out = home / "afile" / "f.pdf"
    rc = main(["--catalog", str(home / "c.sqlite"), "forms", "blank", "--count", "2", "--out", str(out)])
    assert rc != 0
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_non_writable_folder(home, capsys):
    locked = home / "locked"
    locked.mkdir(mode=0o500)
    try:
        out = locked / "f.pdf"
        rc = main(["--catalog", str(home / "c.sqlite"), "forms", "blank", "--count", "2", "--out", str(out)])
        assert rc != 0
        assert "not writable" in capsys.readouterr().err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_non_writable_folder_even_as_root(home, capsys, monkeypatch):
    """Tests run as root in CI, which ignores permissions: simulate the check's answer instead."""
    real_access = os.access
    locked = home / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    rc = main(
        [
            "--catalog",
            str(home / "c.sqlite"),
            "forms",
            "blank",
            "--count",
            "2",
            "--out",
            str(locked / "f.pdf"),
        ]
    )
    assert rc != 0
    assert "not writable" in capsys.readouterr().err
    assert list(locked.iterdir()) == []
    assert _no_reservations(home / "c.sqlite")


def test_disk_full_while_writing_reports_reserved_ids(home, capsys, monkeypatch):
    import errno

    def disk_full(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("reportlab.pdfgen.canvas.Canvas.save", disk_full)
    out = home / "f.pdf"
    rc = main(["--catalog", str(home / "c.sqlite"), "forms", "blank", "--count", "2", "--out", str(out)])
    assert rc != 0
    err = capsys.readouterr().err
    assert "No space left on device" in err and "reserved but not printed" in err
    assert [p.name for p in home.iterdir() if p.name.endswith((".pdf", ".tmp"))] == []  # no half PDF


def test_forms_list(home, capsys):
    assert main(["forms", "list"]) == 0
    assert "model_release  v1  18 fields" in capsys.readouterr().out
    assert main(["forms", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {k: listed[0][k] for k in ("name", "version")} == {"name": "model_release", "version": 1}


def test_consent_pdf_command(catalogue, home, capsys):
    doc = parse_consent_json((EXAMPLES / "minor.json").read_text(encoding="utf-8"), EXAMPLES)
    consent = record_consent(catalogue, doc.form, doc.submission, source="cli")
    out = home / "record.pdf"
    assert main(["--catalog", str(home / "c.sqlite"), "consent", "pdf", consent.id, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert qr_per_page(out, home / "render")[0] == [consent.id]
