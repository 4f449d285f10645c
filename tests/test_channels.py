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


@pytest.mark.parametrize("raw, hidden, kept", [
    # issue 13: a run of 12+ digits is masked whatever the Luhn check says
    ("另一张卡6217000010001234567", "6217000010001234567", "4567"),
    ("卡号6222020200112233445", "622202020011223", "3445"),
    ("6222021234567891", "622202123456", "7891"),  # fails the Luhn check
    ("参考号123456789012", "12345678", "9012"),
    ("账号 6217 0000 1000 1234 567", "6217 0000", "4567"),
    ("账号6217-0000-1000-1234-567", "6217-0000", "4567"),
    ("账号 6217 - 0000 - 1000 - 1234", "6217 - 0000", "1234"),
    ("账号6217\u30000000\u30001000\u30001234", "6217\u30000000", "1234"),
    ("卡号６２１７０００００１０００１２３４", "６２１７", "1234"),
    ("电话１３８１２３４５６７８", "１３８", "5678"),
    ("商户号 123456789012345", "123456789012", "2345"),
    ("+86 138 1234 5678", "138 1234", "5678"),
])
def test_every_run_of_twelve_or_more_digits_is_masked(raw, hidden, kept):
    masked = mask_pii(raw)
    assert hidden not in masked
    assert masked.endswith(kept)
    assert len([c for c in masked if c.isdigit()]) == 4


@pytest.mark.parametrize("text", [
    "金额1280元", "2024-01-05 12:30 收了98.00元", "终端号12345678", "错误码A1 96", "电话号后四位5678", "12345678901",
    "1234 5678 901",
])
def test_short_numbers_amounts_and_times_stay(text):
    assert mask_pii(text) == text


def test_mobile_and_id_card_numbers_keep_todays_masking():
    assert mask_pii("电话13812345678") == "电话*******5678"
    assert mask_pii("电话 138-1234-5678 找我") == "电话 *******5678 找我"
    assert mask_pii("电话 138 - 1234 - 5678") == "电话 *******5678"
    assert mask_pii("电话 1381 2345 678") == "电话 *******5678"
    assert mask_pii("电话138\u30001234\u30005678") == "电话*******5678"
    assert mask_pii("身份证11010519491231002X") == "身份证**************002X"
    assert mask_pii("两个号13812345678 13912345678") == "两个号" + "*" * 18 + "5678"


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


def test_a_turn_without_a_reply_gets_the_apology_and_a_warning(caplog):
    """The guard replaces silence (e.g. a failed action) with the apology, and says so in the log."""
    import asyncio
    import logging

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from channels.guarded import NO_REPLY_FALLBACK, GuardedRestInput

    async def silent_bot(message):
        return None

    output = CollectingOutputChannel()
    handle = GuardedRestInput().guarded(silent_bot)
    with caplog.at_level(logging.WARNING, logger="channels.guarded"):
        asyncio.run(handle(UserMessage("卡号6217000010001234567,钱没到", output, sender_id="s1")))
    assert [m["text"] for m in output.messages] == [NO_REPLY_FALLBACK]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "s1" in caplog.records[0].getMessage() and "6217000010001234567" not in caplog.text
