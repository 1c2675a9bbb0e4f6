"""Input that would be silently cut or ignored is refused clearly instead, and nothing of it is recorded."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _recorded(client: TestClient) -> int:
    return len(client.app.state.snapdesk.store.admin_conversations(limit=100))


def test_an_upload_with_two_screenshots_is_refused(client: TestClient, order_png: bytes) -> None:
    files = [("image", ("a.png", order_png, "image/png")), ("image", ("b.png", order_png, "image/png"))]
    reply = client.post("/chat", data={"text": "为什么还没发货"}, files=files)
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "bad_request"
    assert "image" in reply.json()["error"]["message"]
    assert _recorded(client) == 0


def test_repeated_question_fields_are_refused(client: TestClient) -> None:
    reply = client.post("/chat", data={"text": ["退款多久到账", "怎么改地址"]})
    assert reply.status_code == 422 and "text" in reply.json()["error"]["message"]
    assert _recorded(client) == 0


@pytest.mark.parametrize("question", ["\u200b\u200d\u2060", "\u200e \u200f", "\ufeff"])
def test_a_question_with_no_visible_characters_is_refused(client: TestClient, question: str) -> None:
    reply = client.post("/chat", data={"text": question})
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "bad_question"


def test_an_oversized_client_request_id_is_replaced(client: TestClient) -> None:
    long_id = "x" * 8192
    reply = client.get("/healthz", headers={"X-Request-ID": long_id})
    assert reply.status_code == 200 and 0 < len(reply.headers["x-request-id"]) <= 128
    kept = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert kept.headers["x-request-id"] == "trace-42"  # a reasonable one is echoed as sent
