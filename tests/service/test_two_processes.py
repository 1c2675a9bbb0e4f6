"""Scaling past one machine: two `snapdesk serve` processes on different ports, each with its own disk,
sharing one PostgreSQL and one Redis, serve the same conversation alternately; and people work the operator
inbox through both (one claim wins, a reply written through one reaches a page waiting on the other)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from snapdesk.store import Store
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
    yield from _serve_two(env, tmp_path)


def _serve_two(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, str]]:
    ports = [free_port(), free_port()]
    processes = [start_server(port, tmp_path / f"disk{n}", env) for n, port in enumerate(ports)]
    try:
        yield tuple(f"http://127.0.0.1:{port}" for port in ports)  # type: ignore[misc]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


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


@pytest.fixture
def inbox_servers(pg_url: str, tmp_path: Path) -> Iterator[tuple[tuple[str, str], dict[str, dict[str, str]]]]:
    store = Store(pg_url, data_dir=tmp_path / "keys")
    store.upgrade()
    made = {
        "shop": store.create_api_key(name="shop"),
        "alice": store.create_api_key(name="alice", role="agent"),
        "bob": store.create_api_key(name="bob", role="agent"),
    }
    store.dispose()
    who = {name: {"Authorization": f"Bearer {secret}"} for name, (_, secret) in made.items()}
    env = {"SNAPDESK_DATABASE_URL": pg_url, "SNAPDESK_RATE_LIMIT_PER_MINUTE": "0", "SNAPDESK_MODERATORS": "[]"}
    for servers in _serve_two(env, tmp_path):
        yield servers, who


def test_two_processes_share_the_inbox_claims_and_live_replies(
    inbox_servers: tuple[tuple[str, str], dict[str, dict[str, str]]],
) -> None:
    (a, b), who = inbox_servers
    asked = httpx.post(
        f"{a}/chat", data={"text": "我的账号被安全冻结了，异地登录，怎么办"}, headers=who["shop"], timeout=60
    )
    session = asked.json()["session_id"]
    assert asked.json()["escalate"] is True, asked.text
    (case,) = httpx.get(f"{b}/admin/inbox", headers=who["bob"], timeout=10).json()["cases"]
    assert httpx.post(f"{a}/admin/inbox/{case['id']}/claim", headers=who["alice"], timeout=10).status_code == 200
    late = httpx.post(f"{b}/admin/inbox/{case['id']}/claim", headers=who["bob"], timeout=10)
    assert late.status_code == 409 and "alice" in late.json()["error"]["message"]

    cursor = asked.json()["message_id"]
    with ThreadPoolExecutor(1) as pool:  # the customer's page waits on B; alice writes through A
        params = {"after": cursor, "wait": 20}
        waiting = pool.submit(
            httpx.get, f"{b}/sessions/{session}/messages", params=params, headers=who["shop"], timeout=30
        )
        time.sleep(1.0)
        reply = {"text": "您好，请上传身份证正反面完成解冻"}
        written = httpx.post(f"{a}/admin/inbox/{case['id']}/reply", json=reply, headers=who["alice"], timeout=10)
        assert written.status_code == 201
        started = time.monotonic()
        arrived = waiting.result(timeout=30).json()
    assert time.monotonic() - started < 3.0  # another process: found by its recheck, within a second or two
    assert [(m["role"], m["agent_name"]) for m in arrived["messages"]] == [("agent", "alice")]

    held = httpx.post(f"{b}/chat", data={"text": "好的", "session_id": session}, headers=who["shop"], timeout=60)
    assert held.json()["tier"] == "person"
    assert httpx.post(f"{b}/admin/inbox/{case['id']}/resolve", headers=who["alice"], timeout=10).status_code == 200
    again = httpx.post(
        f"{a}/chat", data={"text": "退款多久能到账？", "session_id": session}, headers=who["shop"], timeout=60
    )
    assert again.json()["tier"] != "person"
