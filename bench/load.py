"""Speed through the full stack: sequential latency and concurrent conversations, over REST.

Traffic for our assistant is the personas' own conversations (openings, button answers, free text);
for the vanilla assistant it is moodbot conversations. Every loop is bounded by a message budget
and a deadline; requests have a timeout. An error is a failed request, an empty reply, the guard's apology or
the rate limit's answer (bench.simulator.error_reply).
"""
from __future__ import annotations

import itertools
import math
import statistics
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional, Sequence, Tuple

from bench.simulator import Dialogue, Persona, RestClient, error_reply

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
        self.sent = 0

    def first(self) -> str:
        return self.messages[0]

    def next(self, replies) -> Optional[str]:
        return self.messages[self.sent] if self.sent < len(self.messages) else None


DialogueFactory = Callable[[int], Tuple[str, object]]


def persona_traffic(personas: Sequence[Persona], label: str) -> DialogueFactory:
    def make(index: int):
        persona = personas[index % len(personas)]
        return f"load-{label}-{index}-{persona.id}", Dialogue(persona)
    return make


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
    started = time.perf_counter()
    deadline = started + deadline_seconds

    def take() -> bool:
        with lock:
            return next(budget) < total_messages and time.perf_counter() < deadline

    def worker(_: int) -> None:
        while True:
            with lock:
                sender, dialogue = make_dialogue(next(conversation_ids))
            text = dialogue.first()
            while text is not None:
                if not take():
                    return
                try:
                    replies, latency = client.say(sender, text)
                except (urllib.error.URLError, OSError, ValueError):
                    with lock:
                        errors[0] += 1
                    break
                with lock:
                    latencies.append(latency)
                    if error_reply(replies):  # the guard's apology, the rate limit's answer, an empty reply
                        errors[0] += 1
                dialogue.sent += 1
                text = dialogue.next(replies)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    seconds = time.perf_counter() - started
    done = len(latencies)
    return {
        "concurrency": concurrency,
        "messages": done,
        "errors": errors[0],
        "seconds": seconds,
        "throughput": done / seconds if seconds else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "mean": statistics.mean(latencies) if latencies else None,
        "latencies": latencies,
        "timed_out": time.perf_counter() >= deadline,
    }
