"""Quality gate: the held-out typed conversations over REST (tests/typed_eval/, bench/typed.py).

The merchant types its own sentence for every question. The floors below were set from measurement
(docs/benchmarks.md and docs/status.md give the figures) minus room for run-to-run noise; falling
below one fails `make test`. The clicking row (answer buttons) has its own floor.
"""
import json

import pytest

from bench.simulator import RestClient
from bench.typed import load_typed_cases, run_typed, summarize_typed
from tests.support.servers import TOKEN

# Measured on the held-out set (2026-12-01): typing 0.71 accuracy, fact recall 0.74, precision 0.93;
# clicking 0.81. The floors leave about 5 points of room for run-to-run noise.
TYPED_ACCURACY_FLOOR = 0.65
TYPED_FACT_RECALL_FLOOR = 0.68
TYPED_FACT_PRECISION_FLOOR = 0.88
CLICKED_ACCURACY_FLOOR = 0.75


@pytest.fixture(scope="module")
def typed(servers):
    client = RestClient(f"http://127.0.0.1:{servers.rasa_port}", TOKEN)
    cases = load_typed_cases()
    return {mode: summarize_typed(run_typed(client, cases, f"gate-{mode}", clicking=(mode == "clicking")))
            for mode in ("typing", "clicking")}


def _figures(summary):
    return json.dumps({k: v for k, v in summary.items() if k not in ("wrong", "per_signal")}, ensure_ascii=False)


def test_typed_diagnosis_accuracy_is_above_its_floor(typed):
    print("\n[typed] typing:", _figures(typed["typing"]))
    assert typed["typing"]["errors"] == 0
    assert typed["typing"]["accuracy"] >= TYPED_ACCURACY_FLOOR


def test_typed_fact_recall_and_precision_are_above_their_floors(typed):
    assert typed["typing"]["fact_recall"] >= TYPED_FACT_RECALL_FLOOR
    assert typed["typing"]["fact_precision"] >= TYPED_FACT_PRECISION_FLOOR


def test_every_typed_conversation_ends_within_eight_messages(typed):
    summary = typed["typing"]
    assert summary["ended_within_8"] == summary["conversations"]


def test_clicked_diagnosis_accuracy_is_above_its_floor(typed):
    print("\n[typed] clicking:", _figures(typed["clicking"]))
    assert typed["clicking"]["errors"] == 0
    assert typed["clicking"]["accuracy"] >= CLICKED_ACCURACY_FLOOR
