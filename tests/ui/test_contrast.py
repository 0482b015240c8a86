"""Every colour pair the style sheet and the hand-painted widgets use meets WCAG contrast.

The colours are read from the real sources (resources/style.qss through `ui.style.stylesheet()`, and the
constants the canvases paint with), so a future colour change is checked too. The ratio is computed once,
in `ui.style.contrast_ratio`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit

from consentdesk.ui.kit import image_canvas
from consentdesk.ui.kit.style import (
    NON_TEXT_CONTRAST,
    TEXT_CONTRAST,
    apply_style,
    contrast_ratio,
    relative_luminance,
    stylesheet,
)
from consentdesk.ui.library import thumbnail_model
from consentdesk.ui.releases import register_page, signature_pad
from consentdesk.ui.review import review_panel

NAMED = {"white": "#FFFFFF", "black": "#000000"}
#: The surfaces text without its own background sits on: cards, pages/dialogs, alternate table rows.
SURFACES = ("#FFFFFF", "#F0F4F5", "#F7F9FA")
#: Controls whose border is how a user finds the control (WCAG 1.4.11), not a decorative card edge.
CONTROLS = re.compile(
    r"QLineEdit|QPlainTextEdit|QTextBrowser|QComboBox|QDateEdit|QSpinBox|QPushButton|QToolButton"
)
#: Rules for parts that never hold text (the top bar itself, progress chunks, scroll bar parts).
NO_TEXT = re.compile(
    r"^#mainToolbar$|::(chunk|handle|add-page|sub-page|drop-down|separator|up-button|down-button)"
)
COLOUR = r"(#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b|\bwhite\b|\bblack\b)"


def surfaces(selector: str) -> list[str]:
    """What a rule's widget sits on when it has no background of its own."""
    if "#mainToolbar" in selector or "#brand" in selector:
        return ["#005EB8"]  # the blue top bar
    return list(SURFACES)


def hex_colour(value: str) -> str | None:
    found = re.search(COLOUR, value)
    if not found:
        return None
    return NAMED.get(found.group(1).lower(), found.group(1)).upper()


def rules() -> list[tuple[str, dict[str, str]]]:
    """(selector, {property: value}) for every rule of the real style sheet."""
    text = re.sub(r"/\*.*?\*/", "", stylesheet(), flags=re.S)
    parsed = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        props = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                key, value = declaration.split(":", 1)
                props[key.strip()] = value.strip()
        parsed.append((" ".join(selector.split()), props))
    return parsed


def test_the_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the well-known AA grey
    assert relative_luminance("#FFF") == pytest.approx(1.0)
    assert contrast_ratio("#FFB81C", "#FFFFFF") == pytest.approx(1.73, abs=0.01)  # the old focus ring


def test_every_text_colour_in_the_style_sheet_meets_4_5_to_1():
    failures = []
    checked = 0
    parsed = rules()
    # A state rule (":hover") that sets only a background keeps the text colour of its base rule.
    base_colour = {sel: hex_colour(props.get("color", "")) for sel, props in parsed}
    for selector, props in parsed:
        if ":disabled" in selector:
            continue  # WCAG exempts inactive controls
        background = hex_colour(props.get("background", props.get("background-color", "")))
        inherited = base_colour.get(re.sub(r"(?<!:):[a-z-]+", "", selector)) or "#212B32"
        for text_key, bg_key in (("color", None), ("selection-color", "selection-background-color")):
            fg = hex_colour(props.get(text_key, ""))
            if fg is None and text_key == "color" and background and not NO_TEXT.search(selector):
                fg = inherited
            if fg is None:
                continue
            bg = hex_colour(props.get(bg_key, "")) if bg_key else background
            backgrounds = [bg] if bg else surfaces(selector)
            for surface in backgrounds:
                checked += 1
                ratio = contrast_ratio(fg, surface)
                if ratio < TEXT_CONTRAST:
                    failures.append(f"{selector}: {fg} on {surface} is {ratio:.2f}:1")
        placeholder = hex_colour(props.get("placeholder-text-color", ""))
        if placeholder:
            checked += 1
            if contrast_ratio(placeholder, background or "#FFFFFF") < TEXT_CONTRAST:
                failures.append(f"{selector}: placeholder {placeholder}")
    assert checked > 60
    assert not failures, "\n".join(failures)


def test_control_borders_and_focus_rings_meet_3_to_1():
    failures = []
    checked = 0
    for selector, props in rules():
        if ":disabled" in selector or ":hover" in selector or "flat" in selector:
            continue
        border = hex_colour(props.get("border", "") + " " + props.get("border-color", ""))
        if border is None:
            continue
        focus = ":focus" in selector
        if not (focus or (CONTROLS.search(selector) and "::" not in selector)):
            continue
        background = hex_colour(props.get("background", ""))
        # A ring is seen against what is around the control; a border also against the control's fill.
        if border == background:
            border = background  # a filled control: its fill is its edge against the page
            against = surfaces(selector)
        elif focus:
            against = surfaces(selector)
        else:
            against = [background or "#FFFFFF", *surfaces(selector)]
        for surface in against:
            if surface == background and focus:
                continue
            checked += 1
            ratio = contrast_ratio(border, surface)
            if ratio < NON_TEXT_CONTRAST and not (
                focus and background and contrast_ratio(background, surface) >= 3
            ):
                failures.append(f"{selector}: {border} against {surface} is {ratio:.2f}:1")
    assert checked > 20
    assert not failures, "\n".join(failures)


class _Colours(HTMLParser):
    """(text colour, background) pairs from the inline styles of rich text the panels build."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        style = dict(attrs).get("style") or ""
        colour = re.search(r"(?<![-\w])color:\s*" + COLOUR, style)
        background = re.search(r"background:\s*" + COLOUR, style)
        if colour or background:
            self.pairs.append(
                (
                    hex_colour(colour.group(1)) if colour else "#212B32",
                    hex_colour(background.group(1)) if background else "#FFFFFF",
                )
            )


def test_colours_painted_by_hand_meet_wcag():
    pairs = []  # (what, text or part, background, minimum)
    for state, colour in image_canvas.STATE_COLOURS.items():
        pairs.append((f"{state} box tag", image_canvas.TAG_TEXT.name(), colour.name(), TEXT_CONTRAST))
    pairs.append(
        ("photo message", image_canvas.MESSAGE_TEXT.name(), image_canvas.BACKDROP.name(), TEXT_CONTRAST)
    )
    pad = signature_pad.PAD_BACKGROUND.name()
    pairs.append(("signature hint", signature_pad.HINT_COLOUR.name(), pad, TEXT_CONTRAST))
    pairs.append(("signature pad edge", signature_pad.BORDER_COLOUR.name(), pad, NON_TEXT_CONTRAST))
    pairs.append(("signature pad focus", signature_pad.FOCUS_COLOUR.name(), pad, NON_TEXT_CONTRAST))
    for key, (fg, bg) in [*register_page.BADGE_COLOURS.items(), *thumbnail_model.BADGE_COLOURS.items()]:
        pairs.append((f"{key} badge", fg, bg, TEXT_CONTRAST))
    pairs.append(
        ("photo loading", thumbnail_model.PLACEHOLDER_TEXT, thumbnail_model.PLACEHOLDER_FILL, TEXT_CONTRAST)
    )
    for card in ("#FFFFFF", "#E8F1FA"):
        pairs.append(("photo card focus", thumbnail_model.FOCUS_RING, card, NON_TEXT_CONTRAST))
    for colour in (review_panel.GREEN, review_panel.RED):
        for surface in SURFACES:
            pairs.append(("review panel text", colour, surface, TEXT_CONTRAST))
    parser = _Colours()
    parser.feed(review_panel.help_html([("N", "next to decide"), ("Esc", "back")]))
    assert parser.pairs
    pairs += [("key cap", fg, bg, TEXT_CONTRAST) for fg, bg in parser.pairs]
    failures = [
        f"{what}: {fg} on {bg} is {contrast_ratio(fg, bg):.2f}:1"
        for what, fg, bg, minimum in pairs
        if contrast_ratio(fg, bg) < minimum
    ]
    assert not failures, "\n".join(failures)


def test_placeholder_text_as_drawn_meets_4_5_to_1(qtbot):
    """Measured on screen: Qt draws placeholders in a faded colour unless the style sheet sets one."""
    app = QApplication.instance()
    apply_style(app)
    try:
        edit = QLineEdit()
        qtbot.addWidget(edit)
        edit.setPlaceholderText("Search name, ID, location or photographer")
        edit.resize(360, 40)
        edit.show()
        edit.clearFocus()
        image = edit.grab().toImage()
        darkest = min(
            (image.pixelColor(x, y) for x in range(12, 300) for y in range(8, 32)),
            key=lambda c: c.lightness(),
        )
        assert contrast_ratio(darkest.name(), "#FFFFFF") >= TEXT_CONTRAST
    finally:
        app.setStyleSheet("")


def test_the_clip_timeline_and_card_colours_meet_wcag():
    """The timeline paints its lane names, states and time marks on white and on the chosen lane's blue,
    with its focus ring and playhead; a clip's card says "Clip · 0:42" on a dark chip."""
    from consentdesk.ui.review import clip_timeline as tl

    pairs = []
    for surface in ("#FFFFFF", tl.SELECTED_FILL.name()):
        pairs += [("lane name", tl.TEXT.name(), surface, TEXT_CONTRAST)]
        pairs += [("lane state and time marks", tl.HINT.name(), surface, TEXT_CONTRAST)]
        pairs += [("timeline focus ring", tl.TEXT.name(), surface, NON_TEXT_CONTRAST)]
        pairs += [("playhead", tl.PLAYHEAD.name(), surface, NON_TEXT_CONTRAST)]
        for state, colour in image_canvas.STATE_COLOURS.items():
            pairs.append((f"{state} ticks", colour.name(), surface, NON_TEXT_CONTRAST))
    pairs.append(("clip chip", *thumbnail_model.CLIP_CHIP, TEXT_CONTRAST))
    failures = [
        f"{what}: {fg} on {bg} is {contrast_ratio(fg, bg):.2f}:1"
        for what, fg, bg, needed in pairs
        if contrast_ratio(fg, bg) < needed
    ]
    assert failures == []


def test_a_disabled_main_button_does_not_look_pressable(qtbot):
    """Measured on screen: a primary (blue) button that is disabled (Export while an export runs, Approve…
    that is not yet possible) must not keep the look of one that works."""
    from PySide6.QtWidgets import QPushButton

    app = QApplication.instance()
    apply_style(app)
    try:
        looks = []
        for enabled in (True, False):
            button = QPushButton("Export")
            qtbot.addWidget(button)
            button.setProperty("primary", True)
            button.setEnabled(enabled)
            button.resize(120, 36)
            button.show()
            looks.append(button.grab().toImage().pixelColor(6, 18).name())
        assert looks[0] != looks[1], looks
    finally:
        app.setStyleSheet("")
