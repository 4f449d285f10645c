"""Masks card, mobile and ID-card numbers (keeping the last 4) before text is shown in a summary or stored."""
from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")


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
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: _keep_last4(m.group()), text)

    def card(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return _keep_last4(match.group()) if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()

    text = _CANDIDATE.sub(card, text)
    return _MOBILE.sub(lambda m: _keep_last4(m.group()), text)
