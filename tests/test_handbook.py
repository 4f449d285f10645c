"""docs/knowledge.md is generated from the knowledge base and must not go stale."""
from pos_expert.handbook import HANDBOOK_PATH, render_handbook


def test_handbook_is_up_to_date(kb):
    assert HANDBOOK_PATH.read_text(encoding="utf-8") == render_handbook(kb), "run `make handbook`"


def test_handbook_lists_every_cause_step_and_both_wordings(kb):
    text = render_handbook(kb)
    for cause in kb.causes:
        assert f"## {cause.name_zh} (`{cause.id}`)" in text
        for number, step in enumerate(cause.steps, 1):
            assert f"{number}. {step}" in text
    for signal in kb.signals:
        assert signal.question_merchant in text and signal.question_agent in text
