"""Baseline (a): the engine asking in the knowledge base's fixed order vs by information gain.

Offline (pos_expert.simulation, no Rasa): every persona's `given` facts are the evidence of the
opening, and it answers from `knows` (else 不清楚). Merchant messages = 1 (the opening) + questions.
The same comparison on the evidence cases (launcher/datasets.py) is added for reference.
"""
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Dict, List, Mapping, Sequence

import yaml

from launcher.datasets import EVIDENCE_CASES
from pos_expert.engine import FIXED_ORDER, INFORMATION_GAIN, DiagnosisEngine
from pos_expert.simulation import simulate

STRATEGIES = (INFORMATION_GAIN, FIXED_ORDER)


def _compare(engine: DiagnosisEngine, cases: Sequence[Mapping]) -> Dict[str, dict]:
    result = {}
    for strategy in STRATEGIES:
        questions: List[int] = []
        correct = 0
        per_case = {}
        for case in cases:
            outcome = simulate(engine, case["given"], case["knows"], strategy=strategy)
            questions.append(outcome.questions)
            correct += outcome.cause_id == case["cause"]
            per_case[case["id"]] = {"cause": outcome.cause_id, "questions": outcome.questions}
        messages = [q + 1 for q in questions]
        result[strategy] = {
            "cases": len(cases),
            "correct": correct,
            "accuracy": correct / len(cases) if cases else 0.0,
            "median_questions": statistics.median(questions) if questions else None,
            "mean_questions": statistics.mean(questions) if questions else None,
            "median_messages": statistics.median(messages) if messages else None,
            "mean_messages": statistics.mean(messages) if messages else None,
            "messages": messages,
            "per_case": per_case,
        }
    return result


def compare_strategies(engine: DiagnosisEngine, personas: Sequence,
                       evidence_cases_file: Path = EVIDENCE_CASES) -> Dict[str, Dict[str, dict]]:
    """Both question orders on the personas and on the evidence cases."""
    persona_cases = [{"id": p.id, "cause": p.cause, "given": dict(p.given), "knows": dict(p.knows)}
                     for p in personas]
    evidence = yaml.safe_load(evidence_cases_file.read_text(encoding="utf-8"))["cases"]
    evidence_cases = [{"id": c["id"], "cause": c["cause"], "given": c.get("given") or {}, "knows": c["knows"]}
                      for c in evidence]
    return {"personas": _compare(engine, persona_cases), "evidence_cases": _compare(engine, evidence_cases)}
