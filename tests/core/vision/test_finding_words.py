"""What the check says a screen or document is, stored whole: the catalogue keeps at most
minimise.MAX_STORED characters of a finding's words, so a longer reason reached the reviewer cut off
("... a projected" for "... a projected slide")."""

from __future__ import annotations

import pytest

from consentdesk.core.minimise import MAX_STORED, mask_finding_text
from consentdesk.core.values import FindingKind
from consentdesk.core.vision import emitted, keyboards, regions, screens
from consentdesk.core.vision.devices import DEVICE_WORDS


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        (FindingKind.SCREEN, regions.PROJECTED_WHY),
        (FindingKind.SCREEN, regions.GRID_WHY),
        (FindingKind.SCREEN, regions.STRIPES_WHY),
        (FindingKind.SCREEN, emitted.LIT_PANEL_WHY),
        (FindingKind.SCREEN, keyboards.WHY),
        (FindingKind.DOCUMENT, screens.PAGE_ON_DARK),
        (FindingKind.DOCUMENT, screens.SHEET_ON_DARK),
    ]
    + [
        # as analyse._device_screens words it, at the widest score
        (FindingKind.SCREEN, f"a {word} whose display is lit (device detector, score 0.99)")
        for word in DEVICE_WORDS.values()
    ],
)
def test_every_reason_the_check_gives_is_stored_whole(kind, why):
    assert len(why) <= MAX_STORED
    assert mask_finding_text(kind, why) == why
