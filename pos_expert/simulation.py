"""Runs the engine against a scripted merchant: used by the tests and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple

from pos_expert.engine import INFORMATION_GAIN, Diagnosis, DiagnosisEngine
from pos_expert.knowledge import UNKNOWN


@dataclass(frozen=True)
class SimulationResult:
    diagnosis: Diagnosis
    asked: Tuple[str, ...]

    @property
    def cause_id(self) -> Optional[str]:
        return self.diagnosis.leader.cause_id if self.diagnosis.leader else None

    @property
    def questions(self) -> int:
        return len(self.asked)


def simulate(
    engine: DiagnosisEngine,
    given: Mapping[str, str],
    knows: Mapping[str, str],
    strategy: str = INFORMATION_GAIN,
) -> SimulationResult:
    """Asks until the engine stops; the merchant answers from `knows`, else 不清楚."""
    evidence = dict(given)
    asked: List[str] = []
    while True:
        diagnosis = engine.assess(evidence, questions_asked=len(asked), strategy=strategy)
        if diagnosis.finished:
            return SimulationResult(diagnosis, tuple(asked))
        signal_id = diagnosis.next_question
        assert signal_id is not None  # not finished: there is a next question
        asked.append(signal_id)
        evidence[signal_id] = knows.get(signal_id, UNKNOWN)
