"""Scaling past one machine: two `snapdesk serve` processes on different ports, each with its own disk,
sharing one PostgreSQL and one Redis, serve the same conversation alternately."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, start_server
from tests.service.conftest import ORDER_NO, fresh_rate_window, redis_or_skip


@pytest.fixture
def two_servers(pg_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    redis_url = redis_or_skip().rsplit("/", 1)[0] + "/14"
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        "SNAPDESK_DATABASE_URL": pg_url,
        "SNAPDESK_REDIS_URL": redis_url,
        "SNAPDESK_RATE_LIMIT_PER_MINUTE": "5",
        "SNAPDESK_MODERATORS": "[]",
    }
    ports = [free_port(), free_port()]
    processes = [start_server(port, tmp_path / f"disk{n}", env) for n, port in enumerate(ports)]
    try:
        yield tuple(f"http://127.0.0.1:{port}" for port in ports)  # type: ignore[misc]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


def test_one_conversation_served_alternately_by_two_processes(two_servers: tuple[str, str], order_png: bytes) -> None:
    a, b = two_servers
    fresh_rate_window()
    first = httpx.post(f"{a}/chat", data={"text": "为什么还没发货"}, files={"image": ("o.png", order_png)}, timeout=60)
    assert first.status_code == 200, first.text
    session = first.json()["session_id"]
    # Process B never saw the screenshot (its disk is empty) yet answers the follow-up about it:
    # the session is in PostgreSQL, the reading of the screenshot in Redis.
    follow = httpx.post(f"{b}/chat", data={"text": "那我该怎么办", "session_id": session}, timeout=60).json()
    assert follow["session_id"] == session
    assert any("待补充地址" in p["heading"] for p in follow["passages"]) and ORDER_NO in follow["answer"]
    # Back on A, the same session; B's answer cache serves A's repeat of the first question in a new session.
    third = httpx.post(f"{a}/chat", data={"text": "多久会取消", "session_id": session}, timeout=60).json()
    assert third["session_id"] == session
    repeat = httpx.post(f"{b}/chat", data={"text": "为什么还没发货"}, files={"image": ("o.png", order_png)}, timeout=60)
    assert repeat.json()["cached"] is True
    messages = httpx.get(f"{b}/sessions/{session}", timeout=10).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    # Rate limits are shared: 5 requests a minute across both processes, this is the 6th.
    assert httpx.post(f"{a}/chat", data={"text": "退款多久到账"}, timeout=60).status_code == 429
