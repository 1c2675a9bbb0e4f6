"""Migration 0002: answers recorded before it keep working; answers after it carry timings, fields, passages."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from snapdesk.store import Store, current_revision, head_revision
from snapdesk.store.db import migration_engine
from snapdesk.store.migrate import alembic_config


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    # As migrate.upgrade does it (one connection, the migration lock), but to a chosen revision.
    cfg = alembic_config(url)
    engine = migration_engine(url)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(cfg, revision)
    finally:
        engine.dispose()


def _message_columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("messages")}
    finally:
        engine.dispose()


def test_an_answer_stored_at_0001_reads_back_after_0002(db_url: str, data_dir: Path) -> None:
    _migrate(db_url, "0001")
    assert current_revision(db_url) == "0001"
    assert "timings" not in _message_columns(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # a row as the 0001 code wrote it: no timings, fields or passages columns
        conn.execute(
            text("INSERT INTO conversations (id, owner, created_at, updated_at) VALUES ('c1', 'k', :t, :t)"),
            {"t": "2026-03-01 10:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO messages (id, conversation_id, role, text, escalate, cached, status, created_at) "
                "VALUES ('m1', 'c1', 'assistant', 'old answer', false, false, 'ok', :t)"
            ),
            {"t": "2026-03-01 10:00:01"},
        )
    engine.dispose()
    store = Store(db_url, data_dir=data_dir)
    try:
        store.upgrade()
        assert current_revision(db_url) == head_revision()
        assert {"timings", "fields", "passages"} <= _message_columns(db_url)
        old = store.admin_conversation(conversation_id="c1")
        assert old is not None
        assert [(m["text"], m["timings"], m["fields"], m["passages"]) for m in old["messages"]] == [
            ("old answer", {}, {}, [])
        ]
        store.add_assistant_message(
            conversation_id="c1",
            text="new answer",
            intent="order_status",
            escalate=False,
            team=None,
            tier="full",
            cached=False,
            latency_ms=812.5,
            evidence=[],
            timings={"ocr_ms": 640.0, "total_ms": 790.1},
            fields={"order_numbers": ["202611240087731"]},
            passages=[{"id": "订单状态.md#待补充地址", "score": 7.5}],
        )
        new = store.admin_conversation(conversation_id="c1")
        assert new is not None
        latest = new["messages"][-1]
        assert latest["timings"] == {"ocr_ms": 640.0, "total_ms": 790.1}
        assert latest["fields"] == {"order_numbers": ["202611240087731"]}
        assert latest["passages"] == [{"id": "订单状态.md#待补充地址", "score": 7.5}]
    finally:
        store.dispose()


def test_0002_downgrades_to_0001_without_losing_messages(store: Store, db_url: str) -> None:
    conversation_id = store.create_conversation(owner="k")
    store.add_user_message(conversation_id=conversation_id, text="为什么还没发货")
    answer = store.add_assistant_message(
        conversation_id=conversation_id,
        text="请补充地址",
        intent="order_status",
        escalate=True,
        team="物流组",
        tier="full",
        cached=False,
        latency_ms=500.0,
        evidence=[],
    )
    store.add_feedback(message_id=answer, rating="down", owner="k")
    store.add_handover(conversation_id=conversation_id, message_id=answer, team="物流组", summary={"answer": "x"})
    store.dispose()  # pooled connections would keep SQLite's old table definition around the rebuild
    _migrate(db_url, "0001", down=True)
    assert current_revision(db_url) == "0001"
    assert not {"timings", "fields", "passages"} & _message_columns(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT text FROM messages")).scalars()) == ["为什么还没发货", "请补充地址"]
        # Rebuilding messages must not cascade to the rows that refer to it.
        assert conn.execute(text("SELECT count(*) FROM feedback")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM handovers")).scalar() == 1
    engine.dispose()
    _migrate(db_url, "head")
    assert current_revision(db_url) == head_revision()
