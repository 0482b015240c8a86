"""The device detector's screens (analyse._device_screens) and pages on a dark surface: the model takes a dark
mat or table with a white page on it for a laptop or a TV, and the page lights the part it calls a display."""

from __future__ import annotations

import numpy as np
import pytest

from consentdesk.core.values import Box, Finding, FindingKind, Severity
from consentdesk.core.vision import analyse
from consentdesk.core.vision.devices import Device
from consentdesk.core.vision.frame import Frame
from consentdesk.core.vision.screens import PAGE_ON_DARK, SHEET_ON_DARK


def _page_on_mat() -> np.ndarray:
    """A grey garden (130) with a dark mat (x 300-700, y 150-650) holding a white page with lines of print."""
    img = np.full((800, 1000, 3), 130, np.uint8)
    img[150:650, 300:700] = (30, 32, 40)
    img[200:600, 360:640] = (245, 245, 240)
    for y in range(230, 580, 18):
        img[y : y + 6, 380:600] = (50, 50, 50)
    return img


def _device_screens(monkeypatch, reason: str) -> list[Finding]:
    analyser = analyse.Analyser(analyse.AnalyserConfig(threads=1))
    # as the model saw the comp set's page_dark composites: the mat a laptop or TV, scoring 0.43-0.48
    monkeypatch.setattr(
        analyser.devices, "detect", lambda img: [Device("tv", (300.0, 150.0, 400.0, 500.0), 0.45)]
    )
    page = Finding(FindingKind.DOCUMENT, Box(360, 200, 280, 400), reason, Severity.MEDIUM)
    return analyser._device_screens(Frame(_page_on_mat(), 1.0, 1000, 800), [page])


@pytest.mark.parametrize("reason", [PAGE_ON_DARK, SHEET_ON_DARK])
def test_a_page_the_rules_measured_on_a_dark_surface_is_not_a_device_s_lit_display(monkeypatch, reason):
    assert _device_screens(monkeypatch, reason) == []


def test_a_page_of_text_a_device_shows_stays_a_screen(monkeypatch):
    # many lines make a "page" whatever they are on: a monitor showing a document is still a screen
    assert len(_device_screens(monkeypatch, "28 lines of text together: a page")) == 1
