"""Backup and restore round trip (issue 13): `make backup` (scripts/backup.py) copies the SQLite store while the
server runs and writes; the copy is restored into a fresh start (a new store path, a new Rasa server); the
conversation continues from it."""
import shutil
import subprocess
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from launcher.servers import ROOT, Servers

OPENING = "周末刷卡显示交易成功,钱还没到账"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with Servers.running(tmp_path_factory.mktemp("backup")) as s:
        yield s


def _backup_script(*args):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "backup.py"), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def _count(db, sender=None):
    with sqlite3.connect(db) as connection:
        if sender:
            return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]
        return connection.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def test_backup_while_the_server_writes_then_restore_into_a_fresh_start(live, tmp_path):
    sender = "backup-merchant"
    live.say(sender, OPENING)
    live.say(sender, '/inform{"transaction_record":"success"}')
    store = live.tmp / "tracker.db"
    # other merchants keep writing while the backup runs
    stop = threading.Event()

    def chatter(i):
        n = 0
        while not stop.is_set():
            live.say(f"backup-busy-{i}-{n}", OPENING)
            n += 1
        return n

    before = _count(store)
    with ThreadPoolExecutor(3) as pool:
        busy = [pool.submit(chatter, i) for i in range(3)]
        backups = [tmp_path / f"copy-{k}.db" for k in range(3)]
        for copy in backups:
            time.sleep(1.0)  # the merchants are writing before and between the backups
            _backup_script("backup", "--db", str(store), "--out", str(copy))
        stop.set()
        written_meanwhile = sum(f.result() for f in busy)
    copy = backups[-1]
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    in_copy = _count(copy, sender)
    assert in_copy == _count(store, sender)
    # after the backup: one more message, which the restored store must not have
    live.say(sender, "这句在备份之后")
    live.stop(live.rasa)

    fresh = tmp_path / "fresh" / "tracker.db"
    fresh.parent.mkdir()
    _backup_script("restore", str(copy), "--db", str(fresh))
    live.env["TRACKER_DB"] = str(fresh)
    live.start_rasa()
    try:
        restored = live.tracker(sender)
        texts = [e.get("text") for e in restored["events"] if e["event"] == "user"]
        assert texts == [OPENING, '/inform{"transaction_record":"success"}']
        assert restored["slots"]["transaction_record"] == "success"
        live.say(sender, '/inform{"settlement_status":"not_due"}')
        final = live.tracker(sender)
        assert final["slots"]["diagnosed_cause"] == "bank_system"
        print(f"\n[backup] 3 online backups of the store while 3 merchants wrote {written_meanwhile} messages; "
              f"copies {[_count(b) for b in backups]} events (store had {before} before), the "
              f"last (integrity ok) restored into a fresh store; the conversation continued "
              f"from its 2 messages to the diagnosis {final['slots']['diagnosed_cause']}")
    finally:
        live.stop(live.rasa)
        live.env["TRACKER_DB"] = str(store)


def test_restore_refuses_a_broken_backup_and_keeps_the_current_store(tmp_path):
    store = tmp_path / "tracker.db"
    with sqlite3.connect(store) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        connection.execute("INSERT INTO events (sender_id, data) VALUES ('a', '{}')")
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "backup.py"), "restore", str(broken),
                             "--db", str(store)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "restore failed" in result.stderr
    assert _count(store) == 1 and not list(tmp_path.glob("*.before-restore-*"))
    good = tmp_path / "good.db"
    shutil.copy(store, good)
    _backup_script("restore", str(good), "--db", str(store))
    assert _count(store) == 1 and len(list(tmp_path.glob("tracker.db.before-restore-*"))) == 1
