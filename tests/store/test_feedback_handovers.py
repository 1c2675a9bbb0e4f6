"""Feedback on answers (only by the conversation's owner) and the handover queue's delivery bookkeeping."""

from __future__ import annotations

import pytest

from snapdesk.store import Store


def _conversation_with_answer(store: Store, owner: str = "key1") -> tuple[str, str]:
    cid = store.create_conversation(owner=owner)
    store.add_user_message(conversation_id=cid, text="扣款了但订单没成功", image_digest=None)
    answer = store.add_assistant_message(
        conversation_id=cid,
        text="请稍候，已为你转人工",
        intent="payment_error",
        escalate=True,
        team="payments",
        tier="full",
        cached=False,
        latency_ms=30.0,
        evidence=[],
    )
    return cid, answer


def test_owner_can_rate_an_answer(store: Store) -> None:
    _, answer = _conversation_with_answer(store)
    assert store.add_feedback(message_id=answer, owner="key1", rating="up") is not None
    assert store.add_feedback(message_id=answer, owner="key1", rating="down", comment="没解决") is not None


def test_feedback_on_a_missing_or_someone_elses_message_is_none(store: Store) -> None:
    _, answer = _conversation_with_answer(store)
    assert store.add_feedback(message_id=answer, owner="browser:someone", rating="up") is None
    assert store.add_feedback(message_id="0" * 32, owner="key1", rating="up") is None


def test_rating_must_be_up_or_down(store: Store) -> None:
    _, answer = _conversation_with_answer(store)
    with pytest.raises(ValueError, match="rating"):
        store.add_feedback(message_id=answer, owner="key1", rating="meh")


def test_handover_queue_counts_attempts_until_delivered(store: Store) -> None:
    cid, answer = _conversation_with_answer(store)
    summary = {"intent": "payment_error", "fields": {"order_no": "202603150087731"}}
    hid = store.add_handover(conversation_id=cid, message_id=answer, team="payments", summary=summary)
    other = store.add_handover(conversation_id=cid, message_id=answer, team=None, summary={})

    pending = store.undelivered_handovers()
    assert [h["id"] for h in pending] == [hid, other]
    assert pending[0]["summary"] == summary and pending[0]["team"] == "payments"
    assert (pending[0]["attempts"], pending[0]["last_error"]) == (0, None)
    assert [h["id"] for h in store.undelivered_handovers(limit=1)] == [hid]

    assert store.record_delivery(handover_id=hid, delivered=False, error="webhook 503")
    assert store.record_delivery(handover_id=hid, delivered=False, error="timeout")
    failed = store.undelivered_handovers()[0]
    assert (failed["id"], failed["attempts"], failed["last_error"]) == (hid, 2, "timeout")

    assert store.record_delivery(handover_id=hid, delivered=True)
    assert [h["id"] for h in store.undelivered_handovers()] == [other]
    assert store.record_delivery(handover_id="0" * 32, delivered=True) is False
