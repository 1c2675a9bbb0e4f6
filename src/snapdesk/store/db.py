"""Engines: one for the Store's everyday work, one for migrations, with SQLite set up for several processes.

SQLite gets WAL (readers run alongside the one writer), foreign keys (off unless asked, per connection) and a
busy timeout (wait for another process's write instead of failing at once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, pool


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'snapdesk.db').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int = 5000, foreign_keys: bool = True) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """The Store's engine: pre-pinged connections to a server (a restarted database is noticed), SQLite pragmas.

    A SQLite file has no connection to lose, so its connections are not pinged (a query saved per transaction)."""
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda dbapi_connection, _record: _sqlite_pragmas(dbapi_connection))
    return engine


def migration_engine(url: str) -> Engine:
    """An engine for running migrations, whose transactions on SQLite take the write lock up front.

    Python's sqlite3 runs DDL outside any transaction, so two processes migrating one file at once would
    both create the tables and one would fail. Here SQLAlchemy issues `BEGIN IMMEDIATE` itself (SQLAlchemy's
    documented recipe), so the whole migration is one transaction and a second process waits for the first.
    On PostgreSQL, env.py takes an advisory lock instead.

    Foreign keys are off, as SQLite's own procedure for table changes asks: batch mode rebuilds a table by
    dropping the old one, and with them on that drop deletes every row referring to it (ON DELETE CASCADE). The
    pragma cannot change inside a transaction, so it is set here; env.py checks the keys before committing.
    """
    engine = create_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":

        def connect(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, busy_timeout_ms=60_000, foreign_keys=False)
            dbapi_connection.isolation_level = None  # stop sqlite3 from beginning and committing on its own

        def begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine, "connect", connect)
        event.listen(engine, "begin", begin)
    return engine
