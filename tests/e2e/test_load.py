"""50 concurrent merchant conversations, each a full diagnosis over REST: no error, no lost message.

An error is a failed request, an empty reply, the guard's apology (channels/guarded.py NO_REPLY_FALLBACK: the
turn produced nothing, e.g. the action server failed) or the rate limit's answer (bench.simulator.error_reply).
"""
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from bench.simulator import error_reply
from pos_expert.payloads import asked_signal
from tests.e2e.test_conversations import CASES

CONVERSATIONS = 50


def _run(servers, index, case):
    sender = f"load-{index}"
    latencies, errors, sent, reasons = [], 0, 0, []
    knows = {**(case.get("given") or {}), **case["knows"]}
    text = case["opening"]
    for _ in range(10):
        started = time.monotonic()
        try:
            replies = servers.say(sender, text)
        except Exception as error:  # noqa: BLE001 - counted, reported by the assertion
            errors += 1
            reasons.append(repr(error))
            break
        latencies.append(time.monotonic() - started)
        sent += 1
        failure = error_reply(replies)
        if failure:
            errors += 1
            reasons.append(failure)
        signal_id = asked_signal(replies)
        if signal_id is None:
            break
        answer = knows.get(signal_id)
        text = f'/inform{{"{signal_id}":"{answer}"}}' if answer else "/dont_know"
    return sender, sent, errors, latencies, reasons


def test_fifty_concurrent_conversations_lose_nothing(servers):
    cases = [c for c in CASES if not c.get("hard")]
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        results = list(pool.map(lambda i: _run(servers, i, cases[i % len(cases)]), range(CONVERSATIONS)))
    errors = sum(r[2] for r in results)
    sent = sum(r[1] for r in results)
    stored = sum(
        sum(1 for e in servers.tracker(sender)["events"] if e["event"] == "user") for sender, *_ in results
    )
    diagnosed = sum(1 for sender, *_ in results if servers.tracker(sender)["slots"]["diagnosed_cause"])
    latencies = sorted(l for r in results for l in r[3])
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\n[load] {CONVERSATIONS} concurrent conversations: {sent} messages, {errors} errors (failed requests, empty replies, apologies, rate limits), "
          f"{sent - stored} lost, {diagnosed} diagnosed; latency p50 {statistics.median(latencies):.2f}s "
          f"p95 {p95:.2f}s")
    assert errors == 0, [reason for r in results for reason in r[4]]
    assert stored == sent
    assert diagnosed == CONVERSATIONS
