"""Merchant simulator: scripted personas talk to the live Rasa server over REST.

Each persona (bench/personas.yml) sends its opening, then answers whatever the bot asks (the conversation
runner, launcher/conversation.py, reads the signal from the first `/inform{"signal":"answer"}` button of the
bot's last question): with that button payload, its Chinese free-text sentence for that signal, or
`/dont_know` when it does not know. It stops when the bot asks nothing more or after MAX_MESSAGES merchant
messages, and reads `diagnosed_cause` from the tracker API.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

# error_reply: imported from here by tests written before the runner moved to launcher/
from launcher.conversation import MAX_MESSAGES, ClickingMerchant, RestClient, error_reply, run_conversation  # noqa: F401
from pos_expert.knowledge import KnowledgeBase, default_knowledge_base
from pos_expert.payloads import answer_payload

PERSONAS_FILE = Path(__file__).with_name("personas.yml")
STYLES = ("colloquial", "traditional", "negation", "multi_fact", "detour", "free_text", "vague")
NO_DIAGNOSIS = "(none)"


# --- personas ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Persona:
    id: str
    cause: str
    opening: str
    given: Mapping[str, str]
    knows: Mapping[str, str]
    style: Tuple[str, ...] = ()
    free_text: Mapping[str, str] = field(default_factory=dict)
    detour: Optional[str] = None
    detour_after: int = 1

    @property
    def facts(self) -> Dict[str, str]:
        """Everything the merchant can tell: what the opening states and what it answers."""
        return {**self.given, **self.knows}

    def reply_to(self, signal_id: str) -> str:
        if signal_id in self.free_text:
            return self.free_text[signal_id]
        answer = self.facts.get(signal_id)
        return answer_payload(signal_id, answer)


def load_personas(path: Path = PERSONAS_FILE, kb: Optional[KnowledgeBase] = None) -> List[Persona]:
    """Loads and checks the personas against the knowledge base (a broken file fails loudly)."""
    kb = kb or default_knowledge_base()
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["personas"]
    personas, seen = [], set()
    for entry in raw:
        where = f"{path}: persona {entry.get('id')!r}"
        if entry.get("id") in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(entry["id"])
        if entry.get("cause") not in kb.cause_ids:
            raise ValueError(f"{where}: unknown cause {entry.get('cause')!r}")
        if not (entry.get("opening") or "").strip():
            raise ValueError(f"{where}: empty opening")
        for part in ("given", "knows", "free_text"):
            for signal_id in entry.get(part) or {}:
                if signal_id not in kb.signal_ids:
                    raise ValueError(f"{where}: {part} names unknown signal {signal_id!r}")
        for part in ("given", "knows"):
            for signal_id, answer in (entry.get(part) or {}).items():
                if not isinstance(answer, str) or not kb.is_valid_answer(signal_id, answer):
                    raise ValueError(f"{where}: {part}.{signal_id} = {answer!r} is no answer of that signal")
        unknown_styles = set(entry.get("style") or ()) - set(STYLES)
        if unknown_styles:
            raise ValueError(f"{where}: unknown style tags {sorted(unknown_styles)}")
        personas.append(
            Persona(
                id=entry["id"],
                cause=entry["cause"],
                opening=entry["opening"],
                given=dict(entry.get("given") or {}),
                knows=dict(entry.get("knows") or {}),
                style=tuple(entry.get("style") or ()),
                free_text=dict(entry.get("free_text") or {}),
                detour=entry.get("detour"),
                detour_after=int(entry.get("detour_after", 1)),
            )
        )
    return personas


def pick_personas(personas: Sequence[Persona], count: Optional[int]) -> List[Persona]:
    """`count` personas (all when None): one per cause in turn, each time the one that adds the most
    styles not yet covered (file order breaks ties), so a small run still sees every kind of merchant."""
    if count is None or count >= len(personas):
        return list(personas)
    by_cause: Dict[str, List[Persona]] = {}
    for persona in personas:
        by_cause.setdefault(persona.cause, []).append(persona)
    picked: List[Persona] = []
    covered: set = set()
    while len(picked) < count:
        for group in by_cause.values():
            if group and len(picked) < count:
                best = max(group, key=lambda p: (len(set(p.style) - covered), -group.index(p)))
                group.remove(best)
                picked.append(best)
                covered |= set(best.style)
    return picked


# --- one conversation -------------------------------------------------------------------------
@dataclass
class Conversation:
    persona: Persona
    sender: str
    messages_sent: int = 0
    transcript: List[Tuple[str, str]] = field(default_factory=list)
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    diagnosed: Optional[str] = None
    messages_to_diagnosis: Optional[int] = None
    opening_facts: Dict[str, str] = field(default_factory=dict)
    stop_reason: str = ""

    @property
    def correct(self) -> bool:
        return self.diagnosed == self.persona.cause


class Dialogue(ClickingMerchant):
    """The persona's side of one conversation (also drives the load tests): clicks, or types its free-text
    answer, and takes its detour once, after `detour_after` answers."""

    def __init__(self, persona: Persona):
        super().__init__(persona.opening, persona.facts)
        self.persona = persona
        self.answers = 0
        self.detoured = persona.detour is None

    def answer(self, signal_id: str) -> str:
        if not self.detoured and self.answers >= self.persona.detour_after:
            self.detoured = True
            return self.persona.detour
        self.answers += 1
        return self.persona.reply_to(signal_id)


def diagnosis_from_tracker(tracker: dict) -> Tuple[Optional[str], Optional[int], Dict[str, str]]:
    """(diagnosed cause, merchant messages before it was first set, facts set after the opening)."""
    users = 0
    first_diagnosis_at = None
    opening_facts: Dict[str, str] = {}
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "user":
            users += 1
        elif kind == "slot":
            if event.get("name") == "diagnosed_cause" and event.get("value") and first_diagnosis_at is None:
                first_diagnosis_at = users
            elif users == 1 and event.get("value") is not None:
                opening_facts[event["name"]] = event["value"]
    diagnosed = (tracker.get("slots") or {}).get("diagnosed_cause")
    return diagnosed, first_diagnosis_at, opening_facts


def converse(client: RestClient, persona: Persona, sender: str, max_messages: int = MAX_MESSAGES,
             read_tracker: bool = True) -> Conversation:
    record = run_conversation(client, sender, Dialogue(persona), max_messages)
    conversation = Conversation(persona=persona, sender=sender, messages_sent=record.sent,
                                transcript=record.transcript(), latencies=record.latencies,
                                errors=len(record.errors), stop_reason=record.stop_reason)
    if read_tracker:
        diagnosed, at, opening = diagnosis_from_tracker(client.tracker(sender))
        conversation.diagnosed, conversation.messages_to_diagnosis = diagnosed, at
        conversation.opening_facts = opening
    return conversation


def run_personas(client: RestClient, personas: Sequence[Persona], run_id: str,
                 progress: Optional[Callable[[str], None]] = None) -> List[Conversation]:
    conversations = []
    for persona in personas:
        conversation = converse(client, persona, f"bench-{run_id}-{persona.id}")
        conversations.append(conversation)
        if progress:
            mark = "ok" if conversation.correct else "WRONG"
            progress(f"  {persona.id}: {conversation.diagnosed or NO_DIAGNOSIS} ({mark}, "
                     f"{conversation.messages_sent} messages)")
    return conversations


# --- summary -----------------------------------------------------------------------------------
def summarize(conversations: Sequence[Conversation], cause_ids: Sequence[str]) -> dict:
    total = len(conversations)
    correct = sum(c.correct for c in conversations)
    to_diagnosis = [c.messages_to_diagnosis for c in conversations if c.messages_to_diagnosis is not None]
    to_right_diagnosis = [c.messages_to_diagnosis for c in conversations
                          if c.correct and c.messages_to_diagnosis is not None]
    labels = list(cause_ids) + [NO_DIAGNOSIS]
    confusion = {true: {pred: 0 for pred in labels} for true in cause_ids}
    for c in conversations:
        confusion[c.persona.cause][c.diagnosed if c.diagnosed in cause_ids else NO_DIAGNOSIS] += 1
    by_style = {}
    for style in STYLES:
        group = [c for c in conversations if style in c.persona.style]
        if group:
            by_style[style] = {"personas": len(group), "correct": sum(c.correct for c in group)}
    stated = understood = 0
    for c in conversations:
        for signal_id, answer in c.persona.given.items():
            stated += 1
            understood += c.opening_facts.get(signal_id) == answer
    return {
        "personas": total,
        "correct": correct,
        "accuracy": correct / total if total else 0.0,
        "diagnosed": len(to_diagnosis),
        "median_messages": statistics.median(to_diagnosis) if to_diagnosis else None,
        "mean_messages": statistics.mean(to_diagnosis) if to_diagnosis else None,
        "median_messages_correct": statistics.median(to_right_diagnosis) if to_right_diagnosis else None,
        "messages_histogram": dict(sorted(Counter(to_diagnosis).items())),
        "confusion": confusion,
        "labels": labels,
        "by_style": by_style,
        "opening_facts_stated": stated,
        "opening_facts_understood": understood,
        "errors": sum(c.errors for c in conversations),
        "wrong": [c for c in conversations if not c.correct],
    }
