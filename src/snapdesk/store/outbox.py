"""The webhook's outbox: what the receiver is told, written in the same transaction as what it tells of.

A hand-over is its own outbox row (`handovers.delivered`, event `handover.created`); what happens to its case
afterwards (a person replied, it was resolved) is a row of `webhook_events`, added by store/inbox.py inside the reply's
or the resolution's transaction: both commit or neither does, so a crash before delivery loses nothing and a refused
reply tells nobody anything. The delivery worker (service/background.py) reads both tables as one queue, in the
order they were written (`pending_webhooks`), and counts each attempt (`record_webhook_attempt`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from snapdesk.store.base import StoreBase, new_id, utcnow
from snapdesk.store.models import Handover, Message, WebhookEvent

EVENTS = ("handover.created", "handover.replied", "handover.resolved")
# What the queue's items are, by where they are stored.
_KINDS: dict[str, type[Handover] | type[WebhookEvent]] = {"handover": Handover, "event": WebhookEvent}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()  # JSON has no datetimes; ISO 8601 with its +00:00


def add_event(s: Session, event: str, payload: dict[str, Any]) -> str:
    """Queue an event inside the caller's transaction (the change it tells of); returns its id."""
    if event not in EVENTS[1:]:  # a hand-over is queued as its own row (handovers.add_handover_row)
        raise ValueError(f"event must be one of {EVENTS[1:]}, not {event!r}")
    event_id = new_id()
    s.add(WebhookEvent(id=event_id, event=event, payload=payload, created_at=utcnow(), delivered=False, attempts=0))
    return event_id


def add_replied(s: Session, case: dict[str, Any], reply: Message, *, first: bool) -> str:
    """`handover.replied`: a person's reply in the case's conversation, as written (as the customer sees it)."""
    payload = {
        "case_id": case["id"],
        "conversation_id": case["conversation_id"],
        "message_id": reply.id,
        "agent_name": reply.agent_name,
        "text": reply.text,
        "team": case["team"],
        "first_reply": first,  # the case's first reply: the receiver can time its own first response from it
        "at": _iso(reply.created_at),
    }
    return add_event(s, "handover.replied", payload)


def add_resolved(s: Session, case: dict[str, Any], resolved_by: str | None) -> str:
    """`handover.resolved`: the case is closed and the assistant answers in the conversation again."""
    payload = {
        "case_id": case["id"],
        "conversation_id": case["conversation_id"],
        "team": case["team"],
        "resolved_by": resolved_by,
        "at": _iso(case["resolved_at"]),
    }
    return add_event(s, "handover.resolved", payload)


def count_attempt(
    s: Session, model: type[Handover] | type[WebhookEvent], row_id: str, ok: bool, error: str | None
) -> bool:
    """Count one delivery attempt of an outbox row and its outcome; False when there is no such row."""
    row = s.get(model, row_id, with_for_update=True)
    if row is None:
        return False
    row.attempts += 1
    row.delivered = row.delivered or ok  # another replica's failed attempt does not undo a delivery

    row.last_error = None if ok else error
    return True


def _oldest_undelivered(
    s: Session, model: type[Handover] | type[WebhookEvent], limit: int, after: tuple[datetime, str] | None
) -> Iterable[Any]:
    query = select(model).where(model.delivered.is_(False))
    if after is not None:  # the page after the last item of the previous page, in (created_at, id) order
        at, last_id = after
        query = query.where(or_(model.created_at > at, and_(model.created_at == at, model.id > last_id)))
    return s.scalars(query.order_by(model.created_at, model.id).limit(limit))


def _item(kind: str, row: Handover | WebhookEvent, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    timing = {"attempts": row.attempts, "last_error": row.last_error, "created_at": row.created_at}
    return {"kind": kind, "id": row.id, "event": event, "payload": payload, **timing}


def _handover_item(h: Handover) -> dict[str, Any]:
    payload = {"conversation_id": h.conversation_id, "message_id": h.message_id, "team": h.team, "summary": h.summary}
    return _item("handover", h, "handover.created", payload)


class OutboxStore(StoreBase):
    def pending_webhooks(self, *, limit: int = 50, after: tuple[datetime, str] | None = None) -> list[dict[str, Any]]:
        """What the webhook has not accepted yet, hand-overs and events together, oldest first (a page of `limit`,
        after the item `after` names by its (created_at, id)): each with `kind` (handover, event), `id`, `event`
        (its name), `payload` (the POST body besides `event` and `id`), `attempts`, `last_error` and `created_at`."""
        with self._session() as s, s.begin():
            items = [_handover_item(h) for h in _oldest_undelivered(s, Handover, limit, after)]
            events = _oldest_undelivered(s, WebhookEvent, limit, after)
            items += [_item("event", e, e.event, e.payload) for e in events]
        # The oldest `limit` of both tables are among the oldest `limit` of each.
        return sorted(items, key=lambda item: (item["created_at"], item["id"]))[:limit]

    def record_webhook_attempt(self, *, kind: str, item_id: str, delivered: bool, error: str | None = None) -> bool:
        """Count one attempt to deliver a pending item (its `kind` and `id`); False when there is no such item."""
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {tuple(_KINDS)}, not {kind!r}")
        with self._session() as s, s.begin():
            return count_attempt(s, _KINDS[kind], item_id, delivered, error)
