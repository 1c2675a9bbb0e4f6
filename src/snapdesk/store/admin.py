"""Queries for the operators' console: every conversation (whoever owns it), filtered, and charts over time.

The figures come from the database, not from one process's counters, so every replica's console shows the
same numbers. Percentiles are computed here in Python: SQLite has no percentile function, and one code path
gives the same result on both databases.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from snapdesk.store.base import StoreBase, messages_of, quantile
from snapdesk.store.case_times import case_times
from snapdesk.store.models import Conversation, Feedback, Handover, Message

PREVIEW_CHARS = 200


def _admin_message(m: Message, ratings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **m.as_dict(),
        "evidence": m.evidence or [],
        "timings": m.timings or {},
        "fields": m.fields or {},
        "passages": m.passages or [],
        "feedback": ratings,
        "agent_id": m.agent_id,  # the console says which key wrote a person's reply; the customer sees the name
    }


def _bucket_start(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.utc)


def conversation_view(s: Session, conversation_id: str) -> dict[str, Any] | None:
    """The console's view of one conversation inside the caller's transaction (the inbox's case view uses it too)."""
    conversation = s.get(Conversation, conversation_id)
    if conversation is None:
        return None
    messages = messages_of(s, conversation_id)
    ratings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in s.scalars(
        select(Feedback).where(Feedback.message_id.in_([m.id for m in messages])).order_by(Feedback.created_at)
    ):
        ratings[f.message_id].append({"rating": f.rating, "comment": f.comment, "created_at": f.created_at})
    handovers = s.scalars(
        select(Handover).where(Handover.conversation_id == conversation_id).order_by(Handover.created_at)
    )
    return {
        "id": conversation.id,
        "owner": conversation.owner,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "messages": [_admin_message(m, ratings[m.id]) for m in messages],
        "handovers": [
            {
                "id": h.id,
                "message_id": h.message_id,
                "team": h.team,
                "summary": h.summary,
                "delivered": h.delivered,
                "attempts": h.attempts,
                "created_at": h.created_at,
                "state": h.state,  # the inbox's case: open, claimed or resolved
            }
            for h in handovers
        ],
    }


class AdminQueries(StoreBase):
    def admin_conversations(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        escalated: bool | None = None,
        negative: bool | None = None,
        intent: str | None = None,
        tier: str | None = None,
    ) -> list[dict[str, Any]]:
        """Conversations newest first (by last activity), each with a summary of its messages.

        A filter left as None does not apply; `escalated`/`negative` False keep only conversations without a
        hand-over / without a thumbs-down. `intent` and `tier` match any answer in the conversation."""
        answers = select(Message.id).where(Message.conversation_id == Conversation.id, Message.role == "assistant")
        query: Select[Any] = select(Conversation)
        if escalated is not None:
            condition = exists(answers.where(Message.escalate.is_(True)))
            query = query.where(condition if escalated else ~condition)
        if negative is not None:
            down = exists(
                select(Feedback.id)
                .join(Message, Message.id == Feedback.message_id)
                .where(Message.conversation_id == Conversation.id, Feedback.rating == "down")
            )
            query = query.where(down if negative else ~down)
        if intent is not None:
            query = query.where(exists(answers.where(Message.intent == intent)))
        if tier is not None:
            query = query.where(exists(answers.where(Message.tier == tier)))
        query = query.order_by(Conversation.updated_at.desc(), Conversation.id).limit(limit).offset(offset)
        with self._session() as s, s.begin():
            conversations = list(s.scalars(query))
            ids = [c.id for c in conversations]
            messages = s.scalars(select(Message).where(Message.conversation_id.in_(ids)).order_by(Message.created_at))
            by_conversation: dict[str, list[Message]] = defaultdict(list)
            for m in messages:
                by_conversation[m.conversation_id].append(m)
            downs = Counter(
                s.scalars(
                    select(Message.conversation_id)
                    .join(Feedback, Feedback.message_id == Message.id)
                    .where(Message.conversation_id.in_(ids), Feedback.rating == "down")
                )
            )
            return [self._summary(c, by_conversation[c.id], downs[c.id]) for c in conversations]

    @staticmethod
    def _summary(c: Conversation, messages: list[Message], downs: int) -> dict[str, Any]:
        questions = [m for m in messages if m.role == "user"]
        answers = [m for m in messages if m.role == "assistant"]
        return {
            "id": c.id,
            "owner": c.owner,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "messages": len(messages),
            "first_question": questions[0].text[:PREVIEW_CHARS] if questions else "",
            "intents": sorted({m.intent for m in answers if m.intent}),
            "tiers": sorted({m.tier for m in answers if m.tier}),
            "escalated": any(m.escalate for m in answers),
            "negative_feedback": downs,
            "screenshots": len({m.image_digest for m in questions if m.image_digest}),
        }

    def admin_conversation(self, *, conversation_id: str) -> dict[str, Any] | None:
        """One conversation, whoever owns it: every message with what produced it, its ratings, its hand-overs."""
        with self._session() as s, s.begin():
            return conversation_view(s, conversation_id)

    def admin_intents(self) -> list[str]:
        """Every intent an answer was given, for the console's filter."""
        with self._session() as s, s.begin():
            return list(
                s.scalars(
                    select(Message.intent)
                    .where(Message.intent.is_not(None))
                    .group_by(Message.intent)
                    .order_by(func.count().desc(), Message.intent)
                )
            )

    def stats(self, *, since: datetime, until: datetime, bucket_seconds: int) -> dict[str, Any]:
        """Requests, latencies, cache hits, tiers, escalations and feedback per time bucket in [since, until).

        Requests are the questions recorded (a refused or held one counts too); the rest come from the
        answers. Per-stage latencies leave cached answers out: those carry the first answer's timings."""
        if bucket_seconds <= 0 or until <= since:
            raise ValueError("need a positive bucket and since < until")
        start = _bucket_start(since, bucket_seconds)
        count = math.ceil((until - start).total_seconds() / bucket_seconds)
        buckets = [_empty_bucket(start + timedelta(seconds=i * bucket_seconds)) for i in range(count)]
        window: dict[str, Any] = {"stages": defaultdict(list), "request": []}

        def bucket(moment: datetime) -> dict[str, Any]:
            return buckets[min(int((moment - start).total_seconds()) // bucket_seconds, count - 1)]

        with self._session() as s, s.begin():
            in_window = (Message.created_at >= start) & (Message.created_at < until)
            for created, status in s.execute(
                select(Message.created_at, Message.status).where(in_window, Message.role == "user")
            ):
                b = bucket(created)
                b["requests"] += 1
                b["failed"] += status == "failed"
            rows = s.execute(
                select(
                    Message.created_at,
                    Message.latency_ms,
                    Message.tier,
                    Message.cached,
                    Message.escalate,
                    Message.timings,
                ).where(in_window, Message.role == "assistant")
            )
            for created, latency, tier, cached, escalate, timings in rows:
                b = bucket(created)
                b["answers"] += 1
                b["cache_hits"] += bool(cached)
                b["escalations"] += bool(escalate)
                b["tiers"][tier or "unknown"] += 1
                if latency is not None:
                    b["_latency"]["request"].append(latency)
                    window["request"].append(latency)
                if cached:
                    continue
                for stage, ms in (timings or {}).items():
                    if stage.endswith("_ms") and isinstance(ms, int | float):
                        b["_latency"][stage[:-3]].append(float(ms))
                        window["stages"][stage[:-3]].append(float(ms))
            for created, rating in s.execute(
                select(Feedback.created_at, Feedback.rating).where(
                    Feedback.created_at >= start, Feedback.created_at < until
                )
            ):
                bucket(created)["feedback"][rating] += 1
            teams = case_times(s, since=start, until=until)
        for b in buckets:
            _finish_bucket(b)
        totals = _empty_bucket(start)
        for b in buckets:
            for key in ("requests", "failed", "answers", "cache_hits", "escalations"):
                totals[key] += b[key]
            totals["tiers"].update(b["tiers"])
            totals["feedback"].update(b["feedback"])
        totals["_latency"] = {"request": window["request"], **window["stages"]}
        _finish_bucket(totals)
        del totals["start"]
        return {
            "start": start,
            "until": until,
            "bucket_seconds": bucket_seconds,
            "buckets": buckets,
            "totals": totals,
            "teams": teams,
        }


def _empty_bucket(start: datetime) -> dict[str, Any]:
    return {
        "start": start,
        "requests": 0,
        "failed": 0,
        "answers": 0,
        "cache_hits": 0,
        "escalations": 0,
        "tiers": Counter(),
        "feedback": Counter({"up": 0, "down": 0}),
        "_latency": defaultdict(list),
    }


def _finish_bucket(b: dict[str, Any]) -> None:
    answers = b["answers"]
    b["cache_hit_rate"] = round(b["cache_hits"] / answers, 4) if answers else None
    b["escalation_rate"] = round(b["escalations"] / answers, 4) if answers else None
    b["tiers"] = dict(b["tiers"])
    b["feedback"] = dict(b["feedback"])
    b["latency_ms"] = {
        stage: {"p50": quantile(values, 0.5), "p95": quantile(values, 0.95), "n": len(values)}
        for stage, values in sorted(b.pop("_latency").items())
    }
