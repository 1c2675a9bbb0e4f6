"""Hand-overs, and the replies and resolutions of their cases, reach the webhook through failures, in the order they
were written, signed; a failing webhook or a restart never loses one."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from snapdesk.errors import DatabaseUnavailableError
from snapdesk.service import background
from snapdesk.service.background import WebhookDelivery
from snapdesk.store import Store
from snapdesk.store.models import Handover, WebhookEvent
from tests.store.conftest import data_dir, db_url, make_store  # noqa: F401 - fixtures used by tests here
from tests.store.test_inbox import handed_over

EVENTS = ["handover.created", "handover.replied", "handover.resolved"]


class Receiver:
    """A real HTTP server on loopback that fails the first `failures` deliveries, and then the first deliveries of
    each event named in `refuse` (as many as it says)."""

    def __init__(self, failures: int = 0, refuse: dict[str, int] | None = None) -> None:
        self.failures = failures
        self.refuse = dict(refuse or {})
        self.calls: list[dict] = []
        self.raw: list[tuple[bytes, str | None]] = []  # each body as sent, with its signature header
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["content-length"]))
                receiver.raw.append((raw, self.headers.get("x-snapdesk-signature")))
                receiver.calls.append(json.loads(raw))
                self.send_response(500 if receiver.refuses(receiver.calls[-1]) else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/handover"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def refuses(self, body: dict) -> bool:
        if len(self.calls) <= self.failures:
            return True
        left = self.refuse.get(body.get("event", ""), 0)
        self.refuse[body.get("event", "")] = max(0, left - 1)
        return left > 0

    def events(self) -> list[str]:
        return [call["event"] for call in self.calls]


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def make(**kwargs: object) -> Receiver:
        started.append(Receiver(**kwargs))  # type: ignore[arg-type]
        return started[-1]

    yield make
    for receiver in started:
        receiver.server.shutdown()


@pytest.fixture
def receiver(make_receiver: Callable[..., Receiver]) -> Receiver:
    return make_receiver(failures=2)


def _wait(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _escalate(client: TestClient) -> dict:
    response = client.post("/chat", data={"text": "我的账号被安全冻结了，异地登录，怎么办"})
    assert response.status_code == 200 and response.json()["escalate"]
    return response.json()


def test_a_handover_is_retried_until_the_webhook_accepts_it(
    make_client: Callable[..., TestClient], receiver: Receiver
) -> None:
    client = make_client(webhook_url=receiver.url)
    body = _escalate(client)
    store = client.app.state.snapdesk.store
    assert _wait(lambda: not store.undelivered_handovers()), "never delivered"
    assert len(receiver.calls) == 3  # two failures (backoff 1 s, 2 s), then accepted
    assert receiver.calls[-1]["summary"]["answer"] == body["answer"]
    assert receiver.calls[-1]["team"] == body["team"]


def test_a_dead_webhook_loses_nothing(make_client: Callable[..., TestClient]) -> None:
    client = make_client(webhook_url="http://127.0.0.1:1/nothing-listens-here")
    _escalate(client)
    store = client.app.state.snapdesk.store
    assert _wait(lambda: any(h["attempts"] >= 1 for h in store.undelivered_handovers()))
    (handover,) = store.undelivered_handovers()
    assert handover["last_error"] and handover["summary"]["answer"]


def test_a_signed_webhook_can_be_verified_by_the_receiver(
    make_client: Callable[..., TestClient], receiver: Receiver
) -> None:
    """With a shared secret, each delivery (retries too) carries t=<time>,v1=<HMAC-SHA256 of "<t>.<body>">: the
    receiver recomputes it from the bytes it got; a body changed on the way, or another secret, does not match."""
    client = make_client(webhook_url=receiver.url, webhook_secret="s3cret")
    _escalate(client)
    store = client.app.state.snapdesk.store
    assert _wait(lambda: not store.undelivered_handovers()), "never delivered"
    assert len(receiver.raw) == 3
    for raw, header in receiver.raw:
        _verify(raw, header, b"s3cret")


def _verify(raw: bytes, header: str | None, secret: bytes) -> None:
    """Check a delivery's signature as a receiver does: recent, and the HMAC of exactly these bytes with this secret
    (another secret, or a body changed on the way, does not match)."""
    assert header is not None
    fields = dict(part.split("=", 1) for part in header.split(","))
    assert abs(int(fields["t"]) - time.time()) < 60  # recent: a replayed old request can be told apart

    def expected(key: bytes, body: bytes) -> str:
        return hmac.new(key, fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()

    assert hmac.compare_digest(fields["v1"], expected(secret, raw))
    assert fields["v1"] != expected(b"other", raw) and fields["v1"] != expected(secret, raw + b" ")


def test_without_a_secret_nothing_is_signed(make_client: Callable[..., TestClient], receiver: Receiver) -> None:
    client = make_client(webhook_url=receiver.url)
    _escalate(client)
    assert _wait(lambda: len(receiver.raw) == 3), "never delivered"
    assert all(header is None for _, header in receiver.raw)


def _work_the_case(client: TestClient) -> tuple[dict, dict, dict, dict]:
    """A hand-over, claimed, answered by a person and resolved over HTTP: (the chat answer, the case, the reply,
    the resolved case)."""
    body = _escalate(client)
    _, secret = client.app.state.snapdesk.store.create_api_key(name="alice", role="agent")
    alice = {"Authorization": f"Bearer {secret}"}
    (case,) = client.get("/admin/inbox", headers=alice).json()["cases"]
    assert client.post(f"/admin/inbox/{case['id']}/claim", headers=alice).status_code == 200
    reply = client.post(f"/admin/inbox/{case['id']}/reply", json={"text": "您好，我来处理"}, headers=alice)
    resolved = client.post(f"/admin/inbox/{case['id']}/resolve", headers=alice)
    assert reply.status_code == 201 and resolved.status_code == 200
    return body, case, reply.json(), resolved.json()


def _attempts(store: Store) -> list[tuple[str, int, bool]]:
    """Each outbox row's attempts and whether it was delivered, hand-overs first, then events in order."""
    with Session(store.engine) as s:
        handovers = [("handover.created", h.attempts, h.delivered) for h in s.scalars(select(Handover))]
        events = s.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at))
        return handovers + [(e.event, e.attempts, e.delivered) for e in events]


def test_a_reply_and_a_resolution_reach_the_webhook_signed_after_their_hand_over(
    make_client: Callable[..., TestClient], make_receiver: Callable[..., Receiver]
) -> None:
    receiver = make_receiver()
    client = make_client(webhook_url=receiver.url, webhook_secret="s3cret")
    body, case, reply, resolved = _work_the_case(client)
    store = client.app.state.snapdesk.store
    assert _wait(lambda: not store.pending_webhooks() and len(receiver.calls) == 3), receiver.calls
    assert receiver.events() == EVENTS
    created, replied, closed = receiver.calls
    # The hand-over's body is what it was before events (the receiver may ignore `event`), plus its name.
    assert set(created) == {"event", "id", "conversation_id", "message_id", "team", "summary"}
    assert (created["id"], created["summary"]["answer"]) == (case["id"], body["answer"])
    session = body["session_id"]
    written = client.get(f"/admin/conversations/{session}", headers=_admin(client)).json()["messages"][-1]
    assert replied == {
        "event": "handover.replied",
        "id": replied["id"],
        "case_id": case["id"],
        "conversation_id": session,
        "message_id": reply["message_id"],
        "agent_name": "alice",
        "text": "您好，我来处理",
        "team": body["team"],
        "first_reply": True,
        "at": replied["at"],
    }
    assert datetime.fromisoformat(replied["at"]) == datetime.fromisoformat(written["created_at"])
    assert {k: v for k, v in closed.items() if k not in ("id", "at")} == {
        "event": "handover.resolved",
        "case_id": case["id"],
        "conversation_id": session,
        "team": body["team"],
        "resolved_by": "alice",
    }
    assert datetime.fromisoformat(closed["at"]) == datetime.fromisoformat(resolved["resolved_at"])
    assert len({call["id"] for call in receiver.calls}) == 3
    for raw, header in receiver.raw:
        _verify(raw, header, b"s3cret")


def _admin(client: TestClient) -> dict[str, str]:
    _, secret = client.app.state.snapdesk.store.create_api_key(name="ops", admin=True)
    return {"Authorization": f"Bearer {secret}"}


def test_an_event_the_webhook_refuses_is_retried_before_anything_written_after_it(
    make_client: Callable[..., TestClient], make_receiver: Callable[..., Receiver]
) -> None:
    receiver = make_receiver(refuse={"handover.replied": 2})
    client = make_client(webhook_url=receiver.url)
    _work_the_case(client)
    store = client.app.state.snapdesk.store
    assert _wait(lambda: not store.pending_webhooks() and len(receiver.calls) == 5), receiver.calls
    # Refused twice (backoff 1 s, then 2 s), accepted the third time; the resolution waited its turn.
    assert receiver.events() == [EVENTS[0], EVENTS[1], EVENTS[1], EVENTS[1], EVENTS[2]]
    assert len({call["id"] for call in receiver.calls[1:4]}) == 1  # the same event each time: a receiver can dedupe
    assert _attempts(store) == [(EVENTS[0], 1, True), (EVENTS[1], 3, True), (EVENTS[2], 1, True)]


def _replied_and_resolved(store: Store) -> tuple[str, str]:
    """A hand-over, claimed, answered and resolved in the store: three webhook items in one conversation."""
    conversation_id, case_id = handed_over(store)
    assert store.claim_case(case_id=case_id, agent_id="alice-id", agent_name="alice")[0]
    store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text="您好")
    store.resolve_case(case_id=case_id, agent_id="alice-id", resolved_by="alice")
    return conversation_id, case_id


async def _deliver(delivery: WebhookDelivery) -> int:
    async with httpx.AsyncClient(timeout=5.0) as client:
        return await delivery.deliver_due(client)


def test_events_written_while_the_webhook_is_down_are_delivered_after_a_restart(
    make_store: Callable[[], Store],  # noqa: F811 - the store tests' fixture: SQLite and PostgreSQL
    make_receiver: Callable[..., Receiver],
) -> None:
    store = make_store()
    _, case_id = _replied_and_resolved(store)
    down = WebhookDelivery(store=store, url="http://127.0.0.1:1/nothing-listens-here")
    assert asyncio.run(_deliver(down)) == 0
    assert asyncio.run(_deliver(down)) == 0  # backing off: not even tried again
    # Tried once, and nothing after it was sent past the failure.
    assert [(e, n) for e, n, _ in _attempts(store)] == [(EVENTS[0], 1), (EVENTS[1], 0), (EVENTS[2], 0)]
    del down  # the process goes away; what it had not delivered is in the database

    receiver = make_receiver()
    restarted = WebhookDelivery(store=make_store(), url=receiver.url)
    assert asyncio.run(_deliver(restarted)) == 3
    assert receiver.events() == EVENTS and receiver.calls[0]["id"] == case_id
    assert store.pending_webhooks() == [] and all(delivered for _, _, delivered in _attempts(store))


def test_a_refused_event_holds_back_its_own_conversation_only(
    make_store: Callable[[], Store],  # noqa: F811 - the store tests' fixture: SQLite and PostgreSQL
    make_receiver: Callable[..., Receiver],
) -> None:
    store = make_store()
    first, _ = _replied_and_resolved(store)
    second, _ = handed_over(store)  # another customer, handed over after the first one's reply
    receiver = make_receiver(refuse={"handover.replied": 100})  # a receiver that cannot take replies yet
    delivery = WebhookDelivery(store=store, url=receiver.url)
    assert asyncio.run(_deliver(delivery)) == 2
    sent = [(call["event"], call["conversation_id"]) for call in receiver.calls]
    assert sent == [(EVENTS[0], first), (EVENTS[1], first), (EVENTS[0], second)]  # the resolution waits its turn
    assert asyncio.run(_deliver(delivery)) == 0 and len(receiver.calls) == 3  # the reply backs off, nothing jumps it


def test_held_items_never_fill_the_window_for_good(
    make_store: Callable[[], Store],  # noqa: F811 - the store tests' fixture: SQLite and PostgreSQL
    make_receiver: Callable[..., Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(background, "PAGE", 2)  # the queue is read two items at a time
    store = make_store()
    first, case_id = handed_over(store)
    assert store.claim_case(case_id=case_id, agent_id="alice-id", agent_name="alice")[0]
    for text in ("您好", "请稍等", "已处理"):  # three replies the receiver will not take, behind the hand-over
        store.reply_to_case(case_id=case_id, agent_id="alice-id", agent_name="alice", text=text)
    second, _ = handed_over(store)
    receiver = make_receiver(refuse={"handover.replied": 100})
    assert asyncio.run(_deliver(WebhookDelivery(store=store, url=receiver.url))) == 2
    assert [call["conversation_id"] for call in receiver.calls if call["event"] == EVENTS[0]] == [first, second]


class _DatabaseAwayOnce:
    """The store, but the database does not answer its first read (as DatabaseUnavailableError says)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = 0

    def pending_webhooks(self, **kwargs: int) -> list[dict]:
        self.reads += 1
        if self.reads == 1:
            raise DatabaseUnavailableError("the database is unavailable; try again shortly")
        return self.store.pending_webhooks(**kwargs)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def test_delivery_goes_on_after_the_database_was_away(
    make_store: Callable[[], Store],  # noqa: F811 - the store tests' fixture: SQLite and PostgreSQL
    make_receiver: Callable[..., Receiver],
) -> None:
    store = make_store()
    handed_over(store)
    receiver = make_receiver()
    flaky = _DatabaseAwayOnce(store)
    delivery = WebhookDelivery(store=flaky, url=receiver.url)

    async def run_until_delivered() -> bool:
        task = asyncio.create_task(delivery.run())
        try:
            for _ in range(100):
                if receiver.calls and not await asyncio.to_thread(store.pending_webhooks):
                    return True
                await asyncio.sleep(0.1)
            return False
        finally:
            task.cancel()

    assert asyncio.run(run_until_delivered()), "the loop stopped when the database was away"
    assert flaky.reads >= 2 and receiver.events() == EVENTS[:1]
