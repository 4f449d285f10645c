"""The quality gates can fail, and the generated cross-validation config is fresh."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_crossval_config_is_generated_from_config_yml():
    result = subprocess.run([sys.executable, "scripts/crossval_config.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "tests/config_crossval.yml is stale: run python scripts/crossval_config.py"


def test_the_crossval_config_leaves_out_only_the_fallback_and_the_fact_extractor():
    sys.path.insert(0, str(ROOT / "scripts"))
    from crossval_config import render

    config = "language: zh\npipeline:\n- name: A\n- name: nlu_components.facts.MerchantFactExtractor\n" \
             "- name: nlu_components.fallback.GroupedFallbackClassifier\npolicies:\n- name: RulePolicy\n"
    text = render(config)
    assert "- name: A" in text and "MerchantFactExtractor" not in text and "Fallback" not in text
    assert "RulePolicy" not in text


def _report(tmp_path, f1):
    (tmp_path / "intent_report.json").write_text(json.dumps(
        {"macro avg": {"f1-score": f1, "support": 10}, "accuracy": f1}), encoding="utf-8")
    return subprocess.run([sys.executable, "scripts/report_nlu.py", str(tmp_path), "t", "--min-f1", "0.93"],
                          cwd=ROOT, capture_output=True, text=True)


def test_the_intent_gate_fails_below_its_floor(tmp_path):
    assert _report(tmp_path, 0.92).returncode == 1


def test_the_intent_gate_passes_at_its_floor(tmp_path):
    assert _report(tmp_path, 0.93).returncode == 0


def test_the_data_validation_fails_on_a_warning_that_is_not_expected():
    sys.path.insert(0, str(ROOT / "scripts"))
    from validate_data import responses_sent_by_actions, unexpected_warnings

    sent = responses_sent_by_actions()
    assert "utter_confirm_answer" in sent and "utter_greet" not in sent
    output = ("UserWarning: The utterance 'utter_confirm_answer' is not used in any story or rule.\n"
              "UserWarning: The utterance 'utter_greet' is not used in any story or rule.\n"
              "UserWarning: Intent 'x' is not used in any story or rule.\n")
    assert unexpected_warnings(output, sent) == [
        "The utterance 'utter_greet' is not used in any story or rule.", "Intent 'x' is not used in any story or rule."]
