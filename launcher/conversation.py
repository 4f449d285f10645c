"""One merchant conversation over REST: the runner of every simulated merchant (benchmarks, end-to-end tests).

`run_conversation` sends the merchant's opening to /webhooks/rest/webhook, gives the bot's replies to the
merchant's side (an object with `first()` and `next(turn)`, e.g. `ClickingMerchant`), sends its answer (a button
payload or typed text), and stops when the merchant has nothing more to say, a request fails, or after
`max_messages` messages. Every message and what came back is kept as a `Turn`.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, List, Mapping, Optional, Protocol, Sequence, Tuple

from pos_expert.payloads import answer_payload, asked_signal

logger = logging.getLogger(__name__)

MAX_MESSAGES = 12
# What a failed request raises: refused, reset or timed out, an HTTP error status, a body that is no JSON.
REQUEST_ERRORS = (urllib.error.URLError, http.client.HTTPException, OSError, ValueError)
NO_BUDGET = "no budget left"


class RestClient:
    """POST /webhooks/rest/webhook and GET /conversations/<id>/tracker of a Rasa server, each with a timeout."""

    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def say(self, sender: str, text: str) -> Tuple[List[dict], float]:
        """The bot's replies to one message, and the seconds they took."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            replies = json.loads(response.read())
        return replies, time.perf_counter() - started

    def tracker(self, sender: str) -> dict:
        """The conversation's tracker (slots and events), through the HTTP API."""
        url = f"{self.base_url}/conversations/{sender}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            return json.loads(response.read())


def error_reply(replies: Sequence[dict]) -> Optional[str]:
    """Why these replies count as an error (issue 13), or None: no reply at all, only empty messages, the
    guard's apology (the turn produced nothing, e.g. the action server failed) or the rate limit's answer.
    Without this a failing action server under load looks like a fast success."""
    from channels.guarded import NO_REPLY_FALLBACK  # lazily: imports Rasa's channels
    from channels.limits import RATE_LIMITED_REPLY

    if not replies:
        return "empty reply"
    if not any(m.get("text") or m.get("buttons") or m.get("custom") or m.get("image") for m in replies):
        return "empty reply"
    texts = [m.get("text") or "" for m in replies]
    if any(NO_REPLY_FALLBACK in t or t and t in NO_REPLY_FALLBACK.split("\n\n") for t in texts):
        return "the guard's apology"
    if any(RATE_LIMITED_REPLY in t for t in texts):
        return "rate limited"
    return None


def bot_text(replies: Sequence[dict]) -> str:
    """The replies as one text for a transcript: their texts, and the button titles in brackets."""
    lines = []
    for message in replies:
        if message.get("text"):
            lines.append(message["text"])
        if message.get("buttons"):
            lines.append("[" + " | ".join(b.get("title", "") for b in message["buttons"]) + "]")
    return "\n".join(lines)


@dataclass
class Turn:
    """One merchant message and what came back: the replies (and the tracker after them, when the runner reads
    it), or the exception that failed the request."""

    number: int  # 1 for the opening
    text: str
    replies: List[dict] = field(default_factory=list)
    latency: Optional[float] = None
    tracker: Optional[dict] = None
    problem: Optional[str] = None  # error_reply's reason: an answer that counts as an error
    failure: Optional[Exception] = None

    @property
    def error(self) -> Optional[str]:
        """Why this turn counts as an error (the failed request, or the reply's problem), or None."""
        return repr(self.failure) if self.failure is not None else self.problem


class Merchant(Protocol):
    """The merchant's side of a conversation."""

    def first(self) -> str:
        """The opening message."""

    def next(self, turn: Turn) -> Optional[str]:
        """The next message after the bot's turn, or None when the merchant stops (saying why in `stop_reason`)."""


@dataclass
class ConversationRecord:
    """Everything one conversation sent and received, and why it stopped."""

    sender: str
    turns: List[Turn] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def answered(self) -> List[Turn]:
        """The turns whose request succeeded (an error reply is still an answer)."""
        return [t for t in self.turns if t.failure is None]

    @property
    def sent(self) -> int:
        """Merchant messages the server answered."""
        return len(self.answered)

    @property
    def errors(self) -> List[str]:
        return [t.error for t in self.turns if t.error]

    @property
    def latencies(self) -> List[float]:
        return [t.latency for t in self.answered if t.latency is not None]

    @property
    def last_replies(self) -> List[dict]:
        return self.answered[-1].replies if self.answered else []

    def transcript(self) -> List[Tuple[str, str]]:
        """(who, text) lines: 商户 for the merchant, 助手 for the bot, 错误 for an error."""
        lines = []
        for turn in self.turns:
            lines.append(("商户", turn.text))
            if turn.failure is None:
                lines.append(("助手", bot_text(turn.replies)))
            if turn.error:
                lines.append(("错误", turn.error))
        return lines


def run_conversation(
    client: RestClient,
    sender: str,
    merchant: Merchant,
    max_messages: int = MAX_MESSAGES,
    read_tracker: bool = False,
    stop_on_error_reply: bool = False,
    may_send: Optional[Callable[[], bool]] = None,
) -> ConversationRecord:
    """Plays one conversation as `sender`: see the module's docstring.

    read_tracker: also GET the tracker after every message (in `Turn.tracker`; a failure fails the turn);
    stop_on_error_reply: an error reply (error_reply) ends the conversation (load tests) instead of only counting;
    may_send: asked before every message; False ends the conversation with stop_reason NO_BUDGET.
    """
    record = ConversationRecord(sender)
    text: Optional[str] = merchant.first()
    while text is not None:
        if may_send is not None and not may_send():
            record.stop_reason = NO_BUDGET
            break
        turn = Turn(len(record.turns) + 1, text)
        record.turns.append(turn)
        try:
            turn.replies, turn.latency = client.say(sender, text)
            if read_tracker:
                turn.tracker = client.tracker(sender)
        except REQUEST_ERRORS as error:
            turn.failure = error
            record.stop_reason = "request failed"
            logger.debug("%s: message %d failed: %r", sender, turn.number, error)
            break
        turn.problem = error_reply(turn.replies)
        if turn.problem and stop_on_error_reply:
            record.stop_reason = f"error reply: {turn.problem}"
            break
        # the merchant hears every reply, the last one too (the typed merchant counts facts from it)
        text = merchant.next(turn)
        if turn.number >= max_messages:
            record.stop_reason = f"message cap ({max_messages})"
            break
        if text is None:
            record.stop_reason = getattr(merchant, "stop_reason", "") or "nothing more to say"
    return record


class ClickingMerchant:
    """Types an opening, then answers every question with the button of what it knows (/dont_know when it does
    not know), reading the question from the first answer button of the bot's last question."""

    def __init__(self, opening: str, knows: Mapping[str, str]):
        self.opening = opening
        self.knows = dict(knows)
        self.stop_reason = ""

    def first(self) -> str:
        return self.opening

    def next(self, turn: Turn) -> Optional[str]:
        signal_id = asked_signal(turn.replies)
        if signal_id is None:
            self.stop_reason = "no question asked"
            return None
        return self.answer(signal_id)

    def answer(self, signal_id: str) -> str:
        """The message that answers a question about `signal_id`."""
        return answer_payload(signal_id, self.knows.get(signal_id))
