"""Issue 13: the load test and the benchmark count the guard's apology, the rate limit's answer and empty
replies as errors, so that a failing action server cannot look like a fast success."""
import pytest

from bench.simulator import error_reply
from channels.guarded import NO_REPLY_FALLBACK
from channels.limits import RATE_LIMITED_REPLY


@pytest.mark.parametrize("replies, reason", [
    ([], "empty reply"),
    ([{"recipient_id": "x"}], "empty reply"),
    ([{"recipient_id": "x", "text": ""}], "empty reply"),
    ([{"recipient_id": "x", "text": NO_REPLY_FALLBACK}], "the guard's apology"),
    ([{"text": "好的"}, {"text": NO_REPLY_FALLBACK}], "the guard's apology"),
    ([{"recipient_id": "x", "text": RATE_LIMITED_REPLY}], "rate limited"),
])
def test_failed_turns_are_errors(replies, reason):
    assert error_reply(replies) == reason


@pytest.mark.parametrize("replies", [
    [{"text": "交易明细里能查到这笔吗?", "buttons": [{"title": "能", "payload": '/inform{"transaction_record":"success"}'}]}],
    [{"custom": {"type": "pos_diagnosis_state"}}],
    [{"buttons": [{"title": "是", "payload": "/affirm"}]}],
])
def test_real_replies_are_not_errors(replies):
    assert error_reply(replies) is None
