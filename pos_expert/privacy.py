"""Masks long numbers (cards, accounts), mobile and ID-card numbers, keeping the last 4, before text is stored,
shown in a summary or logged.

- every run of 12 or more digits, with or without spaces or dashes between them (half- or full-width), whatever
  the Luhn check says: a mistyped card number is still a card number, and no number this long is needed for a
  diagnosis (merchant ids, order numbers and reference numbers are masked too);
- mainland ID-card numbers (18 characters, the last may be X);
- mainland mobile numbers (11 digits, optionally +86, the same separators as above).
Full-width digits are read as ASCII digits first.
"""

from __future__ import annotations

import re

# a separator between digits of one number: up to 3 spaces (incl. full-width) or dashes
_SEP = r"[ \t\u3000\-\u2010-\u2015\uff0d]{0,3}"
# \d matches full-width digits too (str patterns are Unicode)
_LONG_RUN = re.compile(rf"\+?\d(?:{_SEP}\d){{11,}}(?:{_SEP}[Xx](?![A-Za-z]))?")
_MOBILE = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)")  # 11 digits, any grouping
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_FULLWIDTH_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _keep_last4(raw: str) -> str:
    chars = re.sub(r"[^\dXx]", "", raw)
    return "*" * (len(chars) - 4) + chars[-4:]


def mask_pii(text: str) -> str:
    """The text with every long number, ID-card and mobile number reduced to its last 4 characters."""
    if not text or not isinstance(text, str):
        return text
    text = text.translate(_FULLWIDTH_DIGITS)  # ０-９ as 0-9 (the NLU normalizer does the same later)
    text = _ID_CARD.sub(lambda m: _keep_last4(m.group()), text)
    text = _LONG_RUN.sub(lambda m: _keep_last4(m.group()), text)
    return _MOBILE.sub(lambda m: _keep_last4(m.group()), text)
