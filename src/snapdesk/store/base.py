"""The session plumbing every part of the Store shares, and its clock and ids.

Each Store method runs in its own short transaction (`with self._session() as s, s.begin():`): it either
commits whole or rolls back whole, so an exception half-way never leaves a half-written record.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from snapdesk.errors import DatabaseUnavailableError
from snapdesk.store import migrate
from snapdesk.store.db import make_engine
from snapdesk.store.models import Conversation, Message

log = logging.getLogger("snapdesk.store")

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


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)


def new_id() -> str:
    return uuid.uuid4().hex


def add_message(s: Session, conversation_id: str, **columns: Any) -> str:
    """Add a message to a conversation inside the caller's transaction (the conversation's last activity moves
    with it, for the console's newest-first list); returns its id. LookupError for an unknown conversation."""
    conversation = s.get(Conversation, conversation_id)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id!r}")
    now = utcnow()
    conversation.updated_at = now
    message_id = new_id()
    s.add(Message(id=message_id, conversation_id=conversation_id, created_at=now, **columns))
    return message_id


def messages_of(s: Session, conversation_id: str) -> list[Message]:
    """A conversation's messages in the order they were written, inside the caller's transaction."""
    query = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.created_at)
    return list(s.scalars(query))


def unreachable(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection (not a query the database refused)."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class StoreBase:
    """Owns the engine, the data folder and the session factory."""

    def __init__(self, url: str, *, data_dir: Path, **engine_kwargs: Any) -> None:
        self.url = url
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url, **engine_kwargs)
        # Rows are turned into dicts inside the transaction; no object outlives it.
        self._sessions = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self.unavailable_since: float | None = None  # monotonic; set while the database cannot be reached
        self._outage_lock = threading.Lock()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session whose failure to reach the database is a typed, retryable refusal (DatabaseUnavailableError)
        rather than a driver error: the transaction rolled back, so nothing of it was written."""
        began = time.monotonic()
        try:
            with self._sessions() as session:
                yield session
        except Exception as error:
            if unreachable(error):
                self._outage(error)
                raise DatabaseUnavailableError("the database is unavailable; try again shortly") from error
            raise
        self._outage(None, began)

    def _outage(self, error: BaseException | None, began: float = -math.inf) -> None:
        """One log line when the database stops answering and one when it answers again, not one per request.

        Only a transaction that began after the outage did ends it: one already under way when the database went
        away may still commit, and says nothing about the database now."""
        if error is None and self.unavailable_since is None:
            return  # the everyday case, every transaction: no lock while the database answers
        with self._outage_lock:
            since = self.unavailable_since
            if error is not None and since is None:
                self.unavailable_since = time.monotonic()
                log.warning("database unavailable: %s", type(getattr(error, "orig", None) or error).__name__)
            elif error is None and since is not None and began > since:
                self.unavailable_since = None
                log.warning("database available again after %.1f s", time.monotonic() - since)

    def upgrade(self) -> None:
        """Run the migrations up to the newest revision (safe to call at every start)."""
        migrate.upgrade(self.url)

    def ping(self) -> bool:
        """Whether the database answers; for the readiness check, so it never raises."""
        began = time.monotonic()
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as error:
            self._outage(error)
            return False
        self._outage(None, began)
        return True

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or in tests before dropping a schema)."""
        self.engine.dispose()
