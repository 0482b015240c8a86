"""Form and record ids people can read aloud, type and print: `CD-7K3M-Q9XJ`.

Crockford base-32 (no I, L, O, U) with a Luhn mod-32 check character, so a mistyped id is refused
instead of matching someone else's record.
"""

from __future__ import annotations

import re
import secrets

from stdnum import luhn

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "CD"
_SHAPE = re.compile(rf"^{PREFIX}-([{ALPHABET}]{{4}})-([{ALPHABET}]{{4}})$")
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_id() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(7))
    body += luhn.calc_check_digit(body, ALPHABET)
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def normalise(text: str) -> str | None:
    """The canonical id for typed or scanned text, or None when it is not a valid id."""
    cleaned = re.sub(r"[\s_]", "", text.strip().upper()).translate(_TYPO)
    if not cleaned.startswith(f"{PREFIX}-"):
        cleaned = f"{PREFIX}-{cleaned.removeprefix(PREFIX).lstrip('-')}"
    cleaned = cleaned.replace("-", "")
    cleaned = f"{cleaned[:2]}-{cleaned[2:6]}-{cleaned[6:]}"
    match = _SHAPE.match(cleaned)
    if not match or not luhn.is_valid("".join(match.groups()), ALPHABET):
        return None
    return cleaned


def is_valid(text: str) -> bool:
    return normalise(text) == text
