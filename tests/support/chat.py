"""Talking to the real servers the way clients do: raw REST requests (from a chosen loopback address) and the
socketio channel through python-socketio's client (the merchant page's transport)."""
from __future__ import annotations

import http.client
import json
import logging
import queue
import time
import uuid
from typing import Any, List, Optional, Tuple

import socketio

from channels.guarded import EMPTY_MESSAGE_REPLY, INVALID_MESSAGE_REPLY, NO_REPLY_FALLBACK
from channels.limits import RATE_LIMITED_REPLY
from launcher.servers import TOKEN

# the client logs "packet queue is empty, aborting" at ERROR on every ordinary disconnect of the polling transport
logging.getLogger("engineio.client").setLevel(logging.CRITICAL)

FINAL_TEXTS = {NO_REPLY_FALLBACK, EMPTY_MESSAGE_REPLY, INVALID_MESSAGE_REPLY, RATE_LIMITED_REPLY}


def post(port: int, body: Any, source_ip: Optional[str] = None, path: str = "/webhooks/rest/webhook",
         timeout: float = 60) -> Tuple[int, Any]:
    """POST ``body`` (a dict/list is sent as JSON, bytes as they are) from ``source_ip`` (any 127.x.y.z);
    returns (status, the decoded JSON or the text)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                            source_address=(source_ip, 0) if source_ip else None)
    try:
        connection.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def tracker(port: int, sender: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", f"/conversations/{sender}/tracker?token={TOKEN}")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def turn_finished(events: List[dict], user_messages: int) -> bool:
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    return (len(users) >= user_messages and events and events[-1].get("event") == "action"
            and events[-1].get("name") == "action_listen" and users[-1] < len(events) - 1)


class Utf8Json:
    """JSON as the widget's socket.io client sends it (JSON.stringify: UTF-8, non-ASCII not escaped)."""

    @staticmethod
    def dumps(*args, **kwargs):
        return json.dumps(*args, **{**kwargs, "ensure_ascii": False})

    loads = staticmethod(json.loads)


class SocketChat:
    """One merchant page: a socketio connection with a persistent session (as rasa-webchat does)."""

    def __init__(self, port: int, session_id: Optional[str] = None, custom_data: Optional[dict] = None):
        self.port = port
        self.session_id = session_id or f"sio-{uuid.uuid4().hex}"
        self.custom_data = custom_data
        self.replies: "queue.Queue[dict]" = queue.Queue()
        self.sent = 0
        self.client = socketio.Client(reconnection=False, json=Utf8Json)
        confirmed: "queue.Queue[str]" = queue.Queue()
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", confirmed.put)
        self.client.connect(f"http://127.0.0.1:{port}", socketio_path="/socket.io", transports=["polling"],
                            wait_timeout=30)
        self.client.emit("session_request", {"session_id": self.session_id})
        assert confirmed.get(timeout=30) == self.session_id

    def emit(self, data: Any) -> None:
        self.client.emit("user_uttered", data)

    def say(self, text: Any, timeout: float = 60, counts: bool = True) -> List[dict]:
        """Sends a message as the widget does and returns the bot's messages for it: waits for the first, then
        (when the message reached Rasa) for the turn to end in the tracker, then for stragglers."""
        data = {"message": text, "session_id": self.session_id}
        if self.custom_data is not None:
            data["customData"] = self.custom_data
        self.emit(data)
        if counts:
            self.sent += 1
        return self.collect(timeout, wait_for_turn=counts)

    def collect(self, timeout: float = 60, wait_for_turn: bool = True) -> List[dict]:
        deadline = time.monotonic() + timeout
        messages = [self.replies.get(timeout=timeout)]
        if messages[0].get("text") in FINAL_TEXTS:  # answered without (a complete) turn in the tracker
            wait_for_turn = False
        while wait_for_turn and time.monotonic() < deadline:
            if turn_finished(tracker(self.port, self.session_id).get("events") or [], self.sent):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        while True:
            try:
                messages.append(self.replies.get_nowait())
            except queue.Empty:
                return messages

    def close(self) -> None:
        self.client.disconnect()


def texts(messages: List[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)
