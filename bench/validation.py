"""Cost of validating one action-server response, Rasa 3.6.21 as shipped against runtime/'s patch (issue 11).

    python -m bench.validation --calls 200

Both validate the same realistic responses (the events and replies our actions send, taken from a
tracker-sized sample) in the same process, interleaved in rounds so that machine noise hits both alike.
Prints ms/call for each and the ratio.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time
from typing import Any, Callable, Dict, List

from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from runtime import rasa_patches


def shipped(result: Dict[str, Any]) -> bool:
    """Rasa 3.6.21's RemoteAction._validate_action_result body (jsonschema.validate on every call)."""
    try:
        validate(result, RemoteAction.action_response_format_spec())
        return True
    except ValidationError as e:
        e.message += f". Failed to validate Action server response from API ... {DOCS_BASE_URL}/custom-actions"
        raise e


def responses() -> List[Dict[str, Any]]:
    """Responses shaped like ours: session start, a form step with slots and buttons, a diagnosis."""
    slot = lambda name, value: {"event": "slot", "name": name, "value": value, "timestamp": None}  # noqa: E731
    buttons = [{"title": t, "payload": f"/inform{{\"signal\": \"{t}\"}}"} for t in ("是", "不是", "不知道")]
    return [
        {"events": [{"event": "session_started", "timestamp": None}, slot("audience", "merchant"),
                    {"event": "action", "name": "action_listen", "policy": None, "confidence": None,
                     "timestamp": None}], "responses": []},
        {"events": [slot("requested_slot", "answer"), slot("asked_signal", "paid_status"),
                    slot("facts", {"paid": "yes", "channel": "card"}), slot("question_count", 2)],
         "responses": [{"text": "顾客那边显示付款成功了吗?", "buttons": buttons, "elements": [],
                        "custom": {}, "template": None, "response": None, "image": None,
                        "attachment": None}]},
        {"events": [slot("diagnosed_cause", "settlement_delay"), {"event": "active_loop", "name": None},
                    slot("requested_slot", None), {"event": "followup", "name": "action_listen"}],
         "responses": [{"text": "诊断结果:结算延迟。" * 10, "buttons": [], "custom": {"cause": "x"}}]},
    ]


def time_per_call(fn: Callable[[Dict[str, Any]], bool], samples: List[Dict[str, Any]], calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        fn(samples[i % len(samples)])
    return (time.perf_counter() - start) * 1000 / calls


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    samples = [copy.deepcopy(r) for r in responses()]
    patched_action = RemoteAction("action_bench", None)
    rasa_patches.apply_patches()
    patched = patched_action._validate_action_result
    for fn in (shipped, patched):  # equal warm-up: imports, validator build, caches
        time_per_call(fn, samples, 5)
    before, after = [], []
    for _ in range(args.rounds):
        before.append(time_per_call(shipped, samples, args.calls))
        after.append(time_per_call(patched, samples, args.calls))
    b, a = statistics.median(before), statistics.median(after)
    print(f"responses validated: {args.calls} per side per round, {args.rounds} rounds (median of rounds)")
    print(f"rasa 3.6.21 as shipped (jsonschema.validate): {b:.3f} ms/call")
    print(f"runtime patch (validator built once):         {a:.3f} ms/call")
    print(f"ratio shipped / patched: {b / a:.1f}x")


if __name__ == "__main__":
    main()
