"""A merchant conversation per cause over REST, against the real Rasa and action servers."""
import statistics

import pytest
import yaml

from launcher.conversation import ClickingMerchant, run_conversation
from launcher.datasets import EVIDENCE_CASES

CASES = yaml.safe_load(EVIDENCE_CASES.read_text(encoding="utf-8"))["cases"]
# The first asserted case of each cause: its opening is free Chinese text, answers use the buttons.
PERSONAS = {}
for case in CASES:
    if not case.get("hard"):
        PERSONAS.setdefault(case["cause"], case)


def merchant(case) -> ClickingMerchant:
    """The case's merchant: types the opening, then clicks the answers it states or knows (不清楚 otherwise)."""
    return ClickingMerchant(case["opening"], {**(case.get("given") or {}), **case["knows"]})


@pytest.fixture(scope="module")
def persona_runs(servers):
    """Each cause's conversation, run once: (its record, the diagnosed cause)."""
    runs = {}
    for cause_id, case in PERSONAS.items():
        sender = f"e2e-{case['id']}"
        record = run_conversation(servers.client, sender, merchant(case))
        runs[cause_id] = (record, servers.tracker(sender)["slots"]["diagnosed_cause"])
    return runs


@pytest.mark.parametrize("cause_id", sorted(PERSONAS))
def test_a_merchant_reaches_the_right_diagnosis(persona_runs, cause_id):
    record, diagnosed = persona_runs[cause_id]
    messages = record.last_replies
    assert diagnosed == cause_id, (record.errors, [m.get("text") for m in messages])
    texts = "\n".join(m.get("text") or "" for m in messages)
    assert "解决步骤" in texts and "1. " in texts and "预防建议" in texts
    # On a phone: the diagnosis is three bubbles, the last with the buttons, "为什么" one tap away.
    start = next(i for i, m in enumerate(messages) if "最可能的原因" in (m.get("text") or ""))
    diagnosis = messages[start:]
    assert len(diagnosis) == 3, [m.get("text") for m in diagnosis]
    assert "/ask_why" in [b["payload"] for b in diagnosis[-1].get("buttons") or []]


def test_median_messages_to_a_diagnosis(persona_runs):
    counts = {cause_id: record.sent for cause_id, (record, _) in persona_runs.items()}
    assert len(counts) == 10
    print(f"\n[e2e] merchant messages to a diagnosis: median {statistics.median(counts.values())}, "
          f"mean {statistics.mean(counts.values()):.2f}")
    assert statistics.median(counts.values()) <= 5


def test_free_text_answers_are_understood(servers):
    sender = "e2e-free-text"
    servers.say(sender, "顧客刷卡顯示交易成功,也打了小票,可是錢咋沒到帳")
    servers.say(sender, "交易明细里能查到,状态是成功的")
    messages = servers.say(sender, "结算记录显示待结算,是周六刷的")
    slots = servers.tracker(sender)["slots"]
    assert slots["terminal_result"] == "success_slip"
    assert slots["transaction_record"] == "success"
    assert slots["settlement_status"] == "not_due"
    assert slots["diagnosed_cause"] == "bank_system", [m.get("text") for m in messages]


def test_reject_why_and_restart(servers):
    sender = "e2e-reject"
    servers.say(sender, "周末刷卡显示交易成功,钱还没到账")
    servers.say(sender, '/inform{"transaction_record":"success"}')
    servers.say(sender, '/inform{"settlement_status":"not_due"}')
    assert servers.tracker(sender)["slots"]["diagnosed_cause"] == "bank_system"
    why = servers.say(sender, "为什么这么说")
    assert any("所以最可能是" in (m.get("text") or "") for m in why)
    rejected = servers.say(sender, "不对,不是这个原因")
    slots = servers.tracker(sender)["slots"]
    assert "bank_system" in slots["excluded_causes"]
    assert slots["diagnosed_cause"] != "bank_system"
    assert any("排除" in (m.get("text") or "") for m in rejected)
    restarted = servers.say(sender, "重新开始")
    assert any("重新开始" in (m.get("text") or "") for m in restarted)
    slots = servers.tracker(sender)["slots"]
    assert slots["diagnosed_cause"] is None and slots["transaction_record"] is None


def test_handoff_and_out_of_scope(servers):
    sender = "e2e-handoff"
    reply = servers.say(sender, "今天天气怎么样")
    assert any("收款" in (m.get("text") or "") for m in reply)
    servers.say(sender, "顾客说付了钱,我没收到,他手机号13812345678")
    handoff = servers.say(sender, "转人工")
    text = "\n".join(m.get("text") or "" for m in handoff)
    assert "人工客服" in text and "案件摘要" in text
    assert "13812345678" not in text and "5678" in text
    assert servers.tracker(sender)["active_loop"] == {} or not servers.tracker(sender)["active_loop"].get("name")
