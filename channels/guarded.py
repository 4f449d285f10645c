"""REST and socketio input channels that guard every message before Rasa sees it.

- card, mobile and ID-card numbers are masked (last 4 kept), so NLU, the tracker store, the event
  stream and the logs never see them;
- very long input is cut; an empty message gets a hint without reaching the bot;
- only the payloads our own buttons send ("/inform{signal: answer}", "/affirm", ...) are read as
  commands; any other "/..." text (e.g. "/restart", "/inform{"diagnosed_cause": ...}") is read as text;
- if the bot produced no reply (e.g. the action server is down) the merchant is told so, never silence.
"""
from __future__ import annotations

import json
import re
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput

from pos_expert.knowledge import default_knowledge_base
from pos_expert.privacy import mask_pii

MAX_MESSAGE_CHARS = 2000
# the intents our buttons and the widget's welcome (/greet) send as payloads
BUTTON_INTENTS = {"inform", "affirm", "deny", "dont_know", "reject_diagnosis", "request_human", "start_over", "greet"}
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.DOTALL)

EMPTY_MESSAGE_REPLY = "您好像没有输入内容。请描述一下收款遇到的问题,比如:顾客刷卡显示成功,但钱没到账。"
NO_REPLY_FALLBACK = (
    "抱歉,诊断服务暂时出了点问题,现在无法完成诊断。您的消息已经记下,请稍后再发一次,或回复“转人工”联系客服。"
)


def _is_button_payload(text: Text) -> bool:
    match = _PAYLOAD.match(text)
    if not match or match.group(1) not in BUTTON_INTENTS:
        return False
    if match.group(2) is None:
        return True
    if match.group(1) != "inform":
        return False
    try:
        entities = json.loads(match.group(2))
    except ValueError:
        return False
    kb = default_knowledge_base()
    return (
        isinstance(entities, dict)
        and len(entities) == 1
        and all(kb.is_valid_answer(signal, answer) for signal, answer in entities.items())
    )


def guard_text(text: Optional[Text]) -> Text:
    """What Rasa gets instead of the raw text."""
    text = (text or "")[:MAX_MESSAGE_CHARS]
    text = mask_pii(text)
    stripped = text.strip()
    if stripped.startswith("/") and not _is_button_payload(stripped):
        text = stripped.lstrip("/") or "?"
    return text


class _Guard:
    def guarded(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        async def handle(message: UserMessage) -> None:
            output = message.output_channel
            if not (message.text or "").strip():
                await output.send_text_message(message.sender_id, EMPTY_MESSAGE_REPLY)
                return
            message.text = guard_text(message.text)
            replies = []
            send_response = output.send_response

            async def counting_send_response(recipient_id: Text, response: Any) -> None:
                replies.append(response)
                await send_response(recipient_id, response)

            output.send_response = counting_send_response
            try:
                await on_new_message(message)
            finally:
                output.send_response = send_response
                if not replies:
                    await output.send_text_message(message.sender_id, NO_REPLY_FALLBACK)

        return handle


class GuardedRestInput(_Guard, RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message):
        return super().blueprint(self.guarded(on_new_message))


class GuardedSocketIOInput(_Guard, SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message):
        return super().blueprint(self.guarded(on_new_message))
