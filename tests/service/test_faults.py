"""The service under faults, on a real server and real dependencies that the test stops and starts: its own
PostgreSQL and Redis (tests/service/throwaway.py), never the shared ones.

What is proved: while the database is away every request is refused with 503 `database_unavailable` and a
Retry-After, on a connection that stays usable; nothing is answered that is not recorded; the service recovers
by itself; the log says the outage started and ended once each, with no traceback. Redis away leaves the
replica ready (degraded) and its rate limits counted in process.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import running
from tests.service.throwaway import ThrowawayPostgres, ThrowawayRedis, throwaway_postgres, throwaway_redis

CLIENTS = 4
QUESTIONS = ("退款多久到账？", "怎么修改收货地址？", "优惠券为什么用不了？", "How long does a refund take?")


class Client(threading.Thread):
    """One customer asking question after question in one session, on one keep-alive connection."""

    def __init__(self, base: str, number: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=base, timeout=30)
        self.number = number
        self.stop_event = stop
        self.session: str | None = None
        self.answered = 0  # 200s in this client's session
        self.statuses: Counter[int] = Counter()
        self.refusals: list[httpx.Response] = []
        self.dropped: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.stop_event.is_set():
            data = {"text": QUESTIONS[(self.number + n) % len(QUESTIONS)]}
            if self.session:
                data["session_id"] = self.session
            n += 1
            try:
                response = self.http.post("/chat", data=data)
            except httpx.HTTPError as error:  # a connection closed without a response
                self.dropped.append(repr(error))
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 200:
                self.session = response.json()["session_id"]
                self.answered += 1
            else:
                self.refusals.append(response)
                time.sleep(0.2)


@pytest.fixture
def database() -> Iterator[ThrowawayPostgres]:
    with throwaway_postgres() as server:
        yield server


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    with throwaway_redis() as server:
        yield server


def test_a_database_outage_under_load_is_a_clean_retryable_refusal_and_loses_nothing(
    tmp_path: Path, database: ThrowawayPostgres
) -> None:
    env = {"SNAPDESK_DATABASE_URL": database.url, "SNAPDESK_MODERATORS": "[]", "SNAPDESK_RATE_LIMIT_PER_MINUTE": "0"}
    with running(tmp_path / "data", env) as (base, log_file):
        stop = threading.Event()
        clients = [Client(base, n, stop) for n in range(CLIENTS)]
        try:
            for client in clients:
                client.start()
            time.sleep(3)
            database.stop()
            time.sleep(2)
            down = httpx.get(f"{base}/readyz", timeout=10)
            sessions_down = httpx.get(f"{base}/sessions/{clients[0].session}", timeout=10)
            time.sleep(2)
            database.start()
            time.sleep(4)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=60)
        up = httpx.get(f"{base}/readyz", timeout=10)
        histories = [httpx.get(f"{base}/sessions/{c.session}", timeout=10).json() for c in clients]
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    log = log_file.read_text(errors="replace")

    statuses = sum((c.statuses for c in clients), Counter())
    assert not [d for c in clients for d in c.dropped], "connections closed without a response"
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] > 0 and statuses[200] > 0, statuses  # the outage happened, and was got over
    for refusal in (r for c in clients for r in c.refusals):
        assert refusal.json()["error"]["code"] == "database_unavailable" and int(refusal.headers["Retry-After"]) >= 1
    assert down.status_code == 503 and down.json()["checks"]["database"] is False
    assert sessions_down.status_code == 503 and sessions_down.json()["error"]["code"] == "database_unavailable"
    assert up.status_code == 200
    # Every turn answered with a 200 is in its session afterwards (a refused one may show its question only).
    for client, history in zip(clients, histories, strict=True):
        answers = [m for m in history["messages"] if m["role"] == "assistant"]
        assert len(answers) == client.answered, (client.answered, len(answers))
    assert 'snapdesk_refusals_total{code="database_unavailable"}' in metrics
    assert "Traceback" not in log
    assert log.count("database unavailable") == 1 and log.count("database available again") == 1, log[-3000:]


def test_with_redis_gone_the_replica_stays_ready_degraded_and_still_limits_rates(
    tmp_path: Path, redis_server: ThrowawayRedis
) -> None:
    # Four a minute, counted in this process while Redis is away (/readyz and /metrics are not counted).
    env = {"SNAPDESK_REDIS_URL": redis_server.url, "SNAPDESK_MODERATORS": "[]", "SNAPDESK_RATE_LIMIT_PER_MINUTE": "4"}
    with running(tmp_path / "data", env) as (base, log_file):
        redis_server.stop()
        ready = httpx.get(f"{base}/readyz", timeout=10)
        with httpx.Client(base_url=base, timeout=30) as http:
            codes = [http.post("/chat", data={"text": "退款多久到账？"}).status_code for _ in range(6)]
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    log = log_file.read_text(errors="replace")
    assert ready.status_code == 200 and ready.json()["degraded"] == ["redis"]
    assert 'snapdesk_dependency_up{dependency="redis"} 0.0' in metrics
    # The limit still holds: whatever the minute, at most 4 of the 6 are answered.
    assert codes.count(200) <= 4 and 429 in codes and set(codes) <= {200, 429}, codes
    assert log.count("Redis unavailable for rate limits") == 1
