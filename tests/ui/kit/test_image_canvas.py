import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt

from consentdesk.ui.kit.image_canvas import ImageCanvas, Overlay, rgb_to_qimage


def test_boxes_map_from_original_pixels_to_the_preview_and_clicks_pick_the_smallest(qtbot):
    canvas = ImageCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    preview = rgb_to_qimage(np.full((150, 200, 3), 128, dtype=np.uint8))  # a 4000x3000 photo shown at 1/20
    canvas.set_image(preview, QSize(4000, 3000))
    document = Overlay(("finding", 1), 0, 0, 4000, 3000, "A")
    face = Overlay(("face", 2), 2000, 1500, 400, 400, "2")
    canvas.set_overlays([document, face])
    rect = canvas.overlay_rect(face)
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (200, 150, 40, 40)
    with qtbot.waitSignal(canvas.overlay_clicked) as clicked:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert clicked.args == [("face", 2)]
    assert canvas.overlay_at(QPointF(10, 10)) == document
    assert rgb_to_qimage(np.zeros((3, 5, 3), dtype=np.uint8)).size() == QSize(5, 3)
