"""The diagnosis engine: Bayesian ranking of causes and information-gain questioning.

Pure Python and free of Rasa, so the actions, the pages and the benchmarks share
it. All domain knowledge comes from the KnowledgeBase; nothing here names a cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from pos_expert.knowledge import UNKNOWN, KnowledgeBase, Signal

INFORMATION_GAIN = "information_gain"
FIXED_ORDER = "fixed_order"

STOP_CONFIDENT = "confident"
STOP_QUESTION_CAP = "question_cap"
STOP_NO_QUESTIONS = "no_questions_left"
STOP_LEADER_SETTLED = "leader_settled"
STOP_ALL_EXCLUDED = "all_causes_excluded"


@dataclass(frozen=True)
class Fact:
    """One answered signal, with the weight it gives a particular cause."""

    signal_id: str
    answer_id: str
    fact_zh: str
    weight: int


@dataclass(frozen=True)
class CauseScore:
    cause_id: str
    name_zh: str
    probability: float
    supporting: Tuple[Fact, ...]
    contradicting: Tuple[Fact, ...]


@dataclass(frozen=True)
class Diagnosis:
    ranking: Tuple[CauseScore, ...]
    evidence: Mapping[str, str]
    excluded: Tuple[str, ...]
    questions_asked: int
    next_question: Optional[str]
    stop_reason: Optional[str]

    @property
    def finished(self) -> bool:
        return self.next_question is None

    @property
    def leader(self) -> Optional[CauseScore]:
        return self.ranking[0] if self.ranking else None

    def score(self, cause_id: str) -> CauseScore:
        for score in self.ranking:
            if score.cause_id == cause_id:
                return score
        raise KeyError(cause_id)


def _entropy(distribution: Iterable[float]) -> float:
    return -sum(p * math.log2(p) for p in distribution if p > 0)


class DiagnosisEngine:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.settings = kb.settings
        # likelihood[signal][answer][cause] = P(answer | cause), answers other than 不清楚
        self._likelihood: Dict[str, Dict[str, Dict[str, float]]] = {}
        for signal in kb.signals:
            table: Dict[str, Dict[str, float]] = {a.id: {} for a in signal.answers if not a.is_unknown}
            for cause_id in kb.cause_ids:
                raw = {
                    a.id: a.prevalence * math.exp(self.settings.weight_scale * a.weights.get(cause_id, 0))
                    for a in signal.answers
                    if not a.is_unknown
                }
                total = sum(raw.values())
                for answer_id, value in raw.items():
                    table[answer_id][cause_id] = value / total
            self._likelihood[signal.id] = table

    # --- evidence -------------------------------------------------------------------
    def complete_evidence(self, evidence: Mapping[str, str]) -> Dict[str, str]:
        """Valid answers only, plus the facts they imply (an error code implies an error screen)."""
        clean = {k: str(v) for k, v in evidence.items() if v is not None and self.kb.is_valid_answer(k, v)}
        for signal_id, answer_id in list(clean.items()):
            for other, value in self.kb.signal(signal_id).answer(answer_id).implies.items():
                if clean.get(other) in (None, UNKNOWN):
                    clean[other] = value
        return clean

    def posterior(self, evidence: Mapping[str, str], excluded: Sequence[str] = ()) -> Dict[str, float]:
        logs: Dict[str, float] = {}
        for cause in self.kb.causes:
            if cause.id in excluded:
                continue
            log_p = math.log(cause.prior)
            for signal_id, answer_id in evidence.items():
                if answer_id != UNKNOWN:
                    log_p += math.log(self._likelihood[signal_id][answer_id][cause.id])
            logs[cause.id] = log_p
        if not logs:
            return {}
        top = max(logs.values())
        weights = {c: math.exp(v - top) for c, v in logs.items()}
        total = sum(weights.values())
        return {c: w / total for c, w in weights.items()}

    def _update(self, prior: Mapping[str, float], signal_id: str, answer_id: str) -> Dict[str, float]:
        table = self._likelihood[signal_id][answer_id]
        weights = {c: p * table[c] for c, p in prior.items()}
        total = sum(weights.values())
        return {c: w / total for c, w in weights.items()}

    # --- questions ------------------------------------------------------------------
    def askable(self, evidence: Mapping[str, str]) -> List[Signal]:
        def allowed(signal: Signal) -> bool:
            return all(evidence.get(other) in values for other, values in signal.ask_only_if.items()) and not any(
                evidence.get(other) in values for other, values in signal.ask_unless.items()
            )

        return [s for s in self.kb.signals if s.id not in evidence and not s.derived and allowed(s)]

    def information_gain(self, posterior: Mapping[str, float], signal_id: str) -> float:
        """Expected entropy reduction; 不清楚 (assumed at unknown_rate) carries no information."""
        current = _entropy(posterior.values())
        expected = 0.0
        for answer_id, table in self._likelihood[signal_id].items():
            p_answer = sum(p * table[c] for c, p in posterior.items())
            if p_answer > 0:
                expected += p_answer * _entropy(self._update(posterior, signal_id, answer_id).values())
        return (1.0 - self.settings.unknown_rate) * (current - expected)

    def _can_change_leader(self, posterior: Mapping[str, float], leader: str, signal_id: str) -> bool:
        for answer_id in self._likelihood[signal_id]:
            updated = self._update(posterior, signal_id, answer_id)
            if max(updated, key=lambda c: (updated[c], -self.kb.cause_ids.index(c))) != leader:
                return True
        return False

    # --- the assessment ---------------------------------------------------------------
    def assess(
        self,
        evidence: Mapping[str, str],
        excluded: Sequence[str] = (),
        questions_asked: int = 0,
        strategy: str = INFORMATION_GAIN,
    ) -> Diagnosis:
        evidence = self.complete_evidence(evidence)
        excluded = tuple(c for c in self.kb.cause_ids if c in set(excluded))
        posterior = self.posterior(evidence, excluded)
        order = self.kb.cause_ids
        ranked_ids = sorted(posterior, key=lambda c: (-posterior[c], order.index(c)))
        ranking = tuple(self._score(c, posterior[c], evidence) for c in ranked_ids)
        next_question, stop_reason = self._next_question(posterior, ranked_ids, evidence, questions_asked, strategy)
        return Diagnosis(
            ranking=ranking,
            evidence=evidence,
            excluded=excluded,
            questions_asked=questions_asked,
            next_question=next_question,
            stop_reason=stop_reason,
        )

    def _next_question(
        self,
        posterior: Mapping[str, float],
        ranked_ids: List[str],
        evidence: Mapping[str, str],
        questions_asked: int,
        strategy: str,
    ) -> Tuple[Optional[str], Optional[str]]:
        if not ranked_ids:
            return None, STOP_ALL_EXCLUDED
        leader = ranked_ids[0]
        if posterior[leader] >= self.settings.stop_confidence:
            return None, STOP_CONFIDENT
        if questions_asked >= self.settings.max_questions:
            return None, STOP_QUESTION_CAP
        candidates = self.askable(evidence)
        if not candidates:
            return None, STOP_NO_QUESTIONS
        useful = [s for s in candidates if self._can_change_leader(posterior, leader, s.id)]
        if not useful:
            return None, STOP_LEADER_SETTLED
        if strategy == FIXED_ORDER:
            return useful[0].id, None
        if strategy != INFORMATION_GAIN:
            raise ValueError(f"unknown strategy {strategy!r}")
        gains = [(self.information_gain(posterior, s.id), -i, s.id) for i, s in enumerate(useful)]
        return max(gains)[2], None

    def _score(self, cause_id: str, probability: float, evidence: Mapping[str, str]) -> CauseScore:
        supporting: List[Fact] = []
        contradicting: List[Fact] = []
        for signal in self.kb.signals:
            answer_id = evidence.get(signal.id)
            if answer_id is None or answer_id == UNKNOWN:
                continue
            answer = signal.answer(answer_id)
            weight = answer.weights.get(cause_id, 0)
            fact = Fact(signal.id, answer_id, answer.fact_zh, weight)
            if weight > 0:
                supporting.append(fact)
            elif weight < 0:
                contradicting.append(fact)
        supporting.sort(key=lambda f: -f.weight)
        contradicting.sort(key=lambda f: f.weight)
        return CauseScore(
            cause_id=cause_id,
            name_zh=self.kb.cause(cause_id).name_zh,
            probability=probability,
            supporting=tuple(supporting),
            contradicting=tuple(contradicting),
        )

    # --- explanations -------------------------------------------------------------------
    # The engine says why in data; the actions fill the domain's responses with it (utter_why_*).
    def explain(self, diagnosis: Diagnosis, max_facts: int = 3) -> Optional["Explanation"]:
        """Why the leader leads, or None when every cause is excluded."""
        leader = diagnosis.leader
        if leader is None:
            return None
        runner_up = diagnosis.ranking[1] if len(diagnosis.ranking) > 1 else None
        return Explanation(
            leader=leader,
            reasons=leader.supporting[:max_facts],
            doubt=leader.contradicting[0] if leader.contradicting else None,
            runner_up=runner_up if runner_up is not None and runner_up.probability >= WORTH_NAMING else None,
        )

    def question_rivals(self, diagnosis: Diagnosis) -> Tuple[CauseScore, ...]:
        """The leading causes that the next question separates (at most three, each worth naming)."""
        return tuple(s for s in diagnosis.ranking[:3] if s.probability >= WORTH_NAMING)


# A cause below this probability is not named as an alternative.
WORTH_NAMING = 0.05


@dataclass(frozen=True)
class Explanation:
    """Why the leader leads: its strongest facts, the strongest fact against it, the runner-up worth naming."""

    leader: CauseScore
    reasons: Tuple[Fact, ...]
    doubt: Optional[Fact]
    runner_up: Optional[CauseScore]
