"""Action-server calls per turn, counted on the wire (issue 11).

    python -m bench.calls [--model models/pos-assistant.tar.gz] [--cases 12]

Starts our action server, a counting proxy in front of it and the Rasa server (pointed at the proxy)
on loopback, plays held-out typed conversations (launcher/datasets.py) one message at a time, and counts
the POSTs the Rasa server sends to the action server during each message, by action name. The opening
(the first message of a conversation, which also starts the session) and the answers are shown apart.
Run it with a model trained before and after a change to compare (the domain decides which actions are
remote, so the same code serves both).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List

from bench.servers import LoopbackServers
from bench.typed import converse_typed, load_typed_cases
from launcher.conversation import RestClient
from launcher.servers import LOOPBACK, MODEL, TOKEN


class CountingProxy:
    """Forwards POST /webhook to the action server and counts calls by next_action."""

    def __init__(self, target: str):
        self.target = target
        self.calls: Counter = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    name = json.loads(body).get("next_action", "?")
                except ValueError:
                    name = "?"
                with proxy.lock:
                    proxy.calls[name] += 1
                request = urllib.request.Request(proxy.target, data=body,
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, payload = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, payload = error.code, error.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.url = f"http://{LOOPBACK}:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> Counter:
        with self.lock:
            calls, self.calls = self.calls, Counter()
        return calls

    def close(self) -> None:
        self.server.shutdown()


class CountingClient(RestClient):
    """Records the calls each message caused (the proxy's count between two messages)."""

    def __init__(self, base_url: str, proxy: CountingProxy):
        super().__init__(base_url, TOKEN, timeout=120)
        self.proxy = proxy
        self.turns: Dict[str, List[Counter]] = {}

    def say(self, sender, text):
        self.proxy.take()
        replies, latency = super().say(sender, text)
        self.turns.setdefault(sender, []).append(self.proxy.take())
        return replies, latency


def measure(model: Path, cases: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="pos-calls-") as folder:
        servers = LoopbackServers(Path(folder), model=model)
        servers.start_actions()
        proxy = CountingProxy(f"http://{LOOPBACK}:{servers.action_port}/webhook")
        servers.env["ACTION_ENDPOINT_URL"] = proxy.url
        try:
            servers.start_rasa()
            client = CountingClient(servers.url, proxy)
            typed = load_typed_cases()
            picked = [c for i, c in enumerate(typed) if i % max(1, len(typed) // cases) == 0][:cases]
            for case in picked:
                converse_typed(client, case, f"calls-{case.id}")
        finally:
            servers.close()
            proxy.close()
    openings = [turns[0] for turns in client.turns.values()]
    answers = [t for turns in client.turns.values() for t in turns[1:]]
    total = lambda counters: sum(sum(c.values()) for c in counters)  # noqa: E731
    by_action = lambda counters: dict(sum(counters, Counter()).most_common())  # noqa: E731
    return {
        "model": str(model), "conversations": len(openings), "turns": len(openings) + len(answers),
        "per_opening": total(openings) / len(openings),
        "per_answer": total(answers) / max(1, len(answers)),
        "per_turn": (total(openings) + total(answers)) / (len(openings) + len(answers)),
        "opening_by_action": by_action(openings), "answer_by_action": by_action(answers),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--cases", type=int, default=12)
    args = parser.parse_args(argv)
    result = measure(args.model, args.cases)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
