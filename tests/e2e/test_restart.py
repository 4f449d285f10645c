"""The Rasa server is stopped and started mid-conversation; the conversation continues from SQLite."""


def test_conversation_survives_a_rasa_restart(servers):
    sender = "e2e-restart"
    first = servers.say(sender, "周末刷卡显示交易成功,钱还没到账")
    assert any(m.get("buttons") for m in first)
    before = servers.tracker(sender)
    servers.stop(servers.rasa)
    servers.start_rasa()
    after_restart = servers.tracker(sender)
    assert [e["event"] for e in after_restart["events"]] == [e["event"] for e in before["events"]]
    servers.say(sender, '/inform{"transaction_record":"success"}')
    servers.say(sender, '/inform{"settlement_status":"not_due"}')
    tracker = servers.tracker(sender)
    assert tracker["slots"]["terminal_result"] == "success_slip"  # from the message before the restart
    assert tracker["slots"]["diagnosed_cause"] == "bank_system"
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert user_texts[0] == "周末刷卡显示交易成功,钱还没到账" and len(user_texts) == 3
