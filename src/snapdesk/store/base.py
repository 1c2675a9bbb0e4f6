"""The session plumbing every part of the Store shares, and its clock and ids.

Each Store method runs in its own short transaction (`with self._session() as s, s.begin():`): it either
commits whole or rolls back whole, so an exception half-way never leaves a half-written record.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from snapdesk.store import migrate
from snapdesk.store.db import make_engine

_clock_lock = threading.Lock()
_last_now = datetime.min.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """The current UTC time, strictly increasing within this process.

    Messages are ordered by created_at; a coarse clock (or two calls in one microsecond) must not be able
    to tie a question with its answer and show them in the wrong order.
    """
    global _last_now
    with _clock_lock:
        now = datetime.now(timezone.utc)
        if now <= _last_now:
            now = _last_now + timedelta(microseconds=1)
        _last_now = now
        return now


def new_id() -> str:
    return uuid.uuid4().hex


class StoreBase:
    """Owns the engine, the data folder and the session factory."""

    def __init__(self, url: str, *, data_dir: Path, **engine_kwargs: Any) -> None:
        self.url = url
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url, **engine_kwargs)
        # Rows are turned into dicts inside the transaction; no object outlives it.
        self._session = sessionmaker(self.engine, class_=Session, expire_on_commit=False)

    def upgrade(self) -> None:
        """Run the migrations up to the newest revision (safe to call at every start)."""
        migrate.upgrade(self.url)

    def ping(self) -> bool:
        """Whether the database answers; for the readiness check, so it never raises."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or in tests before dropping a schema)."""
        self.engine.dispose()
