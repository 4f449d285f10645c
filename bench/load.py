"""Speed through the full stack: sequential latency and concurrent conversations, over REST.

Traffic for our assistant is typed conversations first (held out, launcher/datasets.py: the merchant types every
answer, bench/typed.py), the same conversations answered with the buttons second, and the personas'
own conversations; for the vanilla assistant it is moodbot conversations, for the reference bot
(bench/reference.py) its form. Every loop is bounded by a message budget and a deadline; requests
have a timeout.

Errors are counted, not timed as fast successes: a failed request, a timeout (counted on its own too),
an empty reply, the guarded channel's canned apology (sent when the bot produced nothing, e.g. a failed
action) or the rate limit's answer: launcher.conversation.error_reply decides. Each conversation is played
by the conversation runner (launcher/conversation.py).
"""
from __future__ import annotations

import itertools
import math
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional, Sequence, Tuple

from bench.simulator import Dialogue, Persona
from launcher.conversation import NO_BUDGET, RestClient, Turn, run_conversation
from pos_expert.payloads import answer_payload, asked_signal

# `rasa init`'s moodbot: greet, mood_great / mood_unhappy, affirm / deny, bot_challenge, goodbye.
VANILLA_SCRIPTS = (
    ("hello", "I am sad", "yes", "bye"),
    ("hi", "very bad", "no", "goodbye"),
    ("hey there", "I am great", "are you a bot?", "bye"),
    ("good morning", "unhappy", "yes", "see you"),
)


class ScriptDialogue:
    """A fixed list of messages, whatever the bot replies."""

    def __init__(self, messages: Sequence[str]):
        self.messages = list(messages)

    def first(self) -> str:
        return self.messages[0]

    def next(self, turn: Turn) -> Optional[str]:
        return self.messages[turn.number] if turn.number < len(self.messages) else None


DialogueFactory = Callable[[int], Tuple[str, object]]


def persona_traffic(personas: Sequence[Persona], label: str) -> DialogueFactory:
    def make(index: int):
        persona = personas[index % len(personas)]
        return f"load-{label}-{index}-{persona.id}", Dialogue(persona)
    return make


class TypedDialogue:
    """A held-out typed conversation (bench/typed.py) as load: the merchant types its own answers.

    Without the tracker (the load must not add tracker requests): a confirmation question ("…,对吗?",
    no answer buttons) gets 是的; any other question gets the case's typed reply for the asked signal
    (不知道 when it has none), or the button payload when `clicking`.
    """

    def __init__(self, case, clicking: bool = False):
        self.case = case
        self.clicking = clicking

    def first(self) -> str:
        return self.case.opening

    def next(self, turn: Turn) -> Optional[str]:
        asked = asked_signal(turn.replies)
        if asked is None:
            texts = " ".join(r.get("text") or "" for r in turn.replies)
            return "是的" if "对吗" in texts and not self.clicking else None
        reply = self.case.answers.get(asked)
        if self.clicking:
            return answer_payload(asked, reply.means if reply else None)
        return reply.text if reply else "不知道"


def typed_traffic(cases, label: str, clicking: bool = False) -> DialogueFactory:
    def make(index: int):
        case = cases[index % len(cases)]
        return f"load-{label}-{index}-{case.id}", TypedDialogue(case, clicking)
    return make


# launcher.conversation.error_reply's reasons, as the short keys of the load report
ERROR_KIND = {"empty reply": "empty", "the guard's apology": "apology", "rate limited": "rate_limited"}


def error_kind(turn: Turn) -> str:
    """The load report's key for a turn that counts as an error."""
    if turn.failure is not None:
        timeout = isinstance(turn.failure, TimeoutError) or "timed out" in str(turn.failure)
        return "timeout" if timeout else "request"
    return ERROR_KIND.get(turn.problem, turn.problem)


def vanilla_traffic(label: str) -> DialogueFactory:
    def make(index: int):
        return f"load-{label}-{index}", ScriptDialogue(VANILLA_SCRIPTS[index % len(VANILLA_SCRIPTS)])
    return make


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run_load(client: RestClient, make_dialogue: DialogueFactory, total_messages: int, concurrency: int,
             deadline_seconds: float = 900.0) -> dict:
    """`concurrency` conversations at a time, each a full conversation after another, until
    `total_messages` requests were sent (or the deadline passed)."""
    budget = itertools.count()
    conversation_ids = itertools.count()
    lock = threading.Lock()
    latencies: List[float] = []
    errors = [0]
    kinds = {"request": 0, "timeout": 0, "empty": 0, "apology": 0, "rate_limited": 0}
    started = time.perf_counter()
    deadline = started + deadline_seconds

    def take() -> bool:
        with lock:
            return next(budget) < total_messages and time.perf_counter() < deadline

    def worker(_: int) -> None:
        while True:
            with lock:
                sender, dialogue = make_dialogue(next(conversation_ids))
            record = run_conversation(client, sender, dialogue, stop_on_error_reply=True, may_send=take)
            with lock:
                for turn in record.turns:
                    if turn.error:
                        errors[0] += 1
                        kinds[error_kind(turn)] += 1
                    else:
                        latencies.append(turn.latency)
            if record.stop_reason == NO_BUDGET:
                return

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    seconds = time.perf_counter() - started
    done = len(latencies)
    return {
        "concurrency": concurrency,
        "messages": done,
        "sent": done + errors[0],
        "errors": errors[0],
        "error_kinds": kinds,
        "timeouts": kinds["timeout"],
        "seconds": seconds,
        "throughput": done / seconds if seconds else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "mean": statistics.mean(latencies) if latencies else None,
        "latencies": latencies,
        "timed_out": time.perf_counter() >= deadline,
    }
