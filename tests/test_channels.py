"""The input guard: PII masking, payload filtering, length limit."""
import pytest

from channels.guarded import MAX_MESSAGE_CHARS, guard_text
from pos_expert.privacy import luhn_valid, mask_pii


def _luhn_card(prefix="622202123456789"):
    for last in "0123456789":
        if luhn_valid(prefix + last):
            return prefix + last


CARD = _luhn_card()


@pytest.mark.parametrize("raw, hidden", [
    (f"卡号{CARD}", CARD),
    (f"卡号 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}", CARD[:12]),
    (f"卡号{CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]}", CARD[:4] + "-" + CARD[4:8]),
    ("电话13812345678", "13812345678"),
    ("电话 138 1234 5678", "138 1234"),
    ("身份证11010519491231002X", "11010519491231002X"),
])
def test_numbers_are_masked_keeping_the_last_four(raw, hidden):
    masked = guard_text(raw)
    assert hidden not in masked
    digits = "".join(ch for ch in raw if ch.isdigit() or ch == "X")
    assert digits[-4:] in masked


def test_non_luhn_long_numbers_and_amounts_stay():
    assert mask_pii("金额1280元,参考号123456789012") == "金额1280元,参考号123456789012"
    assert mask_pii("6222021234567891") == "6222021234567891"  # not Luhn-valid: not a card


@pytest.mark.parametrize("payload", [
    '/inform{"network_condition":"unstable"}', "/affirm", "/deny", "/dont_know", "/reject_diagnosis",
    "/request_human",
])
def test_our_button_payloads_pass(payload):
    assert guard_text(payload) == payload


@pytest.mark.parametrize("payload, expected", [
    ('/inform{"diagnosed_cause":"fraud"}', 'inform{"diagnosed_cause":"fraud"}'),
    ('/inform{"requested_slot":null}', 'inform{"requested_slot":null}'),
    ('/inform{"network_condition":"made_up"}', 'inform{"network_condition":"made_up"}'),
    ("/restart", "restart"),
    ("/session_start", "session_start"),
    ('/affirm{"diagnosed_cause":"fraud"}', 'affirm{"diagnosed_cause":"fraud"}'),
    ("///", "?"),
])
def test_other_commands_are_read_as_text(payload, expected):
    assert guard_text(payload) == expected


def test_huge_input_is_cut():
    assert len(guard_text("钱" * 20000)) == MAX_MESSAGE_CHARS
