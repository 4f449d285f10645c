"""Quality gate: the held-out typed conversations over REST (tests/typed_eval/, bench/typed.py).

The merchant types its own sentence for every question. The floors below were set from measurement
(docs/benchmarks.md and docs/status.md give the figures) minus room for run-to-run noise; falling
below one fails `make test`. The clicking row (answer buttons) has its own floor.
"""
import json

import pytest

from bench.simulator import RestClient
from bench.typed import load_typed_cases, run_typed, summarize_typed, transcript_text
from launcher.servers import TOKEN

# Measured on the held-out set (2026-12-02, 126 conversations, `make bench` after the third review and development
# set 4): typing 0.794 accuracy, fact recall 0.796, precision 0.943; clicking 0.857. The floors leave 2-3 points
# for run-to-run noise (each retraining moves a few conversations).
TYPED_ACCURACY_FLOOR = 0.76
TYPED_FACT_RECALL_FLOOR = 0.77
TYPED_FACT_PRECISION_FLOOR = 0.92
CLICKED_ACCURACY_FLOOR = 0.83


@pytest.fixture(scope="module")
def typed_runs(servers):
    client = RestClient(f"http://127.0.0.1:{servers.rasa_port}", TOKEN)
    cases = load_typed_cases()
    return {mode: run_typed(client, cases, f"gate-{mode}", clicking=(mode == "clicking"))
            for mode in ("typing", "clicking")}


@pytest.fixture(scope="module")
def typed(typed_runs):
    return {mode: summarize_typed(runs) for mode, runs in typed_runs.items()}


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


# One held-out typed conversation per new 收单 check (issue 10), typed, each must reach its cause.
NEW_CHECK_CONVERSATIONS = {
    "fraud_c03": "a payee name in the customer's bill that is not the shop's",
    "fraud_c04": "the settlement money gone after a '银联' caller asked for the 验证码",
    "policy_change_c01": "a cycle that changed from same-day to the next day",
    "account_settings_c01": "03 无效商户 on the terminal",
    "operator_error_c01": "a customer who paid into a staff member's own QR code",
}


# Wrong now, kept visible (strict: the test fails once the case passes, so the mark must then go).
KNOWN_WRONG = {
    "fraud_c03": "since session 10's answer bank the reader is surer that a reply which starts with 'no one called' "
    "answers the suspicious-contact question with no, though the merchant goes on to describe a code stuck over "
    "the shop's own; with the payee not the shop's and no suspicious contact the engine picks operator_error "
    "(a staff member's own code) over fraud",
}


@pytest.mark.parametrize(
    "case_id",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[c])) if c in KNOWN_WRONG else c
        for c in sorted(NEW_CHECK_CONVERSATIONS)
    ],
)
def test_each_new_check_reaches_its_cause_when_typed(typed_runs, case_id):
    run = next(r for r in typed_runs["typing"] if r.case.id == case_id)
    assert run.diagnosed == run.case.cause, f"{NEW_CHECK_CONVERSATIONS[case_id]}:\n{transcript_text(run)}"
