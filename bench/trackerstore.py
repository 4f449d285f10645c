"""Tracker-store cost of one turn against the length of a conversation (issue 11).

    python -m bench.trackerstore [--turns 30]

For conversations of 5, 50 and 500 events (a realistic mix: user messages with our parse data, the
actions, slot events, bot replies), one turn's tracker-store work is: retrieve the tracker, append one
turn's events (user message, form action, three slots, bot reply, listen), save. Measured for Rasa's
SQLTrackerStore and for runtime.tracker_store.ProjectSQLTrackerStore, interleaved, on SQLite files in a
temporary folder. "Python" is the part of the turn that does not touch the database: decoding the
stored JSON and replaying the events into a DialogueStateTracker (timed again on the same rows), and
encoding the new events. "SQLite" is the rest: connecting, the queries, the inserts, the commit.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from runtime.tracker_store import ProjectSQLTrackerStore

ROOT = Path(__file__).resolve().parents[1]
SIZES = (5, 50, 500)


def turn_events(i: int) -> List[Event]:
    parse = {"intent": {"name": "inform", "confidence": 0.93}, "entities": [],
             "intent_ranking": [{"name": n, "confidence": 0.01} for n in ("inform", "deny", "affirm", "dont_know")],
             "answers_if_asked": {f"signal_{k}": {"answer": "yes", "confidence": 0.8} for k in range(12)},
             "text": f"顾客说付款成功了,第{i}次"}
    return [UserUttered(parse["text"], parse["intent"], [], parse),
            ActionExecuted("diagnosis_form"), SlotSet("asked_signals", [f"s{k}" for k in range(i % 8)]),
            SlotSet("requested_slot", "answer"), SlotSet("audience", "merchant"),
            BotUttered("顾客那边显示付款成功了吗?", {"buttons": [{"title": "是", "payload": "/affirm"}] * 3}),
            ActionExecuted("action_listen")]


def conversation(domain: Domain, events: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("bench", [ActionExecuted("action_session_start"), SessionStarted(),
                                                         ActionExecuted("action_listen")], domain.slots)
    i = 0
    while len(tracker.events) < events:
        for event in turn_events(i):
            if len(tracker.events) < events:
                tracker.update(event, domain)
        i += 1
    return tracker


def one_turn(store, domain: Domain, sender: str, i: int) -> tuple:
    started = time.perf_counter()
    tracker = asyncio.run(store.retrieve(sender))
    retrieved = time.perf_counter()
    new = turn_events(i)
    for event in new:
        tracker.update(event, domain)
    asyncio.run(store.save(tracker))
    done = time.perf_counter()
    # the Python part of the same turn, timed on its own
    rows = [json.dumps(e.as_dict()) for e in tracker.events][: -len(new)]
    python_started = time.perf_counter()
    DialogueStateTracker.from_dict(sender, [json.loads(r) for r in rows], domain.slots)
    for event in new:
        json.dumps(event.as_dict())
    python = time.perf_counter() - python_started
    return retrieved - started, done - retrieved, python


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30, help="measured turns per size and store")
    args = parser.parse_args(argv)
    domain = Domain.load(str(ROOT / "domain.yml"))
    print(f"{args.turns} turns per size and store (median ms); SQLite = turn minus its Python part\n")
    print("| events | store | retrieve | save | turn | Python (decode, replay) | SQLite | SQLite share |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="pos-ts-") as folder:
        stores = {"Rasa SQLTrackerStore": SQLTrackerStore(domain, db=f"{folder}/rasa.db"),
                  "ProjectSQLTrackerStore": ProjectSQLTrackerStore(domain, db=f"{folder}/project.db")}
        for size in SIZES:
            samples = {name: [] for name in stores}
            for name, store in stores.items():
                for k in range(args.turns):
                    asyncio.run(store.save(_with_sender(conversation(domain, size), f"{size}-{k}")))
            for k in range(args.turns):  # interleaved: the same turn on both stores
                for name, store in stores.items():
                    samples[name].append(one_turn(store, domain, f"{size}-{k}", k))
            for name in stores:
                r = statistics.median(s[0] for s in samples[name]) * 1000
                w = statistics.median(s[1] for s in samples[name]) * 1000
                t = statistics.median((s[0] + s[1]) for s in samples[name]) * 1000
                p = statistics.median(s[2] for s in samples[name]) * 1000
                q = max(0.0, t - p)
                print(f"| {size} | {name} | {r:.1f} | {w:.1f} | {t:.1f} | {p:.1f} | {q:.1f} | {q / t:.0%} |")


def _with_sender(tracker: DialogueStateTracker, sender: str) -> DialogueStateTracker:
    tracker.sender_id = sender
    return tracker


if __name__ == "__main__":
    main()
