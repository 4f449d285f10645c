"""Session start: keep who is typing (merchant or agent) from the channel's metadata."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import AUDIENCES


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        metadata = tracker.get_slot("session_started_metadata") or {}
        events: List[EventType] = [SessionStarted()]
        audience = metadata.get("audience") if isinstance(metadata, dict) else None
        if audience in AUDIENCES:
            events.append(SlotSet("audience", audience))
        events.append(ActionExecuted("action_listen"))
        return events
