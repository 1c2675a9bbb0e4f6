"""An app per test on SQLite (or the real PostgreSQL / Redis), sharing one Assistant per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from snapdesk import Assistant
from snapdesk.config import Settings
from snapdesk.service.app import build_state, create_app
from tests.screens import phone_screen, to_bytes
from tests.store.conftest import _require_pg, pg_url  # noqa: F401 - pg_url is a fixture used by tests here

ORDER_NO = "202611240087731"
REDIS_URL = os.environ.get("SNAPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    return Assistant.from_settings(moderators=[])


@pytest.fixture(scope="session")
def order_png() -> bytes:
    image = phone_screen(
        "订单详情",
        status=("待补充地址", "收货地址信息不完整"),
        banner=["收货地址不完整：缺少门牌号，补充后才能发货。"],
        rows=[("订单编号", ORDER_NO), ("实付款", "¥268.00")],
    )
    return to_bytes(image.resize((540, 1170)))


@pytest.fixture
def make_client(tmp_path: Path, assistant: Assistant) -> Iterator[Callable[..., TestClient]]:
    """Builds apps on one data folder; each call is a new process's app (same database, same files)."""
    opened: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        values = {"data_dir": tmp_path / "data", "rate_limit_per_minute": 0, **overrides}
        settings = Settings(**values)
        state = build_state(settings, assistant=assistant)
        client = TestClient(create_app(settings, state=state))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
        client.app.state.snapdesk.store.dispose()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("SNAPDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {error}")
    return REDIS_URL


def fresh_rate_window(needed_seconds: float = 20.0) -> None:
    """Rate limits count per clock minute: start a test that counts requests well inside one minute."""
    import time

    into = time.time() % 60
    if into > 60 - needed_seconds:
        time.sleep(60 - into + 0.5)
