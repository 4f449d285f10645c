"""What the agent console and a human agent get: the diagnosis state payload and the masked case summary."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KB, assess, audience_of
from actions.payout import payout_summary
from pos_expert.engine import Diagnosis
from pos_expert.payloads import answer_payload
from pos_expert.privacy import mask_pii
from pos_expert.responses import ITEM_SEPARATOR, LIST_SEPARATOR, Responses, bulleted, numbered, render

STATE_PAYLOAD_TYPE = "pos_diagnosis_state"
STATE_PAYLOAD_VERSION = 1


def case_summary(
    tracker: Tracker,
    responses: Responses,
    diagnosed_cause: Optional[Text] = None,
    handed_off: bool = False,
) -> Dict[Text, Any]:
    """What a human agent needs to take over, with card, phone and ID numbers masked; `text` is the copyable
    summary (utter_case_summary), the one rendering the console and the handoff message share."""
    diagnosis = assess(tracker)
    user_texts = [
        mask_pii(e.get("text") or "")
        for e in tracker.events
        if e.get("event") == "user" and e.get("text") and not (e.get("text") or "").startswith("/")
    ]
    leader = diagnosis.leader
    summary = {
        "merchant_said": user_texts[:10],
        "facts": [KB.signal(s).answer(a).fact_zh for s, a in diagnosis.evidence.items() if a != "unknown"],
        "leading_cause": leader.name_zh if leader else None,
        "confidence": round(leader.probability, 2) if leader else None,
        "excluded": [KB.cause(c).name_zh for c in diagnosis.excluded],
        "payout": payout_summary(tracker.current_slot_values(), responses),
    }
    summary["text"] = summary_text(summary, responses, tracker.sender_id, diagnosed_cause, handed_off)
    return summary


def summary_text(
    summary: Dict[Text, Any],
    responses: Responses,
    sender: Text,
    diagnosed_cause: Optional[Text] = None,
    handed_off: bool = False,
) -> Text:
    """The case summary as one text, from utter_case_summary and its optional lines (utter_summary_*)."""
    nothing = render(responses, "utter_summary_nothing_yet")
    judgement = ""
    if summary["leading_cause"]:
        line = "utter_summary_diagnosed" if diagnosed_cause else "utter_summary_leading"
        name = KB.cause(diagnosed_cause).name_zh if diagnosed_cause else summary["leading_cause"]
        judgement = render(responses, line, cause_name=name, confidence=f"{summary['confidence']:.0%}")
    solution = ""
    if diagnosed_cause:
        cause = KB.cause(diagnosed_cause)
        solution = render(
            responses,
            "utter_summary_solution",
            steps=numbered(cause.steps),
            contact_first=cause.escalation.contact_first,
        )
    excluded = summary["excluded"]
    return render(
        responses,
        "utter_case_summary",
        sender=sender,
        merchant_said=LIST_SEPARATOR.join(summary["merchant_said"][:3]) or nothing,
        facts=("\n" + bulleted(summary["facts"])) if summary["facts"] else nothing,
        judgement=judgement,
        excluded=render(responses, "utter_summary_excluded", causes=ITEM_SEPARATOR.join(excluded)) if excluded else "",
        payout=render(responses, "utter_summary_payout", payout=summary["payout"]["text"]) if summary["payout"] else "",
        solution=solution,
        status=render(responses, "utter_summary_handed_off") if handed_off else "",
    )


def solution_payload(cause_id: Text) -> Dict[Text, Any]:
    cause = KB.cause(cause_id)
    return {
        "cause": cause.id,
        "name_zh": cause.name_zh,
        "summary_zh": cause.summary_zh,
        "steps": list(cause.steps),
        "prevention": list(cause.prevention),
        "escalation": {
            "contact_first": cause.escalation.contact_first,
            "have_ready": list(cause.escalation.have_ready),
            "handoff_when": cause.escalation.handoff_when,
        },
    }


def state_payload(
    diagnosis: Diagnosis,
    stage: Text,
    diagnosed_cause: Optional[Text] = None,
    case_summary: Optional[Dict[Text, Any]] = None,
) -> Dict[Text, Any]:
    """The diagnosis state the agent console renders (format documented in docs/agent-payload.md)."""
    question = None
    if diagnosis.next_question:
        signal = KB.signal(diagnosis.next_question)
        question = {
            "signal": signal.id,
            "name_zh": signal.name_zh,
            "question_agent": signal.question_agent,
            "question_merchant": signal.question_merchant,
            "options": [
                {"answer": a.id, "label_zh": a.label_zh, "payload": answer_payload(signal.id, a.id)}
                for a in signal.answers
            ],
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
        "solution": solution_payload(diagnosed_cause) if diagnosed_cause else None,
        "case_summary": case_summary,
    }


def send_state(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    responses: Responses,
    diagnosis: Diagnosis,
    stage: Text,
    diagnosed_cause: Optional[Text] = None,
) -> None:
    """Only the agent console gets the machine-readable state; merchants see plain messages."""
    if audience_of(tracker) == "agent":
        summary = case_summary(tracker, responses, diagnosed_cause)
        dispatcher.utter_message(json_message=state_payload(diagnosis, stage, diagnosed_cause, summary))
