"""bench.speed's interleaved sequential rounds: every row gets its share, the order rotates, blocks pool."""
from bench import load, speed


def _block(latencies, errors=0):
    kinds = {"request": errors, "timeout": 0, "empty": 0, "apology": 0, "rate_limited": 0}
    return {"messages": len(latencies), "sent": len(latencies) + errors, "errors": errors, "error_kinds": kinds,
            "seconds": sum(latencies), "latencies": list(latencies), "timed_out": False}


def test_interleaved_rotates_the_rows_and_splits_the_messages(monkeypatch):
    calls = []

    def fake_run_load(client, dialogue, messages, concurrency, deadline_seconds=None):
        calls.append((client, dialogue, messages, concurrency))
        return _block([0.01] * messages)

    monkeypatch.setattr(load, "run_load", fake_run_load)
    clients = {row: row for row in speed.ROWS}
    result = speed.interleaved(clients, lambda row, label: f"{row}:{label}", "sequential", 10, 4)
    order = [c[0] for c in calls]
    assert order[:4] == list(speed.ROWS)
    assert order[4:8] == list(speed.ROWS[1:] + speed.ROWS[:1])  # the next round starts with the next row
    assert [c[2] for c in calls if c[0] == "vanilla"] == [3, 3, 2, 2]
    assert {c[1] for c in calls if c[0] == "reference"} == {f"reference:sequential-r{i}" for i in range(4)}
    assert all(c[3] == 1 for c in calls)
    assert all(result[row]["messages"] == 10 for row in speed.ROWS)


def test_pooled_adds_counts_and_takes_percentiles_over_all_latencies():
    run = speed.pooled([_block([0.01, 0.02]), _block([0.05, 0.03, 0.04], errors=1)])
    assert (run["messages"], run["sent"], run["errors"], run["blocks"]) == (5, 6, 1, 2)
    assert run["error_kinds"]["request"] == 1
    assert run["p50"] == 0.03 and run["p95"] == 0.05
    assert abs(run["throughput"] - 5 / 0.15) < 1e-9
