"""How the register matches what people type against names: ignoring case and accents, in any script.

One rule for both engines: the store keeps a search key per record built here, and a query's text is folded
the same way, so "oyku", "ÖYKÜ" and "öykü" all find "Öykü Çelik", "lodz" finds "Łódź", and "olga" finds
"Ольга". Databases' own folding differs (SQLite's LIKE folds ASCII only), so it is done once, in Python.
"""

from __future__ import annotations

import unicodedata

from anyascii import anyascii

_SEPARATOR = "\x1f"  # never typed, so a needle cannot match across two parts of the key


def fold(text: str) -> str:
    """Case- and accent-free form of `text`: compatibility-decomposed, marks removed, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def search_key(*parts: str | None) -> str:
    """The key stored for a record: each part folded, and once more transliterated to Latin letters."""
    folded = [fold(p) for p in parts if p]
    latin = [_latin(p) for p in parts if p]
    return _SEPARATOR.join(folded + latin)


def _latin(text: str) -> str:
    # Transliteration writes soft signs and the like as apostrophes ("Ольга" -> "Ol'ga"); people type "olga".
    return fold(anyascii(text)).replace("'", "")


def needle(text: str) -> str:
    """What a typed query is matched with (a substring of some part of the key), or '' for no filter."""
    return fold(text.replace(_SEPARATOR, " "))
