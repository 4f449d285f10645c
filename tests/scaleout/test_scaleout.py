"""Scale-out: two Rasa instances behind nginx, PostgreSQL tracker store, Redis lock store (docs/scaleout.md).

20 merchant conversations run at once through nginx; one Rasa instance is SIGKILLed mid-run. Every
conversation must still reach its diagnosis, and every user message acknowledged to the client must be
in PostgreSQL. The one allowed failure: a request that was in flight on the killed instance gets 502
from nginx (it may already have been stored, so nginx does not resend it); the client retries it once.
The killed instance's Procfile line (scripts/scaleout/respawn.sh) starts it again: it must come back.
"""
import json
import random
import statistics
import subprocess
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest

from pos_expert.payloads import answer_payload, asked_signal
from tests.e2e.test_conversations import PERSONAS

NO_REPLY_FALLBACK = "诊断服务暂时出了点问题"
CONVERSATIONS = 20
MAX_TURNS = 14
# After the diagnosis the merchant asks why, then says it solved the problem.
AFTER_DIAGNOSIS = ("为什么这么说", "/affirm")
KILL_AFTER_MESSAGES = 20  # acknowledged messages before the kill: about one in five of the run
KILLED = "rasa-1"
SURVIVOR = "rasa-2"
BACK_WITHIN = 300  # seconds for the killed instance to be started again and load its model (2 busy cores)
# Rasa's ticket lock polls every second; a retry less than a second after the killed request took its
# ticket can outlive its own ticket and then wait forever (docs/scaleout.md): the client waits 2 s.
RETRY_DELAY = 2.0


def test_the_stack_is_up_on_loopback_only(stack):
    status = stack.script("status", check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count(" up ") == 7, status.stdout
    ports = [int(stack.conf[key]) for key in ("NGINX_PORT", "RASA1_PORT", "RASA2_PORT", "ACTIONS1_PORT",
                                              "ACTIONS2_PORT", "ACTIONS_LB_PORT", "DB_PORT", "REDIS_PORT")]
    listening = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=True).stdout.splitlines()
    ours = [line.split()[3] for line in listening if int(line.split()[3].rsplit(":", 1)[1]) in ports]
    assert len(ours) == len(ports), ours
    assert all(address.startswith("127.0.0.1:") for address in ours), ours


def test_socketio_goes_through_nginx_and_lands_in_postgres(stack):
    socketio = pytest.importorskip("socketio")
    client = socketio.Client(reconnection=False)
    replies, confirmed = [], threading.Event()
    got_reply = threading.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", lambda data: (replies.append(data), got_reply.set()))
    session_id = f"so-socketio-{random.randrange(10**9)}"
    client.connect(stack.url, transports=["polling"], socketio_path="socket.io", wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(30)
        client.emit("user_uttered", {"message": "顾客刷卡显示交易成功,也打了小票,可是钱咋没到账",
                                     "session_id": session_id})
        assert got_reply.wait(120), "no bot_uttered through nginx"
    finally:
        client.disconnect()
    assert any(r.get("text") for r in replies)
    assert stack.stored_user_events([session_id])[session_id] == 1


class Run:
    """Shared state of the concurrent conversations: what was sent, what failed, where it went."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = 0
        self.in_flight = {}  # sender -> request start time
        self.home = {}  # sender -> instance of its first answer
        self.kill_time = None
        self.dead_time = None
        self.killed_pid = None
        # the last moment the killed instance was seen down, and when it answered again (respawn.sh)
        self.last_down = None
        self.back_time = None
        self.in_flight_at_kill = []
        self.requests = []  # one dict per message

    def started(self, sender):
        with self.lock:
            self.in_flight[sender] = time.monotonic()

    def finished(self, sender, record):
        with self.lock:
            self.in_flight.pop(sender, None)
            self.requests.append(record)
            if record["ok"]:
                self.acked += 1
                self.home.setdefault(sender, record["instance"])


def _say_with_one_retry(stack, run, sender, text):
    """One message; on a transport error or a 5xx the client sends it once more."""
    record = {"sender": sender, "start": time.monotonic(), "attempts": 0, "failed_first": None, "ok": False,
              "instance": None, "fallback": False, "error": None}
    run.started(sender)
    replies = None
    for attempt in (1, 2):
        record["attempts"] = attempt
        try:
            replies, record["instance"] = stack.say(sender, text)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            code = getattr(error, "code", None)
            if code is not None and code < 500:
                record["error"] = f"HTTP {code}"
                break
            if attempt == 1:
                record["failed_first"] = {"time": time.monotonic(), "error": repr(error)}
                time.sleep(RETRY_DELAY)
            else:
                record["error"] = repr(error)
    record["end"] = time.monotonic()
    if replies is not None:
        record["ok"] = bool(replies)
        record["fallback"] = any(NO_REPLY_FALLBACK in (m.get("text") or "") for m in replies)
        if not replies:
            record["error"] = "200 with an empty reply list"
    run.finished(sender, record)
    return replies if record["ok"] else None


def _converse(stack, run, sender, case, rng):
    knows = {**(case.get("given") or {}), **case["knows"]}
    text, sent = case["opening"], 0
    after_diagnosis = list(AFTER_DIAGNOSIS)
    while sent < MAX_TURNS:
        replies = _say_with_one_retry(stack, run, sender, text)
        if replies is None:
            return sent, "error"
        sent += 1
        signal_id = asked_signal(replies)
        if signal_id is None:
            if not after_diagnosis:
                return sent, "done"
            text = after_diagnosis.pop(0)
        else:
            answer = knows.get(signal_id)
            text = answer_payload(signal_id, answer)
        time.sleep(rng.uniform(0.3, 1.0))  # a merchant reads the answer and types or taps
    return sent, "too many turns"


def _killer(stack, run, deadline):
    """SIGKILL rasa-1 once enough messages went through and one of its conversations has a message in flight;
    then wait for its respawn.sh loop to bring it back."""
    while time.monotonic() < deadline:
        with run.lock:
            busy = [s for s in run.in_flight if run.home.get(s) == KILLED]
            if run.acked >= KILL_AFTER_MESSAGES and busy:
                run.killed_pid = stack.kill(KILLED)
                run.kill_time = time.monotonic()
                break
        time.sleep(0.05)
    else:
        return
    # The kernel tears a big process down in some tens of milliseconds: until its port refuses
    # connections, nginx can still hand it a request, which then fails like one in flight.
    stack.wait_port_closed(KILLED)
    with run.lock:
        run.dead_time = time.monotonic()
        # every conversation waiting for an answer (a first message has no known instance yet)
        run.in_flight_at_kill = list(run.in_flight)
    back_deadline = run.kill_time + BACK_WITHIN
    while time.monotonic() < back_deadline:
        probe_start = time.monotonic()
        if stack.is_up(KILLED):
            run.back_time = time.monotonic()
            return
        run.last_down = probe_start
        time.sleep(0.5)


def test_twenty_conversations_spread_over_both_and_survive_a_killed_instance(stack):
    causes = sorted(PERSONAS)
    tag = random.randrange(10**6)
    conversations = [(f"so-{tag}-{i:02d}", PERSONAS[causes[i % len(causes)]]) for i in range(CONVERSATIONS)]
    run = Run()
    began = time.monotonic()
    killer = threading.Thread(target=_killer, args=(stack, run, began + 600), daemon=True)
    killer.start()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        futures = {sender: pool.submit(_converse, stack, run, sender, case, random.Random(i))
                   for i, (sender, case) in enumerate(conversations)}
        outcomes = {sender: future.result(timeout=1200) for sender, future in futures.items()}
    duration = time.monotonic() - began
    killer.join(timeout=BACK_WITHIN + 60)
    assert run.kill_time is not None, "the run ended before rasa-1 could be killed"
    kill_at = run.kill_time

    # --- where the conversations went -------------------------------------------------------------
    before_kill = [r for r in run.requests if r["ok"] and r["end"] < kill_at]
    per_instance = {name: {r["sender"] for r in before_kill if r["instance"] == name} for name in (KILLED, SURVIVOR)}
    log = stack.access_log()
    log_instances = {stack.instance(e["upstream"]) for e in log if e["uri"] == "/webhooks/rest/webhook"
                     and e["status"] == "200"}
    after_kill = [r for r in run.requests if r["ok"] and r["start"] > kill_at]
    # respawn.sh starts rasa-1 again; once it answers, nginx may send its conversations back to it
    while_down = [r for r in after_kill if run.last_down is not None and r["end"] < run.last_down]

    # --- errors, retries, lost messages -------------------------------------------------------------
    errors = [r for r in run.requests if not r["ok"] or r["fallback"]]
    acked = {sender: sum(1 for r in run.requests if r["sender"] == sender and r["ok"]) for sender, _ in conversations}
    stored = stack.stored_user_events(list(acked))
    via_api = {sender: sum(1 for e in stack.tracker(sender)["events"] if e["event"] == "user") for sender in acked}
    lost = sum(max(0, acked[s] - stored[s]) for s in acked)
    duplicated = sum(max(0, stored[s] - acked[s]) for s in acked)
    diagnosed = {sender: stack.tracker(sender)["slots"]["diagnosed_cause"] for sender in acked}
    right = sum(1 for sender, case in conversations if diagnosed[sender] == case["cause"])

    # --- recovery: from the kill to each rasa-1 conversation's next answer (from rasa-2) ---------------
    retried = [r for r in run.requests if r["failed_first"]]
    on_killed = per_instance[KILLED] | {r["sender"] for r in retried}  # a 502 can only come from the killed one
    killed_conversations = [s for s in on_killed if any(
        r["sender"] == s and r["ok"] and r["end"] > kill_at for r in run.requests)]
    recover = {s: min(r["end"] for r in run.requests if r["sender"] == s and r["ok"] and r["end"] > kill_at) - kill_at
               for s in killed_conversations}
    in_flight = set(run.in_flight_at_kill)
    recover_in_flight = [v for s, v in recover.items() if s in in_flight]
    recover_idle = [v for s, v in recover.items() if s not in in_flight]

    messages = sum(acked.values())
    latencies = sorted(r["end"] - r["start"] for r in run.requests if r["ok"] and not r["failed_first"])
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\n[scaleout] {CONVERSATIONS} concurrent conversations through nginx in {duration:.1f} s: "
          f"{messages} messages; before the kill {len(per_instance[KILLED])} conversations on {KILLED}, "
          f"{len(per_instance[SURVIVOR])} on {SURVIVOR} (nginx log: {sorted(log_instances)}); latency p50 "
          f"{statistics.median(latencies):.2f} s p95 {p95:.2f} s max {latencies[-1]:.2f} s")
    print(f"[scaleout] SIGKILL {KILLED} after {sum(1 for r in run.requests if r['ok'] and r['end'] < kill_at)} "
          f"messages, {len(in_flight)} requests in flight; first attempts failed: {len(retried)} "
          f"(retried once), errors after the retry: {len(errors)}, lost: {lost}, duplicated: {duplicated}; "
          f"diagnosed right: {right}/{CONVERSATIONS}")
    if run.back_time is not None:
        back_to_killed = sum(1 for r in after_kill if r["instance"] == KILLED)
        print(f"[scaleout] {KILLED} started again by respawn.sh: answering {run.back_time - kill_at:.1f} s after the "
              f"kill (pid {run.killed_pid} -> {stack.pid(KILLED)}); {len(while_down)} messages answered by {SURVIVOR} "
              f"while it was down, {back_to_killed} by {KILLED} after it came back")
    if recover:
        print("[scaleout] kill-and-recover (kill -> that conversation answered again): "
              f"all {len(recover)} conversations max {max(recover.values()):.1f} s; "
              f"with a message in flight max {max(recover_in_flight, default=0):.1f} s, "
              + (f"idle ones median {statistics.median(recover_idle):.1f} s max {max(recover_idle):.1f} s"
                 if recover_idle else "no idle ones")
              + f" (TICKET_LOCK_LIFETIME={stack.conf['TICKET_LOCK_LIFETIME']} s)")
    failures = [{k: r[k] for k in ("sender", "attempts", "error", "failed_first", "instance")} for r in errors]

    assert len(per_instance[KILLED]) >= 2 and len(per_instance[SURVIVOR]) >= 2, per_instance
    assert log_instances >= {KILLED, SURVIVOR}
    # one conversation, one instance: before the kill every message of a conversation went to its home
    for sender in {r["sender"] for r in before_kill}:
        assert {r["instance"] for r in before_kill if r["sender"] == sender} == {run.home[sender]}, sender
    # after it, everything went to the survivor until the killed instance was back
    assert after_kill, "no message was sent after the kill"
    assert while_down, "no message was answered while rasa-1 was down"
    assert {r["instance"] for r in while_down} == {SURVIVOR}
    assert errors == [], json.dumps(failures, ensure_ascii=False, default=str)
    # only requests that were in flight on the killed instance may have needed their retry
    for r in retried:
        assert r["start"] < run.dead_time and kill_at <= r["failed_first"]["time"] and r["sender"] in in_flight, r
    assert all(outcome == "done" for _, outcome in outcomes.values()), outcomes
    assert lost == 0, {s: (acked[s], stored[s]) for s in acked if acked[s] != stored[s]}
    # a retried message may have been stored by the killed instance just before it died
    assert duplicated <= len(retried), {s: (acked[s], stored[s]) for s in acked if acked[s] != stored[s]}
    assert via_api == stored
    wrong = {sender: {"case": case["id"], "expected": case["cause"], "got": diagnosed[sender],
                      "retried": any(r["sender"] == sender for r in retried),
                      "turns": [(e["event"], e.get("text")) for e in stack.tracker(sender)["events"]
                                if e["event"] in ("user", "bot")]}
             for sender, case in conversations if diagnosed[sender] != case["cause"]}
    assert not wrong, json.dumps(wrong, ensure_ascii=False, indent=1)
    assert killed_conversations, "no conversation of the killed instance went on after the kill"
    # the killed server came back: its Procfile line's respawn.sh loop started it again, honcho kept running
    assert run.back_time is not None, f"{KILLED} did not answer again within {BACK_WITHIN} s of the kill"
    assert stack.pid(KILLED) != run.killed_pid
    status = stack.script("status", check=False)
    assert status.returncode == 0, status.stdout + status.stderr
