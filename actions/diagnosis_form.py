"""validate_diagnosis_form: fills every signal a message states and lets the engine pick the next question."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import ask_question, asked_from, assess
from actions.state import send_state
from actions.facts import facts_from_message
from pos_expert.engine import Diagnosis

# Intents that interrupt the form when the message states no fact: the form then rejects,
# and the rules answer them (explain, hand over, restart, out of scope ...).
# These always interrupt, even when the message also mentions a fact ("我今天很急,转人工").
ALWAYS_INTERRUPTING_INTENTS = {"request_human", "start_over"}
INTERRUPTING_INTENTS = {
    "ask_why", "request_human", "start_over", "out_of_scope", "chitchat", "greet", "goodbye", "thank",
}


FORM_NAME = "diagnosis_form"


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


class ValidateDiagnosisForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_diagnosis_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """Only the engine's next question, or none once it has stopped."""
        return self._next_slots(assess(tracker))

    @staticmethod
    def _next_slots(diagnosis: Diagnosis) -> List[Text]:
        return [diagnosis.next_question] if diagnosis.next_question else []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        message: Dict[Text, Any] = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        after_user_message = is_direct_reply(tracker)
        facts = facts_from_message(message, requested)

        if requested and after_user_message and (
            intent in ALWAYS_INTERRUPTING_INTENTS or (not facts and intent in INTERRUPTING_INTENTS)
        ):
            return []  # nothing to fill: the form rejects and the rules handle the interruption

        events: List[EventType] = [SlotSet(s, v) for s, v in facts.items() if tracker.get_slot(s) != v]
        tracker.add_slots(events)
        diagnosis = assess(tracker)
        next_slots = self._next_slots(diagnosis)
        if not next_slots:
            return events + [SlotSet(REQUESTED_SLOT, None)]

        next_question = next_slots[0]
        asked = asked_from(tracker)
        if next_question not in asked:
            asked.append(next_question)
        # Always setting asked_signals also tells Rasa the message was handled (no rejection).
        events.append(SlotSet("asked_signals", asked))
        if requested and after_user_message and not facts:
            dispatcher.utter_message(response="utter_not_understood_answer")
        ask_question(dispatcher, tracker, next_question)
        send_state(dispatcher, tracker, diagnosis, stage="asking")
        return events + [SlotSet(REQUESTED_SLOT, next_question)]
