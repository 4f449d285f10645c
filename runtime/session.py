"""Session start in the Rasa server instead of a round trip to the action server (issue 11).

What the action server's `action_session_start` (actions/session.py until issue 11) did, this does in the Rasa server, with the
same events: SessionStarted, the audience slot when the channel's session metadata names a known
audience (merchant or agent), then action_listen. Slots are not carried over (the domain's
carry_over_slots_to_new_session is false, and the custom action never carried them either).

Rasa runs its default ActionSessionStart whenever the domain does not list `action_session_start`;
runtime.rasa_patches.apply_patches() makes that default this class. A domain that still lists the action
(a model trained before this change) keeps calling the action server, so either model works.
"""

from __future__ import annotations

from typing import Any, List

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.constants import ACTION_LISTEN_NAME, SESSION_START_METADATA_SLOT
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet

AUDIENCES = ("merchant", "agent")  # as actions/common.py and the domain's audience slot


def session_start_events(metadata: Any) -> List[Event]:
    events: List[Event] = [SessionStarted()]
    audience = metadata.get("audience") if isinstance(metadata, dict) else None
    if audience in AUDIENCES:
        events.append(SlotSet("audience", audience))
    events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return events


class ProjectActionSessionStart(ActionSessionStart):
    """Rasa's default session start, plus the audience from the session-start metadata."""

    async def run(
        self,
        output_channel: Any,
        nlg: Any,
        tracker: Any,
        domain: Any,
    ) -> List[Event]:
        return session_start_events(tracker.get_slot(SESSION_START_METADATA_SLOT))
