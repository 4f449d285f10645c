"""The custom actions, run as the action server runs them: a tracker dump in, exact events and messages out.

Trackers are built from dumps (the JSON Rasa posts to the action server, see the `tracker_state`
fixture in conftest.py); what the form asks next is computed with the engine, never hard-coded.
"""
import asyncio
import copy
import json
import re

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.diagnosis import (
    ActionExplain,
    ActionHandoff,
    ActionPresentDiagnosis,
    ActionRejectDiagnosis,
    ActionRestartConversation,
    ActionStartDiagnosis,
)
from actions.diagnosis_form import INTERRUPTING_INTENTS, ValidateDiagnosisForm
from actions.facts import CONFIRM_THRESHOLD, TAKE_THRESHOLD, read_reply, stated_facts
from pos_expert import UNKNOWN, default_knowledge_base
from pos_expert.responses import project_responses, render, variant

SIGNAL_IDS = default_knowledge_base().signal_ids
FORM = {"name": "diagnosis_form"}
RESPONSES = project_responses()
# What Rasa passes to a response besides the variables an action gives.
MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}
DESCRIPTION = "顾客刷卡显示交易成功,也打了小票,可钱没到账"
DESCRIPTION_FACTS = {"payment_channel": "card", "terminal_result": "success_slip", "income_check": "some_missing"}
# Evidence on which the engine is sure enough to stop asking.
CONCLUSIVE = {
    "transaction_record": "success",
    "settlement_status": "not_due",
    "transaction_timing": "weekend_holiday_or_night",
    "terminal_result": "success_slip",
}
# A new case or a rejected diagnosis starts a fresh round of questions.
FRESH_ROUND = [SlotSet("case_messages", None), SlotSet("unclear_replies", None), SlotSet("pending_answer", None),
               SlotSet("rejected_answers", None)]
REJECTED = {"event": "action_execution_rejected", "timestamp": None, "name": "diagnosis_form",
            "policy": None, "confidence": None}


# --- helpers -----------------------------------------------------------------------------------

def run(action, state, domain=None):
    """Runs an action on a tracker built from a dump; returns (events, dispatched messages)."""
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(copy.deepcopy(state))
    events = asyncio.run(action.run(dispatcher, tracker, domain if domain is not None else {}))
    return events, dispatcher.messages


def message(text=None, buttons=None, custom=None, response=None):
    """A message exactly as CollectingDispatcher records it."""
    return {
        "text": text,
        "buttons": buttons or [],
        "elements": [],
        "custom": custom or {},
        "template": response,
        "response": response,
        "image": None,
        "attachment": None,
    }


def expected_buttons(kb, signal_id):
    signal = kb.signal(signal_id)
    buttons = [
        {"title": a.label_zh, "payload": '/inform{"%s":"%s"}' % (signal_id, a.id)}
        for a in signal.answers
        if a.id != UNKNOWN
    ]
    return buttons + [{"title": kb.settings.unknown_label, "payload": "/dont_know"}]


def question_message(kb, signal_id, audience="merchant"):
    signal = kb.signal(signal_id)
    text = signal.question_agent if audience == "agent" else signal.question_merchant
    return message(text=text, buttons=expected_buttons(kb, signal_id))


def engine_next(engine, evidence, asked, excluded=()):
    return engine.assess(evidence, excluded=list(excluded), questions_asked=len(asked)).next_question


def form_tail(engine, evidence, asked, excluded=()):
    """(next question, the events the form must end with): ask the engine's next question, or stop."""
    next_question = engine_next(engine, evidence, asked, excluded)
    if next_question is None:
        return None, [SlotSet("requested_slot", None)]
    asked = list(asked) + ([next_question] if next_question not in asked else [])
    return next_question, [SlotSet("asked_signals", asked), SlotSet("requested_slot", next_question)]


def luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def luhn_complete(prefix):
    """The one number prefix + check digit that passes the Luhn check."""
    (number,) = [prefix + d for d in "0123456789" if luhn_ok(prefix + d)]
    return number


@pytest.fixture
def form_domain(kb):
    return {"forms": {"diagnosis_form": {"required_slots": list(kb.signal_ids)}}}


@pytest.fixture
def form_reply(tracker_state, user_event, action_event):
    """A dump as the form's validation sees it straight after the merchant answered `requested`."""

    def make(slots, text, intent="inform", entities=None, metadata=None, answers_if_asked=None):
        requested = slots.get("requested_slot")
        events = [
            action_event("action_listen"),
            user_event(DESCRIPTION, "report_problem"),
            action_event("action_start_diagnosis"),
            {"event": "active_loop", "timestamp": None, "name": "diagnosis_form"},
            action_event("diagnosis_form"),
            SlotSet("requested_slot", requested),
            SlotSet("case_messages", slots.get("case_messages")),
            action_event("action_listen"),
            user_event(text, intent, entities, metadata, answers_if_asked),
            action_event("diagnosis_form"),
        ]
        return tracker_state(slots=slots, text=text, intent=intent, entities=entities, metadata=metadata,
                             events=events, active_loop=FORM, latest_action_name="diagnosis_form",
                             answers_if_asked=answers_if_asked)

    return make


@pytest.fixture
def open_question(engine):
    """Slots after the description was read and the engine's first question is open."""
    asked = []
    question = engine_next(engine, DESCRIPTION_FACTS, asked)
    assert question is not None
    return {**DESCRIPTION_FACTS, "asked_signals": [question], "requested_slot": question, "case_messages": 1}


def facts_entities(facts, confidence=0.9):
    """Entities as MerchantFactExtractor reports the facts a text states."""
    return [{"entity": s, "value": a, "start": 0, "end": 1, "confidence_entity": confidence,
             "extractor": "MerchantFactExtractor"} for s, a in facts.items()]


def in_context(signal_id, answer_id, confidence):
    return {signal_id: {"answer": answer_id, "confidence": confidence}}


# --- validate_diagnosis_form: reading the problem description ------------------------------------------

@pytest.mark.parametrize("audience", ["merchant", "agent"])
def test_form_fills_every_fact_of_a_problem_description_and_asks_the_engines_question(
    kb, engine, tracker_state, user_event, action_event, form_domain, audience
):
    entities = facts_entities(DESCRIPTION_FACTS)
    events_in = [
        action_event("action_listen"),
        user_event(DESCRIPTION, "report_problem", entities),
        action_event("action_start_diagnosis"),
        SlotSet("diagnosed_cause", None),
        {"event": "active_loop", "timestamp": None, "name": "diagnosis_form"},
        action_event("diagnosis_form"),
    ]
    state = tracker_state(slots={"audience": audience}, text=DESCRIPTION, intent="report_problem", events=events_in,
                          entities=entities, active_loop=FORM, latest_action_name="diagnosis_form")

    events, messages = run(ValidateDiagnosisForm(), state, form_domain)

    question, tail = form_tail(engine, DESCRIPTION_FACTS, [])
    assert question is not None and question not in DESCRIPTION_FACTS
    assert events == [
        {"event": "slot", "timestamp": None, "name": "payment_channel", "value": "card"},
        {"event": "slot", "timestamp": None, "name": "terminal_result", "value": "success_slip"},
        {"event": "slot", "timestamp": None, "name": "income_check", "value": "some_missing"},
        {"event": "slot", "timestamp": None, "name": "case_messages", "value": 1},
        {"event": "slot", "timestamp": None, "name": "asked_signals", "value": [question]},
        {"event": "slot", "timestamp": None, "name": "requested_slot", "value": question},
    ]
    assert events[4:] == tail
    assert messages[0] == question_message(kb, question, audience)
    if audience == "merchant":
        assert messages == [question_message(kb, question)]
    else:
        assert len(messages) == 2
        state_payload = messages[1]["custom"]
        assert state_payload["type"] == "pos_diagnosis_state"
        assert state_payload["stage"] == "asking"
        assert state_payload["next_question"]["signal"] == question
        assert state_payload["diagnosed_cause"] is None
        expected_ranking = [s.cause_id for s in engine.assess(DESCRIPTION_FACTS, questions_asked=1).ranking]
        assert [r["cause"] for r in state_payload["ranking"]] == expected_ranking
        assert {e["signal"]: e["answer"] for e in state_payload["evidence"]} == DESCRIPTION_FACTS


@pytest.mark.parametrize("signal_id", SIGNAL_IDS)
def test_question_buttons_carry_inform_payloads_that_the_form_takes_back_as_is(kb, signal_id):
    from actions.common import options_payload

    signal = kb.signal(signal_id)
    buttons = options_payload(signal.id)
    assert buttons == expected_buttons(kb, signal.id)
    assert buttons[-1] == {"title": "不清楚", "payload": "/dont_know"}
    for button in buttons[:-1]:
        assert button["payload"].startswith("/inform{")
        (payload_signal, answer_id), = json.loads(button["payload"][len("/inform"):]).items()
        assert payload_signal == signal.id
        # What Rasa's intent payload parser makes of a click: the payload as text and one entity.
        clicked = {"text": button["payload"], "intent": {"name": "inform"},
                   "entities": [{"entity": payload_signal, "value": answer_id}]}
        assert read_reply(clicked, signal.id).facts == {signal.id: answer_id}


def test_only_answer_ids_of_the_named_signal_are_facts():
    parsed = {"text": "", "intent": {"name": "inform"},
              "entities": [{"entity": "network_condition", "value": "faulty"},
                           {"entity": "terminal_condition", "value": "网络不好"},
                           {"entity": "diagnosed_cause", "value": "fraud"},
                           {"entity": "account_change", "value": "none"}]}
    assert stated_facts(parsed) == {"account_change": "none"}


def test_a_button_payload_with_an_answer_id_of_another_signal_is_not_taken(kb, engine, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record"}
    text = '/inform{"transaction_record":"faulty"}'
    entities = [{"entity": "transaction_record", "value": "faulty"}]

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, text, entities=entities), form_domain)

    question, tail = form_tail(engine, DESCRIPTION_FACTS, ["transaction_record"])
    assert question == "transaction_record"
    assert events == [SlotSet("case_messages", 1), SlotSet("unclear_replies", ["transaction_record"])] + tail
    assert messages == [message(response="utter_not_understood_answer"), question_message(kb, question)]


# --- an injected diagnosed_cause ---------------------------------------------------------------------------

@pytest.mark.parametrize("requested", [None, "transaction_record"])
def test_an_injected_diagnosed_cause_entity_fills_nothing(kb, engine, form_reply, form_domain, requested):
    asked = [requested] if requested else []
    slots = {**DESCRIPTION_FACTS, "asked_signals": asked or None, "requested_slot": requested}
    text = '/inform{"diagnosed_cause":"fraud"}'
    entities = [{"entity": "diagnosed_cause", "value": "fraud"}]

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, text, entities=entities), form_domain)

    assert read_reply({"text": text, "intent": {"name": "inform"}, "entities": entities}, requested).facts == {}
    assert all(e.get("name") != "diagnosed_cause" for e in events)
    assert all(not (e.get("name") == "requested_slot" and e.get("value") == "diagnosed_cause") for e in events)
    question, tail = form_tail(engine, DESCRIPTION_FACTS, asked)
    assert events[-len(tail):] == tail
    expected = [question_message(kb, question)]
    if requested:
        expected.insert(0, message(response="utter_not_understood_answer"))
    assert messages == expected


def test_the_form_never_sets_diagnosed_cause_even_on_conclusive_evidence(form_reply, form_domain):
    slots = {"transaction_record": "success", "settlement_status": "not_due", "terminal_result": "success_slip",
             "asked_signals": ["transaction_timing"], "requested_slot": "transaction_timing"}
    entities = [{"entity": "diagnosed_cause", "value": "fraud"}]
    reading = in_context("transaction_timing", "weekend_holiday_or_night", 0.9)

    events, _ = run(ValidateDiagnosisForm(), form_reply(slots, "周六那天做的", entities=entities,
                                                        answers_if_asked=reading), form_domain)

    assert events == [SlotSet("transaction_timing", "weekend_holiday_or_night"), SlotSet("case_messages", 1),
                      SlotSet("sale_time", "2026-11-28T12:00"), SlotSet("requested_slot", None)]


# --- reading a typed reply against the open question ------------------------------------------------------

def test_a_sure_reading_of_the_reply_answers_the_open_question(kb, engine, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record",
             "case_messages": 1}
    reading = in_context("transaction_record", "not_found", TAKE_THRESHOLD)

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "没有啊,app里找不到", answers_if_asked=reading),
                           form_domain)

    evidence = {**DESCRIPTION_FACTS, "transaction_record": "not_found"}
    question, tail = form_tail(engine, evidence, ["transaction_record"])
    assert events == [SlotSet("transaction_record", "not_found"), SlotSet("case_messages", 2)] + tail
    assert messages == ([question_message(kb, question)] if question else [])


def test_the_reading_of_another_question_is_not_taken(kb, engine, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record"}
    reading = in_context("network_condition", "normal", 0.99)

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "正常的", answers_if_asked=reading), form_domain)

    assert all(e.get("name") != "network_condition" for e in events)
    assert messages[0] == message(response="utter_not_understood_answer")


def test_a_fairly_sure_reading_is_confirmed_in_one_question(kb, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record",
             "case_messages": 1}
    confidence = (CONFIRM_THRESHOLD + TAKE_THRESHOLD) / 2
    reading = in_context("transaction_record", "not_found", confidence)

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "好像没看着", answers_if_asked=reading),
                           form_domain)

    assert events == [SlotSet("case_messages", 2), SlotSet("pending_answer", "transaction_record=not_found"),
                      SlotSet("requested_slot", "transaction_record")]
    fact = kb.signal("transaction_record").answer("not_found").fact_zh
    assert messages == [{**message(response="utter_confirm_answer"), "fact": fact}]
    assert [b["payload"] for b in variant(RESPONSES, "utter_confirm_answer")["buttons"]] == ["/affirm", "/deny"]


def test_a_confirmed_answer_is_taken(engine, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record",
             "pending_answer": "transaction_record=not_found", "case_messages": 2}

    events, _ = run(ValidateDiagnosisForm(), form_reply(slots, "对的", intent="affirm"), form_domain)

    evidence = {**DESCRIPTION_FACTS, "transaction_record": "not_found"}
    _, tail = form_tail(engine, evidence, ["transaction_record"])
    assert events == [SlotSet("transaction_record", "not_found"), SlotSet("pending_answer", None),
                      SlotSet("case_messages", 3)] + tail


def test_a_denied_confirmation_asks_the_question_again_and_counts_as_unclear(kb, engine, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record",
             "pending_answer": "transaction_record=not_found", "case_messages": 2}

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "不是", intent="deny"), form_domain)

    # "不是" rejects the pending reading; it is not the question's deny_means (not_found).
    assert all(e.get("name") != "transaction_record" for e in events)
    question, tail = form_tail(engine, DESCRIPTION_FACTS, ["transaction_record"])
    assert events == [SlotSet("pending_answer", None), SlotSet("rejected_answers", ["transaction_record=not_found"]),
                      SlotSet("case_messages", 3), SlotSet("unclear_replies", ["transaction_record"])] + tail
    assert messages == [question_message(kb, question)]


def test_a_reading_denied_once_is_not_offered_again(kb, engine, form_reply, form_domain):
    """The merchant repeats the words after 不是: the same reading is not confirmed again; the reply counts as
    unclear, and with the 不是 before it the question is given up (不清楚) and the diagnosis moves on."""
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record",
             "rejected_answers": ["transaction_record=not_found"], "unclear_replies": ["transaction_record"],
             "case_messages": 3}
    confidence = (CONFIRM_THRESHOLD + TAKE_THRESHOLD) / 2
    reading = in_context("transaction_record", "not_found", confidence)

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "好像没看着", answers_if_asked=reading),
                           form_domain)

    assert SlotSet("pending_answer", "transaction_record=not_found") not in events
    assert "utter_confirm_answer" not in [m["response"] for m in messages]
    assert events[:3] == [SlotSet("transaction_record", UNKNOWN), SlotSet("case_messages", 4),
                          SlotSet("unclear_replies", ["transaction_record", "transaction_record"])]
    assert messages[0] == message(response="utter_moving_on")


def test_a_reply_that_states_another_fact_is_acknowledged_and_the_diagnosis_moves_on(
    kb, engine, form_reply, form_domain
):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record"}
    entities = facts_entities({"network_condition": "unstable"})

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "拿到楼上去刷就能成功", entities=entities),
                           form_domain)

    evidence = {**DESCRIPTION_FACTS, "network_condition": "unstable"}
    question, tail = form_tail(engine, evidence, ["transaction_record"])
    assert events == [SlotSet("network_condition", "unstable"), SlotSet("case_messages", 1),
                      SlotSet("unclear_replies", ["transaction_record"])] + tail
    fact = kb.signal("network_condition").answer("unstable").fact_zh
    assert messages[0] == {**message(response="utter_noted_facts"), "facts": fact}
    assert "utter_not_understood_answer" not in [m["response"] for m in messages]


def test_a_side_reading_does_not_overwrite_a_fact_stated_earlier(kb, engine, form_reply, form_domain):
    """"没出单" to another question says why the merchant cannot tell; the terminal's success stated earlier stands."""
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record"}
    entities = facts_entities({"terminal_result": "not_checked", "network_condition": "unstable"})
    reading = in_context("transaction_record", "not_found", 0.9)

    events, _ = run(ValidateDiagnosisForm(), form_reply(slots, "没出单,网也断了,查不到", entities=entities,
                                                        answers_if_asked=reading), form_domain)

    assert SlotSet("terminal_result", "not_checked") not in events
    evidence = {**DESCRIPTION_FACTS, "network_condition": "unstable", "transaction_record": "not_found"}
    _, tail = form_tail(engine, evidence, ["transaction_record"])
    assert events == [SlotSet("network_condition", "unstable"), SlotSet("transaction_record", "not_found"),
                      SlotSet("case_messages", 1)] + tail


def test_two_unproductive_replies_to_one_question_move_on(kb, engine, form_reply, form_domain):
    slots = {**DESCRIPTION_FACTS, "asked_signals": ["transaction_record"], "requested_slot": "transaction_record",
             "unclear_replies": ["transaction_record"], "case_messages": 2}

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "嗯这个吧"), form_domain)

    evidence = {**DESCRIPTION_FACTS, "transaction_record": UNKNOWN}
    question, tail = form_tail(engine, evidence, ["transaction_record"])
    assert question != "transaction_record"
    assert events == [SlotSet("transaction_record", UNKNOWN), SlotSet("case_messages", 3),
                      SlotSet("unclear_replies", ["transaction_record", "transaction_record"])] + tail
    assert messages[0] == message(response="utter_moving_on")


def test_the_diagnosis_comes_by_the_last_allowed_merchant_message(kb, engine, form_reply, form_domain):
    last = kb.settings.max_messages
    slots = {"asked_signals": ["payment_channel"], "requested_slot": "payment_channel", "case_messages": last - 1}
    reading = in_context("payment_channel", "card", 0.9)
    assert engine_next(engine, {"payment_channel": "card"}, ["payment_channel"]) is not None

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "刷卡", answers_if_asked=reading), form_domain)

    assert events == [SlotSet("payment_channel", "card"), SlotSet("case_messages", last),
                      SlotSet("requested_slot", None)]
    assert messages == []


# --- yes, no, don't know ------------------------------------------------------------------------------------

@pytest.mark.parametrize("intent, text", [("affirm", "对"), ("deny", "不是"), ("reject_diagnosis", "不对"),
                                          ("dont_know", "不清楚")])
@pytest.mark.parametrize("signal_id", SIGNAL_IDS)
def test_yes_no_and_dont_know_answer_the_requested_signal_or_name_the_options(
    kb, engine, form_reply, form_domain, intent, text, signal_id
):
    signal = kb.signal(signal_id)
    expected_answer = {
        "affirm": signal.affirm_means,
        "deny": signal.deny_means,
        "reject_diagnosis": None,  # "不对" answers a confirmation, not a question
        "dont_know": UNKNOWN,
    }[intent]
    slots = {"asked_signals": [signal.id], "requested_slot": signal.id}

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, text, intent=intent), form_domain)

    if expected_answer:
        question, tail = form_tail(engine, {signal.id: expected_answer}, [signal.id])
        assert events == [SlotSet(signal.id, expected_answer), SlotSet("case_messages", 1)] + tail
        assert messages == ([question_message(kb, question)] if question else [])
    elif intent == "reject_diagnosis":
        assert events == [SlotSet("case_messages", 1), SlotSet("unclear_replies", [signal.id]),
                          SlotSet("asked_signals", [signal.id]), SlotSet("requested_slot", signal.id)]
        assert messages == [message(response="utter_not_understood_answer"), question_message(kb, signal.id)]
    else:  # an either/or question: a bare yes or no does not say which option
        # The same question again, with its options, whatever the engine would ask next.
        assert events == [SlotSet("case_messages", 1), SlotSet("unclear_replies", [signal.id]),
                          SlotSet("asked_signals", [signal.id]), SlotSet("requested_slot", signal.id)]
        labels = [a.label_zh for a in signal.answers if not a.is_unknown]
        assert messages[0]["response"] == "utter_reask_options"
        assert all(f"「{label}」" in messages[0]["options"] for label in labels)
        assert messages[1] == question_message(kb, signal.id)


def test_yes_no_meanings_are_those_of_the_knowledge_base(kb):
    # Spot checks, so that the parametrised test above is not only comparing the code with itself.
    network = kb.signal("network_condition")
    assert (network.affirm_means, network.deny_means) == ("normal", "unstable")
    assert kb.signal("transaction_record").affirm_means == "success"  # "有" to "能查到吗?": found, status not named
    assert kb.signal("transaction_record").deny_means == "not_found"
    assert kb.signal("platform_type").affirm_means is None and kb.signal("platform_type").deny_means is None


def test_a_fact_stated_with_a_yes_wins_over_the_yes(engine, form_reply, form_domain):
    slots = {"asked_signals": ["network_condition"], "requested_slot": "network_condition"}
    entities = facts_entities({"network_condition": "unstable"})

    events, _ = run(ValidateDiagnosisForm(), form_reply(slots, "对,网络不好", intent="affirm", entities=entities),
                    form_domain)

    _, tail = form_tail(engine, {"network_condition": "unstable"}, ["network_condition"])
    assert events == [SlotSet("network_condition", "unstable"), SlotSet("case_messages", 1)] + tail


# --- interruptions ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "intent, text",
    [("ask_why", "为什么问这个"), ("request_human", "我要找人工客服"), ("start_over", "重新来"),
     ("out_of_scope", "天气怎么样"), ("chitchat", "你是机器人吗"), ("greet", "你好"), ("goodbye", "再见"),
     ("thank", "谢谢")],
)
def test_an_interrupting_intent_without_a_fact_right_after_the_message_is_rejected(
    kb, form_reply, form_domain, open_question, intent, text
):
    assert intent in INTERRUPTING_INTENTS

    events, messages = run(ValidateDiagnosisForm(), form_reply(open_question, text, intent=intent), form_domain)

    assert events == []
    assert messages == []


def test_an_interruption_is_rejected_also_when_the_tracker_ends_with_the_user_message(
    tracker_state, user_event, action_event, form_domain, open_question
):
    events_in = [action_event("diagnosis_form"), action_event("action_listen"), user_event("为什么问这个", "ask_why")]
    state = tracker_state(slots=open_question, text="为什么问这个", intent="ask_why", events=events_in,
                          active_loop=FORM, latest_action_name="action_listen")

    events, messages = run(ValidateDiagnosisForm(), state, form_domain)

    assert (events, messages) == ([], [])


def test_after_action_explain_the_form_asks_the_requested_question_again(
    kb, engine, tracker_state, user_event, action_event, form_domain, open_question
):
    requested = open_question["requested_slot"]
    events_in = [
        action_event("diagnosis_form"),
        SlotSet("requested_slot", requested),
        action_event("action_listen"),
        user_event("为什么问这个", "ask_why"),
        REJECTED,
        action_event("action_explain"),
        {"event": "bot", "timestamp": None, "text": "目前可能性较大的是……", "data": {}, "metadata": {}},
        action_event("diagnosis_form"),
    ]
    state = tracker_state(slots=open_question, text="为什么问这个", intent="ask_why", events=events_in,
                          active_loop=FORM, latest_action_name="diagnosis_form")

    events, messages = run(ValidateDiagnosisForm(), state, form_domain)

    question, tail = form_tail(engine, DESCRIPTION_FACTS, [requested])
    assert question == requested
    # The interruption counts as a message of the case and as one reply that left the question unanswered: a
    # reply misread as 为什么 again and again must not hold the case on one question.
    assert events == [SlotSet("case_messages", 2), SlotSet("unclear_replies", [requested]),
                      SlotSet("asked_signals", [requested]), SlotSet("requested_slot", requested)]
    assert events[2:] == tail
    assert messages == [question_message(kb, requested)]


def test_an_answer_it_cannot_read_is_said_so_and_the_question_asked_again(
    kb, engine, form_reply, form_domain, open_question
):
    requested = open_question["requested_slot"]

    events, messages = run(ValidateDiagnosisForm(), form_reply(open_question, "嗯这个吧"), form_domain)

    question, tail = form_tail(engine, DESCRIPTION_FACTS, [requested])
    assert question == requested
    assert events == [SlotSet("case_messages", 2), SlotSet("unclear_replies", [requested])] + tail
    assert messages == [message(response="utter_not_understood_answer"), question_message(kb, requested)]


# --- stopping -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("audience", ["merchant", "agent"])
def test_conclusive_evidence_ends_the_form_without_a_question(engine, form_reply, form_domain, audience):
    slots = {"transaction_record": "success", "settlement_status": "not_due", "terminal_result": "success_slip",
             "asked_signals": ["transaction_record", "settlement_status", "transaction_timing"],
             "requested_slot": "transaction_timing", "audience": audience}
    assert engine.assess(CONCLUSIVE, questions_asked=3).finished
    reading = in_context("transaction_timing", "weekend_holiday_or_night", 0.95)

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "周六那天做的", answers_if_asked=reading),
                           form_domain)

    assert events == [
        {"event": "slot", "timestamp": None, "name": "transaction_timing", "value": "weekend_holiday_or_night"},
        {"event": "slot", "timestamp": None, "name": "case_messages", "value": 1},
        {"event": "slot", "timestamp": None, "name": "sale_time", "value": "2026-11-28T12:00"},
        {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None},
    ]
    assert messages == []


def test_the_form_stops_once_the_question_cap_is_reached(kb, engine, form_reply, form_domain):
    # Answer "不清楚" to every question until the engine has asked its maximum.
    evidence, asked = {}, []
    for _ in range(kb.settings.max_questions):
        question = engine_next(engine, evidence, asked)
        assert question is not None
        asked.append(question)
        evidence[question] = UNKNOWN
    last = asked[-1]
    del evidence[last]
    slots = {**evidence, "asked_signals": list(asked), "requested_slot": last}

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "不清楚", intent="dont_know"), form_domain)

    assert engine.assess({**evidence, last: UNKNOWN}, questions_asked=len(asked)).stop_reason == "question_cap"
    assert engine_next(engine, {**evidence, last: UNKNOWN}, []) is not None  # only the cap stops it
    assert events == [SlotSet(last, UNKNOWN), SlotSet("case_messages", 1), SlotSet("requested_slot", None)]
    assert messages == []


# --- action_present_diagnosis -------------------------------------------------------------------------------

def rendered(message_dict, audience="merchant"):
    """The text Rasa makes of a dispatched response: the domain's variant filled with the action's values."""
    values = {k: v for k, v in message_dict.items() if k not in MESSAGE_KEYS}
    return render(RESPONSES, message_dict["response"], audience, **values)


@pytest.mark.parametrize("audience", ["merchant", "agent"])
def test_present_diagnosis_names_the_leader_and_gives_steps_and_prevention(kb, engine, tracker_state, audience):
    diagnosis = engine.assess(CONCLUSIVE)
    leader = diagnosis.leader
    assert leader.probability >= kb.settings.stop_confidence
    cause = kb.cause(leader.cause_id)
    state = tracker_state(slots={**CONCLUSIVE, "audience": audience, "asked_signals": ["transaction_record"]},
                          text="/dont_know", intent="dont_know", latest_action_name="diagnosis_form")

    events, messages = run(ActionPresentDiagnosis(), state)

    assert events == [{"event": "slot", "timestamp": None, "name": "diagnosed_cause", "value": leader.cause_id}]
    about_cause = {"cause_name": cause.name_zh, "confidence": f"{leader.probability:.0%}",
                   "cause_summary": cause.summary_zh}
    steps = {**message(response="utter_diagnosis_steps"),
             "steps": "\n".join(f"{i}. {step}" for i, step in enumerate(cause.steps, 1))}
    prevention = {**message(response="utter_diagnosis_prevention"),
                  "prevention": "\n".join(f"• {item}" for item in cause.prevention),
                  "contact_first": cause.escalation.contact_first,
                  "have_ready": "、".join(cause.escalation.have_ready),
                  "handoff_when": cause.escalation.handoff_when}
    if audience == "merchant":
        # mobile first: three bubbles, the reasons one tap away
        assert messages == [{**message(response="utter_diagnosis_confident"), **about_cause}, steps, prevention]
        buttons = variant(RESPONSES, "utter_diagnosis_prevention", "merchant")["buttons"]
        assert [b["payload"] for b in buttons] == ["/affirm", "/reject_diagnosis", "/ask_why", "/request_human"]
        assert rendered(messages[0]).startswith(f"根据您提供的情况,最可能的原因是「{cause.name_zh}」")
        return
    assert [m["response"] for m in messages] == [
        "utter_diagnosis_confident", "utter_why_diagnosis", "utter_diagnosis_steps", "utter_diagnosis_prevention",
        None]
    assert messages[0] == {**message(response="utter_diagnosis_confident"), **about_cause}
    assert messages[2:4] == [steps, prevention]
    assert rendered(messages[0], "agent").startswith(f"【诊断结论】{cause.name_zh}")
    payload = messages[4]["custom"]
    assert payload["type"] == "pos_diagnosis_state"
    assert payload["stage"] == "diagnosed"
    assert payload["diagnosed_cause"] == leader.cause_id
    assert payload["next_question"] is None
    assert [r["cause"] for r in payload["ranking"]] == [s.cause_id for s in diagnosis.ranking]
    assert payload["ranking"][0]["name_zh"] == cause.name_zh
    assert f"诊断结论:{cause.name_zh}" in payload["case_summary"]["text"]
    assert f"1. {cause.steps[0]}" in payload["case_summary"]["text"]
    json.dumps(payload, ensure_ascii=False)  # the console receives it as JSON


def test_an_uncertain_diagnosis_names_the_runner_up_and_the_first_check(kb, engine, tracker_state):
    diagnosis = engine.assess(DESCRIPTION_FACTS)
    leader, runner_up = diagnosis.ranking[0], diagnosis.ranking[1]
    assert leader.probability < kb.settings.stop_confidence
    state = tracker_state(slots={**DESCRIPTION_FACTS, "asked_signals": []}, latest_action_name="diagnosis_form")

    _, messages = run(ActionPresentDiagnosis(), state)

    assert len(messages) == 3
    first = messages[0]
    assert first["response"] == "utter_diagnosis_uncertain"
    assert first["runner_up"] == f",也可能是「{runner_up.name_zh}」"
    assert first["first_check"] == kb.cause(leader.cause_id).steps[0]
    text = rendered(first)
    assert f"「{leader.name_zh}」,但还不能完全确定,也可能是「{runner_up.name_zh}」。" in text
    assert "{" not in text


@pytest.mark.parametrize("audience", ["merchant", "agent"])
@pytest.mark.parametrize("slots", [CONCLUSIVE, DESCRIPTION_FACTS], ids=["confident", "uncertain"])
def test_every_diagnosis_response_is_filled_completely(tracker_state, audience, slots):
    state = tracker_state(slots={**slots, "audience": audience}, latest_action_name="diagnosis_form")

    _, messages = run(ActionPresentDiagnosis(), state)

    texts = [rendered(m, audience) for m in messages if m["response"]]
    assert texts and all(t and not re.search(r"{\w+}", t) for t in texts), texts


def test_present_diagnosis_with_every_cause_excluded_sets_no_cause(kb, tracker_state):
    state = tracker_state(slots={**CONCLUSIVE, "excluded_causes": list(kb.cause_ids)})

    events, messages = run(ActionPresentDiagnosis(), state)

    assert events == [SlotSet("diagnosed_cause", None)]
    assert messages == [message(response="utter_all_causes_excluded")]


# --- action_reject_diagnosis --------------------------------------------------------------------------------

def test_reject_diagnosis_excludes_the_diagnosed_cause(kb, tracker_state):
    state = tracker_state(slots={**CONCLUSIVE, "diagnosed_cause": "bank_system"}, text="不对", intent="reject_diagnosis")

    events, messages = run(ActionRejectDiagnosis(), state)

    assert events == [
        {"event": "slot", "timestamp": None, "name": "excluded_causes", "value": ["bank_system"]},
        {"event": "slot", "timestamp": None, "name": "diagnosed_cause", "value": None},
    ] + FRESH_ROUND
    assert messages == [{**message(response="utter_cause_excluded"), "cause_name": kb.cause("bank_system").name_zh}]


def test_reject_without_a_diagnosis_excludes_the_current_leader(engine, tracker_state):
    leader = engine.assess(DESCRIPTION_FACTS, excluded=["network"]).leader.cause_id
    state = tracker_state(slots={**DESCRIPTION_FACTS, "excluded_causes": ["network"]}, text="不对",
                          intent="reject_diagnosis")

    events, _ = run(ActionRejectDiagnosis(), state)

    assert events == [SlotSet("excluded_causes", ["network", leader]), SlotSet("diagnosed_cause", None)] + FRESH_ROUND


def test_rejecting_an_already_excluded_cause_adds_nothing(tracker_state):
    state = tracker_state(slots={"diagnosed_cause": "fraud", "excluded_causes": ["fraud"]}, intent="reject_diagnosis")

    events, messages = run(ActionRejectDiagnosis(), state)

    assert events == [SlotSet("excluded_causes", ["fraud"]), SlotSet("diagnosed_cause", None)] + FRESH_ROUND
    assert messages == []


# --- action_explain -----------------------------------------------------------------------------------------

def test_explain_after_a_diagnosis_gives_the_reasons(kb, engine, tracker_state):
    state = tracker_state(slots={**CONCLUSIVE, "diagnosed_cause": "bank_system"}, text="为什么", intent="ask_why")

    events, messages = run(ActionExplain(), state)

    assert events == []
    explanation = engine.explain(engine.assess(CONCLUSIVE))
    assert explanation.reasons and explanation.runner_up is None
    assert messages == [{
        **message(response="utter_why_diagnosis"),
        "cause_name": explanation.leader.name_zh,
        "confidence": f"{explanation.leader.probability:.0%}",
        "reasons": "、".join(f.fact_zh for f in explanation.reasons),
        "doubt": f"虽然{explanation.doubt.fact_zh}与此不太相符,但综合来看这个原因最吻合。" if explanation.doubt else "",
        "runner_up": "",
    }]
    assert rendered(messages[0]).startswith(f"因为您提到{explanation.reasons[0].fact_zh}")


def test_explain_after_a_diagnosis_explains_the_cause_even_if_the_engine_could_ask_more(engine, tracker_state):
    # e.g. a diagnosis presented at the question cap: "why" is about the cause, not about a question.
    diagnosis = engine.assess(DESCRIPTION_FACTS)
    assert not diagnosis.finished
    state = tracker_state(slots={**DESCRIPTION_FACTS, "diagnosed_cause": diagnosis.leader.cause_id}, text="为什么",
                          intent="ask_why")

    events, messages = run(ActionExplain(), state)

    assert events == []
    assert len(messages) == 1 and messages[0]["response"] in ("utter_why_diagnosis", "utter_why_diagnosis_without_reasons")
    runner_up = diagnosis.ranking[1]
    assert messages[0]["runner_up"] == f"其次可能是「{runner_up.name_zh}」(约{runner_up.probability:.0%})。"


def test_explain_during_the_form_says_why_the_question_is_asked(kb, engine, tracker_state, open_question):
    state = tracker_state(slots=open_question, text="为什么问这个", intent="ask_why", active_loop=FORM)

    events, messages = run(ActionExplain(), state)

    assert events == []
    diagnosis = engine.assess(DESCRIPTION_FACTS, questions_asked=1)
    rivals = "、".join(f"「{s.name_zh}」({s.probability:.0%})" for s in engine.question_rivals(diagnosis))
    assert messages == [{**message(response="utter_why_question"), "causes": rivals,
                         "topic": kb.signal(diagnosis.next_question).name_zh}]
    assert open_question["requested_slot"] == diagnosis.next_question


def test_explain_before_any_fact_says_the_diagnosis_has_not_started(tracker_state):
    events, messages = run(ActionExplain(), tracker_state(text="为什么", intent="ask_why"))

    assert events == []
    assert messages == [message(response="utter_why_not_started")]


# --- action_handoff -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("audience", ["merchant", "agent"])
def test_handoff_summary_masks_card_and_mobile_numbers(tracker_state, user_event, action_event, audience):
    assert not luhn_ok("6222021234567890")
    card = luhn_complete("622202123456789")
    assert len(card) == 16 and luhn_ok(card)
    mobile = "13812345678"
    events_in = [
        action_event("action_listen"),
        user_event(f"我的卡号是{card},顾客刷卡显示交易成功", "report_problem"),
        action_event("diagnosis_form"),
        action_event("action_listen"),
        user_event("/dont_know", "dont_know"),
        action_event("diagnosis_form"),
        action_event("action_listen"),
        user_event(f"我手机{mobile},快帮我转人工", "request_human"),
    ]
    state = tracker_state(slots={"payment_channel": "card", "terminal_result": "success_slip", "audience": audience},
                          text=f"我手机{mobile},快帮我转人工", intent="request_human", events=events_in)

    events, messages = run(ActionHandoff(), state)

    assert events == []
    assert messages[0]["response"] == "utter_handoff"
    summary = messages[0]["case_summary"]
    assert summary.startswith("【收款问题案件摘要】") and summary.endswith("状态:已转人工")
    assert rendered(messages[0], audience).startswith("好的,正在为您转接人工客服")
    assert "*" * 12 + card[-4:] in summary
    assert "*" * 7 + mobile[-4:] in summary
    assert "/dont_know" not in summary
    assert "顾客是刷银行卡付的款" in summary
    everything = json.dumps(messages, ensure_ascii=False)
    assert card not in everything and card[:12] not in everything
    assert mobile not in everything and mobile[:7] not in everything
    if audience == "agent":
        assert len(messages) == 2
        handoff = messages[1]["custom"]
        assert handoff["type"] == "handoff"
        assert handoff["summary"]["merchant_said"] == [
            f"我的卡号是{'*' * 12}{card[-4:]},顾客刷卡显示交易成功",
            f"我手机{'*' * 7}{mobile[-4:]},快帮我转人工",
        ]
    else:
        assert len(messages) == 1


@pytest.mark.parametrize("number", ["6217000010001234567", "6222 0202 0011 2233 445", "6217-0000-1000-1234",
                                    "123456789012"])
def test_handoff_summary_masks_long_numbers_whatever_the_luhn_check_says(tracker_state, user_event, action_event,
                                                                         number):
    """Issue 13: the agent console's case summary masks every run of 12+ digits to its last 4."""
    digits = "".join(c for c in number if c.isdigit())
    events_in = [
        action_event("action_listen"),
        user_event(f"另一张卡{number},顾客刷卡显示交易成功", "report_problem"),
        action_event("diagnosis_form"),
        action_event("action_listen"),
        user_event("转人工", "request_human"),
    ]
    state = tracker_state(slots={"payment_channel": "card", "audience": "agent"}, text="转人工",
                          intent="request_human", events=events_in)

    _, messages = run(ActionHandoff(), state)

    everything = json.dumps(messages, ensure_ascii=False)
    assert digits[-4:] in everything
    assert number not in everything and digits[:8] not in everything and number[:9] not in everything
    assert messages[1]["custom"]["summary"]["merchant_said"][0] == (
        f"另一张卡{'*' * (len(digits) - 4)}{digits[-4:]},顾客刷卡显示交易成功")
# --- action_start_diagnosis ---------------------------------------------------------------------------------

def test_a_new_problem_after_a_diagnosis_starts_a_fresh_case(kb, tracker_state):
    slots = {**CONCLUSIVE, **DESCRIPTION_FACTS, "diagnosed_cause": "bank_system", "excluded_causes": ["network"],
             "asked_signals": ["transaction_record", "settlement_status"]}
    state = tracker_state(slots=slots, text="又有一笔扫码的钱没到账", intent="report_problem")

    events, messages = run(ActionStartDiagnosis(), state)

    assert events == (
        [{"event": "slot", "timestamp": None, "name": s, "value": None} for s in kb.signal_ids]
        + [SlotSet("excluded_causes", None), SlotSet("asked_signals", None)] + FRESH_ROUND
        + [SlotSet("diagnosed_cause", None)]
    )
    assert messages == []


def test_more_facts_after_a_diagnosis_refine_the_same_case(tracker_state):
    state = tracker_state(slots={**CONCLUSIVE, "diagnosed_cause": "bank_system", "excluded_causes": ["network"]},
                          text="网络也不好", intent="inform")

    events, _ = run(ActionStartDiagnosis(), state)

    assert events == [SlotSet("diagnosed_cause", None)]


@pytest.mark.parametrize("entities, fresh", [
    ([{"entity": "settlement_cycle", "value": "next_working_day"}], False),  # "一般T+1到": still open, refines
    ([{"entity": "settlement_cycle", "value": "next_working_day"},
      {"entity": "payment_channel", "value": "qr_customer_scans"}], True),  # restates a known fact: a new case
])
def test_a_report_after_a_diagnosis_refines_when_it_only_adds_open_facts(kb, tracker_state, entities, fresh):
    slots = {**CONCLUSIVE, **DESCRIPTION_FACTS, "payment_channel": "card", "diagnosed_cause": "bank_system"}
    state = tracker_state(slots=slots, text="一般T+1到", intent="report_problem", entities=entities)

    events, _ = run(ActionStartDiagnosis(), state)

    resets = [SlotSet(s, None) for s in kb.signal_ids]
    assert (events[:len(resets)] == resets) is fresh
    assert events[-1] == SlotSet("diagnosed_cause", None)
    assert len(events) == (len(resets) + 2 + len(FRESH_ROUND) + 1 if fresh else 1)


def test_start_diagnosis_takes_the_audience_from_the_message_metadata(tracker_state):
    state = tracker_state(text=DESCRIPTION, intent="report_problem", metadata={"audience": "agent"})

    events, _ = run(ActionStartDiagnosis(), state)

    assert events == [SlotSet("audience", "agent"), SlotSet("diagnosed_cause", None)]


# --- action_restart_conversation ----------------------------------------------------------------------------

def test_restart_conversation_restarts_and_says_so(tracker_state):
    state = tracker_state(slots={**CONCLUSIVE, "diagnosed_cause": "bank_system"}, text="重新开始", intent="start_over")

    events, messages = run(ActionRestartConversation(), state)

    assert events == [Restarted()]
    assert events == [{"event": "restart", "timestamp": None}]
    assert messages == [message(response="utter_restarted")]


def test_a_reply_read_as_start_over_that_answers_the_question_is_an_answer(engine, form_reply, form_domain):
    slots = {"asked_signals": ["transaction_timing"], "requested_slot": "transaction_timing"}
    reading = in_context("transaction_timing", "days_ago", 0.9)

    events, _ = run(ValidateDiagnosisForm(), form_reply(slots, "上周开始的", intent="start_over",
                                                        answers_if_asked=reading), form_domain)

    _, tail = form_tail(engine, {"transaction_timing": "days_ago"}, ["transaction_timing"])
    assert events == [SlotSet("transaction_timing", "days_ago"), SlotSet("case_messages", 1)] + tail


def test_a_request_for_a_human_interrupts_even_with_a_fact(form_reply, form_domain, open_question):
    entities = facts_entities({"network_condition": "unstable"})

    events, messages = run(ValidateDiagnosisForm(), form_reply(open_question, "网络不好,转人工吧",
                                                              intent="request_human", entities=entities), form_domain)

    assert (events, messages) == ([], [])


def test_interruptions_count_towards_the_message_limit(kb, tracker_state, user_event, action_event, form_domain):
    from actions.diagnosis_form import merchant_messages

    events_in = [action_event("action_listen"), user_event("钱没到", "report_problem"),
                 SlotSet("case_messages", 3), user_event("为什么", "ask_why"), REJECTED,
                 action_event("action_explain"), user_event("你是谁", "chitchat")]
    state = tracker_state(slots={"case_messages": 3}, events=events_in)
    assert merchant_messages(Tracker.from_dict(state)) == 5


def test_a_reply_misread_as_a_request_for_a_human_that_answers_is_an_answer(engine, form_reply, form_domain):
    slots = {"asked_signals": ["platform_type"], "requested_slot": "platform_type"}
    reading = in_context("platform_type", "bank_or_licensed", 0.98)

    events, _ = run(ValidateDiagnosisForm(), form_reply(slots, "农行直接给我结的", intent="request_human",
                                                        answers_if_asked=reading), form_domain)

    _, tail = form_tail(engine, {"platform_type": "bank_or_licensed"}, ["platform_type"])
    assert events == [SlotSet("platform_type", "bank_or_licensed"), SlotSet("case_messages", 1)] + tail


def test_a_yes_that_states_a_fact_is_no_bare_yes(engine, form_reply, form_domain):
    slots = {"asked_signals": ["income_check"], "requested_slot": "income_check"}
    entities = facts_entities({"other_transactions": "all_missing"}, confidence=0.97)

    events, messages = run(ValidateDiagnosisForm(), form_reply(slots, "是真的都没到", intent="affirm",
                                                              entities=entities), form_domain)

    assert SlotSet("income_check", "all_arrived") not in events  # its affirm_means
    assert SlotSet("other_transactions", "all_missing") in events
    assert messages[0]["response"] == "utter_noted_facts"


@pytest.mark.parametrize("text, intent, answered_by", [
    ("俺家没pos机", "out_of_scope", "utter_out_of_scope"),
    ("没出过啥问题", "ask_why", "action_explain"),  # a reply misread as 为什么 a second time: no loop on it
])
def test_a_reply_the_rules_answered_counts_as_unclear(
    kb, engine, tracker_state, user_event, action_event, form_domain, open_question, text, intent, answered_by
):
    requested = open_question["requested_slot"]
    events_in = [
        action_event("diagnosis_form"), SlotSet("requested_slot", requested), SlotSet("case_messages", 1),
        action_event("action_listen"), user_event(text, intent), REJECTED,
        action_event(answered_by), action_event("diagnosis_form"),
    ]
    slots = {**open_question, "unclear_replies": [requested]}
    state = tracker_state(slots=slots, text=text, intent=intent, events=events_in,
                          active_loop=FORM, latest_action_name="diagnosis_form")

    events, messages = run(ValidateDiagnosisForm(), state, form_domain)

    # The second unanswered reply: 不清楚, and the diagnosis moves on to another question.
    assert SlotSet(requested, UNKNOWN) in events
    assert SlotSet("unclear_replies", [requested, requested]) in events
    assert events[-1]["value"] != requested


@pytest.mark.parametrize("intent, text", [("goodbye", "好的行"), ("start_over", "那就这样刷的"),
                                          ("request_human", "农行直接给我结的"),
                                          ("request_human", "没接过这种电话")])  # a reply to the scam question
def test_an_ending_intent_without_its_words_does_not_end_the_case(kb, form_reply, form_domain, open_question,
                                                                 intent, text):
    requested = open_question["requested_slot"]

    events, messages = run(ValidateDiagnosisForm(), form_reply(open_question, text, intent=intent), form_domain)

    assert SlotSet("unclear_replies", [requested]) in events
    assert events[-1] == SlotSet("requested_slot", requested)
    assert messages[0] == message(response="utter_not_understood_answer")
