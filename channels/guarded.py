"""REST and socketio input channels that guard every message before Rasa sees it.

- card, mobile and ID-card numbers are masked (last 4 kept), so NLU, the tracker store, the event
  stream and the logs never see them;
- very long input is cut; an empty message gets a hint without reaching the bot;
- only the payloads our own buttons send ("/inform{signal: answer}", "/affirm", ...) are read as
  commands; any other "/..." text (e.g. "/restart", "/inform{"diagnosed_cause": ...}") is read as text;
- if the bot produced no reply (e.g. the action server is down) the merchant is told so, never silence;
- a sender or client sending too fast is asked to wait (请稍候再发, channels/limits.py), REST with a 429;
- a request body over 64 KB is refused with 413 before it is read; a body that is not a JSON object, or a
  message that is not text, is refused with 400 (REST) or answered with a hint (socketio).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import response
from sanic.exceptions import InvalidUsage, PayloadTooLarge

from channels.limits import RATE_LIMITED_REPLY, RateLimiter, install_body_limit, max_body_bytes, shared_limiter
from pos_expert.knowledge import default_knowledge_base
from pos_expert.privacy import mask_pii
from pos_expert.responses import project_responses, render

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
# the intents our buttons and the widget's welcome (/greet) send as payloads
BUTTON_INTENTS = {
    "inform",
    "affirm",
    "deny",
    "dont_know",
    "reject_diagnosis",
    "request_human",
    "start_over",
    "greet",
    "ask_why",
}
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.DOTALL)

# The channel answers these itself, before any action runs; the text is the domain's (domain.yml responses).
EMPTY_MESSAGE_REPLY = render(project_responses(), "utter_empty_message")
TOO_LARGE_REPLY = render(project_responses(), "utter_message_too_long")
INVALID_MESSAGE_REPLY = render(project_responses(), "utter_message_unreadable")
NO_REPLY_FALLBACK = render(project_responses(), "utter_service_unavailable")


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


def _with_body_limit(blueprint):
    """Installs the public-route body limit (channels/limits.py) with the blueprint."""
    install_body_limit(blueprint)
    return blueprint


class _Guard:
    @property
    def limiter(self) -> RateLimiter:
        return shared_limiter()

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
                    logger.warning(
                        "no reply to a message from sender %s (an action or the action server failed: "
                        "see Rasa's log above); the apology was sent instead",
                        message.sender_id,
                    )
                    await output.send_text_message(message.sender_id, NO_REPLY_FALLBACK)

        return handle


def _bad_request(reason: Text):
    logger.info("refused a REST request: %s", reason)
    return response.json({"error": reason, "text": INVALID_MESSAGE_REPLY}, status=400)


class GuardedRestInput(_Guard, RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req) -> Optional[Text]:
        sender = req.json.get("sender")
        return None if sender is None else str(sender)

    def _extract_message(self, req) -> Optional[Text]:
        # masked here already, so that nothing downstream (not even Rasa's failure log) sees the raw text
        return mask_pii(req.json.get("message"))

    def blueprint(self, on_new_message):
        blueprint = super().blueprint(self.guarded(on_new_message))

        @blueprint.middleware("request")
        async def check_message(request):
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            try:
                body = request.json
            except InvalidUsage:
                return _bad_request("the body is not JSON")
            if not isinstance(body, dict):
                return _bad_request("the body is not a JSON object")
            if not isinstance(body.get("message"), (str, type(None))):
                return _bad_request("message is not a string")
            if not isinstance(body.get("sender"), (str, int, type(None))):
                return _bad_request("sender is not a string")
            if not isinstance(body.get("metadata"), (dict, type(None))):
                return _bad_request("metadata is not an object")
            sender = None if body.get("sender") is None else str(body["sender"])
            if not self.limiter.allow(sender, request.ip):
                return response.json(
                    [{"recipient_id": sender, "text": RATE_LIMITED_REPLY}], status=429, headers={"Retry-After": "1"}
                )
            return None

        @blueprint.exception(PayloadTooLarge)
        async def too_large(request, exception):
            logger.info("refused a REST request body over the limit from %s", request.ip)
            return response.json([{"recipient_id": None, "text": TOO_LARGE_REPLY}], status=413)

        return _with_body_limit(blueprint)


class GuardedSocketIOOutput(SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """As a bot message ``{"custom": ...}`` (the REST format); Rasa's own passes the keys to ``emit``, which
        fails on any key that is not an ``emit`` argument (e.g. the agent state payload's ``type``)."""
        await self._send_message(recipient_id, {"custom": json_message})


class GuardedSocketIOInput(_Guard, SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self):
        return GuardedSocketIOOutput(self.sio, self.bot_message_evt) if self.sio is not None else None

    def _client_of(self, sid: Text) -> Optional[Text]:
        try:
            environ = self.sio.get_environ(sid, namespace=self.namespace) or {}
        except Exception:  # noqa: BLE001 - unknown sid: no per-client key
            return None
        request = environ.get("sanic.request")
        try:
            return request.ip if request is not None else environ.get("REMOTE_ADDR")
        except Exception:  # noqa: BLE001
            return environ.get("REMOTE_ADDR")

    def blueprint(self, on_new_message):
        guarded = self.guarded(on_new_message)
        blueprint = super().blueprint(guarded)
        sio = self.sio
        sio.eio.max_http_buffer_size = max_body_bytes()  # websocket frames and polling posts

        async def handle_message(sid: Text, data: Any = None) -> None:
            """Rasa's handler, hardened: any payload shape gets an answer or a logged refusal, never a crash."""
            output = GuardedSocketIOOutput(sio, self.bot_message_evt)
            if not isinstance(data, dict):
                data = {"message": data}
            if self.session_persistence:
                sender = data.get("session_id")
                if not isinstance(sender, str) or not sender:
                    logger.info("socketio message without a session_id from %s ignored", sid)
                    await output.send_text_message(sid, INVALID_MESSAGE_REPLY)
                    return
            else:
                sender = sid
            text = data.get("message")
            if isinstance(text, (int, float)) and not isinstance(text, bool):
                text = str(text)
            if text is not None and not isinstance(text, str):
                await output.send_text_message(sender, INVALID_MESSAGE_REPLY)
                return
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = None
            if not isinstance(metadata, dict):
                metadata = {}
            if not self.limiter.allow(sender, self._client_of(sid)):
                await output.send_text_message(sender, RATE_LIMITED_REPLY)
                return
            await guarded(
                UserMessage(mask_pii(text or ""), output, sender, input_channel=self.name(), metadata=metadata)
            )

        async def session_request(sid: Text, data: Any = None) -> None:
            """Rasa's, accepting any payload: a usable session_id is kept, anything else gets a new one."""
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not session_id or len(session_id) > 200:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return _with_body_limit(blueprint)
