"""Reads every fact a merchant's message carries: entities, button payloads, free text, yes/no."""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from actions.common import KB, LEXICON
from pos_expert.knowledge import UNKNOWN

# Intents that answer a yes/no question (during the form "不对" means "no").
YES_NO_INTENTS = ("affirm", "deny", "reject_diagnosis")


def facts_from_message(message: Dict[Text, Any], requested: Optional[Text]) -> Dict[Text, Text]:
    """signal id -> answer id for everything the message states; `requested` is the open question."""
    facts: Dict[Text, Text] = {}
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")

    for entity in message.get("entities") or []:
        signal_id, value = entity.get("entity"), entity.get("value")
        if signal_id not in KB.signal_ids or value is None:
            continue  # not a signal (e.g. an injected "diagnosed_cause"): never fills anything
        value = str(value)
        if KB.is_valid_answer(signal_id, value):
            facts[signal_id] = value  # a button payload carries the answer id itself
        else:
            answer = LEXICON.answer_for_entity(signal_id, value)
            if answer:
                facts[signal_id] = answer

    # The character-level scan sees the whole sentence, so it wins: it catches phrases the word
    # segmenter split differently and negations the segmenter cut off ("未/死机").
    if not text.startswith("/"):
        facts.update(LEXICON.facts(text))

    if requested in KB.signal_ids and requested not in facts:
        signal = KB.signal(requested)
        if intent == "affirm":
            facts[requested] = signal.affirm_means or UNKNOWN
        elif intent in YES_NO_INTENTS:
            facts[requested] = signal.deny_means or UNKNOWN
        elif intent == "dont_know":
            facts[requested] = UNKNOWN
    return facts
