"""A projected slide (regions._projected): a page of text high on a wall that a projector lights far brighter
than the wall is a screen; paper lit by the room, or lying low on a dark table, stays a document."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from consentdesk.core.values import FindingKind
from consentdesk.core.vision import analyse
from consentdesk.core.vision.regions import PROJECTED_WHY, find_regions

Boxes = list[tuple[float, float, float, float]]


def _hall(wall: int, top: int) -> tuple[np.ndarray, Boxes]:
    """A wall of brightness `wall` over rows of seats, and a white slide (V 243) of eight lines of print
    whose top edge is at `top` (the picture is 900 px tall)."""
    rng = np.random.default_rng(3)
    img = np.full((900, 1200, 3), wall, np.uint8)
    img += rng.integers(0, 8, img.shape, dtype=np.uint8)
    img[700:] = max(0, wall - 30)
    x0, y0, x1, y1 = 330, top, 870, top + 380
    img[y0:y1, x0:x1] = 243
    boxes: Boxes = []
    for i, y in enumerate(range(y0 + 40, y1 - 40, 45)):
        cv2.putText(img, f"Agenda item {i} shown here", (x0 + 40, y + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (40,) * 3, 2)
        boxes.append((x0 + 40.0, float(y), 380.0, 28.0))
    return img, boxes


def _regions(img: np.ndarray, boxes: Boxes) -> list[tuple[str, str]]:
    found = find_regions(img, boxes, [list(range(len(boxes)))], [20] * len(boxes))
    return [(r.kind, r.reason) for r in found]


@pytest.mark.parametrize("wall", [70, 120])  # a dark lecture hall; a meeting room with its lights dimmed
def test_a_slide_a_projector_lights_high_on_a_darker_wall_is_a_screen(wall):
    assert _regions(*_hall(wall, top=80)) == [("screen", PROJECTED_WHY)]


@pytest.mark.parametrize("wall", [200, 150])  # a notice on a lit wall; a banner under spotlights (1.6 times)
def test_a_page_lit_by_the_room_is_a_document(wall):
    assert _regions(*_hall(wall, top=80)) == [("document", "bright page with text lines")]


def test_a_page_low_in_the_picture_is_a_document_however_it_outshines_the_dark_table():
    img, boxes = _hall(70, top=480)  # its centre at 0.74 of the picture's height: on a table, seen from above
    assert _regions(img, boxes) == [("document", "bright page with text lines")]


def test_the_check_reports_a_projected_slide_as_a_screen_with_its_reason():
    """End to end: the text detector finds the slide's lines itself, and the finding a reviewer reads says
    what it is."""
    img, _ = _hall(70, top=80)
    findings = analyse.Analyser(analyse.AnalyserConfig(threads=1)).analyse_array(img).findings
    kinds = {f.kind for f in findings}
    assert FindingKind.SCREEN in kinds and FindingKind.DOCUMENT not in kinds
    screen = next(f for f in findings if f.kind == FindingKind.SCREEN)
    assert screen.text == PROJECTED_WHY
    assert 330 <= screen.box.x + screen.box.w / 2 <= 870 and 80 <= screen.box.y + screen.box.h / 2 <= 460
