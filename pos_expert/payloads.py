"""The answer buttons' payloads: one builder and one reader for everything that sends or reads them.

A button answers a question with `/inform{"<signal>":"<answer>"}`; 不清楚 (or no answer) is `/dont_know`.
The actions build the buttons with it, the simulated merchants of the benchmarks and tests press them
with it, and the simulators read the open question back from the last question's buttons.
"""

from __future__ import annotations

import json
from typing import Iterable, Mapping, Optional

from pos_expert.knowledge import UNKNOWN

DONT_KNOW = "/dont_know"
_INFORM = "/inform"


def answer_payload(signal_id: str, answer_id: Optional[str]) -> str:
    """The payload of the button that answers `signal_id` with `answer_id` (None or 不清楚: /dont_know)."""
    if not answer_id or answer_id == UNKNOWN:
        return DONT_KNOW
    return _INFORM + json.dumps({signal_id: answer_id}, ensure_ascii=False, separators=(",", ":"))


def payload_signal(payload: str) -> Optional[str]:
    """The signal an /inform{...} payload answers, or None for any other payload."""
    if not payload.startswith(_INFORM + "{"):
        return None
    try:
        return next(iter(json.loads(payload[len(_INFORM) :])))
    except (ValueError, StopIteration, TypeError):
        return None


def asked_signal(messages: Iterable[Mapping]) -> Optional[str]:
    """The signal the last question in `messages` asks about, read from its first answer button."""
    for message in reversed(list(messages)):
        for button in message.get("buttons") or []:
            signal_id = payload_signal(button.get("payload") or "")
            if signal_id is not None:
                return signal_id
    return None
