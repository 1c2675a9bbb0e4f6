"""The webhook's outbox in the store: a person's reply and a case's resolution each queue their event in their own
transaction (a refused change queues nothing, a failed one neither change nor event), queued after the hand-over
they follow, and delivery attempts counted. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from snapdesk.store import Store
from snapdesk.store.models import WebhookEvent
from tests.store.test_inbox import handed_over

TEAM = "支付风控组"


def events(store: Store) -> list[dict[str, Any]]:
    """Every stored event, delivered or not, in the order written."""
    with Session(store.engine) as s:
        rows = s.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at))
        return [{"event": e.event, "attempts": e.attempts, "delivered": e.delivered, **e.payload} for e in rows]


def claimed(store: Store, agent: str = "alice") -> tuple[str, str]:
    conversation_id, case_id = handed_over(store)
    assert store.claim_case(case_id=case_id, agent_id=f"{agent}-id", agent_name=agent)[0]
    return conversation_id, case_id


def test_replies_and_a_resolution_are_queued_after_their_hand_over(store: Store) -> None:
    conversation_id, case_id = claimed(store)
    assert [item["event"] for item in store.pending_webhooks()] == ["handover.created"]  # a claim tells nobody
    first_id, first = store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="您好")
    second_id, second = store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="在吗")
    assert first is not None and first["first_reply"] is True
    assert second is not None and second["first_reply"] is False and second["first_reply_at"] == first["first_reply_at"]
    resolved, done = store.resolve_case(case_id=case_id, agent_id="alice-id", resolved_by="alice")
    assert resolved and done is not None

    pending = store.pending_webhooks()
    assert [i["event"] for i in pending] == [
        "handover.created",
        "handover.replied",
        "handover.replied",
        "handover.resolved",
    ]
    assert [i["kind"] for i in pending] == ["handover", "event", "event", "event"]
    assert pending[0]["id"] == case_id and pending[0]["payload"]["team"] == TEAM
    conversation = store.conversation(conversation_id=conversation_id, owner="key:shop")
    assert conversation is not None
    reply = next(m for m in conversation["messages"] if m["id"] == first_id)
    assert pending[1]["payload"] == {
        "case_id": case_id,
        "conversation_id": conversation_id,
        "message_id": first_id,
        "agent_name": "alice",
        "text": "您好",
        "team": TEAM,
        "first_reply": True,
        "at": reply["created_at"].isoformat(),
    }
    assert (pending[2]["payload"]["message_id"], pending[2]["payload"]["first_reply"]) == (second_id, False)
    assert pending[3]["payload"] == {
        "case_id": case_id,
        "conversation_id": conversation_id,
        "team": TEAM,
        "resolved_by": "alice",
        "at": done["resolved_at"].isoformat(),
    }
    assert [i["id"] for i in store.pending_webhooks(limit=2)] == [i["id"] for i in pending[:2]]


def test_each_delivery_attempt_is_counted_and_a_delivered_item_leaves_the_queue(store: Store) -> None:
    _, case_id = claimed(store)
    store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="您好")
    handover, replied = store.pending_webhooks()
    assert store.record_webhook_attempt(kind="event", item_id=replied["id"], delivered=False, error="HTTP 503")
    assert store.pending_webhooks()[1]["attempts"] == 1 and store.pending_webhooks()[1]["last_error"] == "HTTP 503"
    assert store.record_webhook_attempt(kind="event", item_id=replied["id"], delivered=True)
    assert store.record_webhook_attempt(kind="handover", item_id=handover["id"], delivered=True)
    assert store.pending_webhooks() == [] and store.undelivered_handovers() == []
    assert [(e["attempts"], e["delivered"]) for e in events(store)] == [(2, True)]
    # Another replica's attempt that failed after this one's succeeded does not put it back in the queue.
    assert store.record_webhook_attempt(kind="event", item_id=replied["id"], delivered=False, error="timeout")
    assert store.pending_webhooks() == [] and [e["delivered"] for e in events(store)] == [True]
    assert store.record_webhook_attempt(kind="event", item_id="0" * 32, delivered=True) is False
    with pytest.raises(ValueError):
        store.record_webhook_attempt(kind="email", item_id=replied["id"], delivered=True)


def test_a_refused_reply_or_resolution_queues_no_event(store: Store) -> None:
    _, case_id = claimed(store)
    assert store.reply_to_case(case_id=case_id, agent_id="bob-id", agent_name="bob", text="我来")[0] is None
    assert store.resolve_case(case_id=case_id, agent_id="bob-id", resolved_by="bob")[0] is False
    assert store.reply_to_case(case_id="0" * 32, agent_id="alice-id", agent_name="alice", text="hi") == (None, None)
    assert events(store) == []
    assert store.resolve_case(case_id=case_id, agent_id="alice-id", resolved_by="alice")[0]
    assert store.resolve_case(case_id=case_id, agent_id="alice-id", resolved_by="alice")[0] is False  # already
    assert store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="还在吗")[0] is None
    assert [e["event"] for e in events(store)] == ["handover.resolved"]


def test_the_event_is_written_in_the_same_transaction_as_the_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply whose event cannot be written is not written either (and the other way round): the transaction that
    adds the reply and sets first_reply_at rolls back whole, as it would on a crash before commit."""
    conversation_id, case_id = claimed(store)

    def crash(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the process died here")

    monkeypatch.setattr("snapdesk.store.inbox.add_replied", crash)
    with pytest.raises(RuntimeError):
        store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="您好")
    conversation = store.conversation(conversation_id=conversation_id, owner="key:shop")
    assert conversation is not None and [m["role"] for m in conversation["messages"]] == ["user", "assistant"]
    monkeypatch.setattr("snapdesk.store.inbox.add_resolved", crash)
    with pytest.raises(RuntimeError):
        store.resolve_case(case_id=case_id, agent_id="alice-id", resolved_by="alice")
    (case,) = store.inbox(view="mine", agent_id="alice-id")["cases"]
    assert (case["state"], case["first_reply_at"], case["resolved_at"]) == ("claimed", None, None)
    assert events(store) == []
    monkeypatch.undo()
    _, replied = store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="您好")
    assert replied is not None and replied["first_reply"] is True  # the rolled-back one never counted
    assert [e["event"] for e in events(store)] == ["handover.replied"]
