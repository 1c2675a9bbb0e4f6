"""The service's durable state behind one object: conversations, messages, feedback and handovers here;
API keys, stored screenshots and the operator inbox in `keys.py`, `images.py` and `inbox.py`.

Every method takes keyword arguments only and runs in its own transaction. The answers are plain dicts
(datetimes are aware UTC), so callers never hold an ORM object past its session.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from snapdesk.store.admin import AdminQueries
from snapdesk.store.base import add_message, messages_of, new_id, utcnow
from snapdesk.store.db import sqlite_url
from snapdesk.store.handovers import HandoverStore, add_handover_row
from snapdesk.store.images import ImageStore
from snapdesk.store.inbox import InboxStore
from snapdesk.store.keys import ApiKeyStore
from snapdesk.store.models import RATINGS, STATUSES, Conversation, Feedback, Handover, Message
from snapdesk.store.outbox import OutboxStore
from snapdesk.store.protocol import TurnContext

# A conversation's case is claimed in the operator inbox: a person holds it and the assistant does not answer.
_HELD_BY_PERSON = exists().where(Handover.conversation_id == Conversation.id, Handover.state == "claimed")


class _Settings(Protocol):
    @property
    def database_url(self) -> str | None: ...
    @property
    def data_dir(self) -> Path: ...


def _new_conversation(s: Session, owner: str) -> str:
    conversation_id = new_id()
    now = utcnow()
    s.add(Conversation(id=conversation_id, owner=owner, created_at=now, updated_at=now))
    s.flush()  # a message's foreign key may need the row in this same transaction
    return conversation_id


class Store(ApiKeyStore, ImageStore, AdminQueries, HandoverStore, InboxStore, OutboxStore):
    """SnapDesk's database and image folder. Two Stores on one PostgreSQL share everything they write."""

    @classmethod
    def from_settings(cls, settings: _Settings) -> Store:
        """The store the settings describe; without a database URL, SQLite in the data folder."""
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings.database_url or sqlite_url(data_dir), data_dir=data_dir)

    # Conversations and messages.

    def create_conversation(self, *, owner: str) -> str:
        with self._session() as s, s.begin():
            return _new_conversation(s, owner)

    def conversation_for_turn(self, *, conversation_id: str, owner: str) -> TurnContext | None:
        """What a new turn in the conversation needs to know, in one query: None when it does not exist or is
        someone else's; else whether a person owns it now (its case claimed in the operator inbox: the assistant
        does not answer) and its newest screenshot, for a follow-up that sends none (a failed turn's image counts
        too: the answer failed, not the image; a refused image is recorded without a digest)."""
        last_image = (
            select(Message.image_digest)
            .where(Message.conversation_id == Conversation.id, Message.image_digest.is_not(None))
            .order_by(Message.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = select(_HELD_BY_PERSON, last_image).where(
            Conversation.id == conversation_id, Conversation.owner == owner
        )
        with self._session() as s, s.begin():
            row = s.execute(query).first()
        return None if row is None else TurnContext(held_by_person=bool(row[0]), last_image_digest=row[1])

    def begin_turn(
        self,
        *,
        owner: str | None = None,
        conversation_id: str | None,
        text: str,
        image_digest: str | None = None,
        status: str = "pending",
        error_code: str | None = None,
    ) -> tuple[str, str]:
        """Record a customer's message, in a new conversation when `conversation_id` is None, in one transaction;
        returns (conversation id, message id). "pending" until the answer is recorded (see `finish_turn`)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        with self._session() as s, s.begin():
            if conversation_id is None:
                if owner is None:
                    raise ValueError("a new conversation needs its owner")
                conversation_id = _new_conversation(s, owner)
            message_id = add_message(
                s,
                conversation_id,
                role="user",
                text=text,
                image_digest=image_digest,
                escalate=False,
                cached=False,
                status=status,
                error_code=error_code,
            )
        return conversation_id, message_id

    def finish_turn(
        self, *, conversation_id: str, question_id: str, handover: dict[str, Any] | None = None, **answer: Any
    ) -> str:
        """Record the answer (the columns `add_assistant_message` takes), its hand-over if any (`team`,
        `summary`), and mark the question "ok", in one transaction: a question is never left answered but
        pending, nor marked ok without its answer, nor an escalated answer recorded without its hand-over."""
        with self._session() as s, s.begin():
            question = s.get(Message, question_id)
            if question is None:
                raise LookupError(f"no message {question_id!r}")
            question.status = "ok"
            message_id = add_message(s, conversation_id, role="assistant", status="ok", **answer)
            if handover is not None:
                s.flush()  # the hand-over's foreign key needs the answer's row first
                add_handover_row(s, conversation_id, message_id, handover["team"], handover["summary"])
            return message_id

    def conversation(self, *, conversation_id: str, owner: str) -> dict[str, Any] | None:
        """The conversation with its messages in order; None when it is missing or someone else's, which
        the API answers alike, so nobody can probe for other people's conversation ids."""
        with self._session() as s, s.begin():
            conversation = s.scalar(
                select(Conversation).where(Conversation.id == conversation_id, Conversation.owner == owner)
            )
            if conversation is None:
                return None
            return {
                "id": conversation.id,
                "created_at": conversation.created_at,
                "updated_at": conversation.updated_at,
                "messages": [m.as_dict() for m in messages_of(s, conversation_id)],
            }

    def messages_after(
        self, *, conversation_id: str, owner: str, after: str | None, until: datetime | None = None
    ) -> dict[str, Any] | None:
        """The conversation's messages written after the message `after` (all of them without it, or when it is
        not one of this conversation's) and, with `until`, not after that moment; and whether a person holds it
        now; None when it is missing or someone else's. What a customer's open page asks for while it waits for a
        person's reply."""
        with self._session() as s, s.begin():
            held = s.scalar(
                select(_HELD_BY_PERSON).where(Conversation.id == conversation_id, Conversation.owner == owner)
            )
            if held is None:
                return None
            query = select(Message).where(Message.conversation_id == conversation_id)
            since = select(Message.created_at).where(Message.id == after, Message.conversation_id == conversation_id)
            if after and (cursor := s.scalar(since)) is not None:
                query = query.where(Message.created_at > cursor)
            if until is not None:
                query = query.where(Message.created_at <= until)
            messages = [m.as_dict() for m in s.scalars(query.order_by(Message.created_at))]
            return {"messages": messages, "held_by_person": bool(held)}

    def conversation_has_image(self, *, conversation_id: str, owner: str, digest: str) -> bool:
        """Whether a message of this owner's conversation carries this screenshot."""
        with self._session() as s, s.begin():
            found = s.scalar(
                select(Message.id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.id == conversation_id, Conversation.owner == owner, Message.image_digest == digest)
                .limit(1)
            )
            return found is not None

    def add_user_message(self, *, conversation_id: str, text: str, image_digest: str | None = None) -> str:
        """Record the question as "pending" before answering it, so a crash mid-answer loses nothing."""
        return self.begin_turn(conversation_id=conversation_id, text=text, image_digest=image_digest)[1]

    def complete_message(self, *, message_id: str, status: str, error_code: str | None = None) -> bool:
        """Set a message's final status ("ok" or "failed" with an error code); False when it does not exist."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        with self._session() as s, s.begin():
            message = s.get(Message, message_id)
            if message is None:
                return False
            message.status = status
            message.error_code = error_code
            return True

    def add_assistant_message(
        self,
        *,
        conversation_id: str,
        text: str,
        intent: str | None,
        escalate: bool,
        team: str | None,
        tier: str | None,
        cached: bool,
        latency_ms: float | None,
        evidence: Any,
        timings: dict[str, float] | None = None,
        fields: dict[str, Any] | None = None,
        passages: list[dict[str, Any]] | None = None,
    ) -> str:
        """Record an answer with what produced it; raises LookupError for an unknown conversation.

        `timings` (milliseconds per stage), `fields` (masked) and `passages` feed the operators' console."""
        return self._add_message(
            conversation_id=conversation_id,
            role="assistant",
            text=text,
            intent=intent,
            escalate=escalate,
            team=team,
            tier=tier,
            cached=cached,
            latency_ms=latency_ms,
            evidence=evidence,
            timings=timings,
            fields=fields,
            passages=passages,
            status="ok",
        )

    def _add_message(self, *, conversation_id: str, **columns: Any) -> str:
        with self._session() as s, s.begin():
            return add_message(s, conversation_id, **columns)

    def history(self, *, conversation_id: str, limit: int = 8) -> list[dict[str, Any]]:
        """The newest `limit` messages, oldest first, for the answerer's context. Includes a pending question
        just recorded; `id` and `status` are there so the caller can leave it (or failed ones) out."""
        with self._session() as s, s.begin():
            rows = s.execute(
                select(Message.id, Message.role, Message.text, Message.image_digest, Message.status)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at.desc())
                .limit(limit)
            ).all()
        return [
            {"id": r.id, "role": r.role, "text": r.text, "image_digest": r.image_digest, "status": r.status}
            for r in reversed(rows)
        ]

    # Feedback and handovers.

    def add_feedback(self, *, message_id: str, owner: str, rating: str, comment: str | None = None) -> str | None:
        """Record a rating; None when the message does not exist or is in someone else's conversation."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        feedback_id = new_id()
        with self._session() as s, s.begin():
            found = s.scalar(
                select(Message.id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.id == message_id, Conversation.owner == owner)
            )
            if found is None:
                return None
            s.add(Feedback(id=feedback_id, message_id=message_id, rating=rating, comment=comment, created_at=utcnow()))
        return feedback_id
