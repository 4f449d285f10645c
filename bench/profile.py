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
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import load
from bench.servers import LOOPBACK
from bench.simulator import RestClient
from bench.typed import load_typed_cases
from launcher.servers import MODEL, TOKEN, Servers, free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the project checkout to run")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args(argv)
    root, model = args.root.resolve(), args.model.resolve()
    rasa_port, action_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="pos-profile-") as folder:
        env = {**os.environ, "PYTHONPATH": str(root), "RASA_TELEMETRY_ENABLED": "false",
               "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "SANIC_HOST": LOOPBACK,
               "ACTION_ENDPOINT_URL": f"http://{LOOPBACK}:{action_port}/webhook",
               "TRACKER_DB": f"{folder}/tracker.db"}
        logs = open(Path(folder) / "servers.log", "ab")
        actions = subprocess.Popen([str(BIN / "rasa"), "run", "actions", "--port", str(action_port), "--actions",
                                    "actions"], cwd=root, env=env, stdout=logs, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        rasa = None
        try:
            wait_until_up(f"http://{LOOPBACK}:{action_port}/health", actions)
            rasa = subprocess.Popen([str(BIN / "rasa"), "run", "--interface", LOOPBACK, "--port", str(rasa_port),
                                     "--enable-api", "--auth-token", TOKEN, "--endpoints", "endpoints.yml",
                                     "--credentials", "credentials.yml", "--model", str(model)],
                                    cwd=root, env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True)
            wait_until_up(f"http://{LOOPBACK}:{rasa_port}/status?token={TOKEN}", rasa)
            client = RestClient(f"http://{LOOPBACK}:{rasa_port}", TOKEN, timeout=120)
            cases = load_typed_cases()
            load.run_load(client, load.typed_traffic(cases, "profile-warm"), 20, 1)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            spy = subprocess.Popen([str(BIN / "py-spy"), "record", "-p", str(rasa.pid), "-d", str(args.seconds),
                                    "-r", "50", "-f", "flamegraph", "-o", str(args.out.resolve()), "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            result = load.run_load(client, load.typed_traffic(cases, "profile"), 100000, 1,
                                   deadline_seconds=args.seconds)
            spy.wait(timeout=180)
            lat = sorted(result["latencies"])
            print(f"{args.out}: {result['messages']} typed messages in {args.seconds}s, errors {result['errors']}, "
                  f"p50 {statistics.median(lat) * 1000:.0f} ms, p95 {load.percentile(lat, 95) * 1000:.0f} ms")
        finally:
            Servers.stop(rasa)
            Servers.stop(actions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
