"""Reads a merchant's message as an answer to the open question, then for any other facts it states.

Every fact comes from NLU (nlu_components/facts.py): `entities` for what the text states on its
own, `answers_if_asked` for how it reads as a reply to each question. This module only decides,
knowing which question is open, what to do with those readings; it scans no text itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Text

from actions.common import KB
from pos_expert.knowledge import UNKNOWN

# Intents that answer a yes/no question. "不对" (reject_diagnosis) answers "您是说…,对吗?", but it is
# no answer to a question such as "交易明细里能查到这笔吗?".
AFFIRM_INTENTS = ("affirm",)
DENY_INTENTS = ("deny",)
REJECT_INTENTS = ("deny", "reject_diagnosis")
DONT_KNOW_INTENT = "dont_know"
ANSWERS_IF_ASKED = "answers_if_asked"

# How sure the reply classifier must be: to take an answer, or at least to confirm it in one question.
TAKE_THRESHOLD = 0.6
CONFIRM_THRESHOLD = 0.35
UNKNOWN_THRESHOLD = 0.5
# A reply to one question that also states another fact: taken only when the reader is this sure.
OFF_TARGET_THRESHOLD = 0.8


@dataclass
class ReplyReading:
    """What one message means for the diagnosis."""

    facts: Dict[Text, Text] = field(default_factory=dict)
    # The open question's answer, when the reader is fairly but not fully sure: ask "您是说…,对吗?"
    to_confirm: Optional[Text] = None
    # A bare 是/不是 to an either/or question: re-ask naming the options.
    needs_options: bool = False

    def answers(self, signal_id: Optional[Text]) -> bool:
        return signal_id is not None and signal_id in self.facts


def _intent(message: Dict[Text, Any]) -> Optional[Text]:
    return (message.get("intent") or {}).get("name")


def stated_facts(message: Dict[Text, Any], min_confidence: float = 0.0) -> Dict[Text, Text]:
    """signal id -> answer id from the message's entities (the fact extractor's or a button's payload)."""
    facts: Dict[Text, Text] = {}
    for entity in message.get("entities") or []:
        signal_id, value = entity.get("entity"), entity.get("value")
        if signal_id not in KB.signal_ids or value is None:
            continue  # not a signal (e.g. an injected "diagnosed_cause"): never fills anything
        if float(entity.get("confidence_entity", 1.0)) < min_confidence:
            continue
        if KB.is_valid_answer(signal_id, str(value)) and str(value) != UNKNOWN:
            facts[signal_id] = str(value)
    return facts


def read_reply(message: Dict[Text, Any], requested: Optional[Text]) -> ReplyReading:
    """The facts of a message, reading it first as a reply to `requested` (the open question)."""
    if requested not in KB.signal_ids:
        return ReplyReading(facts=stated_facts(message))
    # Other facts in a reply must be surer than in an opening; the open question's own entity is kept.
    reading = ReplyReading(facts=stated_facts(message, OFF_TARGET_THRESHOLD))
    own = stated_facts(message).get(requested)
    if own:
        reading.facts[requested] = own
    intent = _intent(message)
    signal = KB.signal(requested)
    in_context = (message.get(ANSWERS_IF_ASKED) or {}).get(requested) or {}
    raw_answer = in_context.get("answer")
    answer: Optional[Text] = str(raw_answer) if raw_answer is not None else None
    confidence = float(in_context.get("confidence") or 0.0)
    valid_answer = answer if answer not in (None, UNKNOWN) and KB.is_valid_answer(requested, answer) else None

    # Read as a reply to its own question, the text is surer than read on its own: that reading wins.
    if valid_answer is not None and confidence >= TAKE_THRESHOLD:
        reading.facts[requested] = valid_answer
        return reading
    if requested in reading.facts:
        return reading
    if intent == DONT_KNOW_INTENT or (answer == UNKNOWN and confidence >= UNKNOWN_THRESHOLD):
        reading.facts[requested] = UNKNOWN
    elif intent in AFFIRM_INTENTS + DENY_INTENTS and not reading.facts:
        # Only a bare 是/没有 answers by its polarity: "是真的都没到" states a fact, it does not say yes.
        meaning = signal.affirm_means if intent in AFFIRM_INTENTS else signal.deny_means
        if meaning:
            reading.facts[requested] = meaning
        else:
            reading.needs_options = True
    elif valid_answer is not None and confidence >= CONFIRM_THRESHOLD:
        reading.to_confirm = valid_answer
    return reading


def confirmed(message: Dict[Text, Any]) -> Optional[bool]:
    """The merchant's reply to "您是说…,对吗?": True, False, or None when it is no yes/no."""
    intent = _intent(message)
    if intent in AFFIRM_INTENTS:
        return True
    if intent in REJECT_INTENTS:
        return False
    return None
