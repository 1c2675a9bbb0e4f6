"""Conversations and messages: ownership, order, the pending-then-final status, history, atomic writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from snapdesk.store import Store
from snapdesk.store.models import Conversation, Message

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def _answer(store: Store, conversation_id: str, text: str = "answer", **overrides: object) -> str:
    fields: dict[str, object] = {
        "intent": "refund",
        "escalate": False,
        "team": None,
        "tier": "full",
        "cached": False,
        "latency_ms": 12.5,
        "evidence": [{"article": "退款与售后", "score": 0.9}],
    }
    fields.update(overrides)
    return store.add_assistant_message(conversation_id=conversation_id, text=text, **fields)


def _count(store: Store, model: type) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def test_round_trip_keeps_messages_in_order(store: Store) -> None:
    cid = store.create_conversation(owner="key1")
    q1 = store.add_user_message(conversation_id=cid, text="退款多久到账？", image_digest=DIGEST_A)
    a1 = _answer(store, cid, "1-3 个工作日", escalate=True, team="refunds", cached=True)
    store.complete_message(message_id=q1, status="ok")
    q2 = store.add_user_message(conversation_id=cid, text="还没到", image_digest=None)
    a2 = _answer(store, cid, "已转人工")
    store.complete_message(message_id=q2, status="ok")

    conv = store.conversation(conversation_id=cid, owner="key1")
    assert conv is not None
    assert conv["id"] == cid
    assert conv["created_at"].tzinfo is not None and conv["created_at"].utcoffset().total_seconds() == 0
    assert [m["id"] for m in conv["messages"]] == [q1, a1, q2, a2]
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant", "user", "assistant"]
    first, answer = conv["messages"][0], conv["messages"][1]
    assert first["text"] == "退款多久到账？" and first["image_digest"] == DIGEST_A and first["status"] == "ok"
    assert answer["text"] == "1-3 个工作日"
    assert (answer["intent"], answer["escalate"], answer["team"], answer["tier"]) == ("refund", True, "refunds", "full")
    assert answer["cached"] is True and answer["latency_ms"] == 12.5
    assert answer["evidence"] == [{"article": "退款与售后", "score": 0.9}]
    assert answer["status"] == "ok" and answer["created_at"] > first["created_at"]
    assert conv["updated_at"] >= answer["created_at"]


def test_someone_elses_or_missing_conversation_is_none(store: Store) -> None:
    cid = store.create_conversation(owner="key1")
    assert store.conversation(conversation_id=cid, owner="browser:abc") is None
    assert store.conversation(conversation_id="0" * 32, owner="key1") is None


def test_question_is_pending_before_the_answer_and_a_failure_is_kept(store: Store) -> None:
    cid = store.create_conversation(owner="k")
    mid = store.add_user_message(conversation_id=cid, text="截图看不清", image_digest=DIGEST_A)
    conv = store.conversation(conversation_id=cid, owner="k")
    assert conv is not None
    assert [(m["id"], m["status"]) for m in conv["messages"]] == [(mid, "pending")]

    assert store.complete_message(message_id=mid, status="failed", error_code="engine_timeout")
    conv = store.conversation(conversation_id=cid, owner="k")
    assert conv is not None
    assert (conv["messages"][0]["status"], conv["messages"][0]["error_code"]) == ("failed", "engine_timeout")


def test_complete_message_checks_its_input(store: Store) -> None:
    cid = store.create_conversation(owner="k")
    mid = store.add_user_message(conversation_id=cid, text="q", image_digest=None)
    with pytest.raises(ValueError, match="status"):
        store.complete_message(message_id=mid, status="done")
    assert store.complete_message(message_id="f" * 32, status="ok") is False


def test_history_is_the_newest_messages_oldest_first(store: Store) -> None:
    cid = store.create_conversation(owner="k")
    for i in range(5):
        store.add_user_message(conversation_id=cid, text=f"q{i}", image_digest=DIGEST_A if i == 1 else None)
        _answer(store, cid, f"a{i}")
    history = store.history(conversation_id=cid, limit=4)
    assert [(h["role"], h["text"]) for h in history] == [
        ("user", "q3"),
        ("assistant", "a3"),
        ("user", "q4"),
        ("assistant", "a4"),
    ]
    assert len(store.history(conversation_id=cid)) == 8
    third = store.history(conversation_id=cid, limit=10)[2]
    assert set(third) == {"id", "role", "text", "image_digest", "status"}
    assert (third["role"], third["text"], third["image_digest"], third["status"]) == ("user", "q1", DIGEST_A, "pending")
    assert store.history(conversation_id="0" * 32) == []


def _last_image(store: Store, cid: str) -> str | None:
    context = store.conversation_for_turn(conversation_id=cid, owner="k")
    assert context is not None and not context.held_by_person
    return context.last_image_digest


def test_a_turn_finds_the_conversations_newest_screenshot(store: Store) -> None:
    cid = store.create_conversation(owner="k")
    assert _last_image(store, cid) is None
    store.add_user_message(conversation_id=cid, text="看这张", image_digest=DIGEST_A)
    store.add_user_message(conversation_id=cid, text="这张呢", image_digest=None)
    assert _last_image(store, cid) == DIGEST_A
    timed_out = store.add_user_message(conversation_id=cid, text="还有这张", image_digest=DIGEST_B)
    store.complete_message(message_id=timed_out, status="failed", error_code="engine_timeout")
    assert _last_image(store, cid) == DIGEST_B  # the answer failed, not the image
    assert store.conversation_for_turn(conversation_id="0" * 32, owner="k") is None


def test_unknown_conversation_raises_and_writes_nothing(store: Store) -> None:
    before = _count(store, Message)
    with pytest.raises(LookupError):
        _answer(store, "0" * 32)
    with pytest.raises(LookupError):
        store.add_user_message(conversation_id="0" * 32, text="q", image_digest=None)
    assert _count(store, Message) == before


def test_failure_after_a_write_rolls_the_whole_transaction_back(store: Store) -> None:
    # add_assistant_message updates the conversation, then inserts the message; the insert fails (evidence
    # that is not JSON), so the conversation update must be undone too.
    cid = store.create_conversation(owner="k")
    _answer(store, cid, "first")
    with store.engine.connect() as conn:
        updated_before = conn.scalar(select(Conversation.updated_at).where(Conversation.id == cid))
    messages_before = _count(store, Message)

    # SQLAlchemy serialises JSON for SQLite (StatementError); psycopg does it itself for PostgreSQL (TypeError).
    with pytest.raises((StatementError, TypeError)):
        _answer(store, cid, "second", evidence={"not json": object()})

    assert _count(store, Message) == messages_before
    with store.engine.connect() as conn:
        assert conn.scalar(select(Conversation.updated_at).where(Conversation.id == cid)) == updated_before
    conv = store.conversation(conversation_id=cid, owner="k")
    assert conv is not None and [m["text"] for m in conv["messages"]] == ["first"]


def test_begin_turn_records_a_new_conversation_and_its_question_in_one_transaction(store: Store) -> None:
    cid, qid = store.begin_turn(owner="key1", conversation_id=None, text="退款多久到账？", image_digest=DIGEST_A)
    assert store.conversation_for_turn(conversation_id=cid, owner="key1") is not None
    assert store.conversation_for_turn(conversation_id=cid, owner="key2") is None  # someone else's: not found
    [question] = store.conversation(conversation_id=cid, owner="key1")["messages"]
    assert (question["id"], question["status"], question["image_digest"]) == (qid, "pending", DIGEST_A)
    # In an existing conversation; an unknown one records nothing at all.
    store.begin_turn(conversation_id=cid, text="还没到", status="failed", error_code="truncated_image")
    assert store.conversation(conversation_id=cid, owner="key1")["messages"][1]["error_code"] == "truncated_image"
    before = (_count(store, Conversation), _count(store, Message))
    with pytest.raises(LookupError):
        store.begin_turn(conversation_id="nope", text="x")
    with pytest.raises(ValueError):
        store.begin_turn(conversation_id=None, text="x")  # a new conversation needs its owner
    assert (_count(store, Conversation), _count(store, Message)) == before


def test_finish_turn_records_the_answer_and_settles_the_question_together(store: Store) -> None:
    cid, qid = store.begin_turn(owner="key1", conversation_id=None, text="退款多久到账？")
    answer = {"text": "1-3 个工作日", "intent": "refund", "escalate": False, "team": None, "tier": "full"}
    aid = store.finish_turn(conversation_id=cid, question_id=qid, cached=False, latency_ms=3.0, evidence=[], **answer)
    question, reply = store.conversation(conversation_id=cid, owner="key1")["messages"]
    assert question["status"] == "ok"
    assert (reply["id"], reply["role"], reply["text"]) == (aid, "assistant", "1-3 个工作日")
    before = _count(store, Message)
    with pytest.raises(LookupError):  # an unknown question: no answer recorded either
        store.finish_turn(conversation_id=cid, question_id="nope", cached=False, evidence=[], **answer)
    _, pending = store.begin_turn(conversation_id=cid, text="还有吗")
    # An answer that cannot be written (evidence that is not JSON) leaves the question pending, not ok.
    with pytest.raises((StatementError, TypeError)):
        store.finish_turn(conversation_id=cid, question_id=pending, cached=False, evidence=[object()], **answer)
    assert _count(store, Message) == before + 1
    statuses = [m["status"] for m in store.conversation(conversation_id=cid, owner="key1")["messages"]]
    assert statuses == ["ok", "ok", "pending"]


def test_an_escalated_answer_and_its_handover_are_recorded_together(store: Store) -> None:
    from snapdesk.store.models import Handover

    cid, qid = store.begin_turn(owner="key1", conversation_id=None, text="账号被冻结了")
    answer = {"text": "已为您转人工", "intent": "account", "escalate": True, "team": "账号安全组", "tier": "full"}
    handover = {"team": "账号安全组", "summary": {"answer": "已为您转人工"}}
    aid = store.finish_turn(
        conversation_id=cid, question_id=qid, handover=handover, cached=False, evidence=[], **answer
    )
    [queued] = store.undelivered_handovers()
    assert (queued["message_id"], queued["team"]) == (aid, "账号安全组")
    # A hand-over that cannot be written takes the answer (and the question's "ok") with it.
    _, pending = store.begin_turn(conversation_id=cid, text="还有吗")
    broken = {"team": "账号安全组", "summary": {"not json": object()}}
    with pytest.raises((StatementError, TypeError)):
        store.finish_turn(
            conversation_id=cid, question_id=pending, handover=broken, cached=False, evidence=[], **answer
        )
    statuses = [m["status"] for m in store.conversation(conversation_id=cid, owner="key1")["messages"]]
    assert statuses == ["ok", "ok", "pending"] and _count(store, Handover) == 1


def test_new_messages_leave_out_those_too_young_to_be_settled(store: Store) -> None:
    cid, first = store.begin_turn(owner="k", conversation_id=None, text="q1")
    _, second = store.begin_turn(owner="k", conversation_id=cid, text="q2")
    everything = store.messages_after(conversation_id=cid, owner="k", after=None)
    assert everything is not None and [m["id"] for m in everything["messages"]] == [first, second]
    created = everything["messages"][1]["created_at"]
    settled = store.messages_after(
        conversation_id=cid, owner="k", after=first, until=created - timedelta(microseconds=1)
    )
    assert settled is not None and settled["messages"] == []  # written after `until`: the next look hands it out
    assert store.messages_after(conversation_id=cid, owner="other", after=None) is None
