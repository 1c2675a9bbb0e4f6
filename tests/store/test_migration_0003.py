"""Migration 0003 (the operator inbox): keys keep what they could do, earlier hand-overs become open cases, rebuilding
`messages` on SQLite takes no feedback or hand-over with it; and back down to 0002 without losing messages."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from snapdesk.store import Store, current_revision, head_revision
from tests.store.test_inbox import handed_over
from tests.store.test_migration_0002 import _migrate

T = "2026-03-01 10:00:00"


def _rows(url: str, query: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


def _seed_0002(url: str) -> None:
    """Rows as the 0002 code wrote them: an admin and a plain key, an answer with a rating and a hand-over."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for key_id, admin in (("k-admin", True), ("k-shop", False)):
            conn.execute(
                text(
                    "INSERT INTO api_keys (id, name, key_hash, prefix, admin, created_at) "
                    "VALUES (:id, :id, :hash, 'sdk_abcd', :admin, :t)"
                ),
                {"id": key_id, "hash": key_id.ljust(64, "0"), "admin": admin, "t": T},
            )
        conn.execute(text("INSERT INTO conversations VALUES ('c1', 'key:k-shop', :t, :t)"), {"t": T})
        conn.execute(
            text(
                "INSERT INTO messages (id, conversation_id, role, text, escalate, cached, status, created_at) "
                "VALUES ('m1', 'c1', 'assistant', '已为您转人工', true, false, 'ok', :t)"
            ),
            {"t": T},
        )
        conn.execute(text("INSERT INTO feedback VALUES ('f1', 'm1', 'down', NULL, :t)"), {"t": T})
        conn.execute(
            text(
                "INSERT INTO handovers (id, conversation_id, message_id, team, summary, delivered, attempts, "
                "created_at) VALUES ('h1', 'c1', 'm1', '支付风控组', '{}', false, 0, :t)"
            ),
            {"t": T},
        )
    engine.dispose()


def test_0003_keeps_keys_feedback_and_hand_overs(db_url: str, data_dir: Path) -> None:
    _migrate(db_url, "0002")
    _seed_0002(db_url)
    store = Store(db_url, data_dir=data_dir)
    try:
        store.upgrade()
        assert current_revision(db_url) == head_revision()
        roles = _rows(db_url, "SELECT id, role FROM api_keys ORDER BY id")
        assert roles == [("k-admin", "admin"), ("k-shop", "client")]
        assert _rows(db_url, "SELECT count(*) FROM feedback") == [(1,)]  # the rebuilt messages cascaded nowhere
        (case,) = store.inbox(view="open")["cases"]
        assert (case["id"], case["state"], case["team"]) == ("h1", "open", "支付风控组")
        assert store.claim_case(case_id="h1", agent_id="k-agent", agent_name="alice")[0]
        assert store.reply_to_case(case_id="h1", agent_id="k-agent", agent_name="alice", text="您好")[0]
    finally:
        store.dispose()


def test_0003_downgrades_to_0002_without_losing_questions_or_answers(store: Store, db_url: str) -> None:
    agent_id, _ = store.create_api_key(name="alice", role="agent")
    admin_id, _ = store.create_api_key(name="ops", admin=True)
    conversation_id, case_id = handed_over(store)
    answer = store.conversation(conversation_id=conversation_id, owner="key:shop")["messages"][-1]["id"]
    store.add_feedback(message_id=answer, owner="key:shop", rating="down")
    store.claim_case(case_id=case_id, agent_id=agent_id, agent_name="alice")
    store.reply_to_case(case_id=case_id, agent_id=agent_id, agent_name="alice", text="您好")
    store.dispose()
    _migrate(db_url, "0002", down=True)
    assert current_revision(db_url) == "0002"
    roles = sorted(r[0] for r in _rows(db_url, "SELECT role FROM messages"))
    assert roles == ["assistant", "user"]  # a person's reply has no place before 0003
    assert _rows(db_url, "SELECT count(*) FROM feedback") == [(1,)]
    assert _rows(db_url, "SELECT count(*) FROM handovers") == [(1,)]
    keys = dict(_rows(db_url, "SELECT id, revoked_at IS NOT NULL FROM api_keys"))
    assert keys == {agent_id: True, admin_id: False}  # an agent key does not become a customer's key
    assert _rows(db_url, f"SELECT admin FROM api_keys WHERE id = '{admin_id}'") in ([(True,)], [(1,)])
    _migrate(db_url, "head")
    assert current_revision(db_url) == head_revision()
