"""Hand-overs to people: queued in the same transaction as the answer that asked for one, delivered by a worker
(the webhook) that reports each attempt, so a crash between the two loses nothing. The worker reads them with the
events that follow them in their cases (store/outbox.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from snapdesk.store.base import StoreBase, new_id, utcnow
from snapdesk.store.models import Handover
from snapdesk.store.outbox import count_attempt

# What a hand-over takes from its conversation's unresolved case when it joins it (see add_handover_row).
_CASE_FIELDS = ("state", "claimed_by", "claimed_by_name", "claimed_at", "first_reply_at")


def add_handover_row(s: Session, conversation_id: str, message_id: str, team: str | None, summary: Any) -> str:
    """Queue a hand-over inside the caller's transaction (the answer's own, in `Store.finish_turn`).

    A conversation has one unresolved case at a time (store/inbox.py): a hand-over in a conversation whose case is
    still open (a second question handed over before anyone claimed it), or claimed (an answer that was being
    worked out as an agent claimed it), joins that case, in its state and with its owner."""
    case = s.scalar(
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.state != "resolved")
        .order_by(Handover.created_at)
        .limit(1)
    )
    joined = {name: getattr(case, name) for name in _CASE_FIELDS} if case is not None else {"state": "open"}
    handover_id = new_id()
    s.add(
        Handover(
            id=handover_id,
            conversation_id=conversation_id,
            message_id=message_id,
            team=team,
            summary=summary,
            delivered=False,
            attempts=0,
            created_at=utcnow(),
            **joined,
        )
    )
    return handover_id


class HandoverStore(StoreBase):
    def add_handover(self, *, conversation_id: str, message_id: str, team: str | None, summary: Any) -> str:
        """Queue a handover to a human team; a worker delivers it and reports through record_delivery."""
        with self._session() as s, s.begin():
            return add_handover_row(s, conversation_id, message_id, team, summary)

    def undelivered_handovers(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """Handovers not yet delivered, oldest first."""
        with self._session() as s, s.begin():
            handovers = s.scalars(
                select(Handover).where(Handover.delivered.is_(False)).order_by(Handover.created_at).limit(limit)
            )
            return [
                {
                    "id": h.id,
                    "conversation_id": h.conversation_id,
                    "message_id": h.message_id,
                    "team": h.team,
                    "summary": h.summary,
                    "attempts": h.attempts,
                    "last_error": h.last_error,
                    "created_at": h.created_at,
                }
                for h in handovers
            ]

    def record_delivery(self, *, handover_id: str, delivered: bool, error: str | None = None) -> bool:
        """Count one delivery attempt and its outcome; False when there is no such handover."""
        with self._session() as s, s.begin():
            return count_attempt(s, Handover, handover_id, delivered, error)
