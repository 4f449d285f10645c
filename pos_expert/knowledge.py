"""Typed loader for the reviewed knowledge base (knowledge/knowledge_base.yml).

Every mistake is reported as a KnowledgeBaseError naming the file, the cause or
signal, and the field, so a reviewer editing the YAML sees what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "knowledge_base.yml"
UNKNOWN = "unknown"
MIN_STEPS = 3
MIN_PREVENTION = 2
WEIGHT_RANGE = range(-3, 4)


class KnowledgeBaseError(ValueError):
    """The knowledge base file is malformed; the message says where."""


@dataclass(frozen=True)
class Settings:
    stop_confidence: float
    max_questions: int
    max_messages: int
    weight_scale: float
    unknown_rate: float
    unknown_label: str


@dataclass(frozen=True)
class Escalation:
    contact_first: str
    have_ready: Tuple[str, ...]
    handoff_when: str


@dataclass(frozen=True)
class Cause:
    id: str
    name_zh: str
    prior: float
    summary_zh: str
    steps: Tuple[str, ...]
    prevention: Tuple[str, ...]
    escalation: Escalation
    seed_refs: Tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    id: str
    label_zh: str
    fact_zh: str
    phrases: Tuple[str, ...] = ()
    weights: Mapping[str, int] = field(default_factory=dict)
    when_negated: Optional[str] = None
    implies: Mapping[str, str] = field(default_factory=dict)
    prevalence: float = 1.0

    @property
    def is_unknown(self) -> bool:
        return self.id == UNKNOWN


@dataclass(frozen=True)
class Signal:
    id: str
    name_zh: str
    question_merchant: str
    question_agent: str
    answers: Tuple[Answer, ...]
    affirm_means: Optional[str] = None
    deny_means: Optional[str] = None
    ask_only_if: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    # Skip the question when another signal already says the same thing (e.g. a 签到 code answers 签到).
    ask_unless: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    # Worked out by the actions (e.g. the payout date), never asked.
    derived: bool = False

    def answer(self, answer_id: str) -> Answer:
        for candidate in self.answers:
            if candidate.id == answer_id:
                return candidate
        raise KeyError(f"signal {self.id!r} has no answer {answer_id!r}")

    def answer_ids(self) -> List[str]:
        return [a.id for a in self.answers]

    def question(self, audience: str = "merchant") -> str:
        return self.question_agent if audience == "agent" else self.question_merchant


@dataclass(frozen=True)
class KnowledgeBase:
    settings: Settings
    causes: Tuple[Cause, ...]
    signals: Tuple[Signal, ...]
    general_prevention: Tuple[str, ...]
    domain_terms: Tuple[str, ...]
    source: str
    error_code_cues: Tuple[str, ...] = ()
    spelling_variants: Mapping[str, str] = field(default_factory=dict)
    # intent -> the words that must be in the message for it to end a case (转人工, 重新开始, 再见)
    ending_words: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)

    def cause(self, cause_id: str) -> Cause:
        for cause in self.causes:
            if cause.id == cause_id:
                return cause
        raise KeyError(f"unknown cause {cause_id!r}")

    def signal(self, signal_id: str) -> Signal:
        for signal in self.signals:
            if signal.id == signal_id:
                return signal
        raise KeyError(f"unknown signal {signal_id!r}")

    @property
    def cause_ids(self) -> List[str]:
        return [c.id for c in self.causes]

    @property
    def signal_ids(self) -> List[str]:
        return [s.id for s in self.signals]

    def is_valid_answer(self, signal_id: str, answer_id: Any) -> bool:
        try:
            self.signal(signal_id).answer(str(answer_id))
        except KeyError:
            return False
        return True


class _Reader:
    """Reads typed fields and raises errors that say where the problem is."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(f"{self.source}: {where}: {message}")

    def mapping(self, data: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(where, "expected a mapping")
        return data

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"field '{key}' must be a non-empty text")
        return value.strip()

    def texts(self, data: Mapping[str, Any], key: str, where: str, minimum: int = 0) -> Tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or any(
            not isinstance(item, (str, int)) or not str(item).strip() for item in value
        ):
            raise self.fail(where, f"field '{key}' must be a list of non-empty texts")
        if len(value) < minimum:
            raise self.fail(where, f"field '{key}' needs at least {minimum} items, has {len(value)}")
        return tuple(str(item).strip() for item in value)

    def number(self, data: Mapping[str, Any], key: str, where: str, low: float, high: float) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self.fail(where, f"field '{key}' must be a number from {low} to {high}")
        return float(value)


def _settings(reader: _Reader, data: Mapping[str, Any]) -> Settings:
    where = "settings"
    data = reader.mapping(data, where)
    return Settings(
        stop_confidence=reader.number(data, "stop_confidence", where, 0.3, 0.99),
        max_questions=int(reader.number(data, "max_questions", where, 1, 20)),
        max_messages=int(reader.number(data, "max_messages", where, 2, 30)),
        weight_scale=reader.number(data, "weight_scale", where, 0.1, 3.0),
        unknown_rate=reader.number(data, "unknown_rate", where, 0.0, 0.9),
        unknown_label=reader.text(data, "unknown_label", where),
    )


def _cause(reader: _Reader, data: Any, index: int) -> Cause:
    data = reader.mapping(data, f"causes[{index}]")
    cause_id = reader.text(data, "id", f"causes[{index}]")
    where = f"cause '{cause_id}'"
    escalation = reader.mapping(data.get("escalation"), f"{where}: field 'escalation'")
    return Cause(
        id=cause_id,
        name_zh=reader.text(data, "name_zh", where),
        prior=reader.number(data, "prior", where, 0.001, 1.0),
        summary_zh=reader.text(data, "summary_zh", where),
        steps=reader.texts(data, "steps", where, MIN_STEPS),
        prevention=reader.texts(data, "prevention", where, MIN_PREVENTION),
        escalation=Escalation(
            contact_first=reader.text(escalation, "contact_first", f"{where}: escalation"),
            have_ready=reader.texts(escalation, "have_ready", f"{where}: escalation", 2),
            handoff_when=reader.text(escalation, "handoff_when", f"{where}: escalation"),
        ),
        seed_refs=reader.texts(data, "seed_refs", where, 1),
    )


def _answer(reader: _Reader, data: Any, where: str, cause_ids: List[str], derived: bool = False) -> Answer:
    data = reader.mapping(data, where)
    answer_id = reader.text(data, "id", where)
    where = f"{where} answer '{answer_id}'"
    if answer_id == UNKNOWN:
        raise reader.fail(where, f"'{UNKNOWN}' is added by the loader; do not list it")
    weights = reader.mapping(data.get("weights", {}), f"{where}: field 'weights'")
    for cause_id, weight in weights.items():
        if cause_id not in cause_ids:
            raise reader.fail(where, f"field 'weights' names unknown cause '{cause_id}'")
        if isinstance(weight, bool) or weight not in WEIGHT_RANGE:
            raise reader.fail(where, f"weight for '{cause_id}' must be an integer from -3 to 3")
    implies = reader.mapping(data.get("implies", {}), f"{where}: field 'implies'")
    return Answer(
        id=answer_id,
        label_zh=reader.text(data, "label_zh", where),
        fact_zh=reader.text(data, "fact_zh", where),
        phrases=reader.texts(data, "phrases", where, 0 if derived else 1),
        weights=dict(weights),
        when_negated=data.get("when_negated"),
        implies={str(k): str(v) for k, v in implies.items()},
        prevalence=reader.number(data, "prevalence", where, 0.01, 1.0) if "prevalence" in data else 1.0,
    )


def _signal(reader: _Reader, data: Any, index: int, cause_ids: List[str], unknown_label: str) -> Signal:
    data = reader.mapping(data, f"signals[{index}]")
    signal_id = reader.text(data, "id", f"signals[{index}]")
    where = f"signal '{signal_id}'"
    raw_answers = data.get("answers")
    if not isinstance(raw_answers, list) or len(raw_answers) < 2:
        raise reader.fail(where, "field 'answers' needs at least 2 answers")
    derived = bool(data.get("derived", False))
    answers = [_answer(reader, a, where, cause_ids, derived) for a in raw_answers]
    answers.append(Answer(id=UNKNOWN, label_zh=unknown_label, fact_zh=unknown_label))
    answer_ids = [a.id for a in answers]
    if len(set(answer_ids)) != len(answer_ids):
        raise reader.fail(where, "answer ids must be unique")
    for key in ("affirm_means", "deny_means"):
        if data.get(key) is not None and data[key] not in answer_ids:
            raise reader.fail(where, f"field '{key}' names unknown answer '{data[key]}'")
    for answer in answers:
        if answer.when_negated is not None and answer.when_negated not in answer_ids:
            raise reader.fail(where, f"answer '{answer.id}': 'when_negated' names unknown answer")
    only_if = reader.mapping(data.get("ask_only_if", {}), f"{where}: field 'ask_only_if'")
    unless = reader.mapping(data.get("ask_unless", {}), f"{where}: field 'ask_unless'")
    return Signal(
        id=signal_id,
        name_zh=reader.text(data, "name_zh", where),
        question_merchant=reader.text(data, "question_merchant", where),
        question_agent=reader.text(data, "question_agent", where),
        answers=tuple(answers),
        affirm_means=data.get("affirm_means"),
        deny_means=data.get("deny_means"),
        ask_only_if={str(k): tuple(str(x) for x in v) for k, v in only_if.items()},
        ask_unless={str(k): tuple(str(x) for x in v) for k, v in unless.items()},
        derived=derived,
    )


def _check_cross_references(reader: _Reader, signals: List[Signal]) -> None:
    by_id = {s.id: s for s in signals}
    seen_phrases: Dict[str, str] = {}
    for signal in signals:
        for key in ("ask_only_if", "ask_unless"):
            for other, allowed in getattr(signal, key).items():
                if other not in by_id or any(a not in by_id[other].answer_ids() for a in allowed):
                    raise reader.fail(f"signal '{signal.id}'", f"'{key}' names unknown signal or answer '{other}'")
        for answer in signal.answers:
            for other, value in answer.implies.items():
                if other not in by_id or value not in by_id[other].answer_ids():
                    raise reader.fail(
                        f"signal '{signal.id}' answer '{answer.id}'", f"'implies' names unknown {other}={value}"
                    )
            for phrase in answer.phrases:
                key = phrase.lower()
                owner = f"{signal.id}={answer.id}"
                if key in seen_phrases:
                    raise reader.fail(
                        f"signal '{signal.id}' answer '{answer.id}'",
                        f"phrase '{phrase}' is already used by {seen_phrases[key]}",
                    )
                seen_phrases[key] = owner


def parse_knowledge_base(data: Any, source: str = "<memory>") -> KnowledgeBase:
    reader = _Reader(source)
    data = reader.mapping(data, "top level")
    settings = _settings(reader, data.get("settings"))
    raw_causes = data.get("causes")
    if not isinstance(raw_causes, list) or not raw_causes:
        raise reader.fail("top level", "field 'causes' must be a non-empty list")
    causes = [_cause(reader, c, i) for i, c in enumerate(raw_causes)]
    cause_ids = [c.id for c in causes]
    if len(set(cause_ids)) != len(cause_ids):
        raise reader.fail("causes", "cause ids must be unique")
    raw_signals = data.get("signals")
    if not isinstance(raw_signals, list) or not raw_signals:
        raise reader.fail("top level", "field 'signals' must be a non-empty list")
    signals = [_signal(reader, s, i, cause_ids, settings.unknown_label) for i, s in enumerate(raw_signals)]
    if len({s.id for s in signals}) != len(signals):
        raise reader.fail("signals", "signal ids must be unique")
    _check_cross_references(reader, signals)
    return KnowledgeBase(
        settings=settings,
        causes=tuple(causes),
        signals=tuple(signals),
        general_prevention=reader.texts(data, "general_prevention", "top level"),
        domain_terms=reader.texts(data, "domain_terms", "top level"),
        source=source,
        error_code_cues=reader.texts(data, "error_code_cues", "top level"),
        spelling_variants={
            str(k): str(v)
            for k, v in reader.mapping(
                data.get("spelling_variants", {}), "top level: field 'spelling_variants'"
            ).items()
        },
        ending_words={
            str(intent): reader.texts(words, "words", f"top level: ending_words.{intent}", minimum=1)
            for intent, words in reader.mapping(data.get("ending_words", {}), "top level: field 'ending_words'").items()
        },
    )


def load_knowledge_base(path: Optional[Path] = None) -> KnowledgeBase:
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KnowledgeBaseError(f"{path}: cannot be read: {error}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path}: is not valid YAML: {error}") from error
    return parse_knowledge_base(data, source=str(path))


@lru_cache(maxsize=1)
def default_knowledge_base() -> KnowledgeBase:
    """The project's knowledge base, loaded once per process."""
    return load_knowledge_base(DEFAULT_PATH)
