"""The lexicon's reading of numbers: an error code only in context, never an amount, a time or card digits."""
import pytest

from pos_expert.text import lexicon_for


@pytest.fixture(scope="module")
def lexicon(kb):
    return lexicon_for(kb)


@pytest.mark.parametrize(
    "text, code",
    [
        ("报了个96", "issuer_system"),  # after a cue
        ("98发卡方无应答", "issuer_system"),  # before its message
        ("77", "terminal_sync"),  # typed as the whole message: the merchant names the code
        ("好像是54", "decline"),
        ("是55吧", "decline"),
        ("03", "merchant_disabled"),
        ("小票上写着96", "issuer_system"),  # what the slip or the record says
        ("记录里写的55 密码错", "decline"),
    ],
)
def test_a_code_in_context_is_read(lexicon, text, code):
    assert lexicon.facts(text).get("error_code") == code


@pytest.mark.parametrize(
    "text",
    ["顾客刷了98块钱", "下午2点22分刷的", "收了98", "22号刷的", "尾号9651的卡", "刷了51笔", "98元的单子还没到",
     "提示98块的那笔", "小票上写的58元", "显示22点05分"],  # a unit makes it an amount or a time, whatever the cue
)
def test_amounts_times_and_digits_are_no_codes(lexicon, text):
    assert "error_code" not in lexicon.facts(text)
