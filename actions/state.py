"""What the agent console and a human agent get: the diagnosis state payload and the masked case summary."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KB, assess, audience_of
from actions.payout import payout_summary
from pos_expert.engine import Diagnosis
from pos_expert.privacy import mask_pii

STATE_PAYLOAD_TYPE = "pos_diagnosis_state"
STATE_PAYLOAD_VERSION = 1


def case_summary(tracker: Tracker) -> Dict[Text, Any]:
    """What a human agent needs to take over, with card, phone and ID numbers masked."""
    diagnosis = assess(tracker)
    user_texts = [
        mask_pii(e.get("text") or "")
        for e in tracker.events
        if e.get("event") == "user" and e.get("text") and not (e.get("text") or "").startswith("/")
    ]
    leader = diagnosis.leader
    return {
        "merchant_said": user_texts[:10],
        "facts": [KB.signal(s).answer(a).fact_zh for s, a in diagnosis.evidence.items() if a != "unknown"],
        "leading_cause": leader.name_zh if leader else None,
        "confidence": round(leader.probability, 2) if leader else None,
        "excluded": [KB.cause(c).name_zh for c in diagnosis.excluded],
        "payout": payout_summary(tracker.current_slot_values()),
    }


def summary_text(summary: Dict[Text, Any]) -> Text:
    lines = ["案件摘要:"]
    if summary["merchant_said"]:
        lines.append("- 商户描述:" + ";".join(summary["merchant_said"][:3]))
    lines.append("- 已知情况:" + ("、".join(summary["facts"]) if summary["facts"] else "暂无"))
    if summary["leading_cause"]:
        lines.append(f"- 初步判断:{summary['leading_cause']}(把握约{summary['confidence']:.0%})")
    if summary["excluded"]:
        lines.append("- 已排除:" + "、".join(summary["excluded"]))
    payout = summary.get("payout")
    if payout:
        lines.append(f"- 预计到账日:按{payout['cycle']}应在{payout['payout_date_zh']}到账")
    return "\n".join(lines)


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
        "solution": solution_payload(diagnosed_cause) if diagnosed_cause else None,
        "case_summary": case_summary,
    }


def send_state(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    diagnosis: Diagnosis,
    stage: Text,
    diagnosed_cause: Optional[Text] = None,
) -> None:
    """Only the agent console gets the machine-readable state; merchants see plain messages."""
    if audience_of(tracker) == "agent":
        summary = case_summary(tracker)
        dispatcher.utter_message(json_message=state_payload(diagnosis, stage, diagnosed_cause, summary))
