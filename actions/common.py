"""What every action shares: the knowledge base, the engine, evidence read from slots, the state payload."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from pos_expert import DiagnosisEngine, default_knowledge_base
from pos_expert.engine import Diagnosis
from pos_expert.text import lexicon_for

KB = default_knowledge_base()
ENGINE = DiagnosisEngine(KB)
LEXICON = lexicon_for(KB)

AUDIENCES = ("merchant", "agent")
STATE_PAYLOAD_TYPE = "pos_diagnosis_state"
STATE_PAYLOAD_VERSION = 1


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


def evidence_from(tracker: Tracker) -> Dict[Text, Text]:
    return {s: tracker.get_slot(s) for s in KB.signal_ids if tracker.get_slot(s) is not None}


def excluded_from(tracker: Tracker) -> List[Text]:
    return [c for c in (tracker.get_slot("excluded_causes") or []) if c in KB.cause_ids]


def asked_from(tracker: Tracker) -> List[Text]:
    return [s for s in (tracker.get_slot("asked_signals") or []) if s in KB.signal_ids]


def assess(tracker: Tracker, extra_evidence: Optional[Dict[Text, Text]] = None) -> Diagnosis:
    evidence = evidence_from(tracker)
    evidence.update(extra_evidence or {})
    # Count questions answered, so the question still open is not yet held against the cap.
    answered = [s for s in asked_from(tracker) if s in evidence]
    return ENGINE.assess(evidence, excluded=excluded_from(tracker), questions_asked=len(answered))


def options_payload(signal_id: Text) -> List[Dict[Text, Text]]:
    signal = KB.signal(signal_id)
    buttons = [
        {"title": a.label_zh, "payload": f'/inform{{"{signal.id}":"{a.id}"}}'} for a in signal.answers if not a.is_unknown
    ]
    buttons.append({"title": KB.settings.unknown_label, "payload": "/dont_know"})
    return buttons


def state_payload(diagnosis: Diagnosis, stage: Text, diagnosed_cause: Optional[Text] = None) -> Dict[Text, Any]:
    """The diagnosis state the agent console renders (format documented in docs/agent-payload.md)."""
    question = None
    if diagnosis.next_question:
        signal = KB.signal(diagnosis.next_question)
        question = {
            "signal": signal.id,
            "name_zh": signal.name_zh,
            "question_agent": signal.question_agent,
            "question_merchant": signal.question_merchant,
            "options": [{"answer": a.id, "label_zh": a.label_zh} for a in signal.answers],
        }
    return {
        "type": STATE_PAYLOAD_TYPE,
        "version": STATE_PAYLOAD_VERSION,
        "stage": stage,
        "next_question": question,
        "ranking": [
            {
                "cause": s.cause_id,
                "name_zh": s.name_zh,
                "probability": round(s.probability, 4),
                "supporting": [f.fact_zh for f in s.supporting],
                "contradicting": [f.fact_zh for f in s.contradicting],
            }
            for s in diagnosis.ranking
        ],
        "evidence": [
            {"signal": sid, "answer": aid, "fact_zh": KB.signal(sid).answer(aid).fact_zh}
            for sid, aid in diagnosis.evidence.items()
        ],
        "excluded": list(diagnosis.excluded),
        "diagnosed_cause": diagnosed_cause,
    }


def send_state(dispatcher: CollectingDispatcher, tracker: Tracker, diagnosis: Diagnosis, stage: Text,
               diagnosed_cause: Optional[Text] = None) -> None:
    """Only the agent console gets the machine-readable state; merchants see plain messages."""
    if audience_of(tracker) == "agent":
        dispatcher.utter_message(json_message=state_payload(diagnosis, stage, diagnosed_cause))


def ask_question(dispatcher: CollectingDispatcher, tracker: Tracker, signal_id: Text) -> None:
    signal = KB.signal(signal_id)
    dispatcher.utter_message(text=signal.question(audience_of(tracker)), buttons=options_payload(signal_id))
