"""Font handling: user text is escaped for Paragraph markup and scripts DejaVu lacks use a fallback."""

from __future__ import annotations

from dataclasses import replace

from reportlab.platypus import Paragraph

from consentdesk.core.pdf import fonts, layout


def test_markup_escapes_user_text():
    assert fonts.markup("Zoë <Smith> & Co") == "Zoë &lt;Smith&gt; &amp; Co"
    # The escaped text parses as a Paragraph without raising and keeps the characters.
    para = Paragraph(fonts.markup("<b>x</b> & <i>"), layout.styles().value)
    assert "<b>x</b> & <i>" in "".join(para.frags[i].text for i in range(len(para.frags)))


def test_dejavu_covers_european_scripts():
    covered = fonts.fonts().covered
    for ch in "ŵŷŴŶłŁąęΩωЖжæøÆØ☑☐":
        assert ord(ch) in covered, ch


def test_cjk_runs_switch_to_fallback_font_when_one_is_installed(monkeypatch):
    real = fonts.fonts()
    fake = replace(real, fallback=fonts.FALLBACK, fallback_covered=frozenset(range(0x4E00, 0xA000)))
    monkeypatch.setattr(fonts, "fonts", lambda: fake)
    assert fonts.runs("Ann 山田 Lee") == [("Ann ", False), ("山田", True), (" Lee", False)]
    assert fonts.markup("<山>") == f'&lt;<font name="{fonts.FALLBACK}">山</font>&gt;'


def test_without_fallback_text_is_kept_in_one_run(monkeypatch):
    real = fonts.fonts()
    monkeypatch.setattr(fonts, "fonts", lambda: replace(real, fallback=None, fallback_covered=frozenset()))
    assert fonts.runs("Ann 山田") == [("Ann 山田", False)]
