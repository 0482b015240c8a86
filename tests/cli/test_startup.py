"""The command line starts fast: building its parser (every command, --help, --version) loads no heavy
library, and listing photos (`queue`, `images`) loads the store but not imaging, PDFs or the models.
A fresh interpreter is asked what got imported, so nothing another test imported can hide a regression."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = {"sqlalchemy", "psycopg", "numpy", "PIL", "reportlab", "cv2", "onnxruntime", "PySide6", "zxingcpp"}


def imported_by(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_building_the_parser_loads_no_heavy_library():
    assert imported_by("from consentdesk.cli import build_parser; build_parser()") & HEAVY == set()


def test_listing_photos_needs_the_store_only():
    loaded = imported_by("import consentdesk.core.review.workflow, consentdesk.cli.review_cmds, consentdesk.cli.image_cmds")
    assert "sqlalchemy" in loaded  # the probe sees real imports
    assert loaded & (HEAVY - {"sqlalchemy", "psycopg"}) == set()
