"""runtime.tracker_store.ProjectSQLTrackerStore: WAL, reused connections, nothing committed lost to kill -9."""
import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from runtime.tracker_store import ProjectSQLTrackerStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def _turns(tracker, domain, n, start=0):
    for i in range(start, start + n):
        tracker.update(UserUttered(f"第{i}句", {"name": "inform", "confidence": 1.0}), domain)
        tracker.update(ActionExecuted("action_listen"), domain)


def test_endpoints_yml_loads_the_project_store(tmp_path, monkeypatch, domain):
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "t.db"))
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:1/webhook")
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    store = create_tracker_store(config, domain)
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, ProjectSQLTrackerStore)


def test_wal_mode_and_connections_are_reused(tmp_path, domain):
    store = ProjectSQLTrackerStore(domain, db=str(tmp_path / "t.db"))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    seen = set()
    tracker = DialogueStateTracker.from_events("m1", [SessionStarted(), ActionExecuted("action_listen")],
                                               domain.slots)
    for i in range(5):
        _turns(tracker, domain, 1, i)
        asyncio.run(store.save(tracker))
        with store.session_scope() as session:
            seen.add(id(session.connection().connection.dbapi_connection))
    assert len(seen) == 1  # one SQLite connection, reused


def test_same_rows_as_rasas_store(tmp_path, domain):
    """The project store writes and reads exactly what SQLTrackerStore does (same table, same events)."""
    events = [SessionStarted(), SlotSet("audience", "agent"), ActionExecuted("action_listen")]
    ours = ProjectSQLTrackerStore(domain, db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(domain, db=str(tmp_path / "rasa.db"))
    for store in (ours, rasas):
        tracker = DialogueStateTracker.from_events("m1", list(events), domain.slots)
        _turns(tracker, domain, 3)
        asyncio.run(store.save(tracker))
        _turns(tracker, domain, 2, 3)
        asyncio.run(store.save(tracker))
    a = asyncio.run(ours.retrieve("m1"))
    b = asyncio.run(rasas.retrieve("m1"))
    untimed = lambda t: [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in t.events]  # noqa: E731
    assert untimed(a) == untimed(b) and len(a.events) == 3 + 10
    assert a.get_slot("audience") == "agent"
    # Rasa's own store reads a database the project store wrote
    back = asyncio.run(SQLTrackerStore(domain, db=str(tmp_path / "ours.db")).retrieve("m1"))
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in a.events]



def _rows(store):
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        ).all()
    return [tuple(row) for row in rows]


def test_prepared_statements_store_and_read_what_rasas_orm_code_does(tmp_path, domain):
    """Two senders, a second session for one of them, saves after every turn: the same rows (ids, columns,
    JSON) as Rasa's SQLTrackerStore, and the same trackers back, for the current session and in full."""
    ours = ProjectSQLTrackerStore(domain, db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(domain, db=str(tmp_path / "rasa.db"))
    start = [SessionStarted(timestamp=100.0), ActionExecuted("action_listen", timestamp=100.0)]
    for store in (ours, rasas):
        clock = 100.0
        for turn in range(6):
            for sender in ("a", "b"):
                # as Rasa's processor does: the current session from the store, a turn, save
                tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker.from_events(
                    sender, list(start), domain.slots)
                clock += 1
                if sender == "a" and turn == 3:  # a new session: only its events are counted before a save
                    tracker.update(SessionStarted(timestamp=clock), domain)
                    tracker.update(ActionExecuted("action_listen", timestamp=clock), domain)
                    asyncio.run(store.save(tracker))
                    tracker = asyncio.run(store.retrieve(sender))
                tracker.update(UserUttered(f"{sender}{turn}", {"name": "inform", "confidence": 1.0},
                                           timestamp=clock), domain)
                tracker.update(SlotSet("audience", "agent", timestamp=clock), domain)
                tracker.update(ActionExecuted("action_listen", timestamp=clock), domain)
                asyncio.run(store.save(tracker))
                asyncio.run(store.save(tracker))  # nothing new: nothing written
    assert _rows(ours) == _rows(rasas) and len(_rows(ours)) == 2 * (2 + 6 * 3) + 2
    for sender in ("a", "b"):
        for read in ("retrieve", "retrieve_full_tracker"):
            a = asyncio.run(getattr(ours, read)(sender))
            b = asyncio.run(getattr(rasas, read)(sender))
            assert [e.as_dict() for e in a.events] == [e.as_dict() for e in b.events], (sender, read)
    assert len(asyncio.run(ours.retrieve("a")).events) == 2 + 3 * 3
    assert asyncio.run(ours.retrieve("nobody")) is None

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from runtime.tracker_store import ProjectSQLTrackerStore

    domain = Domain.load(sys.argv[2])
    store = ProjectSQLTrackerStore(domain, db=sys.argv[1])
    tracker = DialogueStateTracker.from_events("killed", [SessionStarted(), ActionExecuted("action_listen")],
                                               domain.slots)
    i = 0
    while True:
        tracker.update(UserUttered(f"turn {i}", {"name": "inform", "confidence": 1.0}), domain)
        tracker.update(ActionExecuted("action_listen"), domain)
        asyncio.run(store.save(tracker))
        print(i, flush=True)  # only after the commit returned
        i += 1
    """
)


def test_committed_turns_survive_kill_9(tmp_path, domain):
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(ROOT / "domain.yml")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    committed = -1
    deadline = time.time() + 120
    try:
        while committed < 30 and time.time() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            committed = int(line)
    finally:
        os.kill(writer.pid, signal.SIGKILL)  # mid-write, no clean shutdown, no checkpoint
        writer.wait()
    assert committed >= 30, "the writer did not get going"
    assert (tmp_path / "killed.db-wal").exists()  # the committed turns are (at least partly) in the WAL only

    tracker = asyncio.run(ProjectSQLTrackerStore(domain, db=str(db)).retrieve("killed"))
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert len(texts) >= committed + 1
    assert texts[: committed + 1] == [f"turn {i}" for i in range(committed + 1)]
    # and Rasa's own store reads the database too
    again = asyncio.run(SQLTrackerStore(domain, db=str(db)).retrieve("killed"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == texts
