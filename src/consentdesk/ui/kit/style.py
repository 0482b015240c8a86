"""The app's look: the stylesheet in resources/style.qss, applied once at start-up, and the contrast
rule every colour in it (and every colour painted by hand) is checked against."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from consentdesk import paths

ACCENT = "#005EB8"  # NHS blue

#: WCAG 2.2 minimum contrast: text (1.4.3) and the parts of controls and focus rings (1.4.11).
TEXT_CONTRAST = 4.5
NON_TEXT_CONTRAST = 3.0


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour written "#RGB" or "#RRGGBB"."""
    hex_digits = colour.strip().lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    if len(hex_digits) != 6:
        raise ValueError(f"not an #RRGGBB colour: {colour!r}")
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def stylesheet() -> str:
    """The style sheet text, or "" when the resource is missing."""
    try:
        return paths.resource("style.qss").read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return ""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")  # the same, predictable widgets on every platform; the QSS refines them
    qss = stylesheet()
    if qss:  # an unstyled app still works
        app.setStyleSheet(qss)
