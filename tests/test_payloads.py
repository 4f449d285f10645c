"""The answer buttons' payloads (pos_expert/payloads.py): one builder, one reader."""
import pytest

from channels.guarded import guard_text
from pos_expert.payloads import DONT_KNOW, answer_payload, asked_signal, payload_signal


def test_an_answer_payload_is_what_the_guard_lets_through():
    payload = answer_payload("transaction_record", "success")
    assert payload == '/inform{"transaction_record":"success"}'
    assert guard_text(payload) == payload  # a forged signal or answer would be read as text instead


@pytest.mark.parametrize("answer", [None, "", "unknown"])
def test_no_answer_is_dont_know(answer):
    assert answer_payload("terminal_result", answer) == DONT_KNOW


def test_the_signal_is_read_back():
    assert payload_signal(answer_payload("error_code", "comm_fail")) == "error_code"
    assert payload_signal("/affirm") is None and payload_signal('/inform{"broken') is None


def test_the_last_question_is_read_from_its_first_answer_button():
    messages = [
        {"text": "old", "buttons": [{"title": "x", "payload": answer_payload("payment_channel", "card")}]},
        {"text": "是吗?", "buttons": [{"title": "是的", "payload": "/affirm"},
                                     {"title": "查得到", "payload": answer_payload("transaction_record", "success")}]},
    ]
    assert asked_signal(messages) == "transaction_record"
    assert asked_signal([{"text": "结论"}]) is None
