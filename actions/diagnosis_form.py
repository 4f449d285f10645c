"""validate_diagnosis_form: reads each reply against the open question and lets the engine pick the next one.

A reply is read first as an answer to the question asked, then for any other facts it states:
- an answer the reader is sure of is taken; one it is fairly sure of is confirmed in one short
  question ("您是说…,对吗?");
- a bare 是/不是 to an either/or question gets a short re-ask that names the options;
- a reply that states other facts is acknowledged in a few words, and the diagnosis moves on;
- two unproductive replies to the same question count as 不清楚, so the diagnosis moves on;
- after `settings.max_messages` merchant messages the diagnosis is given with what is known.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import KB, ask_question, asked_from, assess, responses_of
from actions.facts import ReplyReading, confirmed, read_reply, stated_facts
from actions.payout import payout_events
from actions.state import send_state
from pos_expert.knowledge import UNKNOWN
from pos_expert.responses import ITEM_SEPARATOR
from pos_expert.text import normalize_text

logger = logging.getLogger(__name__)

# Intents that interrupt the form when the message states no fact: the form then rejects,
# and the rules answer them (explain, hand over, restart, out of scope ...).
INTERRUPTING_INTENTS = {
    "ask_why",
    "request_human",
    "start_over",
    "out_of_scope",
    "chitchat",
    "greet",
    "goodbye",
    "thank",
}
# Intents that end the diagnosis (hand over, start again, say goodbye). As a reply to an open question
# they count only when the merchant says so in words: a misread answer ("农行直接给我结的" read as 转人工,
# "上周开始的" as 重新开始) must not throw the case away. A handoff request wins even over a fact stated
# with it ("网络不好,转人工吧").
ENDING_WORDS = KB.ending_words
ALWAYS_INTERRUPTING_INTENTS = {"request_human"}
# Interruptions that, as a reply to a question, leave it unanswered (greetings do not count). 为什么 counts: it is
# explained, and the question asked again; but a reply misread as 为什么 every time must not hold the case there.
UNANSWERING_INTENTS = {"out_of_scope", "chitchat", "ask_why"}
# Replies to the same question that may go unanswered before it counts as 不清楚.
MAX_UNCLEAR_REPLIES = 2

FORM_NAME = "diagnosis_form"
PENDING_SLOT = "pending_answer"
UNCLEAR_SLOT = "unclear_replies"
# "signal=answer" readings the merchant said 不是 to: not offered again in the same round
REJECTED_SLOT = "rejected_answers"
MESSAGES_SLOT = "case_messages"


def is_direct_reply(tracker: Tracker) -> bool:
    """True when the form runs straight after the merchant's message (not after an interruption).

    The tracker Rasa sends to a validation action always names the form as the latest action,
    so look at what ran since the last user message instead.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in ("action_listen", FORM_NAME):
            return False
    return False


def is_reply_to(tracker: Tracker, requested: Text) -> bool:
    """True when the latest merchant message came after the question was asked (not before the form started)."""
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            return event.get("value") == requested
    return False


def merchant_messages(tracker: Tracker) -> int:
    """Merchant messages in this case: the count so far plus every message since it was last counted.

    Interruptions (为什么, chit-chat) count too, so that no conversation can go round for ever.
    """
    new = 0
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == MESSAGES_SLOT:
            break
        if event.get("event") in ("restart", "session_started"):
            break
        if event.get("event") == "user":
            new += 1
    so_far = tracker.get_slot(MESSAGES_SLOT)
    return int(so_far or 0) + (max(new, 1) if so_far is None else new)


def keep_known_facts(facts: Dict[Text, Text], requested: Text, tracker: Tracker) -> Dict[Text, Text]:
    """The reply's facts without side readings that contradict what is already known.

    A reply is about the question asked. "没出单" to the payee question says why the merchant cannot tell,
    not that the terminal showed nothing: a side reading must not overwrite a fact stated earlier.
    The answer to the open question itself always counts (merchants correct themselves there).
    """
    return {s: a for s, a in facts.items() if s == requested or tracker.get_slot(s) in (None, UNKNOWN, a)}


def _pending(tracker: Tracker) -> Optional[Tuple[Text, Text]]:
    value = tracker.get_slot(PENDING_SLOT) or ""
    signal_id, _, answer_id = value.partition("=")
    return (signal_id, answer_id) if KB.is_valid_answer(signal_id, answer_id) else None


def _fact_list(facts: Dict[Text, Text]) -> Text:
    return ITEM_SEPARATOR.join(KB.signal(s).answer(a).fact_zh for s, a in facts.items() if a != UNKNOWN)


def _options_text(signal_id: Text) -> Text:
    return ITEM_SEPARATOR.join(f"「{a.label_zh}」" for a in KB.signal(signal_id).answers if not a.is_unknown)


class ValidateDiagnosisForm(FormValidationAction):
    """Fills every signal a message states and asks the engine's next question."""

    def name(self) -> Text:
        return "validate_diagnosis_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        message: Dict[Text, Any] = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        direct = is_direct_reply(tracker)
        pending = _pending(tracker) if direct else None
        verdict = confirmed(message) if pending is not None else None
        if verdict is not None:
            # A reply to "您是说…,对吗?": its 是/不是 is about the pending answer, not the question.
            reading = ReplyReading(facts=stated_facts(message))
            if verdict and pending is not None:
                reading.facts[pending[0]] = pending[1]
        else:
            reading = read_reply(message, requested if direct else None)
            if direct and requested:
                reading.facts = keep_known_facts(reading.facts, requested, tracker)
        rejected = list(tracker.get_slot(REJECTED_SLOT) or [])
        if reading.to_confirm is not None and f"{requested}={reading.to_confirm}" in rejected:
            reading.to_confirm = None  # the same reading of the same words: 不是 again would follow

        answered = bool(reading.facts) or reading.to_confirm is not None
        ending_words = ENDING_WORDS.get(intent or "")
        said_in_words = ending_words is None or any(
            word in normalize_text(message.get("text") or "") for word in ending_words
        )
        interrupts = said_in_words and (
            intent in ALWAYS_INTERRUPTING_INTENTS or (intent in INTERRUPTING_INTENTS and not answered)
        )
        if requested and direct and verdict is None and interrupts:
            return []  # nothing to fill: the form rejects and the rules handle the interruption

        events: List[EventType] = [SlotSet(PENDING_SLOT, None)] if tracker.get_slot(PENDING_SLOT) else []
        if verdict is False and pending is not None:
            events.append(SlotSet(REJECTED_SLOT, rejected + [f"{pending[0]}={pending[1]}"]))
        messages = merchant_messages(tracker)
        events.append(SlotSet(MESSAGES_SLOT, messages))

        unclear = list(tracker.get_slot(UNCLEAR_SLOT) or [])
        productive = reading.answers(requested) or reading.to_confirm is not None
        # A reply the rules answered instead (out of scope, chit-chat, 为什么) left the question unanswered too:
        # counting it keeps "俺家没pos机" (read as out of scope) from getting the same question for ever.
        interrupted = requested and not direct and intent in UNANSWERING_INTENTS and is_reply_to(tracker, requested)
        if (direct and requested and not productive) or interrupted:
            unclear.append(requested)
            events.append(SlotSet(UNCLEAR_SLOT, unclear))
            if unclear.count(requested) >= MAX_UNCLEAR_REPLIES:
                reading.facts[requested] = UNKNOWN  # two unproductive replies: move on

        fact_events = [SlotSet(s, v) for s, v in reading.facts.items() if tracker.get_slot(s) != v]
        tracker.add_slots(fact_events + events)
        events = fact_events + events
        payout = payout_events(dispatcher, tracker, message.get("text") or "", asked=requested)
        tracker.add_slots(payout)
        events += payout
        diagnosis = assess(tracker)
        out_of_messages = messages >= KB.settings.max_messages
        leader = diagnosis.leader
        logger.debug(
            "sender %s: leader %s (%.2f), next question %s, stop reason %s, facts %s",
            tracker.sender_id,
            leader.cause_id if leader else None,
            leader.probability if leader else 0.0,
            diagnosis.next_question,
            diagnosis.stop_reason,
            sorted(reading.facts),
        )
        if diagnosis.next_question is None or out_of_messages:
            if out_of_messages and diagnosis.next_question is not None:
                logger.info("diagnosis stopped after %d merchant messages", messages)
            return events + [SlotSet(REQUESTED_SLOT, None)]

        other_facts = {s: a for s, a in reading.facts.items() if s != requested}
        if direct and requested and verdict is None:
            self._acknowledge(dispatcher, reading, requested, other_facts, unclear)
        if reading.to_confirm and not reading.answers(requested):
            fact = KB.signal(requested).answer(reading.to_confirm).fact_zh
            dispatcher.utter_message(response="utter_confirm_answer", fact=fact)
            send_state(dispatcher, tracker, responses_of(domain), diagnosis, stage="confirming")
            return events + [
                SlotSet(PENDING_SLOT, f"{requested}={reading.to_confirm}"),
                SlotSet(REQUESTED_SLOT, requested),
            ]

        next_question = diagnosis.next_question
        if direct and requested and not productive and requested not in reading.facts and not other_facts:
            next_question = requested  # ask the same question again, with its options, before moving on
        asked = asked_from(tracker)
        if next_question not in asked:
            asked.append(next_question)
        # Always setting asked_signals also tells Rasa the message was handled (no rejection).
        events.append(SlotSet("asked_signals", asked))
        ask_question(dispatcher, tracker, next_question)
        send_state(dispatcher, tracker, responses_of(domain), diagnosis, stage="asking")
        return events + [SlotSet(REQUESTED_SLOT, next_question)]

    @staticmethod
    def _acknowledge(
        dispatcher: CollectingDispatcher,
        reading: ReplyReading,
        requested: Text,
        other_facts: Dict[Text, Text],
        unclear: List[Text],
    ) -> None:
        """A few words on what the reply told us, before the next question."""
        if reading.needs_options and not reading.answers(requested):
            dispatcher.utter_message(response="utter_reask_options", options=_options_text(requested))
        elif other_facts and _fact_list(other_facts):
            dispatcher.utter_message(response="utter_noted_facts", facts=_fact_list(other_facts))
        elif reading.facts.get(requested) == UNKNOWN and unclear.count(requested) >= MAX_UNCLEAR_REPLIES:
            dispatcher.utter_message(response="utter_moving_on")
        elif not reading.facts and not reading.to_confirm:
            dispatcher.utter_message(response="utter_not_understood_answer")
