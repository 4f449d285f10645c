"""Text normalisation and lexicon matching over the knowledge base's phrases.

The same normalisation runs before Rasa's NLU (nlu_components) and before the
lexicon scan here, so the spaCy EntityRuler and this matcher see the same text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from opencc import OpenCC

from pos_expert.knowledge import KnowledgeBase

# The signal whose digit-only phrases are error codes, read only in context (Lexicon._is_code_in_context).
CODE_SIGNAL = "error_code"

# What may stand around a code typed on its own ("77", "好像是54吧"): a message that is only a number is the
# merchant naming the code, since nobody types a bare amount or time as a whole message.
_CODE_ALONE_FILLERS = frozenset("好像是个吧啊呢呀嗯哦就应该大概可能码的那.。,,!!??~ ")
_CODE_ALONE_MAX_FILLERS = 5
# A number followed by a unit is an amount, a time, a date or a count, whatever word comes before it ("写的98块").
_NUMBER_UNITS = tuple("块元角毛点分秒号日月年笔张次个位天岁%") + ("块钱", "多块", "多元")

# Cues that flip the phrase right after them ("没有死机", "没断过网").
NEGATION_CUES = ("并没有", "从来没", "从没有", "没有", "从没", "没", "不", "未", "无")

_converter = OpenCC("t2s")
_SPACES = re.compile(r"\s+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")
_ANY_CJK = re.compile(f"[{_CJK}]")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")


def normalize_text(text: str) -> str:
    """繁體 → 简体, full-width → half-width, lower case, tidy whitespace.

    Spaces next to Chinese characters are dropped so that mixed text such as
    "POS机 T+1" does not produce whitespace tokens.
    """
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _converter.convert(text)
    text = _SPACES.sub(" ", text).strip().lower()
    text = _SPACE_NEXT_TO_CJK.sub("", text)
    pattern = _variants()
    return pattern.sub(lambda m: _VARIANTS[m.group(0)], text) if _VARIANTS else text


def has_chinese(text: str) -> bool:
    """True when the text holds at least one Chinese character."""
    return bool(_ANY_CJK.search(text))


_VARIANTS: Dict[str, str] = {}
_VARIANT_PATTERN: Optional["re.Pattern[str]"] = None


def _variants() -> "re.Pattern[str]":
    """The knowledge base's spelling variants (木有 → 没有, 帐 → 账) as one pattern, longest first."""
    global _VARIANT_PATTERN
    if _VARIANT_PATTERN is None:
        from pos_expert.knowledge import default_knowledge_base

        _VARIANTS.update(default_knowledge_base().spelling_variants)
        _VARIANT_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_VARIANTS, key=len, reverse=True)))
    return _VARIANT_PATTERN


@dataclass(frozen=True)
class FactMatch:
    signal_id: str
    answer_id: str
    phrase: str
    start: int
    end: int
    negated: bool = False


class Lexicon:
    """Longest-match scanner over every answer phrase in the knowledge base."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._by_phrase: Dict[str, Tuple[str, str]] = {}
        for signal in kb.signals:
            for answer in signal.answers:
                for phrase in answer.phrases:
                    self._by_phrase[normalize_text(phrase)] = (signal.id, answer.id)
        self._max_len = max(len(p) for p in self._by_phrase)
        self._code_cues = tuple(sorted((normalize_text(c) for c in kb.error_code_cues), key=len, reverse=True))
        self._code_messages = tuple(
            normalize_text(p) for p, (s, _) in self._by_phrase.items() if s == CODE_SIGNAL and not p.isdigit()
        )

    def _is_code_in_context(self, text: str, start: int, end: int) -> bool:
        """A bare number is an error code only after a cue ("报了个96"), before its message ("98发卡方无应答"),
        or typed as the whole message ("77", "好像是54")."""
        if (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit()):
            return False
        if text[end:].lstrip(" ").startswith(_NUMBER_UNITS):
            return False
        before = text[max(0, start - 6) : start].rstrip(" ::'\"“”")
        after = text[end : end + 8].lstrip(" ::-")
        rest = text[:start] + text[end:]
        alone = len(rest) <= _CODE_ALONE_MAX_FILLERS and all(c in _CODE_ALONE_FILLERS for c in rest)
        return alone or before.endswith(self._code_cues) or after.startswith(self._code_messages)

    def _negated_answer(self, signal_id: str, answer_id: str, _before: str) -> Optional[str]:
        """The answer a negated phrase means: its `when_negated`, or None when the negation names no answer."""
        return self.kb.signal(signal_id).answer(answer_id).when_negated

    def scan(self, text: str, normalized: bool = False) -> List[FactMatch]:
        """All non-overlapping phrase matches, longest first at each position."""
        text = text if normalized else normalize_text(text)
        matches: List[FactMatch] = []
        position = 0
        while position < len(text):
            found = None
            for length in range(min(self._max_len, len(text) - position), 0, -1):
                candidate = text[position : position + length]
                if candidate in self._by_phrase:
                    found = candidate
                    break
            if found is None:
                position += 1
                continue
            signal_id, answer_id = self._by_phrase[found]
            end = position + len(found)
            # Digits-only phrases (error codes) count only in context: never amounts, times or card digits.
            if found.isdigit() and not self._is_code_in_context(text, position, end):
                position += 1
                continue
            negated = text[max(0, position - 3) : position].endswith(NEGATION_CUES)
            # "没报错" is no error; "没死机" says the terminal is fine (when_negated).
            answer = self._negated_answer(signal_id, answer_id, "") if negated else answer_id
            matches.append(FactMatch(signal_id, answer or "", found, position, end, negated=negated))
            position = end
        return matches

    def facts(self, text: str, only_signal: Optional[str] = None) -> Dict[str, str]:
        """signal id -> answer id; a later mention of a signal wins (merchants correct themselves)."""
        facts: Dict[str, str] = {}
        for match in self.scan(text):
            if match.answer_id and (only_signal is None or match.signal_id == only_signal):
                facts[match.signal_id] = match.answer_id
        return facts

    def answer_for_entity(self, signal_id: str, entity_text: str) -> Optional[str]:
        """Maps the text of an extracted entity to its answer id (None if it is no phrase of that signal)."""
        facts = self.facts(entity_text, only_signal=signal_id)
        return facts.get(signal_id)


_lexicons: Dict[int, Lexicon] = {}


def lexicon_for(kb: KnowledgeBase) -> Lexicon:
    """One lexicon per knowledge base object (the knowledge base is not hashable)."""
    if id(kb) not in _lexicons:
        _lexicons[id(kb)] = Lexicon(kb)
    return _lexicons[id(kb)]
