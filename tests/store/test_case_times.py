"""People's times per team for the console: a case counted once however many hand-overs it joined, timed from its
first hand-over to a person's first reply and to its resolution. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from snapdesk.store import Store
from snapdesk.store.base import utcnow
from snapdesk.store.models import Handover
from tests.store.test_inbox import handed_over


def test_a_case_is_timed_once_from_its_first_hand_over(store: Store) -> None:
    conversation_id, case_id = handed_over(store)
    handed_over(store, conversation_id=conversation_id)  # a second hand-over joins the open case
    handed_over(store, team="物流组")  # another team's case, nobody answers it
    with store.engine.begin() as conn:  # the first case was handed over ten minutes ago
        conn.execute(update(Handover).where(Handover.id == case_id).values(created_at=utcnow() - timedelta(minutes=10)))
    assert store.claim_case(case_id=case_id, agent_id="alice-id", agent_name="alice")[0]
    store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="您好")
    store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="还需要别的帮助吗")
    assert store.resolve_case(case_id=case_id, agent_id="alice-id")[0]

    now = utcnow()
    stats = store.stats(since=now - timedelta(hours=1), until=now + timedelta(seconds=1), bucket_seconds=3600)
    risk, logistics = stats["teams"]
    assert (risk["team"], risk["cases"], risk["first_reply"]["n"], risk["resolve"]["n"]) == ("支付风控组", 1, 1, 1)
    assert 595 <= risk["first_reply"]["p50"] <= risk["resolve"]["p50"] < 660  # from the first hand-over, not the second
    assert (logistics["team"], logistics["cases"], logistics["first_reply"]) == (
        "物流组",
        1,
        {"n": 0, "p50": None, "p90": None},
    )
