"""The merchant page: the rasa-webchat widget over Rasa's socketio channel, in headless Chromium."""
import json
import re

from playwright.sync_api import expect

CJK = re.compile(r"[\u4e00-\u9fff]")
DESCRIPTION = "顾客刷卡显示交易成功,也打了小票,可是钱一直没到账"
UNKNOWN_LABEL = "不清楚"
PHONE = {"width": 390, "height": 844}
UNROLLED_CHAT = """
.rw-conversation-container, .rw-messages-container, .chat, #webchat, .rw-widget-container
  { height: auto !important; max-height: none !important; overflow: visible !important; }
"""


def bot_texts(page):
    return page.locator(".rw-messages-container .rw-response").all_inner_texts()


def test_a_merchant_reaches_a_diagnosis_and_keeps_it_after_a_reload(context, site, screenshot_dir):
    page = context.new_page()
    page.goto(site.url("index.html"))

    # Chinese UI: page title, widget title, input hint, and the welcome asked for by initPayload.
    expect(page).to_have_title(re.compile("POS收款诊断助手"))
    expect(page.locator(".rw-title")).to_have_text("在线诊断")
    composer = page.locator("textarea.rw-new-message")
    expect(composer).to_have_attribute("placeholder", re.compile("请描述收款遇到的问题"))
    expect(page.locator(".rw-response").first).to_contain_text("POS收款诊断助手", timeout=60_000)

    # The merchant describes the problem in their own words and gets a question in Chinese, with buttons.
    composer.fill(DESCRIPTION)
    composer.press("Enter")
    expect(page.locator(".rw-client").first).to_have_text(DESCRIPTION)
    replies = page.locator(".rw-replies .rw-reply")
    expect(replies.first).to_be_visible(timeout=60_000)
    question = bot_texts(page)[-1]
    assert CJK.search(question) and question.rstrip().endswith("?"), question

    # Answer with the quick-reply buttons until the diagnosis arrives.
    clicked = []
    for _ in range(8):
        if any("解决步骤" in text for text in bot_texts(page)):
            break
        expect(replies.first).to_be_visible(timeout=60_000)
        labels = replies.all_inner_texts()
        label = next((t for t in labels if t.strip() != UNKNOWN_LABEL), labels[0])
        clients_before = page.locator(".rw-client").count()
        bot_before = len(bot_texts(page))
        replies.filter(has_text=label).first.click()
        clicked.append(label)
        # The widget shows the chosen answer as the merchant's message, then the bot answers.
        expect(page.locator(".rw-client")).to_have_count(clients_before + 1)
        expect(page.locator(".rw-client").last).to_have_text(label)
        expect(replies.first).to_be_visible(timeout=60_000)
    texts = bot_texts(page)
    steps = next((t for t in texts if "解决步骤" in t), None)
    assert steps is not None, texts
    # Mobile first: the diagnosis is at most three bubbles (cause, steps, prevention with the buttons).
    diagnosis = texts[bot_before:]
    assert 1 < len(diagnosis) <= 3 and "最可能的原因" in diagnosis[0] and "预防建议" in diagnosis[-1], diagnosis
    expect(replies.filter(has_text="为什么这么判断")).to_have_count(1)
    # For the README: the whole diagnosis at a phone's width (the chat unrolled, so that all of it is in the picture).
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    unroll = page.add_style_tag(content=UNROLLED_CHAT)
    page.wait_for_timeout(500)
    top = page.locator(".rw-response").nth(bot_before).bounding_box()
    bottom = replies.last.bounding_box()
    page.screenshot(path=str(screenshot_dir / "merchant-diagnosis.png"), full_page=True,
                    clip={"x": 0, "y": top["y"] - 12, "width": PHONE["width"],
                          "height": bottom["y"] + bottom["height"] + 12 - (top["y"] - 12)})
    unroll.evaluate("el => el.remove()")
    page.set_viewport_size(desktop)
    assert "1. " in steps and "2. " in steps, steps
    # The numbered steps are shown one per line, not run together.
    assert re.search(r"\n\s*1\. ", steps), steps
    assert clicked, "no quick-reply button was clicked"

    # The conversation has one sender id on the server; it is kept in localStorage.
    session = json.loads(page.evaluate("window.localStorage.getItem('chat_session')"))
    session_id = session["session_id"]
    assert site.servers.tracker(session_id)["slots"]["diagnosed_cause"]

    # A reload keeps the whole conversation on screen, with the same sender id on the server.
    messages_before = page.locator(".rw-message").count()
    page.reload()
    expect(page.locator(".rw-client").first).to_have_text(DESCRIPTION, timeout=30_000)
    expect(page.locator(".rw-message")).to_have_count(messages_before)
    assert any("解决步骤" in t and "1. " in t for t in bot_texts(page))
    assert json.loads(page.evaluate("window.localStorage.getItem('chat_session')"))["session_id"] == session_id
    # For the README: the numbered steps at the top of the chat.
    page.locator(".rw-response", has_text="解决步骤").last.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "merchant.png"))

    # ... and the conversation goes on where it was: "解决了" answers the bot's last question.
    replies.filter(has_text="解决了").first.click()
    expect(page.locator(".rw-response").last).to_contain_text("太好了", timeout=60_000)
    user_texts = [e["text"] for e in site.servers.tracker(session_id)["events"] if e["event"] == "user"]
    assert DESCRIPTION in user_texts and user_texts[-1] == "/affirm", user_texts

    assert context.requests.urls, "no request was recorded"
    assert context.requests.foreign() == [], context.requests.foreign()
    assert context.errors == [], context.errors
