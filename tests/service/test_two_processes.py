"""Scaling past one machine: two `snapdesk serve` processes on different ports, each with its own disk,
sharing one PostgreSQL and one Redis, serve the same conversation alternately."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import ORDER_NO, fresh_rate_window, redis_or_skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int, data_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "snapdesk.cli", "serve", "--port", str(port)],
        env={**os.environ, **env, "SNAPDESK_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "server exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not become ready")


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
    ports = [_free_port(), _free_port()]
    processes = [_start(port, tmp_path / f"disk{n}", env) for n, port in enumerate(ports)]
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
