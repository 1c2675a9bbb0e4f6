"""The operator inbox: hand-overs as cases that a person claims, answers in the conversation and resolves.

A case is a conversation's unresolved hand-overs taken together: a second question handed over before anyone
claimed the first joins its case (handovers.add_handover_row), every change below applies to all of them at once,
and the inbox lists each case once, by its first hand-over, whose id stays the case's id.

A claim is a conditional UPDATE (`WHERE state = 'open'`): of two agents claiming at once, in one process or in two
replicas sharing PostgreSQL, the database lets exactly one change the rows; the other's UPDATE then finds them
claimed and changes nothing, and that agent is told who holds the case. A reply is guarded the same way (only the
holder's UPDATE matches), so a reply racing a resolve either lands before it or is refused, never after it.

A reply and a resolution write their webhook event (store/outbox.py) in their own transaction: the receiver hears of
every change that was made, and of none that was refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Update, and_, exists, func, literal, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from snapdesk.store.admin import conversation_view
from snapdesk.store.base import StoreBase, add_message, utcnow
from snapdesk.store.models import Handover, Message, UtcDateTime
from snapdesk.store.outbox import add_replied, add_resolved

# The columns of a person's reply besides its text and author: no answer's metadata, nothing pending.
_AGENT_REPLY = {"role": "agent", "escalate": False, "cached": False, "status": "ok"}
VIEWS = {"open": "open", "mine": "claimed", "resolved": "resolved"}  # the view, and the state its cases are in
ORDERS = ("waiting", "newest")  # longest-waiting first, or newest first
# What a case says of itself (every hand-over of a case has the same state, owner and times).
_CASE_COLUMNS = (
    "id",
    "conversation_id",
    "message_id",
    "team",
    "summary",
    "state",
    "claimed_by",
    "claimed_by_name",
    "claimed_at",
    "first_reply_at",
    "resolved_at",
    "created_at",
)


def _first_of_its_case() -> ColumnElement[bool]:
    """True for the hand-over that stands for its case: no earlier one of the same case (same conversation and
    state; a resolved case's rows also share the moment it was resolved, which tells earlier cases apart)."""
    earlier = aliased(Handover)
    before = or_(
        earlier.created_at < Handover.created_at,
        and_(earlier.created_at == Handover.created_at, earlier.id < Handover.id),
    )
    same_case = or_(Handover.state != "resolved", earlier.resolved_at == Handover.resolved_at)
    return ~exists(
        select(earlier.id).where(
            earlier.conversation_id == Handover.conversation_id, earlier.state == Handover.state, before, same_case
        )
    )


def _as_case(h: Handover) -> dict[str, Any]:
    return {name: getattr(h, name) for name in _CASE_COLUMNS}


def _case_of(s: Session, row: Handover) -> dict[str, Any]:
    """The case a hand-over belongs to, as it is now (read again after the caller's UPDATE)."""
    s.expire_all()
    head = s.scalar(
        select(Handover)
        .where(Handover.conversation_id == row.conversation_id, Handover.state == row.state, _first_of_its_case())
        .where(or_(Handover.state != "resolved", Handover.resolved_at == row.resolved_at))
    )
    return _as_case(head or row)


def _changed(s: Session, statement: Update) -> bool:
    """Run a conditional UPDATE of a case's rows; whether it matched any (the rows are read again afterwards)."""
    return bool(s.execute(statement.execution_options(synchronize_session=False)).rowcount)


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UtcDateTime())  # typed, so SQLite gets it as naive UTC like every stored time


class InboxStore(StoreBase):
    def inbox(
        self, *, view: str, agent_id: str | None = None, order: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """The cases in a view (open; mine: claimed by `agent_id`; resolved), each once, longest-waiting or newest
        first (by default: waiting for open and mine, newest for resolved), and the open cases per team."""
        if view not in VIEWS or (order is not None and order not in ORDERS):
            raise ValueError(f"view must be one of {tuple(VIEWS)} and order one of {ORDERS}")
        order = order or ("newest" if view == "resolved" else "waiting")
        when = Handover.resolved_at if view == "resolved" else Handover.created_at
        query = select(Handover).where(Handover.state == VIEWS[view], _first_of_its_case())
        if view == "mine":
            query = query.where(Handover.claimed_by == agent_id)
        query = query.order_by(when.desc() if order == "newest" else when.asc(), Handover.id).limit(limit)
        per_team = (
            select(Handover.team, func.count())
            .where(Handover.state == "open", _first_of_its_case())
            .group_by(Handover.team)
        )
        with self._session() as s, s.begin():
            cases = [_as_case(h) for h in s.scalars(query)]
            counts = sorted(s.execute(per_team).all(), key=lambda row: (-row[1], row[0] or ""))
        teams = [{"team": team, "open": count} for team, count in counts]
        return {"view": view, "order": order, "cases": cases, "open_per_team": teams}

    def inbox_case(self, *, case_id: str) -> dict[str, Any] | None:
        """A case with its conversation as the console shows it (each message with its screenshot, evidence,
        fields, passages) and the answer that handed it over; None when there is no such hand-over."""
        with self._session() as s, s.begin():
            row = s.get(Handover, case_id)
            if row is None:
                return None
            case = _case_of(s, row)
            view = conversation_view(s, row.conversation_id) or {"messages": []}
        answer = next((m for m in view["messages"] if m["id"] == case["message_id"]), None)
        return {**case, "messages": view["messages"], "answer": answer}

    def claim_case(self, *, case_id: str, agent_id: str, agent_name: str) -> tuple[bool, dict[str, Any] | None]:
        """Claim an open case for an agent: (whether this agent holds it now, the case). Claiming a case one
        already holds is a success; one that another agent holds, or that is resolved, is not. (False, None): no
        such case."""
        with self._session() as s, s.begin():
            row = s.get(Handover, case_id)
            if row is None:
                return False, None
            if row.state == "open":
                held = aliased(Handover)
                someone_holds = exists(
                    select(held.id).where(held.conversation_id == row.conversation_id, held.state == "claimed")
                )
                _changed(
                    s,
                    update(Handover)
                    .where(Handover.conversation_id == row.conversation_id, Handover.state == "open", ~someone_holds)
                    .values(state="claimed", claimed_by=agent_id, claimed_by_name=agent_name, claimed_at=utcnow()),
                )
            case = _case_of(s, row)
        return case["state"] == "claimed" and case["claimed_by"] == agent_id, case

    def reply_to_case(
        self, *, case_id: str, agent_id: str, agent_name: str, text: str, image_digest: str | None = None
    ) -> tuple[str | None, dict[str, Any] | None]:
        """An agent's reply, added to the case's conversation as written (the customer may need the order number or
        address in it), and the time of the case's first reply: (the message's id, the case). The id is None when
        the agent does not hold the case; (None, None) when there is no such case. With a reply, the case also says
        whether it was the case's first (`first_reply`: the one that set `first_reply_at`)."""
        with self._session() as s, s.begin():
            row = s.get(Handover, case_id)
            if row is None:
                return None, None
            now = utcnow()  # unique in this process: first_reply_at equals it only if this reply set it
            holds = (
                update(Handover)
                .where(
                    Handover.conversation_id == row.conversation_id,
                    Handover.state == "claimed",
                    Handover.claimed_by == agent_id,
                )
                .values(first_reply_at=func.coalesce(Handover.first_reply_at, _at(now)))
            )
            # A resolved case's id does not reach the conversation's next case, even if this agent holds that one.
            if row.state == "resolved" or not _changed(s, holds):
                return None, _case_of(s, row)
            signed = {"agent_id": agent_id, "agent_name": agent_name}
            message_id = add_message(
                s, row.conversation_id, text=text, image_digest=image_digest, **signed, **_AGENT_REPLY
            )
            case = _case_of(s, row)
            first = case["first_reply_at"] == now
            add_replied(s, case, s.get_one(Message, message_id), first=first)
            return message_id, {**case, "first_reply": first}

    def resolve_case(
        self, *, case_id: str, agent_id: str, any_holder: bool = False, resolved_by: str | None = None
    ) -> tuple[bool, dict[str, Any] | None]:
        """Resolve a case that is open or held by this agent (by anyone's, with `any_holder`: an admin): (whether
        this call resolved it, the case). The assistant answers in the conversation again from then on.
        `resolved_by` (the agent's name) is what the webhook's `handover.resolved` says of who closed it."""
        with self._session() as s, s.begin():
            row = s.get(Handover, case_id)
            if row is None:
                return False, None
            resolved = False
            if row.state != "resolved":
                holder = true() if any_holder else Handover.claimed_by == agent_id
                resolved = _changed(
                    s,
                    update(Handover)
                    .where(
                        Handover.conversation_id == row.conversation_id,
                        or_(Handover.state == "open", and_(Handover.state == "claimed", holder)),
                    )
                    .values(state="resolved", resolved_at=utcnow()),
                )
            case = _case_of(s, row)
            if resolved:
                add_resolved(s, case, resolved_by)
            return resolved, case
