from __future__ import annotations

from PySide6.QtGui import QImage
from tests.ui.conftest import draw_signature

from consentdesk.ui.releases.signature_pad import MAX_PNG_WIDTH, SignaturePad


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


def test_touch_and_pen_strokes(qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(600, 200)
    pad.show()
    qtbot.waitExposed(pad)
    canvas = pad.canvas

    touch = QTest.createTouchDevice()
    QTest.touchEvent(canvas, touch).press(0, QPoint(30, 60))
    for x in range(40, 200, 20):
        QTest.touchEvent(canvas, touch).move(0, QPoint(x, 60 + x % 30))
    QTest.touchEvent(canvas, touch).release(0, QPoint(210, 70))
    assert len(canvas.strokes) == 1 and len(canvas.strokes[0].points) > 3

    pen = QPointingDevice.primaryPointingDevice()

    def tablet(kind, x, pressure):
        pos = QPointF(x, 120)
        event = QTabletEvent(
            kind,
            pen,
            pos,
            canvas.mapToGlobal(pos),
            pressure,
            0,
            0,
            0,
            0,
            0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
        )
        QApplication.sendEvent(canvas, event)

    tablet(QTabletEvent.Type.TabletPress, 50, 0.1)
    for i, x in enumerate(range(60, 300, 20)):
        tablet(QTabletEvent.Type.TabletMove, x, 0.1 + i * 0.07)
    tablet(QTabletEvent.Type.TabletRelease, 300, 0.0)
    assert len(canvas.strokes) == 2
    widths = canvas.strokes[1].widths
    assert max(widths) > 2 * min(widths)  # pressure changes the line width
    assert pad.to_png().startswith(b"\x89PNG")
