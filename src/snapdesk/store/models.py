"""SQLAlchemy 2 models for the service's state: API keys, conversations, messages, feedback, handovers, images,
webhook events.

The Alembic migration in `migrations/versions/` creates these tables; it spells the columns out itself
rather than importing this module, so editing a model later never rewrites history. A test compares the two.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Fixed constraint names: Alembic can only alter or drop a constraint it can name on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("user", "assistant", "agent")  # agent: a person's reply, written in the operator inbox
STATUSES = ("ok", "failed", "pending")
RATINGS = ("up", "down")
KEY_ROLES = ("client", "admin", "agent")  # client: chats; admin: everything; agent: works the inbox
CASE_STATES = ("open", "claimed", "resolved")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite has no time zones and hands back naive values; PostgreSQL answers in the session's zone.
    Storing naive UTC and attaching UTC on the way out gives the same aware value on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('client', 'admin', 'agent')", name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex; the secret itself is never stored
    prefix: Mapped[str] = mapped_column(String(8))  # lets an admin tell keys apart in a listing
    role: Mapped[str] = mapped_column(String(16))  # one of KEY_ROLES; since migration 0003 (was a boolean `admin`)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)  # API key id, or "browser:<token hash>"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the console lists newest first


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'assistant', 'agent')", name="role"),
        CheckConstraint("status IN ('ok', 'failed', 'pending')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # The caller masks PII in questions and answers; an agent's reply is kept as written (the customer may need it).
    text: Mapped[str] = mapped_column(Text)
    image_digest: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The answer's metadata; empty on user messages.
    intent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)
    team: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(100), nullable=True)  # which degradation level answered
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    # Since migration 0002, for the operators' console: per-stage milliseconds, fields (masked), passages used.
    timings: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    fields: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    passages: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # charts bucket by it
    # Since migration 0003, on an agent's reply: who wrote it (the key's id, and its name as the customer sees it).
    agent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    agent_name: Mapped[str | None] = mapped_column(String(200), nullable=True)

    def as_dict(self) -> dict[str, Any]:
        """What the API says of a message (the console adds timings and passages)."""
        return {
            "id": self.id,
            "role": self.role,
            "text": self.text,
            "image_digest": self.image_digest,
            "intent": self.intent,
            "escalate": self.escalate,
            "team": self.team,
            "tier": self.tier,
            "cached": self.cached,
            "latency_ms": self.latency_ms,
            "evidence": self.evidence,
            "fields": self.fields,  # masked; the chat page rebuilds its "what I saw" line from them after a reload
            "status": self.status,
            "error_code": self.error_code,
            "created_at": self.created_at,
            "agent_name": self.agent_name,
        }


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating IN ('up', 'down')", name="rating"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Handover(Base):
    """A hand-over to people, and since migration 0003 the operator inbox's case: open, claimed by one agent (a
    conditional UPDATE, so two replicas cannot both win), resolved. See store/inbox.py."""

    __tablename__ = "handovers"
    __table_args__ = (CheckConstraint("state IN ('open', 'claimed', 'resolved')", name="state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    team: Mapped[str | None] = mapped_column(String(100), nullable=True)
    summary: Mapped[Any] = mapped_column(JSON)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16), index=True)  # one of CASE_STATES
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the agent's key id
    claimed_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    first_reply_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # time to first human reply
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WebhookEvent(Base):
    """Since migration 0004, the webhook's outbox: something that happened to a case (a person replied, it was
    resolved), written in the same transaction as the change and delivered from here (service/background.py), so a
    crash or a dead receiver between the two loses nothing. A hand-over is its own outbox row (`Handover.delivered`)."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event: Mapped[str] = mapped_column(String(40))  # one of store/outbox.py's EVENTS
    payload: Mapped[Any] = mapped_column(JSON)  # the POST body besides `event` and `id`
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)  # delivered in this order, with the hand-overs
    delivered: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class StoredImage(Base):
    __tablename__ = "stored_images"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)  # "sha256:<hex>"
    path: Mapped[str] = mapped_column(String(200))  # relative to the data folder, so the folder can move
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
