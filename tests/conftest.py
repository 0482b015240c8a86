"""Shared test set-up: GUI tests run headless, and nothing touches the real user data folder."""

from __future__ import annotations

import os

# Before any Qt import: GUI tests draw offscreen unless a test (the Xvfb one) asks for a real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _consentdesk_home(tmp_path_factory, monkeypatch):
    """Each test gets its own ConsentDesk data folder, so the real one is never read or written."""
    home = tmp_path_factory.mktemp("consentdesk-home")
    monkeypatch.setenv("CONSENTDESK_HOME", str(home))
    return home
