"""What every action shares: the knowledge base, the engine, evidence read from slots, asking a question."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from pos_expert import DiagnosisEngine, default_knowledge_base
from pos_expert.engine import Diagnosis
from pos_expert.payloads import answer_payload
from pos_expert.responses import Responses, project_responses
from pos_expert.text import lexicon_for

KB = default_knowledge_base()
ENGINE = DiagnosisEngine(KB)
LEXICON = lexicon_for(KB)

AUDIENCES = ("merchant", "agent")


def audience_of(tracker: Tracker) -> Text:
    audience = tracker.get_slot("audience")
    return audience if audience in AUDIENCES else "merchant"


def audience_events(tracker: Tracker) -> List[SlotSet]:
    """The channel may say who is typing (metadata {"audience": "agent"}); keep it in the slot."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    audience = metadata.get("audience") if isinstance(metadata, dict) else None
    if audience in AUDIENCES and audience != tracker.get_slot("audience"):
        return [SlotSet("audience", audience)]
    return []


def responses_of(domain: Dict[Text, Any]) -> Responses:
    """The domain's responses as Rasa sends them with every call; the project's domain.yml when a caller
    (a unit test, a script) passes no domain."""
    return domain.get("responses") or project_responses()


def evidence_from(tracker: Tracker) -> Dict[Text, Text]:
    return {s: tracker.get_slot(s) for s in KB.signal_ids if tracker.get_slot(s) is not None}


def excluded_from(tracker: Tracker) -> List[Text]:
    return [c for c in (tracker.get_slot("excluded_causes") or []) if c in KB.cause_ids]


def asked_from(tracker: Tracker) -> List[Text]:
    return [s for s in (tracker.get_slot("asked_signals") or []) if s in KB.signal_ids]


def assess(tracker: Tracker) -> Diagnosis:
    """The engine's view of the case: the tracker's facts, excluded causes and questions answered."""
    evidence = evidence_from(tracker)
    # Count questions answered, so the question still open is not yet held against the cap.
    answered = [s for s in asked_from(tracker) if s in evidence]
    return ENGINE.assess(evidence, excluded=excluded_from(tracker), questions_asked=len(answered))


def options_payload(signal_id: Text) -> List[Dict[Text, Text]]:
    signal = KB.signal(signal_id)
    buttons = [
        {"title": a.label_zh, "payload": answer_payload(signal.id, a.id)} for a in signal.answers if not a.is_unknown
    ]
    buttons.append({"title": KB.settings.unknown_label, "payload": "/dont_know"})
    return buttons


def ask_question(dispatcher: CollectingDispatcher, tracker: Tracker, signal_id: Text) -> None:
    signal = KB.signal(signal_id)
    dispatcher.utter_message(text=signal.question(audience_of(tracker)), buttons=options_payload(signal_id))
