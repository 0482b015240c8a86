"""Data protection for clips: a subject access bundle holding a clip shows how far it is and can be stopped;
the Expiry page and the take-down list say when a withdrawn person is seen in a clip.

A real clip checked by the real analyser, a real SQLite catalogue; only the file picker and message boxes
are replaced, so the bundle is built by the core in a worker as it is for users.
"""

from __future__ import annotations

import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from tests.data.clip_cases import add_clip, checked_clip, track_of  # noqa: F401 - a fixture
from tests.data.lifecycle_fixtures import add_person
from tests.ui.a11y import accessible_name
from tests.ui.releases.test_data_protection import boxes  # noqa: F401 - a fixture

from consentdesk.core.protection import withdrawal
from consentdesk.core.review import workflow
from consentdesk.core.store import Catalogue
from consentdesk.ui.expiry.expiry_page import ExpiryPage
from consentdesk.ui.kit.busy import BusyDialog
from consentdesk.ui.releases.register_page import RegisterPage
from consentdesk.ui.releases.takedown_dialog import TakedownDialog


@pytest.fixture
def clip_register(qtbot, tmp_path, checked_clip):  # noqa: F811 - a fixture
    with Catalogue.open(tmp_path / "cat.sqlite") as cat:
        person = add_person(cat, "Zofia Requester")
        image = add_clip(cat, checked_clip)
        n = track_of(cat, image, checked_clip.truth, person=1)
        workflow.link_face(cat, image, n, person.id)
        page = RegisterPage(cat)
        qtbot.addWidget(page)
        page.show()
        qtbot.waitUntil(page.is_loaded, timeout=10_000)
        assert page.select_id(person.id)
        yield cat, page, image, person, n


def test_the_expiry_page_and_take_down_list_say_when_a_withdrawn_person_is_seen(qtbot, clip_register):
    cat, _page, image, person, n = clip_register
    track = cat.stored_clip(image).face_tracks[n - 1]
    seen = f"person {n} seen {track.first:.1f}–{track.last:.1f} s"
    cat.withdraw_consent(person.id, date.today(), "asked")
    page = ExpiryPage(cat)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(page.is_loaded, timeout=10_000)
    blocked = page.blocked_model
    assert page.blocked_title.text() == "Photos and clips that lost clearance (1)"
    assert blocked.index(0, 0).data() == "donor-day.mp4"
    assert blocked.headerData(2, Qt.Orientation.Horizontal) == "What · when seen"
    assert blocked.index(0, 2).data() == f"Clip: {seen}"

    dialog = TakedownDialog(withdrawal.takedown_list(cat, person.id), catalogue=cat)
    qtbot.addWidget(dialog)
    cells = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert cells[0] == "donor-day.mp4" and cells[1] == f"Clip: {seen}"
    assert dialog.summary.text().startswith("1 clip is now blocked for every channel.")


def start_bundle(qtbot, monkeypatch, page, out: Path) -> BusyDialog:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    page.sar_selected()
    busy = page.findChild(BusyDialog)
    assert busy is not None and busy.isVisible()
    return busy


def test_a_bundle_with_a_clip_shows_its_progress_and_says_it_holds_a_clip(qtbot, monkeypatch, tmp_path, clip_register, boxes):  # noqa: F811 - a fixture
    _cat, page, image, _person, _n = clip_register
    busy = start_bundle(qtbot, monkeypatch, page, tmp_path / "bundle.zip")
    values: list[int] = []
    bar = busy.bar
    bar.valueChanged.connect(values.append)
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=30_000)
    words = busy.progress.label
    assert bar.maximum() == 100 and words.text().endswith("% done")  # in words beside the bar, not over it
    assert not bar.isTextVisible()
    qtbot.waitUntil(lambda: any(t == "Subject access bundle saved" for t, _ in boxes), timeout=60_000)
    assert len(values) > 3 and values == sorted(values)  # it moved with the clip's frames, never back
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        assert f"clips/clip-{image}.mp4" in zf.namelist()
    text = dict(boxes)["Subject access bundle saved"]
    assert "1 clip" in text and "0 photos" not in text


def test_stopping_a_bundle_leaves_nothing_written_and_says_so(qtbot, monkeypatch, tmp_path, clip_register, boxes):  # noqa: F811 - a fixture
    cat, page, _image, _person, _n = clip_register
    out = tmp_path / "out" / "bundle.zip"
    out.parent.mkdir()
    busy = start_bundle(qtbot, monkeypatch, page, out)
    assert busy.stop_button is not None and accessible_name(busy.stop_button) == "Stop"
    qtbot.waitUntil(lambda: busy.bar.value() > 0, timeout=30_000)  # under way, in a worker
    assert QApplication.focusWidget() is busy.stop_button  # the one thing to do is one key away
    qtbot.keyClick(busy, Qt.Key.Key_Escape)  # Escape stops, as Stop does
    assert busy.isVisible() and not busy.stop_button.isEnabled()  # stays until the job has cleaned up
    assert busy.label.text().startswith("Stopping: no bundle will be written")
    qtbot.waitUntil(lambda: bool(boxes), timeout=30_000)
    title, text = boxes[0]
    assert title == "Bundle not made" and "You stopped the export" in text
    assert list(out.parent.iterdir()) == []  # no bundle, no half-written file, no working folder
    assert not [e for e in cat.audit_entries_mentioning(page.selected_consent().id) if e.action == "sar.exported"]


def test_a_stop_that_comes_after_the_last_check_says_the_bundle_was_already_complete(
    qtbot, monkeypatch, tmp_path, clip_register, boxes  # noqa: F811 - a fixture
):
    from consentdesk.ui.releases import sar_dialog

    real = sar_dialog.build_sar_bundle

    def past_the_last_check(cat, consent_id, out, progress=None, cancel=None):
        contents = real(cat, consent_id, out)  # the bundle is written: the core checks no more
        while not cancel():  # Stop pressed only now
            time.sleep(0.01)
        return contents

    monkeypatch.setattr(sar_dialog, "build_sar_bundle", past_the_last_check)
    _cat, page, _image, _person, _n = clip_register
    busy = start_bundle(qtbot, monkeypatch, page, tmp_path / "late.zip")
    qtbot.waitUntil(lambda: (tmp_path / "late.zip").exists(), timeout=60_000)
    busy.stop()
    qtbot.waitUntil(lambda: bool(boxes), timeout=30_000)
    title, text = boxes[0]
    assert title == "Subject access bundle saved" and "already complete when you pressed Stop" in text
