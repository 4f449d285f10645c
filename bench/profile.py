"""py-spy flame graph of a Rasa server during typed conversations, for any checkout (issue 11).

    python -m bench.profile --out docs/bench/flame-after.svg [--seconds 60]
    python -m bench.profile --root /tmp/before --model /tmp/before.tar.gz --out docs/bench/flame-before.svg

Starts the action server and the Rasa server of the project at --root (default: this checkout; give
another checkout, e.g. `git archive <commit>`, with the model trained from it, to profile "before"),
warms both up with 20 messages, then records the Rasa server with py-spy (50 samples/s) while held-out
typed conversations run one message at a time for --seconds. Prints the turn latencies of the recorded
window. Needs bench/requirements.txt (py-spy).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench import load
from bench.speed import py_spy
from bench.typed import load_typed_cases
from launcher.conversation import RestClient
from launcher.servers import MODEL, ROOT, TOKEN, Servers


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the project checkout to run")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pos-profile-") as folder:
        servers = Servers(Path(folder), model=args.model.resolve(), root=args.root.resolve())
        try:
            servers.start_actions()
            servers.start_rasa()
            client = RestClient(servers.url, TOKEN, timeout=120)
            cases = load_typed_cases()
            load.run_load(client, load.typed_traffic(cases, "profile-warm"), 20, 1)
            spy = py_spy(servers.rasa.pid, args.seconds, args.out.resolve())
            result = load.run_load(client, load.typed_traffic(cases, "profile"), 100000, 1,
                                   deadline_seconds=args.seconds)
            spy.wait(timeout=180)
            lat = sorted(result["latencies"])
            print(f"{args.out}: {result['messages']} typed messages in {args.seconds}s, errors {result['errors']}, "
                  f"p50 {statistics.median(lat) * 1000:.0f} ms, p95 {load.percentile(lat, 95) * 1000:.0f} ms")
        finally:
            servers.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
