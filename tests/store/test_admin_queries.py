"""The console's queries: every owner's conversations, filtered; charts bucketed from the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from snapdesk.store import Store
from snapdesk.store.base import quantile
from snapdesk.store.models import Feedback, Message

T0 = datetime(2026, 3, 15, 10, 0, tzinfo=timezone.utc)


def _turn(
    store: Store,
    conversation_id: str,
    *,
    intent: str = "order_status",
    tier: str = "full",
    escalate: bool = False,
    cached: bool = False,
    latency: float = 100.0,
    timings: dict[str, float] | None = None,
) -> tuple[str, str]:
    question = store.add_user_message(conversation_id=conversation_id, text=f"问题 {intent}", image_digest=None)
    store.complete_message(message_id=question, status="ok")
    answer = store.add_assistant_message(
        conversation_id=conversation_id,
        text="答复",
        intent=intent,
        escalate=escalate,
        team="支付组" if escalate else None,
        tier=tier,
        cached=cached,
        latency_ms=latency,
        evidence=[],
        timings=timings,
    )
    return question, answer


def _at(store: Store, moment: datetime, *message_ids: str) -> None:
    with store._session() as s, s.begin():
        s.execute(update(Message).where(Message.id.in_(message_ids)).values(created_at=moment))
        s.execute(update(Feedback).where(Feedback.message_id.in_(message_ids)).values(created_at=moment))


def test_conversations_of_every_owner_newest_first_with_filters(store: Store) -> None:
    plain = store.create_conversation(owner="key:a")
    _turn(store, plain, intent="refund")
    handed = store.create_conversation(owner="key:b")
    _, escalated_answer = _turn(store, handed, intent="payment_failed", escalate=True)
    store.add_handover(conversation_id=handed, message_id=escalated_answer, team="支付组", summary={"answer": "x"})
    disliked = store.create_conversation(owner="local")
    _, answer = _turn(store, disliked, tier="fast")
    assert store.add_feedback(message_id=answer, owner="local", rating="down", comment="没用") is not None

    assert [c["id"] for c in store.admin_conversations()] == [disliked, handed, plain]
    assert [c["id"] for c in store.admin_conversations(escalated=True)] == [handed]
    assert [c["id"] for c in store.admin_conversations(escalated=False)] == [disliked, plain]
    assert [c["id"] for c in store.admin_conversations(negative=True)] == [disliked]
    assert [c["id"] for c in store.admin_conversations(intent="refund")] == [plain]
    assert [c["id"] for c in store.admin_conversations(tier="fast")] == [disliked]
    assert store.admin_conversations(intent="refund", escalated=True) == []
    assert [c["id"] for c in store.admin_conversations(limit=1, offset=1)] == [handed]

    summary = store.admin_conversations(negative=True)[0]
    assert summary["owner"] == "local" and summary["negative_feedback"] == 1 and summary["messages"] == 2
    assert summary["tiers"] == ["fast"] and summary["first_question"] == "问题 order_status"
    assert set(store.admin_intents()) == {"refund", "payment_failed", "order_status"}

    view = store.admin_conversation(conversation_id=handed)
    assert view is not None and view["owner"] == "key:b"
    assert [h["summary"] for h in view["handovers"]] == [{"answer": "x"}]
    assert view["messages"][1]["escalate"] is True and view["messages"][1]["team"] == "支付组"
    rated = store.admin_conversation(conversation_id=disliked)
    assert rated is not None and rated["messages"][1]["feedback"][0]["rating"] == "down"
    assert store.admin_conversation(conversation_id="missing") is None


def test_stats_buckets_requests_latency_cache_tiers_escalations_feedback(store: Store) -> None:
    conversation = store.create_conversation(owner="k")
    first_minute = [
        _turn(store, conversation, latency=100.0, timings={"ocr_ms": 50.0, "engine_ms": 5.0}),
        _turn(store, conversation, latency=300.0, timings={"ocr_ms": 150.0, "engine_ms": 7.0}, escalate=True),
        # A cache hit carries the first answer's timings: its request latency counts, its stage timings do not.
        _turn(store, conversation, latency=2.0, timings={"ocr_ms": 9999.0}, cached=True, tier="cache"),
    ]
    store.add_feedback(message_id=first_minute[0][1], owner="k", rating="up")
    store.add_feedback(message_id=first_minute[1][1], owner="k", rating="down")
    third_minute = [_turn(store, conversation, latency=500.0, timings={"ocr_ms": 400.0}, tier="fast")]
    failed = store.add_user_message(conversation_id=conversation, text="坏图")
    store.complete_message(message_id=failed, status="failed", error_code="not_an_image")
    _at(store, T0 + timedelta(seconds=5), *[m for turn in first_minute for m in turn])
    _at(store, T0 + timedelta(minutes=2, seconds=30), *third_minute[0], failed)

    stats = store.stats(since=T0, until=T0 + timedelta(minutes=3), bucket_seconds=60)
    assert [b["start"] for b in stats["buckets"]] == [T0 + timedelta(minutes=i) for i in range(3)]
    first, empty, third = stats["buckets"]
    assert (first["requests"], first["answers"], first["cache_hits"], first["escalations"]) == (3, 3, 1, 1)
    assert first["cache_hit_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert first["escalation_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert first["tiers"] == {"full": 2, "cache": 1}
    assert first["feedback"] == {"up": 1, "down": 1}
    assert first["latency_ms"]["request"] == {"p50": 100.0, "p95": 280.0, "n": 3}
    assert first["latency_ms"]["ocr"] == {"p50": 100.0, "p95": 145.0, "n": 2}  # not the cached 9999
    assert empty["requests"] == 0 and empty["cache_hit_rate"] is None and empty["latency_ms"] == {}
    assert (third["requests"], third["failed"], third["answers"], third["tiers"]) == (2, 1, 1, {"fast": 1})
    totals = stats["totals"]
    assert (totals["requests"], totals["failed"], totals["answers"]) == (5, 1, 4)
    assert totals["latency_ms"]["ocr"]["n"] == 3 and totals["tiers"] == {"full": 2, "cache": 1, "fast": 1}
    # Outside the window nothing counts.
    later = store.stats(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2), bucket_seconds=3600)
    assert later["totals"]["requests"] == 0 and len(later["buckets"]) == 1


def test_quantile_interpolates_between_ranks() -> None:
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.95) == 7.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile(list(map(float, range(1, 101))), 0.95) == 95.05
