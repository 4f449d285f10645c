"""Starting, presenting, rejecting and explaining a diagnosis."""

from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ENGINE, KB, assess, audience_events, audience_of, excluded_from, responses_of
from actions.facts import stated_facts
from actions.state import case_summary, send_state
from pos_expert.engine import Diagnosis
from pos_expert.knowledge import UNKNOWN
from pos_expert.responses import ITEM_SEPARATOR, Responses, bulleted, numbered, render

# How far the current round of questions has got; a new case or a rejected diagnosis starts it afresh.
CASE_PROGRESS_SLOTS = ("case_messages", "unclear_replies", "pending_answer", "rejected_answers")


class ActionStartDiagnosis(Action):
    """A new problem report after a finished diagnosis starts a fresh case; more facts refine the current one."""

    def name(self) -> Text:
        return "action_start_diagnosis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events: List[EventType] = audience_events(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        finished_case = tracker.get_slot("diagnosed_cause") or tracker.get_slot("excluded_causes")
        if (
            intent == "report_problem"
            and finished_case
            and not tracker.active_loop_name
            and not adds_only_new_facts(tracker)
        ):
            events += [SlotSet(s, None) for s in KB.signal_ids]
            events += [SlotSet(s, None) for s in ("excluded_causes", "asked_signals") + CASE_PROGRESS_SLOTS]
        return events + [SlotSet("diagnosed_cause", None)]


def adds_only_new_facts(tracker: Tracker) -> bool:
    """True when the message states facts and every one is still open in the case ("一般T+1到" after a
    diagnosis): it refines the case. A report that restates known facts, or states none, is a new case."""
    facts = stated_facts(tracker.latest_message or {})
    return bool(facts) and all(tracker.get_slot(s) in (None, UNKNOWN) for s in facts)


def _percent(probability: float) -> Text:
    return f"{probability:.0%}"


class ActionPresentDiagnosis(Action):
    """The diagnosis in three bubbles (cause, steps, prevention with the 解决了吗 buttons); agents also get the
    reasons and the console's state."""

    def name(self) -> Text:
        return "action_present_diagnosis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        responses = responses_of(domain)
        diagnosis = assess(tracker)
        leader = diagnosis.leader
        if leader is None:
            dispatcher.utter_message(response="utter_all_causes_excluded")
            send_state(dispatcher, tracker, responses, diagnosis, stage="exhausted")
            return [SlotSet("diagnosed_cause", None)]
        cause = KB.cause(leader.cause_id)
        audience = audience_of(tracker)
        about_cause = {
            "cause_name": cause.name_zh,
            "confidence": _percent(leader.probability),
            "cause_summary": cause.summary_zh,
        }
        if leader.probability >= KB.settings.stop_confidence:
            dispatcher.utter_message(response="utter_diagnosis_confident", **about_cause)
        else:
            runner_up = diagnosis.ranking[1] if len(diagnosis.ranking) > 1 else None
            clause = (
                render(
                    responses,
                    "utter_runner_up_clause",
                    audience,
                    cause_name=runner_up.name_zh,
                    confidence=_percent(runner_up.probability),
                )
                if runner_up is not None
                else ""
            )
            dispatcher.utter_message(
                response="utter_diagnosis_uncertain", runner_up=clause, first_check=cause.steps[0], **about_cause
            )
        if audience == "agent":
            why_message(dispatcher, responses, diagnosis)
        dispatcher.utter_message(response="utter_diagnosis_steps", steps=numbered(cause.steps))
        escalation = cause.escalation
        dispatcher.utter_message(
            response="utter_diagnosis_prevention",
            prevention=bulleted(cause.prevention),
            contact_first=escalation.contact_first,
            have_ready=ITEM_SEPARATOR.join(escalation.have_ready),
            handoff_when=escalation.handoff_when,
        )
        send_state(dispatcher, tracker, responses, diagnosis, stage="diagnosed", diagnosed_cause=cause.id)
        return [SlotSet("diagnosed_cause", cause.id)]


def why_message(dispatcher: CollectingDispatcher, responses: Responses, diagnosis: Diagnosis) -> None:
    """Why the leader leads (utter_why_diagnosis), or that every cause is excluded."""
    explanation = ENGINE.explain(diagnosis)
    if explanation is None:
        dispatcher.utter_message(response="utter_all_causes_excluded")
        return
    leader, runner_up = explanation.leader, explanation.runner_up
    values = {
        "cause_name": leader.name_zh,
        "confidence": _percent(leader.probability),
        "doubt": render(responses, "utter_why_doubt_clause", fact=explanation.doubt.fact_zh)
        if explanation.doubt
        else "",
        "runner_up": (
            render(
                responses,
                "utter_why_runner_up_clause",
                cause_name=runner_up.name_zh,
                confidence=_percent(runner_up.probability),
            )
            if runner_up
            else ""
        ),
    }
    if explanation.reasons:
        reasons = ITEM_SEPARATOR.join(f.fact_zh for f in explanation.reasons)
        dispatcher.utter_message(response="utter_why_diagnosis", reasons=reasons, **values)
    else:
        dispatcher.utter_message(response="utter_why_diagnosis_without_reasons", **values)


class ActionRejectDiagnosis(Action):
    """不对: exclude the cause just given (or the current leader) and go on."""

    def name(self) -> Text:
        return "action_reject_diagnosis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        cause_id = tracker.get_slot("diagnosed_cause")
        if cause_id not in KB.cause_ids:
            leader = assess(tracker).leader
            cause_id = leader.cause_id if leader else None
        excluded = excluded_from(tracker)
        if cause_id and cause_id not in excluded:
            excluded.append(cause_id)
            dispatcher.utter_message(response="utter_cause_excluded", cause_name=KB.cause(cause_id).name_zh)
        return [SlotSet("excluded_causes", excluded), SlotSet("diagnosed_cause", None)] + [
            SlotSet(s, None) for s in CASE_PROGRESS_SLOTS
        ]


class ActionExplain(Action):
    """为什么: why this cause, or why the current question."""

    def name(self) -> Text:
        return "action_explain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        responses = responses_of(domain)
        diagnosis = assess(tracker)
        if tracker.get_slot("diagnosed_cause") or diagnosis.finished:
            why_message(dispatcher, responses, diagnosis)
        elif diagnosis.evidence or tracker.active_loop_name:
            assert diagnosis.next_question is not None  # not finished
            causes = ITEM_SEPARATOR.join(
                render(
                    responses, "utter_cause_with_confidence", cause_name=s.name_zh, confidence=_percent(s.probability)
                )
                for s in ENGINE.question_rivals(diagnosis)
            )
            topic = KB.signal(diagnosis.next_question).name_zh
            dispatcher.utter_message(response="utter_why_question", causes=causes, topic=topic)
        else:
            dispatcher.utter_message(response="utter_why_not_started")
        return []


class ActionHandoff(Action):
    """转人工: the case summary for whoever takes over; the agent console also gets it as data."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        summary = case_summary(
            tracker, responses_of(domain), tracker.get_slot("diagnosed_cause") or None, handed_off=True
        )
        dispatcher.utter_message(response="utter_handoff", case_summary=summary["text"])
        if audience_of(tracker) == "agent":
            dispatcher.utter_message(json_message={"type": "handoff", "summary": summary})
        return []


class ActionRestartConversation(Action):
    """重新开始: forget the case and say so (the built-in restart would stay silent)."""

    def name(self) -> Text:
        return "action_restart_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_restarted")
        return [Restarted()]
