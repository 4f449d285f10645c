"""The agent console: REST channel with {"audience": "agent"}, the live diagnosis state, shortcuts, copying."""
import json
import re

from playwright.sync_api import expect

DESCRIPTION = "商户说顾客刷卡显示交易成功,也打了小票,可是钱一直没到账"
PHONE_DESCRIPTION = "商户说顾客扫码付了款但是没到账,顾客手机号13812345678"


def ranking_snapshot(page):
    """What the ranking shows: causes, percentages, bar widths and the evidence for and against each."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('#ranking .cause')).map(li => [
        li.querySelector('.cause-name').textContent, li.querySelector('.cause-pct').textContent,
        (li.querySelector('.bar-fill') || {style: {}}).style.width,
        Array.from(li.querySelectorAll('.evidence li')).map(e => e.textContent).join('|')])""")


def wait_idle(page):
    """The console disables its buttons while it waits for the assistant."""
    expect(page.locator("#status")).not_to_have_attribute("data-state", "busy", timeout=60_000)
    expect(page.locator("body")).not_to_have_class(re.compile("busy"))


def webhook_bodies(page, action):
    """The JSON bodies POSTed to the REST channel while `action` runs."""
    bodies = []

    def record(request):
        if request.url.endswith("/webhooks/rest/webhook") and request.method == "POST":
            bodies.append(json.loads(request.post_data))

    page.on("request", record)
    try:
        action()
        wait_idle(page)
    finally:
        page.remove_listener("request", record)
    return bodies


def open_console(context, site):
    page = context.new_page()
    page.goto(site.url("agent.html"))
    expect(page).to_have_title(re.compile("坐席辅助台"))
    expect(page.locator("#status")).to_have_text("已连接", timeout=30_000)
    expect(page.locator("#say")).to_be_focused()
    return page


def test_an_agent_follows_the_script_to_a_diagnosis_and_copies_the_summary(context, site, screenshot_dir):
    page = open_console(context, site)
    sender = page.locator("#call-id").inner_text()
    assert sender.startswith("agent-")

    # Enter sends what the merchant said; the bot answers with the next question, its 话术 and the answers.
    bodies = webhook_bodies(page, lambda: (page.fill("#say", DESCRIPTION), page.press("#say", "Enter")))
    assert bodies == [{"sender": sender, "message": DESCRIPTION, "metadata": {"audience": "agent"}}]
    expect(page.locator("#question")).to_be_visible()
    expect(page.locator("#question-script")).not_to_be_empty()
    assert re.search(r"[\u4e00-\u9fff]", page.locator("#question-script").inner_text())
    expect(page.locator("#question-options .option").first).to_be_visible()
    expect(page.locator("#transcript .line-merchant").first).to_have_text(re.compile(DESCRIPTION))
    ranking = ranking_snapshot(page)
    assert len(ranking) >= 5 and all(name and pct.endswith("%") for name, pct, _, _ in ranking)

    # Each answer clicked updates the ranking, until the diagnosis shows the solution script.
    answers = 0
    while not page.locator("#solution").is_visible():
        assert answers < 8, "no diagnosis after 8 answers"
        options = page.locator("#question-options .option:not(.option-unknown)")
        signal_topic = page.locator("#question-topic").inner_text()
        bodies = webhook_bodies(page, lambda: options.first.click())
        assert len(bodies) == 1 and bodies[0]["message"].startswith("/inform{"), bodies
        assert bodies[0]["metadata"] == {"audience": "agent"}
        answers += 1
        new_ranking = ranking_snapshot(page)
        assert new_ranking != ranking, f"the ranking did not change after answering {signal_topic}"
        ranking = new_ranking

    # The solution: cause, numbered steps, prevention, escalation; the leader of the ranking is the cause.
    expect(page.locator("#solution h3").first).to_have_text(re.compile("解决步骤"))
    steps = page.locator("#solution-steps li")
    assert steps.count() >= 2
    cause = page.locator("#solution-name").inner_text()
    assert cause == ranking[0][0]
    expect(page.locator("#solution-prevention li").first).to_be_visible()
    expect(page.locator("#solution-contact")).not_to_be_empty()
    expect(page.locator("#question")).to_be_hidden()
    # The bot's follow-up choices (已解决 / 不是这个原因 / 转人工) are offered as buttons.
    expect(page.locator("#reply-buttons .btn")).to_have_count(3)

    # The case summary: what the merchant said, the facts, the cause and the steps; the Copy button copies it.
    summary = page.locator("#summary").input_value()
    assert "案件摘要" in summary and DESCRIPTION in summary and f"诊断结论:{cause}" in summary
    assert "1. " + steps.first.inner_text() in summary
    page.click("#copy-summary")
    expect(page.locator("#copy-status")).to_have_text(re.compile("已复制"))
    assert page.evaluate("navigator.clipboard.readText()") == summary
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "agent.png"))

    assert context.requests.foreign() == [], context.requests.foreign()
    assert context.errors == [], context.errors


def test_shortcuts_new_call_and_masked_summary(context, site):
    page = open_console(context, site)
    first_sender = page.locator("#call-id").inner_text()
    page.fill("#say", "顾客付了钱我没收到")
    page.press("#say", "Enter")
    wait_idle(page)

    # 新来电: a new sender id and an empty console.
    page.click("#new-call")
    sender = page.locator("#call-id").inner_text()
    assert sender.startswith("agent-") and sender != first_sender
    expect(page.locator("#transcript li")).to_have_count(0)
    expect(page.locator("#guide-empty")).to_be_visible()
    expect(page.locator("#summary")).to_have_value("尚无内容")

    # Card, phone and ID numbers reach neither the bot nor the summary unmasked.
    webhook_bodies(page, lambda: (page.fill("#say", PHONE_DESCRIPTION), page.press("#say", "Enter")))
    expect(page.locator("#question")).to_be_visible()
    summary = page.locator("#summary").input_value()
    assert "13812345678" not in summary and "5678" in summary, summary

    # The shortcuts are shown on screen and send 是 / 否 / 不清楚 for the open question.
    expect(page.locator(".keys")).to_contain_text("Alt+1")
    for key, payload, label in (("Alt+3", "/dont_know", "不清楚"), ("Alt+1", "/affirm", "是"), ("Alt+2", "/deny", "否")):
        lines = page.locator("#transcript li").count()
        bodies = webhook_bodies(page, lambda: page.keyboard.press(key))
        assert [b["message"] for b in bodies] == [payload], (key, bodies)
        assert all(b["sender"] == sender and b["metadata"] == {"audience": "agent"} for b in bodies)
        expect(page.locator("#transcript .line-merchant").last).to_have_text(re.compile(label + "$"))
        assert page.locator("#transcript li").count() > lines + 1  # the bot answered
    # While typing, Alt+digit is still a shortcut and types nothing into the box.
    page.fill("#say", "")
    page.focus("#say")
    bodies = webhook_bodies(page, lambda: page.keyboard.press("Alt+3"))
    assert [b["message"] for b in bodies] == ["/dont_know"]
    expect(page.locator("#say")).to_have_value("")

    assert context.requests.foreign() == [], context.requests.foreign()
    assert context.errors == [], context.errors


def test_a_page_opened_at_another_origin_says_how_to_open_it(context, site):
    """CORS allows only http://localhost:WEB_PORT; at 127.0.0.1 the console explains instead of failing silently."""
    page = context.new_page()
    page.goto(site.url("agent.html").replace("localhost", "127.0.0.1"))
    expect(page.locator("#status")).to_have_text("连接失败")
    expect(page.locator("#transcript .line-system")).to_contain_text(f"http://localhost:{site.port}")
    assert context.requests.foreign() == [], context.requests.foreign()
