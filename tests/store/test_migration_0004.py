"""Migration 0004 (the webhook's outbox): a database at 0003 with cases in every state keeps them all, and replies and
resolutions made after the upgrade queue their events behind the hand-overs already waiting; and back down to 0003."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import create_engine, inspect, text

from snapdesk.store import Store, current_revision, head_revision
from tests.store.test_inbox import handed_over
from tests.store.test_migration_0002 import _migrate
from tests.store.test_migration_0003 import _rows

T = "2026-03-01 10:00:00"


def _seed_0003(url: str) -> None:
    """Rows as the 0003 code wrote them: two conversations handed over, one case claimed by alice (not yet delivered
    to the webhook), one open and already delivered."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for n, (state, delivered, claimed_by) in enumerate((("claimed", False, "k-alice"), ("open", True, None)), 1):
            conn.execute(text(f"INSERT INTO conversations VALUES ('c{n}', 'key:k-shop', :t, :t)"), {"t": T})
            conn.execute(
                text(
                    "INSERT INTO messages (id, conversation_id, role, text, escalate, cached, status, created_at) "
                    f"VALUES ('m{n}', 'c{n}', 'assistant', '已为您转人工', true, false, 'ok', :t)"
                ),
                {"t": T},
            )
            conn.execute(
                text(
                    "INSERT INTO handovers (id, conversation_id, message_id, team, summary, delivered, attempts, "
                    "created_at, state, claimed_by, claimed_by_name, claimed_at) VALUES "
                    f"('h{n}', 'c{n}', 'm{n}', '物流组', '{{}}', :delivered, 1, :t, :state, :by, :name, :claimed)"
                ),
                {
                    "t": T,
                    "delivered": delivered,
                    "state": state,
                    "by": claimed_by,
                    "name": claimed_by and "alice",
                    "claimed": claimed_by and T,
                },
            )
    engine.dispose()


def test_0004_adds_the_outbox_and_keeps_every_case(db_url: str, make_store: Callable[[], Store]) -> None:
    _migrate(db_url, "0003")
    _seed_0003(db_url)
    store = make_store()  # upgrades, as the service does at start
    assert current_revision(db_url) == head_revision() == "0004"
    assert _rows(db_url, "SELECT count(*) FROM webhook_events") == [(0,)]  # none made up for the past
    engine = create_engine(db_url)
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("webhook_events")}
    engine.dispose()
    assert indexes == {"ix_webhook_events_delivered": ["delivered"]}
    (mine,) = store.inbox(view="mine", agent_id="k-alice")["cases"]
    assert (mine["id"], mine["claimed_by_name"], mine["team"]) == ("h1", "alice", "物流组")
    assert [c["id"] for c in store.inbox(view="open")["cases"]] == ["h2"]

    message_id, _ = store.reply_to_case(case_id="h1", agent_id="k-alice", agent_name="alice", text="您好")
    assert message_id is not None
    assert store.resolve_case(case_id="h2", agent_id="k-bob", resolved_by="bob")[0]
    pending = store.pending_webhooks()
    assert [(i["event"], i["attempts"]) for i in pending] == [
        ("handover.created", 1),  # h1 was waiting before the upgrade: it still goes first
        ("handover.replied", 0),
        ("handover.resolved", 0),
    ]
    assert (pending[1]["payload"]["case_id"], pending[2]["payload"]["case_id"]) == ("h1", "h2")


def test_0004_downgrades_to_0003_keeping_the_cases(store: Store, db_url: str) -> None:
    _, case_id = handed_over(store)
    assert store.resolve_case(case_id=case_id, agent_id="k-alice", resolved_by="alice")[0]
    store.dispose()
    _migrate(db_url, "0003", down=True)
    assert current_revision(db_url) == "0003"
    engine = create_engine(db_url)
    assert "webhook_events" not in inspect(engine).get_table_names()
    engine.dispose()
    assert _rows(db_url, "SELECT id, state FROM handovers") == [(case_id, "resolved")]
    _migrate(db_url, "head")
    assert current_revision(db_url) == head_revision()
    assert _rows(db_url, "SELECT count(*) FROM webhook_events") == [(0,)]
