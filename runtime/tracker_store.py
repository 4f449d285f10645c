"""The project's SQL tracker store: Rasa's SQLTrackerStore, with SQLite set up for a server (issue 11).

Rasa 3.6 (SQLAlchemy 1.4) opens a new SQLite connection for every session scope (NullPool): every
retrieve and every save opens the file, reads the schema and closes it again, and the database runs in
rollback-journal mode, fsyncing the journal and the database on every commit.

On SQLite this store
- keeps and reuses its connections (QueuePool; Rasa's server uses them from one thread at a time);
- runs the database in WAL mode with synchronous=NORMAL. A commit is in the write-ahead log before it
  returns, so a process killed with SIGKILL loses nothing that was committed (tests/test_tracker_store.py
  kills a writer with kill -9 and reads every committed turn back). Only an operating-system crash or
  power loss can drop the last commits before a checkpoint; set SQLITE_SYNCHRONOUS=FULL for that too.
- waits for a lock (busy_timeout) rather than failing when a second process (e.g. a backup) holds it;
- indexes (sender_id, type_name, timestamp), which the query for the latest SessionStarted uses;
- reads only the `data` column when it retrieves a tracker (the same rows in the same order, without
  building an ORM object per event);
- runs Rasa's queries (the current session's events, their count before a save) as SQL statements
  prepared once, and inserts a turn's new events with one executemany: the same rows, values and
  order as Rasa's ORM code, without building and hashing the ORM query on every turn (issue 11:
  that was most of a save's Python time).
On any other dialect (PostgreSQL in deploy/) it is Rasa's SQLTrackerStore unchanged.

endpoints.yml: ``tracker_store: {type: runtime.tracker_store.ProjectSQLTrackerStore, dialect: sqlite, db: ...}``
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

import runtime  # noqa: F401  (version check and patches, also for processes that only load this store)

logger = logging.getLogger(__name__)

_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
if _SYNCHRONOUS not in {"NORMAL", "FULL", "EXTRA"}:
    raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {_SYNCHRONOUS!r}")
SQLITE_PRAGMAS = {"journal_mode": "WAL", "synchronous": _SYNCHRONOUS, "busy_timeout": "10000"}


# Rasa's SQLTrackerStore._event_query as SQL: a sender's events from its latest SessionStarted on (all of
# them when it has none), ordered by id. The aggregate subquery always yields one row, so the join Rasa
# builds with it is the same as comparing with the subquery.
_SESSION_START = "(SELECT max(timestamp) FROM events WHERE sender_id = :sender_id AND type_name = :session_started)"
_CURRENT_SESSION = f"sender_id = :sender_id AND ({_SESSION_START} IS NULL OR timestamp >= {_SESSION_START})"
_RETRIEVE_SESSION = sa.text(f"SELECT data FROM events WHERE {_CURRENT_SESSION} ORDER BY id")
_RETRIEVE_ALL = sa.text("SELECT data FROM events WHERE sender_id = :sender_id ORDER BY id")
_COUNT_SESSION = sa.text(f"SELECT count(*) FROM events WHERE {_CURRENT_SESSION}")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma, value in SQLITE_PRAGMAS.items():
            cursor.execute(f"PRAGMA {pragma}={value}")
    finally:
        cursor.close()


class ProjectSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore with reused WAL-mode connections on SQLite."""

    engine: sa.engine.Engine

    def __init__(
        self,
        domain: Optional[Domain] = None,
        dialect: Text = "sqlite",
        host: Optional[Text] = None,
        port: Optional[int] = None,
        db: Text = "rasa.db",
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        login_db: Optional[Text] = None,
        query: Optional[Dict] = None,
        **kwargs: Dict[Text, Any],
    ) -> None:
        super().__init__(domain, dialect, host, port, db, username, password, event_broker, login_db, query, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url,
                poolclass=sa.pool.QueuePool,
                pool_size=int(os.environ.get("SQLITE_POOL_SIZE", "2")),
                max_overflow=4,
                pool_pre_ping=False,
                connect_args={"check_same_thread": False, "timeout": 10},
            )
            sa.event.listen(self.engine, "connect", _sqlite_on_connect)
            with self.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "CREATE INDEX IF NOT EXISTS ix_events_sender_type_timestamp "
                        "ON events (sender_id, type_name, timestamp)"
                    )
                )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            logger.debug("SQLite tracker store at '%s': WAL, pooled connections", url.database)

    @property
    def _prepared_sql(self) -> bool:
        """The prepared statements are written for SQLite (and its `events` table)."""
        return self.engine.dialect.name == "sqlite" and self.SQLEvent.__tablename__ == "events"

    def _parameters(self, sender_id: Text) -> Dict[Text, Any]:
        return {"sender_id": sender_id, "session_started": SessionStarted.type_name}

    async def save(self, tracker: DialogueStateTracker) -> None:
        """SQLTrackerStore.save: the events not yet stored, as the same rows, in one transaction."""
        if not self._prepared_sql:
            return await super().save(tracker)
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            stored = connection.execute(_COUNT_SESSION, self._parameters(tracker.sender_id)).scalar() or 0
            rows = []
            for event in list(tracker.events)[stored:]:
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                connection.execute(self.SQLEvent.__table__.insert(), rows)
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """SQLTrackerStore._retrieve, reading the `data` column only (same query, same order)."""
        with self.session_scope() as session:
            if self._prepared_sql:
                statement = _RETRIEVE_ALL if fetch_events_from_all_sessions else _RETRIEVE_SESSION
                rows = session.execute(statement, self._parameters(sender_id)).all()
            else:
                rows = (
                    self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions)
                    .with_entities(self.SQLEvent.data)
                    .all()
                )
            events = [json.loads(data) for (data,) in rows]
            if self.domain and len(events) > 0:
                logger.debug(f"Recreating tracker from sender id '{sender_id}'")
                return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            logger.debug(
                f"Can't retrieve tracker matching sender id '{sender_id}' from SQL storage. Returning `None` instead."
            )
            return None
