"""Hand-overs reach the webhook through failures, and a failing webhook never loses one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient


class Receiver:
    """A real HTTP server on loopback that fails the first `failures` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict] = []
        self.raw: list[tuple[bytes, str | None]] = []  # each body as sent, with its signature header
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["content-length"]))
                receiver.raw.append((raw, self.headers.get("x-snapdesk-signature")))
                receiver.calls.append(json.loads(raw))
                self.send_response(500 if len(receiver.calls) <= receiver.failures else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/handover"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(failures=2)
    yield receiver
    receiver.server.shutdown()


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
    import hashlib
    import hmac

    client = make_client(webhook_url=receiver.url, webhook_secret="s3cret")
    _escalate(client)
    store = client.app.state.snapdesk.store
    assert _wait(lambda: not store.undelivered_handovers()), "never delivered"
    assert len(receiver.raw) == 3
    for raw, header in receiver.raw:
        assert header is not None
        fields = dict(part.split("=", 1) for part in header.split(","))
        assert abs(int(fields["t"]) - time.time()) < 60  # recent: a replayed old request can be told apart

        def expected(secret: bytes, body: bytes, t: str = fields["t"]) -> str:
            return hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest()

        assert hmac.compare_digest(fields["v1"], expected(b"s3cret", raw))
        assert fields["v1"] != expected(b"other", raw) and fields["v1"] != expected(b"s3cret", raw + b" ")


def test_without_a_secret_nothing_is_signed(make_client: Callable[..., TestClient], receiver: Receiver) -> None:
    client = make_client(webhook_url=receiver.url)
    _escalate(client)
    assert _wait(lambda: len(receiver.raw) == 3), "never delivered"
    assert all(header is None for _, header in receiver.raw)
