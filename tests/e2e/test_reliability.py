"""Hostile input, PII kept out of every store, access control, and the action server dying mid-conversation."""
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import ALLOWED_ORIGIN
from launcher.servers import TOKEN

CARD = "6222021234567894"  # Luhn-valid (a failing checksum is not treated as a card)
PHONE = "13912345678"
ID_CARD = "11010519491231002X"

HOSTILE = [
    "", "   ", "\n\t", "钱" * 20000, "😀😀💰💰❓", "\x00\x01\x02控制字符\x7f", "<script>alert('x')</script>",
    "<b>加粗</b><img src=x onerror=alert(1)>", "'; DROP TABLE events; --", '{"message": "hi", "sender": "admin"}',
    "Hello, my customer paid but I got nothing", "お金が届きません", "1234567890", "0000", "?????", "。。。。",
    '/inform{"diagnosed_cause":"fraud"}', '/inform{"requested_slot":null}', "/restart", "/session_start",
    "/action_present_diagnosis", '/affirm{"diagnosed_cause":"bank_system"}', "/nlu_fallback", "/", "//inform",
    "ｆｕｌｌ－ｗｉｄｔｈ　文字　ＰＯＳ机", "null", "undefined", "\\u0000",
]


def _raw_post(servers, body: bytes):
    request = urllib.request.Request(f"http://127.0.0.1:{servers.rasa_port}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_input_gets_a_polite_answer_and_the_conversation_stays_usable(servers, text):
    sender = f"hostile-{HOSTILE.index(text)}"
    servers.say(sender, "周末刷卡显示交易成功,钱还没到账")
    # UTF-8 as a browser sends it (JSON.stringify does not escape): the 20,000 characters are 60 KB, under the
    # public channels' 64 KB body limit (issue 13); escaped as \\uXXXX they would be 120 KB and refused with 413
    status, replies = _raw_post(servers, json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode())
    assert status == 200
    assert replies and all((m.get("text") or m.get("buttons") or m.get("custom")) for m in replies)
    slots = servers.tracker(sender)["slots"]
    assert slots["diagnosed_cause"] is None  # no payload can conclude the case
    # still usable (a restart-like text may have started afresh): the real messages finish the diagnosis
    servers.say(sender, "周末刷卡显示交易成功,钱还没到账")
    servers.say(sender, '/inform{"transaction_record":"success"}')
    servers.say(sender, '/inform{"settlement_status":"not_due"}')
    assert servers.tracker(sender)["slots"]["diagnosed_cause"] == "bank_system"


def test_an_injected_payload_can_neither_set_the_cause_nor_skip_questions(servers):
    sender = "inject"
    servers.say(sender, "顾客付了钱我没收到")
    for payload in ('/inform{"diagnosed_cause":"fraud"}', '/inform{"requested_slot":null}',
                    "/action_present_diagnosis"):
        servers.say(sender, payload)
    tracker = servers.tracker(sender)
    assert tracker["slots"]["diagnosed_cause"] is None
    assert tracker["slots"]["requested_slot"] is not None  # still asking
    assert not any(e.get("name") == "action_present_diagnosis" for e in tracker["events"])


def test_malformed_request_bodies_do_not_break_the_server(servers):
    for body in (b"not json", b"{}", json.dumps({"sender": "x"}).encode()):
        try:
            status, _ = _raw_post(servers, body)
        except urllib.error.HTTPError as error:
            status = error.code
        assert status in (200, 400)
    assert servers.say("after-malformed", "你好")


def test_card_phone_and_id_numbers_never_reach_store_api_or_logs(servers):
    sender = "pii"
    servers.say(sender, f"顾客用卡号{CARD}刷的,手机{PHONE},身份证{ID_CARD},钱没到账")
    servers.say(sender, f"我的电话是 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")
    tracker_text = json.dumps(servers.tracker(sender), ensure_ascii=False)
    stored = (servers.tmp / "tracker.db").read_bytes()
    logs = b"".join(p.read_bytes() for p in servers.tmp.glob("*.log"))
    for secret in (CARD, PHONE, ID_CARD, CARD[:12], f"{PHONE[:3]} {PHONE[3:7]}"):
        assert secret not in tracker_text
        assert secret.encode() not in stored
        assert secret.encode() not in logs
    assert CARD[-4:] in tracker_text and PHONE[-4:] in tracker_text


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_the_http_api_refuses_requests_without_the_token(servers):
    base = f"http://127.0.0.1:{servers.rasa_port}"
    assert _get(f"{base}/conversations/pii/tracker")[0] == 401
    assert _get(f"{base}/conversations/pii/tracker?token=wrong")[0] == 401
    assert _get(f"{base}/status")[0] == 401
    assert _get(f"{base}/conversations/pii/tracker?token={TOKEN}")[0] == 200


def test_cors_is_limited_to_the_configured_origin(servers):
    url = f"http://127.0.0.1:{servers.rasa_port}/"
    _, allowed = _get(url, {"Origin": ALLOWED_ORIGIN})
    _, other = _get(url, {"Origin": "http://evil.example"})
    assert allowed.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Origin" not in other


def test_action_server_down_gives_a_clear_reply_and_the_conversation_continues(servers):
    sender = "fault-actions"
    servers.say(sender, "周末刷卡显示交易成功,钱还没到账")
    servers.stop(servers.actions)
    try:
        started = time.monotonic()
        replies = servers.say(sender, "交易明细里能查到,状态成功")
        elapsed = time.monotonic() - started
        assert any("暂时" in (m.get("text") or "") for m in replies)
        assert elapsed < 2.0, f"reply took {elapsed:.2f}s"
    finally:
        servers.start_actions()
    servers.say(sender, "交易明细里能查到,状态成功")
    servers.say(sender, '/inform{"settlement_status":"not_due"}')
    tracker = servers.tracker(sender)
    assert tracker["slots"]["diagnosed_cause"] == "bank_system"
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert user_texts == ["周末刷卡显示交易成功,钱还没到账", "交易明细里能查到,状态成功", "交易明细里能查到,状态成功",
                          '/inform{"settlement_status":"not_due"}']
