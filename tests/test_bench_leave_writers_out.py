"""The leave-writers-out measure (bench/leave_writers_out.py): the split of the answer bank and the scoring,
which must apply the form's thresholds (actions/facts.py) to each held reply."""

import pytest

from actions.facts import CONFIRM_THRESHOLD, TAKE_THRESHOLD
from bench.leave_writers_out import score_replies, split_answer_bank
from pos_expert.facts import NONE, TYPED_ANSWERS_DIR, Example, Reading
from pos_expert.knowledge import UNKNOWN


class FixedReader:
    """Reads each text as the table says, as a reply to any question."""

    def __init__(self, table):
        self.table = table

    def answers_if_asked(self, text):
        answer, confidence = self.table[text]
        return {"transaction_record": Reading("transaction_record", answer, confidence)}


def test_the_held_files_are_left_out_of_training_and_kept_for_reading():
    parts = split_answer_bank(["replies_f1.yml"])
    assert sorted(parts["held"]) == ["replies_f1.yml"]
    trained = parts["train"]
    assert "replies_f1.yml" not in trained
    assert trained == {p.name for p in TYPED_ANSWERS_DIR.glob("*.yml")} - {"replies_f1.yml"}


def test_an_unknown_file_name_stops_the_run():
    with pytest.raises(SystemExit, match="replies_zz.yml"):
        split_answer_bank(["replies_zz.yml"])


def test_each_reply_counts_as_the_form_would_treat_it():
    reader = FixedReader(
        {
            "查得到": ("success", TAKE_THRESHOLD),
            "查不到吧": ("success", TAKE_THRESHOLD + 0.1),
            "好像有": ("success", CONFIRM_THRESHOLD),
            "看不懂": ("not_found", CONFIRM_THRESHOLD - 0.01),
            "不知道": (UNKNOWN, 0.9),
            "顺便说网不好": ("success", 0.99),
        }
    )
    examples = [
        Example("查得到", "transaction_record", "success", True),
        Example("查不到吧", "transaction_record", "not_found", True),
        Example("好像有", "transaction_record", "success", True),
        Example("看不懂", "transaction_record", "not_found", True),
        Example("不知道", "transaction_record", UNKNOWN, True),
        Example("顺便说网不好", "transaction_record", NONE, True),  # off-target: not scored
        Example("查得到", "transaction_record", "success", False),  # the statement view: not scored
    ]
    figures = score_replies(reader, examples)
    assert {
        k: figures[k]
        for k in (
            "answers",
            "taken_right",
            "taken_wrong",
            "confirmed_right",
            "confirmed_wrong",
            "missed",
            "dont_knows",
            "dont_knows_read",
        )
    } == {
        "answers": 4,
        "taken_right": 1,
        "taken_wrong": 1,
        "confirmed_right": 1,
        "confirmed_wrong": 0,
        "missed": 1,
        "dont_knows": 1,
        "dont_knows_read": 1,
    }
    assert figures["per_signal"] == {"transaction_record": {"answers": 4, "taken_right": 1}}
    assert figures["taken_right_share"] == 0.25
    assert figures["taken_or_confirmed_right_share"] == 0.5
