"""Fonts for every PDF ConsentDesk writes: one place that registers and embeds them.

The standard PDF fonts (Helvetica…) cover Latin-1 only, so a Welsh ŵ, a Polish ł or a Cyrillic name
would print as black boxes. We embed DejaVu Sans (shipped in resources/fonts) for all text, and, for
scripts DejaVu lacks (Chinese, Japanese, Korean), switch per run of characters to a CJK font found on
the system, if one is installed. Without one those characters print as empty boxes and are lost from
the PDF's extractable text. Right-to-left scripts (Hebrew, Arabic) are drawn with DejaVu's glyphs in
the order typed, without bidi reordering or Arabic joining (reportlab needs extra shaping libraries).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from consentdesk import paths

SANS = "CD-Sans"
SANS_BOLD = "CD-Sans-Bold"
FALLBACK = "CD-Fallback"

#: TrueType/TTC files that commonly hold CJK glyphs (Debian/Ubuntu, Fedora, macOS, Windows).
_CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)


@dataclass(frozen=True, slots=True)
class FontSet:
    """The registered font names plus the characters the main font can draw."""

    regular: str
    bold: str
    fallback: str | None
    covered: frozenset[int]
    fallback_covered: frozenset[int]


def _try_register(name: str, path: Path) -> TTFont | None:
    """Register a TrueType font; CFF-flavoured OpenType and broken files are skipped, not fatal."""
    try:
        font = (
            TTFont(name, str(path), subfontIndex=0)
            if path.suffix.lower() == ".ttc"
            else TTFont(name, str(path))
        )
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        return None
    pdfmetrics.registerFont(font)
    return font


def _system_cjk_paths() -> list[Path]:
    """fc-match's answer for Chinese first, then the well-known install paths."""
    found: list[Path] = []
    if shutil.which("fc-match"):
        for lang in ("zh-cn", "ja", "ko"):
            try:
                out = subprocess.run(
                    ["fc-match", "-f", "%{file}", f":lang={lang}"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    check=False,
                ).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                break
            if out:
                found.append(Path(out))
    found += [Path(p) for p in _CJK_CANDIDATES]
    return [p for p in dict.fromkeys(found) if p.is_file()]


def _cmap(font: TTFont) -> frozenset[int]:
    return frozenset(font.face.charToGlyph)


@cache
def fonts() -> FontSet:
    """Register the fonts once per process and say which characters each can draw."""
    regular = _try_register(SANS, paths.resource("fonts", "DejaVuSans.ttf"))
    bold = _try_register(SANS_BOLD, paths.resource("fonts", "DejaVuSans-Bold.ttf"))
    if regular is None or bold is None:
        raise FileNotFoundError("ConsentDesk's PDF fonts (resources/fonts/DejaVuSans*.ttf) are missing")
    addMapping(SANS, 0, 0, SANS)
    addMapping(SANS, 1, 0, SANS_BOLD)
    addMapping(SANS, 0, 1, SANS)
    addMapping(SANS, 1, 1, SANS_BOLD)
    covered = _cmap(regular)
    for path in _system_cjk_paths():
        fallback = _try_register(FALLBACK, path)
        if fallback is not None and 0x4E00 in _cmap(fallback):  # must really have CJK ideographs
            return FontSet(SANS, SANS_BOLD, FALLBACK, covered, _cmap(fallback))
    return FontSet(SANS, SANS_BOLD, None, covered, frozenset())


def runs(text: str) -> list[tuple[str, bool]]:
    """Split text into runs of (chunk, needs_fallback) so each run can use a font that has its glyphs."""
    fs = fonts()
    out: list[tuple[str, bool]] = []
    for ch in text:
        needs = (
            fs.fallback is not None
            and ord(ch) not in fs.covered
            and ord(ch) in fs.fallback_covered
            and not ch.isspace()
        )
        if out and out[-1][1] == needs:
            out[-1] = (out[-1][0] + ch, needs)
        else:
            out.append((ch, needs))
    return out


def markup(text: str) -> str:
    """User text as safe Paragraph markup: `<`, `&`, `>` escaped, CJK runs switched to the fallback font.

    Paragraph parses a mini-XML, so an unescaped `<Smith>` would raise or vanish; every piece of user
    text shown in a PDF must pass through here.
    """
    parts = []
    for chunk, needs in runs(text):
        safe = escape(chunk)
        parts.append(f'<font name="{FALLBACK}">{safe}</font>' if needs else safe)
    return "".join(parts)


def draw_string(canvas, x: float, y: float, text: str, font: str, size: float) -> float:
    """Draw plain (non-markup) text on a canvas with per-run fallback; return the width drawn."""
    start = x
    for chunk, needs in runs(text):
        name = FALLBACK if needs else font
        canvas.setFont(name, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, name, size)
    return x - start
