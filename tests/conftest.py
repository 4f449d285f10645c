"""Shared fixtures: the knowledge base, the engine, and Rasa trackers built from fixtures."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pos_expert import DiagnosisEngine, default_knowledge_base  # noqa: E402


@pytest.fixture(scope="session")
def kb():
    return default_knowledge_base()


@pytest.fixture(scope="session")
def engine(kb):
    return DiagnosisEngine(kb)


# The clock the actions see: payout dates are worked out from "today" (Tuesday 2026-12-01, 15:00 in China).
FIXED_NOW = __import__("datetime").datetime(2026, 12, 1, 15, 0)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    import actions.payout

    monkeypatch.setattr(actions.payout, "local_now", lambda: FIXED_NOW)
    return FIXED_NOW


# --- Rasa tracker fixtures for the custom actions (tests/test_actions.py) -----------------

SESSION_SLOTS = ("audience", "diagnosed_cause", "excluded_causes", "asked_signals", "requested_slot",
                 "pending_answer", "unclear_replies", "rejected_answers", "case_messages")


def _user_event(text, intent, entities=None, metadata=None, answers_if_asked=None):
    """A {"event": "user"} dump as Rasa sends it to the action server.

    entities and answers_if_asked are what nlu_components.facts.MerchantFactExtractor adds to the parse.
    """
    return {
        "event": "user",
        "timestamp": None,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": list(entities or []),
            "answers_if_asked": dict(answers_if_asked or {}),
        },
        "input_channel": "rest",
        "metadata": dict(metadata or {}),
    }


def _action_event(name):
    return {"event": "action", "timestamp": None, "name": name, "policy": None, "confidence": None}


@pytest.fixture
def user_event():
    return _user_event


@pytest.fixture
def action_event():
    return _action_event


@pytest.fixture
def tracker_state(kb):
    """Factory for a tracker dump (the JSON Rasa posts to the action server).

    Every signal slot and every session slot is present; `slots` overrides some of them.
    Unless `events` is given, the dump ends with the latest user message.
    """

    def make(slots=None, text="", intent="inform", entities=None, metadata=None, events=None,
             active_loop=None, latest_action_name="action_listen", sender_id="test-merchant",
             answers_if_asked=None):
        all_slots = {signal_id: None for signal_id in kb.signal_ids}
        all_slots.update({name: None for name in SESSION_SLOTS})
        all_slots["audience"] = "merchant"
        all_slots["session_started_metadata"] = None
        all_slots.update(slots or {})
        message = _user_event(text, intent, entities, metadata, answers_if_asked)
        if events is None:
            events = [_action_event("action_session_start"), {"event": "session_started", "timestamp": None},
                      _action_event("action_listen"), message]
        return {
            "sender_id": sender_id,
            "slots": all_slots,
            "latest_message": {**message["parse_data"], "metadata": message["metadata"]},
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": active_loop if active_loop is not None else {},
            "latest_action_name": latest_action_name,
        }

    return make
