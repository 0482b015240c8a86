"""Data minimisation for findings: nothing read from a photo is kept unmasked, flagged or not.

The analyser reads a full NHS number or name off a label; the catalogue does not need it to say
"NHS number 94• ••• ••19 on a label, top left". Harmless-looking text is not kept at all: its kind,
box and severity are enough, and the review shows the crop from the photo itself. Text read out of
barcodes and QR codes keeps only the symbology. Screens and documents carry the analyser's own
description (never photo text). Masking happens here, where findings are built, and again when they
are stored (idempotent), so a raw value cannot reach the catalogue whichever path it takes.
"""

from __future__ import annotations

from consentdesk.core.values import FindingKind

#: Kinds whose text is written by the analyser itself ("bright panel inside a dark bezel").
_DESCRIPTIONS = {FindingKind.SCREEN, FindingKind.DOCUMENT}
#: Kinds whose text comes from a code's content: keep only the symbology ("Code128").
_CODES = {FindingKind.BARCODE, FindingKind.QR_CODE}
#: zxing-cpp symbology names: the only part of a code finding that is kept.
SYMBOLOGIES = frozenset(
    [
        "Code128",
        "Code39",
        "Code93",
        "Codabar",
        "EAN8",
        "EAN13",
        "ITF",
        "UPCA",
        "UPCE",
        "DataBar",
        "DataBarExpanded",
        "DataBarLimited",
        "DXFilmEdge",
        "PDF417",
        "QRCode",
        "MicroQRCode",
        "RMQRCode",
        "DataMatrix",
        "Aztec",
        "MaxiCode",
    ]
)
#: What a confidential marking is stored as (the words themselves are not kept).
CONFIDENTIAL_MARKING = "confidential marking"
#: What a code the analyser sees but cannot decode is stored as (there is no content to keep).
UNREADABLE_CODE = "code seen but not read"
MASK = "•"
MAX_STORED = 80


def mask_finding_text(kind: FindingKind, text: str) -> str:
    """The only text that may be stored for a finding: masked values, no free text from the photo.

    Personal data keeps its shape (names their initials, other values two characters at each end);
    harmless text becomes "" unless it is the analyser's confidential-marking label.
    """
    kind = FindingKind(kind)
    text = " ".join(str(text).split())[:MAX_STORED]
    if kind in _DESCRIPTIONS:
        return text
    if kind in _CODES:
        symbology = text.split(":", 1)[0].strip()
        return symbology if symbology in SYMBOLOGIES or text == UNREADABLE_CODE else ""
    if kind is FindingKind.TEXT:
        return CONFIDENTIAL_MARKING if text == CONFIDENTIAL_MARKING else ""
    if kind is FindingKind.PERSON_NAME:
        return " ".join(w[0] + MASK * (len(w) - 1) for w in text.split(" ") if w)
    visible = [i for i, ch in enumerate(text) if not ch.isspace()]
    keep = 2 if len(visible) > 7 else 1
    if len(visible) <= 4:
        keep = 0  # too short to show any of it
    shown = set(visible[:keep] + visible[-keep:]) if keep else set()
    return "".join(ch if (i in shown or ch.isspace()) else MASK for i, ch in enumerate(text))
