"""Data minimisation for findings: keep enough of the text read to show a reviewer what was found.

The analyser reads a full NHS number or name off a label; the catalogue does not need it to say
"NHS number 943 ••• ••19 on a label, top left". Masking happens once, here, before anything is stored.
"""

from __future__ import annotations

from consentdesk.core.model import FindingKind

_KEEP_WHOLE = {FindingKind.TEXT, FindingKind.SCREEN, FindingKind.DOCUMENT}
MASK = "•"
MAX_STORED = 80


def mask_finding_text(kind: FindingKind, text: str) -> str:
    """Mask personal data, keeping its shape: names keep initials, other values their ends only."""
    text = " ".join(text.split())[:MAX_STORED]
    if kind in _KEEP_WHOLE:
        return text
    if kind is FindingKind.PERSON_NAME:
        return " ".join(w[0] + MASK * (len(w) - 1) for w in text.split(" ") if w)
    visible = [i for i, ch in enumerate(text) if not ch.isspace()]
    keep = 2 if len(visible) > 7 else 1
    shown = set(visible[:keep] + visible[-keep:])
    return "".join(ch if (i in shown or ch.isspace()) else MASK for i, ch in enumerate(text))
