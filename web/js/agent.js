// Agent console: the agent types what the merchant says (or clicks the merchant's answer); every message goes to
// Rasa's REST channel with metadata {"audience": "agent"}, and the replies carry the diagnosis state
// ({"custom": {"type": "pos_diagnosis_state", ...}}, docs/agent-payload.md) that this page renders.
(function () {
  "use strict";

  var REST_URL = window.POS_CONFIG.rasaUrl + "/webhooks/rest/webhook";
  var STORE_KEY = "pos-agent-console";
  var SHORTCUTS = { Digit1: 0, Numpad1: 0, Digit2: 1, Numpad2: 1, Digit3: 2, Numpad3: 2 };

  var $ = function (id) { return document.getElementById(id); };
  // The page's own words (agent.html, #ui-text data-*): this script composes no sentence.
  var say = function (key) { return $("ui-text").dataset[key] || ""; };
  var session = load() || newSession();
  var busy = false;

  // --- session (kept in sessionStorage so a reload of the page keeps the call) ---------------------------
  function newSession() {
    var id = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID().replace(/-/g, "")
      : Date.now().toString(36) + Math.random().toString(36).slice(2);
    return { sender: "agent-" + id.slice(0, 16), transcript: [], state: null, buttons: [], handoff: null };
  }

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY));
      return saved && saved.sender ? saved : null;
    } catch (e) {
      return null;
    }
  }

  function save() {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(session));
    } catch (e) { /* storage full or disabled: the console still works */ }
  }

  // --- talking to Rasa --------------------------------------------------------------------------------------
  function send(message, shownAs) {
    message = (message || "").trim();
    if (!message || busy) return Promise.resolve(false);
    busy = true;
    setBusy(true);
    addLine("merchant", shownAs || message);
    return fetch(REST_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: session.sender, message: message, metadata: { audience: "agent" } }),
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (messages) {
        setStatus("ok", say("connected"));
        receive(messages || []);
        return true;
      })
      .catch(function (error) {
        setStatus("error", say("failed"));
        addLine("system", say("sendFailed") + " (" + error.message + ")");
        return false;
      })
      .then(function (ok) {
        busy = false;
        setBusy(false);
        save();
        render();
        $("say").focus();
        return ok;
      });
  }

  function receive(messages) {
    var buttons = null;
    messages.forEach(function (m) {
      if (m.text) addLine("bot", m.text);
      if (m.buttons && m.buttons.length) buttons = m.buttons;
      var custom = m.custom;
      if (custom && custom.type === "pos_diagnosis_state") {
        session.state = custom;
      } else if (custom && custom.type === "handoff") {
        session.handoff = custom.summary || {};
      }
    });
    session.buttons = buttons || [];
  }

  function addLine(who, text) {
    session.transcript.push({ who: who, text: text });
  }

  // --- rendering --------------------------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function pct(p) {
    return Math.round((p || 0) * 100) + "%";
  }

  function answerButton(label, payload, className) {
    var button = el("button", "btn " + (className || ""), label);
    button.type = "button";
    button.addEventListener("click", function () { send(payload, label); });
    return button;
  }

  function render() {
    $("call-id").textContent = session.sender;
    renderTranscript();
    renderGuide();
    renderRanking();
    renderSummary();
  }

  function renderTranscript() {
    var list = clear($("transcript"));
    var names = { merchant: say("merchant"), bot: say("bot"), system: say("system") };
    session.transcript.forEach(function (line) {
      var item = el("li", "line line-" + line.who);
      item.appendChild(el("span", "who", names[line.who] || ""));
      item.appendChild(el("span", "text", line.text));
      list.appendChild(item);
    });
    var replies = clear($("reply-buttons"));
    var state = session.state;
    // The question's answers are in the guide; here only the other choices (e.g. 已解决 / 不是这个原因 / 转人工).
    if (!(state && state.stage === "asking" && state.next_question)) {
      session.buttons.forEach(function (b) { replies.appendChild(answerButton(b.title, b.payload, "reply")); });
    }
    list.scrollTop = list.scrollHeight;
  }

  function renderGuide() {
    var state = session.state;
    var stage = state ? state.stage : null;
    $("guide-empty").hidden = !!state;
    $("question").hidden = !(stage === "asking" && state.next_question);
    $("solution").hidden = !(stage === "diagnosed" && state.solution);
    $("exhausted").hidden = stage !== "exhausted";
    $("handoff").hidden = !session.handoff;
    if (!state) return;

    if (stage === "asking" && state.next_question) {
      var q = state.next_question;
      $("question-topic").textContent = "· " + q.name_zh;
      $("question-script").textContent = q.question_agent;
      var options = clear($("question-options"));
      q.options.forEach(function (option) {
        options.appendChild(answerButton(option.label_zh, option.payload,
          option.answer === "unknown" ? "option option-unknown" : "option"));
      });
    }
    if (stage === "diagnosed" && state.solution) {
      var s = state.solution;
      var leader = (state.ranking || []).filter(function (r) { return r.cause === s.cause; })[0];
      $("solution-name").textContent = s.name_zh;
      $("solution-confidence").textContent = leader ? say("confidence") + " " + pct(leader.probability) : "";
      $("solution-summary").textContent = s.summary_zh;
      fillList($("solution-steps"), s.steps);
      fillList($("solution-prevention"), s.prevention);
      var esc = s.escalation || {};
      $("solution-contact").textContent = esc.contact_first || "";
      $("solution-have-ready").textContent = (esc.have_ready || []).join("、");
      $("solution-handoff").textContent = esc.handoff_when || "";
    }
  }

  function fillList(list, items) {
    clear(list);
    (items || []).forEach(function (text) { list.appendChild(el("li", null, text)); });
  }

  function renderRanking() {
    var list = clear($("ranking"));
    var state = session.state;
    if (!state) {
      list.appendChild(el("li", "placeholder", say("rankingEmpty")));
      $("facts-box").hidden = true;
      return;
    }
    (state.ranking || []).forEach(function (r, i) {
      var item = el("li", "cause" + (i === 0 ? " leader" : "") + (r.cause === state.diagnosed_cause ? " diagnosed" : ""));
      item.dataset.cause = r.cause;
      var head = el("div", "cause-head");
      head.appendChild(el("span", "cause-name", r.name_zh));
      head.appendChild(el("span", "cause-pct", pct(r.probability)));
      item.appendChild(head);
      var bar = el("div", "bar");
      var fill = el("div", "bar-fill");
      fill.style.width = Math.max(0.5, (r.probability || 0) * 100).toFixed(1) + "%";
      bar.appendChild(fill);
      item.appendChild(bar);
      if ((r.supporting || []).length || (r.contradicting || []).length) {
        var evidence = el("ul", "evidence");
        (r.supporting || []).forEach(function (f) { evidence.appendChild(el("li", "for", "✔ " + f)); });
        (r.contradicting || []).forEach(function (f) { evidence.appendChild(el("li", "against", "✘ " + f)); });
        item.appendChild(evidence);
      }
      list.appendChild(item);
    });
    var excluded = (state.case_summary && state.case_summary.excluded) || [];
    excluded.forEach(function (name) {
      var item = el("li", "cause excluded");
      var head = el("div", "cause-head");
      head.appendChild(el("span", "cause-name", name));
      head.appendChild(el("span", "cause-pct", say("excluded")));
      item.appendChild(head);
      list.appendChild(item);
    });
    var facts = clear($("facts"));
    (state.evidence || []).forEach(function (e) {
      facts.appendChild(el("li", e.answer === "unknown" ? "unknown" : null, e.fact_zh));
    });
    var payout = state.case_summary && state.case_summary.payout;
    if (payout) facts.appendChild(el("li", "payout", payout.text));
    $("facts-box").hidden = !(state.evidence || []).length && !payout;
  }

  // The copyable summary is rendered once, by the assistant (utter_case_summary in domain.yml).
  function summaryText() {
    var state = session.state;
    var summary = session.handoff || (state && state.case_summary);
    return (summary && summary.text) || "";
  }

  function renderSummary() {
    var text = summaryText();
    $("summary").value = text || say("summaryEmpty");
    $("copy-summary").disabled = !text;
  }

  function setBusy(on) {
    document.body.classList.toggle("busy", on);
    Array.prototype.forEach.call(document.querySelectorAll(".console button"), function (b) {
      if (b.id !== "copy-summary") b.disabled = on;
    });
    if (on) setStatus("busy", say("busy"));
  }

  function setStatus(kind, text) {
    $("status").dataset.state = kind;
    $("status").textContent = text;
  }

  // --- copying the summary ------------------------------------------------------------------------------------
  function copySummary() {
    var text = summaryText();
    if (!text) return;
    var area = $("summary");
    var done = function (message) { $("copy-status").textContent = message; };
    var fallback = function () {
      area.focus();
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok ? say("copied") : say("selected"));
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(say("copiedClipboard")); }, fallback);
    } else {
      fallback();
    }
  }

  // --- wiring ----------------------------------------------------------------------------------------------------
  $("say-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("say");
    var text = input.value;
    if (!text.trim() || busy) return;
    input.value = "";
    send(text);
  });

  // Enter while an IME is composing only confirms the characters: do not send half a sentence.
  $("say").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) event.preventDefault();
  });

  var quick = document.querySelectorAll(".quick-answer");
  Array.prototype.forEach.call(quick, function (button) {
    button.addEventListener("click", function () { send(button.dataset.payload, button.dataset.label); });
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    var index = SHORTCUTS[event.code];
    if (index === undefined) return;
    event.preventDefault();
    quick[index].click();
  });

  $("copy-summary").addEventListener("click", copySummary);

  $("new-call").addEventListener("click", function () {
    session = newSession();
    save();
    $("copy-status").textContent = "";
    setStatus("idle", say("newCall"));
    render();
    $("say").value = "";
    $("say").focus();
  });

  // The Rasa server answers only pages opened at CORS_ORIGIN (http://localhost:WEB_PORT, not 127.0.0.1).
  function unreachable() {
    setStatus("error", say("failed"));
    var page = window.location.protocol + "//localhost" + (window.location.port ? ":" + window.location.port : "");
    $("status").title = say("unreachable").replace("{url}", window.POS_CONFIG.rasaUrl).replace("{page}", page);
    var item = el("li", "line line-system");
    item.appendChild(el("span", "who", say("system")));
    item.appendChild(el("span", "text", $("status").title));
    $("transcript").appendChild(item);
  }
  fetch(window.POS_CONFIG.rasaUrl + "/webhooks/rest/", { method: "GET" })
    .then(function (r) { if (r.ok) setStatus("ok", say("connected")); else unreachable(); })
    .catch(unreachable);

  render();
  $("say").focus();
})();
