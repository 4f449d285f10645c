"""The knowledge base loads, is complete, and broken data is rejected with a message that says where."""
import copy
from pathlib import Path

import pytest
import yaml

from pos_expert.knowledge import (
    DEFAULT_PATH,
    UNKNOWN,
    KnowledgeBaseError,
    load_knowledge_base,
    parse_knowledge_base,
)

SPEC_CAUSES = Path(__file__).resolve().parents[2] / "shared" / "spec" / "causes.yml"


@pytest.fixture()
def raw_kb():
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_cause_ids_are_exactly_the_documented_ten(kb):
    # The spec lives beside the repository (CI lays it there); a bare clone elsewhere has nothing to compare with.
    if not SPEC_CAUSES.exists():
        pytest.skip(f"no spec at {SPEC_CAUSES}")
    spec_ids = [c["id"] for c in yaml.safe_load(SPEC_CAUSES.read_text(encoding="utf-8"))["causes"]]
    assert kb.cause_ids == spec_ids


def test_every_cause_is_complete(kb):
    for cause in kb.causes:
        assert len(cause.steps) >= 3, cause.id
        assert len(cause.prevention) >= 2, cause.id
        assert cause.escalation.contact_first and cause.escalation.handoff_when, cause.id
        assert len(cause.escalation.have_ready) >= 2, cause.id
        assert cause.seed_refs, cause.id


def test_every_signal_has_both_wordings_and_an_unknown_answer(kb):
    for signal in kb.signals:
        assert signal.question_merchant != signal.question_agent, signal.id
        assert signal.answer_ids()[-1] == UNKNOWN
        assert signal.answer(UNKNOWN).label_zh == "不清楚"


def test_the_ending_words_cover_the_intents_that_end_a_case(kb):
    assert set(kb.ending_words) == {"request_human", "start_over", "goodbye"}
    assert "人工" in kb.ending_words["request_human"] and "88" in kb.ending_words["goodbye"]


def test_every_cause_is_raised_by_some_answer(kb):
    raised = {c for s in kb.signals for a in s.answers for c, w in a.weights.items() if w >= 2}
    assert raised == set(kb.cause_ids)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["causes"][0].update(steps=["只有一步", "两步"]),
         "cause 'network': field 'steps' needs at least 3 items, has 2"),
        (lambda d: d["causes"][2].pop("escalation"), "cause 'bank_system': field 'escalation': expected a mapping"),
        (lambda d: d["causes"][1].update(prior=0), "cause 'terminal_fault': field 'prior' must be a number"),
        (lambda d: d["signals"][0]["answers"][0]["weights"].update(no_such_cause=1),
         "signal 'payment_channel' answer 'card': field 'weights' names unknown cause 'no_such_cause'"),
        (lambda d: d["signals"][1]["answers"][0]["weights"].update(network=5),
         "signal 'terminal_result' answer 'success_slip': weight for 'network' must be an integer from -3 to 3"),
        (lambda d: d["signals"][0]["answers"].append(
            {"id": "unknown", "label_zh": "x", "fact_zh": "x", "phrases": ["x"]}),
         "'unknown' is added by the loader"),
        (lambda d: d["signals"][0]["answers"][1]["phrases"].append("刷卡"),
         "phrase '刷卡' is already used by payment_channel=card"),
        (lambda d: d["signals"][5].update(affirm_means="maybe"),
         "signal 'network_condition': field 'affirm_means' names unknown answer 'maybe'"),
        (lambda d: d["signals"][3].update(ask_only_if={"transaction_record": ["nope"]}),
         "signal 'settlement_status': 'ask_only_if' names unknown signal or answer"),
        (lambda d: d["causes"].append(copy.deepcopy(d["causes"][0])), "causes: cause ids must be unique"),
        (lambda d: d["settings"].update(stop_confidence=2), "settings: field 'stop_confidence' must be a number"),
        (lambda d: d["ending_words"]["goodbye"].update(words=[]), "top level: ending_words.goodbye"),
    ],
)
def test_broken_data_is_rejected_with_a_message_naming_the_place(raw_kb, mutate, message):
    mutate(raw_kb)
    with pytest.raises(KnowledgeBaseError) as error:
        parse_knowledge_base(raw_kb, source="knowledge_base.yml")
    assert str(error.value).startswith("knowledge_base.yml: ")
    assert message in str(error.value)


def test_unreadable_and_invalid_files_are_reported(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="cannot be read"):
        load_knowledge_base(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("causes: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="is not valid YAML"):
        load_knowledge_base(bad)
