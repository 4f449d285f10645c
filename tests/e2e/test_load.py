"""50 concurrent merchant conversations, each a full diagnosis over REST: no error, no lost message.

An error is a failed request, an empty reply, the guard's apology (channels/guarded.py NO_REPLY_FALLBACK: the
turn produced nothing, e.g. the action server failed) or the rate limit's answer (launcher.conversation.error_reply).
"""
import statistics
from concurrent.futures import ThreadPoolExecutor

from launcher.conversation import run_conversation
from tests.e2e.test_conversations import CASES, merchant

CONVERSATIONS = 50
MAX_MESSAGES = 10


def test_fifty_concurrent_conversations_lose_nothing(servers):
    cases = [c for c in CASES if not c.get("hard")]
    client = servers.client

    def converse(index):
        return run_conversation(client, f"load-{index}", merchant(cases[index % len(cases)]), MAX_MESSAGES)

    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        records = list(pool.map(converse, range(CONVERSATIONS)))
    errors = sum(len(r.errors) for r in records)
    sent = sum(r.sent for r in records)
    stored = sum(
        sum(1 for e in servers.tracker(r.sender)["events"] if e["event"] == "user") for r in records
    )
    diagnosed = sum(1 for r in records if servers.tracker(r.sender)["slots"]["diagnosed_cause"])
    latencies = sorted(latency for r in records for latency in r.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\n[load] {CONVERSATIONS} concurrent conversations: {sent} messages, {errors} errors (failed requests, "
          f"empty replies, apologies, rate limits), {sent - stored} lost, {diagnosed} diagnosed; latency p50 "
          f"{statistics.median(latencies):.2f}s p95 {p95:.2f}s")
    assert errors == 0, [error for r in records for error in r.errors]
    assert stored == sent
    assert diagnosed == CONVERSATIONS
