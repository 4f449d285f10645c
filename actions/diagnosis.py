"""Starting, presenting, rejecting and explaining a diagnosis."""

from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ENGINE, KB, assess, audience_events, audience_of, excluded_from
from actions.facts import stated_facts
from actions.state import case_summary, send_state, summary_text
from pos_expert.knowledge import UNKNOWN

# How far the current round of questions has got; a new case or a rejected diagnosis starts it afresh.
CASE_PROGRESS_SLOTS = ("case_messages", "unclear_replies", "pending_answer")


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


def _numbered(items) -> Text:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


class ActionPresentDiagnosis(Action):
    def name(self) -> Text:
        return "action_present_diagnosis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        diagnosis = assess(tracker)
        leader = diagnosis.leader
        if leader is None:
            dispatcher.utter_message(text=ENGINE.explain(diagnosis))
            send_state(dispatcher, tracker, diagnosis, stage="exhausted")
            return [SlotSet("diagnosed_cause", None)]
        cause = KB.cause(leader.cause_id)
        if audience_of(tracker) == "agent":
            header = f"【诊断结论】{cause.name_zh}(把握约{leader.probability:.0%})。请按以下话术向商户说明:"
        else:
            header = f"根据您提供的情况,最可能的原因是:{cause.name_zh}。"
        dispatcher.utter_message(text=header)
        dispatcher.utter_message(text=f"{cause.summary_zh}\n\n为什么这样判断:{ENGINE.explain(diagnosis)}")
        if leader.probability < KB.settings.stop_confidence:
            runner_up = diagnosis.ranking[1] if len(diagnosis.ranking) > 1 else None
            dispatcher.utter_message(
                response="utter_diagnosis_uncertain",
                confidence=f"{leader.probability:.0%}",
                runner_up=f"也可能是「{runner_up.name_zh}」(约{runner_up.probability:.0%})。" if runner_up else "",
                first_check=cause.steps[0],
            )
        dispatcher.utter_message(text=f"解决步骤:\n{_numbered(cause.steps)}")
        escalation = cause.escalation
        dispatcher.utter_message(
            text="预防建议:\n"
            + "\n".join(f"- {item}" for item in cause.prevention)
            + f"\n\n需要联系时:请先联系{escalation.contact_first},准备好{'、'.join(escalation.have_ready)}。"
            + escalation.handoff_when
        )
        send_state(dispatcher, tracker, diagnosis, stage="diagnosed", diagnosed_cause=cause.id)
        return [SlotSet("diagnosed_cause", cause.id)]


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
            dispatcher.utter_message(text=f"好的,排除「{KB.cause(cause_id).name_zh}」,我们再看看其他可能。")
        return [SlotSet("excluded_causes", excluded), SlotSet("diagnosed_cause", None)] + [
            SlotSet(s, None) for s in CASE_PROGRESS_SLOTS
        ]


class ActionExplain(Action):
    """为什么: why this cause, or why the current question."""

    def name(self) -> Text:
        return "action_explain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        diagnosis = assess(tracker)
        if tracker.get_slot("diagnosed_cause") or diagnosis.finished:
            dispatcher.utter_message(text=ENGINE.explain(diagnosis))
        elif diagnosis.evidence or tracker.active_loop_name:
            dispatcher.utter_message(text=ENGINE.explain_question(diagnosis))
        else:
            dispatcher.utter_message(text="我们还没开始诊断。请先描述一下收款遇到的问题,我会根据您的回答逐步排查原因。")
        return []


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        summary = case_summary(tracker)
        dispatcher.utter_message(
            text="好的,正在为您转接人工客服,请稍候。我已把目前的情况整理给客服,您不用重复描述。\n\n"
            + summary_text(summary)
        )
        if audience_of(tracker) == "agent":
            dispatcher.utter_message(json_message={"type": "handoff", "summary": summary})
        return []


class ActionRestartConversation(Action):
    """重新开始: forget the case and say so (the built-in restart would stay silent)."""

    def name(self) -> Text:
        return "action_restart_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text="好的,我们重新开始。请描述一下您遇到的收款问题。")
        return [Restarted()]
