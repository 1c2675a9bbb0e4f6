"""The operator inbox's store: cases claimed by one agent at a time (two Stores racing, as two replicas do), replies
kept as written, resolved cases, and a conversation handed over twice being one case. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from snapdesk.store import Store

SUMMARY = {"answer": "已为您转人工", "intent": "payment_error", "fields": {}, "evidence": [], "passages": []}
ANSWER = {"text": "已为您转人工", "intent": "payment_error", "escalate": True, "tier": "full", "cached": False}


def held(store: Store, conversation_id: str) -> bool:
    context = store.conversation_for_turn(conversation_id=conversation_id, owner="key:shop")
    assert context is not None
    return context.held_by_person


def handed_over(
    store: Store, *, team: str | None = "支付风控组", conversation_id: str | None = None
) -> tuple[str, str]:
    """A question and an escalated answer with its hand-over, as a chat turn records them: (conversation, case)."""
    conversation_id, question = store.begin_turn(owner="key:shop", conversation_id=conversation_id, text="付不了钱")
    handover = {"team": team, "summary": SUMMARY}
    answer = {"team": team, "latency_ms": 1.0, "evidence": [], **ANSWER}
    store.finish_turn(conversation_id=conversation_id, question_id=question, handover=handover, **answer)
    case_id = store.undelivered_handovers()[-1]["id"]
    return conversation_id, case_id


def test_a_case_is_claimed_answered_and_resolved(store: Store) -> None:
    conversation_id, case_id = handed_over(store)
    other, _ = handed_over(store, team="物流组")
    inbox = store.inbox(view="open")
    assert [c["conversation_id"] for c in inbox["cases"]] == [conversation_id, other]  # longest-waiting first
    assert inbox["open_per_team"] == [{"team": "支付风控组", "open": 1}, {"team": "物流组", "open": 1}]  # by name
    assert [c["conversation_id"] for c in store.inbox(view="open", order="newest")["cases"]] == [other, conversation_id]
    assert held(store, conversation_id) is False

    won, case = store.claim_case(case_id=case_id, agent_id="alice-id", agent_name="alice")
    assert won and case is not None and (case["state"], case["claimed_by_name"]) == ("claimed", "alice")
    assert held(store, conversation_id) is True
    lost, holder = store.claim_case(case_id=case_id, agent_id="bob-id", agent_name="bob")
    assert not lost and holder is not None and holder["claimed_by"] == "alice-id"
    assert store.claim_case(case_id=case_id, agent_id="alice-id", agent_name="alice")[0]  # one's own, again
    assert [c["id"] for c in store.inbox(view="mine", agent_id="alice-id")["cases"]] == [case_id]
    assert store.inbox(view="mine", agent_id="bob-id")["cases"] == []

    assert store.reply_to_case(case_id=case_id, agent_id="bob-id", agent_name="bob", text="我来")[0] is None
    written = "请拨打 13800138000 联系风控专员"  # kept as written: the customer needs the number
    message_id, replied = store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text=written)
    assert message_id is not None and replied is not None and replied["first_reply_at"] is not None
    conversation = store.conversation(conversation_id=conversation_id, owner="key:shop")
    assert conversation is not None
    last = conversation["messages"][-1]
    assert (last["role"], last["text"], last["agent_name"]) == ("agent", written, "alice")

    assert store.resolve_case(case_id=case_id, agent_id="bob-id")[0] is False  # bob does not hold it
    resolved, done = store.resolve_case(case_id=case_id, agent_id="alice-id")
    assert resolved and done is not None and done["state"] == "resolved" and done["resolved_at"] is not None
    assert held(store, conversation_id) is False
    assert [c["id"] for c in store.inbox(view="resolved")["cases"]] == [case_id]
    assert store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="还在吗")[0] is None
    assert store.claim_case(case_id="0" * 32, agent_id="alice-id", agent_name="alice") == (False, None)


def test_a_second_hand_over_before_the_claim_joins_the_open_case(store: Store) -> None:
    conversation_id, case_id = handed_over(store)
    handed_over(store, conversation_id=conversation_id)
    assert [c["id"] for c in store.inbox(view="open")["cases"]] == [case_id]
    assert store.inbox(view="open")["open_per_team"] == [{"team": "支付风控组", "open": 1}]
    assert store.claim_case(case_id=case_id, agent_id="alice-id", agent_name="alice")[0]
    assert store.inbox(view="open")["cases"] == []  # both hand-overs went to alice
    # Handed over again after it was resolved: a new case, and the resolved one stays listed as it was.
    assert store.resolve_case(case_id=case_id, agent_id="alice-id")[0]
    _, second = handed_over(store, conversation_id=conversation_id)
    assert [c["id"] for c in store.inbox(view="open")["cases"]] == [second]
    assert store.claim_case(case_id=case_id, agent_id="bob-id", agent_name="bob")[0] is False  # resolved
    assert [c["id"] for c in store.inbox(view="resolved")["cases"]] == [case_id]


def _race(stores: list[Store], case_id: str, agents: int = 4) -> list[bool]:
    """Agents claiming one case at the same moment, alternately through each Store; whether each won."""
    barrier = threading.Barrier(agents)
    results: list[bool] = []

    def claim(store: Store, agent: str) -> None:
        barrier.wait()
        results.append(store.claim_case(case_id=case_id, agent_id=agent, agent_name=agent)[0])

    threads = [threading.Thread(target=claim, args=(stores[n % len(stores)], f"agent{n}")) for n in range(agents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_of_agents_claiming_at_once_in_two_stores_exactly_one_wins(make_store: Callable[[], Store]) -> None:
    # Two Stores on one database are two replicas: their claims meet only in the database's conditional UPDATE.
    stores = [make_store(), make_store()]
    for _ in range(3):
        _, case_id = handed_over(stores[0])
        assert sorted(_race(stores, case_id)) == [False, False, False, True]
        assert stores[1].inbox(view="open")["cases"] == []  # the winner holds it, seen from the other replica
