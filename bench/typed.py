"""Typed merchant conversations: the simulated merchant types its own sentence for every answer.

The conversations come from the held-out typed set (launcher/datasets.py TYPED_EVAL: written from the cause
names and the question texts only, never used for training). Each gives the opening and, for every question the
assistant may ask, the merchant's free-text reply and what it means. The merchant answers whatever
the assistant asks, says 是的/不是 to "您是说…,对吗?" according to its own facts, and stops when a
diagnosis or a handoff comes, or after `MAX_MESSAGES` messages.

`clicking=True` replays the same conversations with the answer buttons instead (the easier row).

Measured per conversation, from the tracker after every message: the diagnosis and after how many
merchant messages it came, every fact set and which message it came from (fact precision and
recall per signal), and any question about something the merchant had already stated.
"""
from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from launcher.conversation import MAX_MESSAGES, RestClient, Turn, run_conversation
from launcher.datasets import TYPED_EVAL
from pos_expert.knowledge import UNKNOWN, KnowledgeBase, default_knowledge_base
from pos_expert.payloads import answer_payload, asked_signal

ADDED_ANSWERS_FILE = "answers_new_signals.yml"
# The assistant must end every case by the merchant's 8th message; the runner allows MAX_MESSAGES, to see it.
END_WITHIN = 8
YES, NO = "是的", "不是"
HANDOFF_MARK = "转接人工"


@dataclass(frozen=True)
class Reply:
    text: str
    means: str
    also: Mapping[str, str] = field(default_factory=dict)

    def facts(self, signal_id: str) -> Dict[str, str]:
        """What this reply states: its answer to the question asked, and anything else it mentions."""
        facts = {k: v for k, v in self.also.items() if v != UNKNOWN}
        if self.means != UNKNOWN:
            facts[signal_id] = self.means
        return facts


@dataclass(frozen=True)
class TypedCase:
    id: str
    cause: str
    opening: str
    opening_facts: Mapping[str, str]
    answers: Mapping[str, Reply]
    style: Tuple[str, ...] = ()

    def truth(self, signal_id: str) -> Optional[str]:
        """The merchant's fact for a signal, from any reply that states it (None when unknown)."""
        reply = self.answers.get(signal_id)
        if reply is not None and reply.means != UNKNOWN:
            return reply.means
        for other in [self.opening_facts] + [r.also for r in self.answers.values()]:
            if other.get(signal_id) not in (None, UNKNOWN):
                return other[signal_id]
        return None


def load_typed_cases(
    folder: Path = TYPED_EVAL, kb: Optional[KnowledgeBase] = None, pattern: str = "conversations_*.yml"
) -> List[TypedCase]:
    """Loads and checks the folder's conversation files (`pattern`, every set by default); a broken file fails
    loudly with its location."""
    kb = kb or default_knowledge_base()
    cases: List[TypedCase] = []
    # Answers to questions added after a conversation was written, by the same independent process.
    added_path = Path(folder) / ADDED_ANSWERS_FILE
    added = yaml.safe_load(added_path.read_text(encoding="utf-8"))["answers"] if added_path.exists() else {}
    for path in sorted(Path(folder).glob(pattern)):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            where = f"{path.name}: {entry.get('id')}"
            if entry.get("cause") not in kb.cause_ids:
                raise ValueError(f"{where}: unknown cause {entry.get('cause')!r}")
            answers = {}
            raw_answers = dict(entry.get("answers") or {})
            for signal_id, raw in (added.get(entry.get("id")) or {}).items():
                if signal_id in raw_answers:
                    raise ValueError(f"{where}: {signal_id} is answered in {ADDED_ANSWERS_FILE} too")
                raw_answers[signal_id] = raw
            for signal_id, raw in raw_answers.items():
                reply = Reply(str(raw["text"]), str(raw["means"]), {k: str(v) for k, v in (raw.get("also") or {}).items()})
                for s, a in [(signal_id, reply.means)] + list(reply.also.items()):
                    if not kb.is_valid_answer(s, a):
                        raise ValueError(f"{where}: {s}={a!r} is no answer of the knowledge base")
                answers[signal_id] = reply
            opening_facts = {k: str(v) for k, v in (entry.get("opening_facts") or {}).items()}
            cases.append(TypedCase(entry["id"], entry["cause"], str(entry["opening"]), opening_facts, answers,
                                   tuple(entry.get("style") or ())))
    return cases


def all_sentences(cases: Sequence[TypedCase]) -> List[str]:
    """Every sentence a typed merchant sends (for the leak test)."""
    return [c.opening for c in cases] + [r.text for c in cases for r in c.answers.values()]


# --- one conversation ---------------------------------------------------------------------------
@dataclass
class TypedRun:
    case: TypedCase
    clicking: bool
    transcript: List[Tuple[str, str]] = field(default_factory=list)
    diagnosed: Optional[str] = None
    handed_off: bool = False
    messages_sent: int = 0
    messages_to_end: Optional[int] = None
    # (signal, answer, correct) for every fact the assistant set from a merchant message
    extracted: List[Tuple[str, str, bool]] = field(default_factory=list)
    # (signal, answer, understood) for every fact a merchant message stated
    stated: List[Tuple[str, str, bool]] = field(default_factory=list)
    asked_already_stated: List[str] = field(default_factory=list)
    errors: int = 0

    @property
    def correct(self) -> bool:
        return self.diagnosed == self.case.cause

    @property
    def ended(self) -> bool:
        return (self.diagnosed is not None or self.handed_off) and (self.messages_to_end or 99) <= END_WITHIN


def _signal_slots(tracker: dict, kb: KnowledgeBase) -> Dict[str, str]:
    """The facts read from the merchant's messages (derived signals such as payout_due are computed, not read)."""
    slots = tracker.get("slots") or {}
    return {s.id: slots[s.id] for s in kb.signals if not s.derived and slots.get(s.id) is not None}


class TypedMerchant:
    """The merchant's side of a typed case, judging the assistant as it goes: after every message it reads the
    tracker (fetched by the runner) for the facts set and the diagnosis, answers a confirmation with 是的/不是
    by its own facts, and types (or clicks) its reply to the question asked."""

    def __init__(self, case: TypedCase, run: TypedRun, kb: KnowledgeBase, clicking: bool):
        self.case, self.run, self.kb, self.clicking = case, run, kb, clicking
        self.told: Dict[str, str] = {}  # what the merchant has stated so far
        self.before: Dict[str, str] = {}  # the facts in the tracker before the last message
        self.expected: Dict[str, str] = dict(case.opening_facts)

    def first(self) -> str:
        return self.case.opening

    def next(self, turn: Turn) -> Optional[str]:
        run, case = self.run, self.case
        after = _signal_slots(turn.tracker, self.kb)
        new = {s: v for s, v in after.items() if self.before.get(s) != v and v != UNKNOWN}
        for signal_id, value in new.items():
            ok = self.expected.get(signal_id) == value or case.truth(signal_id) == value
            run.extracted.append((signal_id, value, ok))
        self.before = after
        self.told.update(self.expected)
        slots = turn.tracker.get("slots") or {}
        ended = bool(slots.get("diagnosed_cause") or any(HANDOFF_MARK in (r.get("text") or "") for r in turn.replies))
        if ended:
            run.diagnosed = slots.get("diagnosed_cause")
            run.handed_off = run.diagnosed is None
            run.messages_to_end = turn.number
        pending = slots.get("pending_answer")
        if pending and not self.clicking:
            signal_id, _, answer_id = pending.partition("=")
            return YES if case.truth(signal_id) == answer_id else NO  # its facts count when the slot is set
        _close_expected(run, self.expected, after)
        if ended:
            return None
        asked = asked_signal(turn.replies)
        if asked is None:
            return None
        if asked in self.told:
            run.asked_already_stated.append(asked)
        reply = case.answers.get(asked) or Reply("不知道", UNKNOWN)
        if self.clicking:
            self.expected = {asked: reply.means} if reply.means != UNKNOWN else {}
            return answer_payload(asked, reply.means)
        self.expected = reply.facts(asked)
        return reply.text


def converse_typed(client: RestClient, case: TypedCase, sender: str, clicking: bool = False,
                   kb: Optional[KnowledgeBase] = None, max_messages: int = MAX_MESSAGES) -> TypedRun:
    """Plays one typed case (typing, or `clicking` the answer buttons) and judges it."""
    run = TypedRun(case=case, clicking=clicking)
    merchant = TypedMerchant(case, run, kb or default_knowledge_base(), clicking)
    record = run_conversation(client, sender, merchant, max_messages, read_tracker=True)
    run.transcript, run.messages_sent, run.errors = record.transcript(), record.sent, len(record.errors)
    return run


def _close_expected(run: TypedRun, expected: Mapping[str, str], slots: Mapping[str, str]) -> None:
    for signal_id, value in expected.items():
        run.stated.append((signal_id, value, slots.get(signal_id) == value))


# --- summary ------------------------------------------------------------------------------------
def summarize_typed(runs: Sequence[TypedRun], kb: Optional[KnowledgeBase] = None) -> dict:
    kb = kb or default_knowledge_base()
    total = len(runs)
    ended = [r.messages_to_end for r in runs if r.messages_to_end is not None]
    per_signal = {}
    for signal_id in kb.signal_ids:
        ex = [ok for r in runs for s, _, ok in r.extracted if s == signal_id]
        st = [ok for r in runs for s, _, ok in r.stated if s == signal_id]
        per_signal[signal_id] = {
            "extracted": len(ex), "extracted_correct": sum(ex),
            "stated": len(st), "stated_understood": sum(st),
        }
    extracted = [ok for r in runs for _, _, ok in r.extracted]
    stated = [ok for r in runs for _, _, ok in r.stated]
    return {
        "conversations": total,
        "correct": sum(r.correct for r in runs),
        "accuracy": sum(r.correct for r in runs) / total if total else 0.0,
        "ended_within_8": sum(r.ended for r in runs),
        "handoffs": sum(r.handed_off for r in runs),
        "median_messages": statistics.median(ended) if ended else None,
        "messages_histogram": dict(sorted(Counter(ended).items())),
        "fact_precision": sum(extracted) / len(extracted) if extracted else 0.0,
        "fact_recall": sum(stated) / len(stated) if stated else 0.0,
        "facts_extracted": len(extracted),
        "facts_stated": len(stated),
        "per_signal": per_signal,
        "asked_already_stated": sum(len(r.asked_already_stated) for r in runs),
        "errors": sum(r.errors for r in runs),
        "wrong": [r for r in runs if not r.correct],
    }


def run_typed(client: RestClient, cases: Sequence[TypedCase], run_id: str, clicking: bool = False,
              progress=None) -> List[TypedRun]:
    runs = []
    for case in cases:
        run = converse_typed(client, case, f"typed-{run_id}-{'click' if clicking else 'type'}-{case.id}", clicking)
        runs.append(run)
        if progress:
            progress(f"  {case.id}: {run.diagnosed or '(none)'} {'ok' if run.correct else 'WRONG'} "
                     f"({run.messages_sent} messages)")
    return runs


def transcript_text(run: TypedRun) -> str:
    return "\n".join(f"{who}: {what}" for who, what in run.transcript)


def fact_errors_text(run: TypedRun) -> str:
    """The facts a run read wrongly or missed, one line each (for reading a development set's misses)."""
    lines = [f"  读错 {signal}={answer}" for signal, answer, correct in run.extracted if not correct]
    lines += [f"  漏读 {signal}={answer}" for signal, answer, understood in run.stated if not understood]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.typed URL TOKEN [--click]: a quick report on a running server
    import sys

    client = RestClient(sys.argv[1], sys.argv[2])
    runs = run_typed(client, load_typed_cases(), "cli", clicking="--click" in sys.argv, progress=print)
    summary = summarize_typed(runs)
    print(json.dumps({k: v for k, v in summary.items() if k not in ("wrong", "per_signal")}, ensure_ascii=False))
