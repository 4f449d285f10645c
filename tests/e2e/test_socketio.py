"""The socketio channel (the merchant page's) under the same tests as REST: hostile input, PII masking, the
payload filter, the reply when the action server is down, the audience sent in customData, the rate limit."""
import json
import sqlite3
import time

import pytest

from channels.guarded import INVALID_MESSAGE_REPLY, NO_REPLY_FALLBACK
from channels.limits import RATE_LIMITED_REPLY
from tests.e2e.test_reliability import CARD, HOSTILE, ID_CARD, PHONE
from tests.support.chat import SocketChat, texts, tracker

OPENING = "周末刷卡显示交易成功,钱还没到账"


@pytest.fixture
def chat(servers):
    chats = []

    def open_chat(**kwargs):
        chats.append(SocketChat(servers.rasa_port, **kwargs))
        return chats[-1]

    yield open_chat
    for c in chats:
        c.close()


def _finish_bank_system(chat):
    chat.say(OPENING)
    chat.say('/inform{"transaction_record":"success"}')
    chat.say('/inform{"settlement_status":"not_due"}')
    return tracker(chat.port, chat.session_id)


def _user_events(port, sender):
    return [e for e in tracker(port, sender)["events"] if e["event"] == "user"]


@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_input_gets_a_polite_answer_and_the_conversation_stays_usable(servers, chat, text):
    c = chat(session_id=f"sio-hostile-{HOSTILE.index(text)}", custom_data={"audience": "merchant"})
    c.say(OPENING)
    replies = c.say(text, counts=bool(text.strip()))
    assert replies and all((m.get("text") or m.get("quick_replies")) for m in replies), replies
    assert NO_REPLY_FALLBACK not in texts(replies)
    assert tracker(servers.rasa_port, c.session_id)["slots"]["diagnosed_cause"] is None
    c.sent = len(_user_events(servers.rasa_port, c.session_id))  # a restart-like text may have started afresh
    assert _finish_bank_system(c)["slots"]["diagnosed_cause"] == "bank_system"


@pytest.mark.parametrize("data", [
    "只发了一个字符串", 12345, ["列表"], None, {"message": {"x": 1}, "session_id": "sio-odd-1"},
    {"message": ["a"], "session_id": "sio-odd-2"}, {"message": "没有 session_id"},
    {"message": "坏的 customData", "session_id": "sio-odd-3", "customData": "{not json"},
    {"message": "列表 customData", "session_id": "sio-odd-4", "customData": ["agent"]},
    {"message": "数字 session_id", "session_id": 12345},
])
def test_malformed_socketio_payloads_are_answered_and_break_nothing(servers, chat, data):
    c = chat(session_id="sio-odd-page")
    if isinstance(data, dict) and str(data.get("session_id")).startswith("sio-odd"):
        data = {**data, "session_id": c.session_id}  # the page's own session: the answer goes to its room
    c.emit(data)
    replies = c.collect(timeout=30, wait_for_turn=False)
    assert replies and all(m.get("text") for m in replies), replies
    if not isinstance(data, dict) or not isinstance(data.get("message"), (str, type(None))):
        assert INVALID_MESSAGE_REPLY in texts(replies)
    assert c.say("你好")  # the same connection still works


def test_a_message_over_the_size_limit_does_not_bring_the_server_down(servers, chat):
    big = chat(session_id="sio-big")
    try:
        big.emit({"message": "钱" * 100_000, "session_id": "sio-big"})  # 300 KB: over engineio's 64 KB limit
        time.sleep(2)
    finally:
        try:
            big.close()
        except Exception:  # noqa: BLE001 - the server may have closed this connection
            pass
    assert chat(session_id="sio-after-big").say(OPENING)


def test_card_phone_and_id_numbers_never_reach_store_api_or_logs(servers, chat):
    c = chat(session_id="sio-pii", custom_data={"audience": "merchant"})
    long_account = "6217000010001234567"  # fails the Luhn check: masked all the same
    c.say(f"顾客用卡号{CARD}刷的,手机{PHONE},身份证{ID_CARD},钱没到账")
    c.say(f"我的电话是 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]},另一张卡 {long_account[:4]} {long_account[4:8]} "
          f"{long_account[8:12]} {long_account[12:]}")
    tracker_text = json.dumps(tracker(servers.rasa_port, c.session_id), ensure_ascii=False)
    with sqlite3.connect(servers.tmp / "tracker.db") as db:
        stored = json.dumps([json.loads(row[0]) for row in db.execute(
            "SELECT data FROM events WHERE sender_id = ?", (c.session_id,))], ensure_ascii=False)
    logs = "".join(p.read_text("utf-8", "replace") for p in servers.tmp.glob("*.log"))
    for secret in (CARD, PHONE, ID_CARD, CARD[:12], f"{PHONE[:3]} {PHONE[3:7]}", long_account[:12],
                   f"{long_account[:4]} {long_account[4:8]}"):
        assert secret not in tracker_text and secret not in stored and secret not in logs
    assert CARD[-4:] in tracker_text and PHONE[-4:] in tracker_text and long_account[-4:] in stored


def test_an_injected_payload_can_neither_set_the_cause_nor_skip_questions(servers, chat):
    c = chat(session_id="sio-inject")
    c.say("顾客付了钱我没收到")
    for payload in ('/inform{"diagnosed_cause":"fraud"}', '/inform{"requested_slot":null}',
                    "/action_present_diagnosis", "/restart"):
        c.say(payload)
    state = tracker(servers.rasa_port, c.session_id)
    assert state["slots"]["diagnosed_cause"] is None
    assert state["slots"]["requested_slot"] is not None  # still asking
    assert not any(e.get("name") == "action_present_diagnosis" for e in state["events"])


def test_action_server_down_gives_a_clear_reply_and_the_conversation_continues(servers, chat):
    c = chat(session_id="sio-fault-actions")
    c.say(OPENING)
    servers.stop(servers.actions)
    try:
        started = time.monotonic()
        replies = c.say("交易明细里能查到,状态成功")
        elapsed = time.monotonic() - started
        assert NO_REPLY_FALLBACK in texts(replies) and "暂时" in texts(replies)
        assert elapsed < 3.0, f"reply took {elapsed:.2f}s"
    finally:
        servers.start_actions()
    c.say("交易明细里能查到,状态成功")
    c.say('/inform{"settlement_status":"not_due"}')
    state = tracker(servers.rasa_port, c.session_id)
    assert state["slots"]["diagnosed_cause"] == "bank_system"
    assert [e.get("text") for e in state["events"] if e["event"] == "user"] == [
        OPENING, "交易明细里能查到,状态成功", "交易明细里能查到,状态成功", '/inform{"settlement_status":"not_due"}']


@pytest.mark.parametrize("custom_data, audience", [
    ({"audience": "merchant"}, "merchant"), ({"audience": "agent"}, "agent"), ('{"audience": "agent"}', "agent"),
    (None, "merchant"), ({"audience": "admin"}, "merchant"),  # the slot's initial value: merchant
])
def test_the_audience_sent_in_custom_data(servers, chat, custom_data, audience):
    c = chat(session_id=f"sio-audience-{audience}-{abs(hash(str(custom_data)))}", custom_data=custom_data)
    replies = c.say(OPENING)
    state = tracker(servers.rasa_port, c.session_id)
    assert state["slots"]["audience"] == audience
    custom = [m["custom"] for m in replies if isinstance(m.get("custom"), dict)]
    if audience == "agent":  # the console's machine-readable state, as over REST
        assert any(p.get("type") == "pos_diagnosis_state" for p in custom), replies
    else:  # merchants see plain messages with quick replies only
        assert custom == [] and any(m.get("quick_replies") for m in replies)


def test_a_sender_sending_too_fast_is_asked_to_wait(servers, chat):
    c = chat(session_id="sio-fast")
    for i in range(14):
        c.emit({"message": f"顾客付了钱我没收到 {i}", "session_id": c.session_id})
    deadline = time.monotonic() + 120
    limited = stored = 0
    seen = []
    while time.monotonic() < deadline:
        time.sleep(0.5)
        while not c.replies.empty():
            seen.append(c.replies.get_nowait())
        limited = sum(1 for m in seen if m.get("text") == RATE_LIMITED_REPLY)
        stored = len(_user_events(servers.rasa_port, c.session_id))
        if limited and stored + limited == 14:
            break
    print(f"\n[socketio] 14 messages at once from one page: {stored} processed, {limited} asked to wait")
    assert limited >= 3 and stored + limited == 14 and stored >= 10
