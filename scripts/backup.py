"""Back up and restore the SQLite tracker store (the conversations), safely while the assistant runs.

    python scripts/backup.py backup  [--db var/tracker.db] [--out var/backups/tracker-<UTC time>.db]
    python scripts/backup.py restore BACKUP [--db var/tracker.db]

backup uses SQLite's online backup API (sqlite3.Connection.backup): the copy is one consistent snapshot of the
database even while the Rasa server writes to it (a write during the copy makes SQLite restart the copy from
the new state); the copy is checked (PRAGMA integrity_check) and only then moved to its name.

restore is for a stopped server: the current store (and any -journal/-wal/-shm file beside it, which SQLite
would otherwise apply to the restored file) is moved aside to <db>.before-restore-<UTC time>, then the backup is
copied in, again with the backup API. Start the assistant afterwards; conversations continue from the backup.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sqlite3
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path(os.environ.get("TRACKER_DB") or ROOT / "var" / "tracker.db")
SIDE_FILES = ("-journal", "-wal", "-shm")


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into ``target`` (created), then an integrity check of the copy."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst, pages=256, sleep=0.005)  # in steps, so that the server's writers are not held up long
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise RuntimeError(f"the copy of {source} failed its integrity check: {result}")
    finally:
        dst.close()
        src.close()


def describe(db: Path) -> str:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "events" not in tables:
            return f"{db}: {len(tables)} tables, no events table"
        events, senders = connection.execute("SELECT COUNT(*), COUNT(DISTINCT sender_id) FROM events").fetchone()
        return f"{db}: {senders} conversations, {events} events"
    finally:
        connection.close()


def _copy_into_place(source: Path, target: Path, partial: Path) -> None:
    """Copies `source` to `partial`, then renames it to `target`: a reader never sees half a database."""
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def backup(db: Path, out: Path | None = None) -> Path:
    if not db.exists():
        raise FileNotFoundError(f"no tracker store at {db}")
    out = out or db.parent / "backups" / f"{db.stem}-{_stamp()}.db"
    out.parent.mkdir(parents=True, exist_ok=True)
    _copy_into_place(db, out, out.with_name(out.name + ".partial"))
    logger.info("backed up %s", describe(out))
    return out


def restore(backup_file: Path, db: Path) -> Path | None:
    """Restores ``backup_file`` as ``db``; returns where the previous store was moved to (None if there was none)."""
    if not backup_file.exists():
        raise FileNotFoundError(f"no backup at {backup_file}")
    check = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:  # before anything is moved: a broken backup leaves the current store where it is
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise RuntimeError(f"{backup_file} failed its integrity check: {result}")
    db.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    stamp = _stamp()
    if db.exists():
        aside = db.with_name(f"{db.name}.before-restore-{stamp}")
        db.replace(aside)
    for suffix in SIDE_FILES:
        side = db.with_name(db.name + suffix)
        if side.exists():
            side.replace(db.with_name(f"{db.name}{suffix}.before-restore-{stamp}"))
    _copy_into_place(backup_file, db, db.with_name(db.name + ".restoring"))
    logger.info("restored %s", describe(db))
    return aside


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="copy the store while the server runs")
    make.add_argument("--db", type=Path, default=DEFAULT_DB)
    make.add_argument("--out", type=Path, help="default: <db folder>/backups/<db name>-<UTC time>.db")
    back = commands.add_parser("restore", help="put a backup in place (server stopped)")
    back.add_argument("backup", type=Path)
    back.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "backup":
            print(backup(args.db, args.out))
        else:
            aside = restore(args.backup, args.db)
            if aside:
                print(f"the previous store was moved to {aside}")
            print(args.db)
    except (FileNotFoundError, RuntimeError, sqlite3.Error) as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
