from __future__ import annotations

from PySide6.QtGui import QImage

from consentdesk.ui.signature_pad import MAX_PNG_WIDTH, SignaturePad

from .conftest import draw_signature


def test_strokes_undo_clear_and_png(qtbot):
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(600, 200)
    pad.show()
    assert pad.is_empty() and pad.to_png() == b""
    assert not pad.undo_button.isEnabled()
    with qtbot.waitSignal(pad.strokes_changed, timeout=1000):
        draw_signature(qtbot, pad.canvas)
    draw_signature(qtbot, pad.canvas, offset=200)
    assert len(pad.canvas.strokes) == 2 and not pad.is_empty()
    assert pad.undo_button.isEnabled()

    png = pad.to_png()
    image = QImage.fromData(png)
    assert png.startswith(b"\x89PNG") and not image.isNull()
    assert image.width() <= MAX_PNG_WIDTH
    # Cropped to the ink plus a margin: much smaller than the pad in height, and has dark ink.
    ink = pad.canvas.ink_bounds()
    assert image.height() < image.width() and ink.height() < 60
    dark = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(image.height())
        if image.pixelColor(x, y).lightness() < 100
    )
    assert dark > 50

    pad.undo_button.click()
    assert len(pad.canvas.strokes) == 1
    pad.clear_button.click()
    assert pad.is_empty() and not pad.clear_button.isEnabled()


def test_pad_is_focusable_and_hints(qtbot):
    pad = SignaturePad()
    qtbot.addWidget(pad)
    assert pad.canvas.focusPolicy() & pad.canvas.focusPolicy().TabFocus
    assert "mouse, finger or pen" in pad.canvas.accessibleDescription()
