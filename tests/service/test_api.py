"""The HTTP API end to end: real OCR, real SQLite (PostgreSQL and Redis where marked), no mocks."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import ORDER_NO, fresh_rate_window, redis_or_skip


def ask(client: TestClient, text: str, image: bytes | None = None, **form: str) -> dict:
    files = {"image": ("shot.png", image, "image/png")} if image is not None else None
    response = client.post("/chat", data={"text": text, **form}, files=files)
    assert response.status_code == 200, response.text
    return response.json()


def test_chat_answers_and_the_session_keeps_the_conversation(client: TestClient, order_png: bytes) -> None:
    first = ask(client, "我的货怎么还没发？", order_png)
    assert ORDER_NO in first["answer"] and first["intent"] == "order_status"
    assert first["tier"] == "full" and first["cached"] is False
    assert first["evidence"] and all(len(e["box"]) == 4 for e in first["evidence"])
    # A follow-up without an image uses the session's last screenshot.
    follow = ask(client, "那我现在该怎么办？", session_id=first["session_id"])
    assert follow["session_id"] == first["session_id"] and follow["intent"] == "order_status"
    assert any("待补充地址" in p["heading"] for p in follow["passages"])
    session = client.get(f"/sessions/{first['session_id']}").json()
    roles = [m["role"] for m in session["messages"]]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert session["messages"][0]["image_digest"] and session["messages"][2]["image_digest"] is None


def test_the_same_question_on_the_same_screenshot_is_a_cache_hit(client: TestClient, order_png: bytes) -> None:
    ask(client, "为什么还没发货", order_png)
    assistant = client.app.state.snapdesk.assistant
    prepared: list[bytes] = []
    original = assistant.prepare
    assistant.prepare = lambda image: prepared.append(image) or original(image)  # type: ignore[method-assign]
    try:
        again = ask(client, "为什么还没发货？", order_png)  # normalised question: same key
    finally:
        assistant.prepare = original  # type: ignore[method-assign]
    assert again["cached"] is True
    assert prepared == []  # the same upload's bytes named its digest: no decoding for a cache hit
    metrics = client.get("/metrics").text
    assert 'snapdesk_cache_total{cache="answer",result="hit"} 1.0' in metrics


def test_streaming_ends_with_the_full_json(client: TestClient, order_png: bytes) -> None:
    response = client.post(
        "/chat",
        data={"text": "为什么还没发货"},
        files={"image": ("a.png", order_png, "image/png")},
        headers={"Accept": "text/event-stream"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block]
    deltas = "".join(json.loads(e.split("data: ", 1)[1])["text"] for e in events if e.startswith("event: delta"))
    done = json.loads(events[-1].split("data: ", 1)[1])
    assert events[-1].startswith("event: done") and deltas == done["answer"] and ORDER_NO in deltas


def _bomb_png() -> bytes:
    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    ihdr = b"IHDR" + header
    chunk = struct.pack(">I", len(header)) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\x00\x00\x00\x00IEND\xaeB`\x82"


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "unsupported_format"),
        (b"hello, not an image at all", 415, "not_an_image"),
        ("truncated", 422, "truncated_image"),
        ("bomb", 422, "too_many_pixels"),
    ],
)
def test_bad_images_get_clear_errors_and_the_message_is_kept(
    client: TestClient, order_png: bytes, data: object, status: int, code: str
) -> None:
    payload = {"truncated": order_png[: len(order_png) // 2], "bomb": _bomb_png()}.get(data, data)  # type: ignore[call-overload]
    response = client.post("/chat", data={"text": "看看这个"}, files={"image": ("x.png", payload, "image/png")})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from snapdesk.store.models import Message

    with Session(client.app.state.snapdesk.store.engine) as session:  # the refused message was recorded, failed
        query = select(func.count()).select_from(Message).filter_by(status="failed", error_code=code)
        assert session.scalar(query) == 1


def test_a_failure_after_the_question_is_recorded_marks_it_failed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database gone between recording the question and reading the session's history: the refusal is a
    retryable 503, and the question is marked failed with why, never left pending."""
    from snapdesk.errors import DatabaseUnavailableError

    store = client.app.state.snapdesk.store
    session_id = ask(client, "退款多久到账")["session_id"]

    def gone(**_: object) -> None:
        raise DatabaseUnavailableError("the database cannot be reached")

    monkeypatch.setattr(store, "history", gone)
    response = client.post("/chat", data={"text": "那还要多久", "session_id": session_id})
    assert response.status_code == 503 and response.headers["retry-after"]
    monkeypatch.undo()
    messages = client.get(f"/sessions/{session_id}").json()["messages"]
    assert [m["status"] for m in messages] == ["ok", "ok", "failed"]


def test_over_the_byte_limit_is_413(make_client: Callable[..., TestClient], order_png: bytes) -> None:
    client = make_client(max_image_bytes=1000)
    response = client.post("/chat", data={"text": "看看"}, files={"image": ("x.png", order_png, "image/png")})
    assert response.status_code == 413 and response.json()["error"]["code"] == "image_too_large"


@pytest.mark.parametrize(
    ("form", "code"), [({"text": "   "}, "bad_question"), ({}, "bad_request"), ({"text": "问" * 3000}, "bad_question")]
)
def test_bad_questions_are_422(client: TestClient, form: dict, code: str) -> None:
    response = client.post("/chat", data=form)
    assert response.status_code == 422 and response.json()["error"]["code"] == code


def test_malformed_multipart_is_422_not_500(client: TestClient) -> None:
    response = client.post(
        "/chat",
        content=b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi',
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "bad_request"


def test_keys_are_required_once_one_exists_and_sessions_are_private(client: TestClient, order_png: bytes) -> None:
    store = client.app.state.snapdesk.store
    _, alice = store.create_api_key(name="alice")
    _, bob = store.create_api_key(name="bob")
    assert client.post("/chat", data={"text": "你好"}).status_code == 401
    as_alice = {"Authorization": f"Bearer {alice}"}
    response = client.post("/chat", data={"text": "退款多久到账"}, headers=as_alice)
    assert response.status_code == 200
    session_id = response.json()["session_id"]
    assert client.get(f"/sessions/{session_id}", headers=as_alice).status_code == 200
    assert client.get(f"/sessions/{session_id}", headers={"Authorization": f"Bearer {bob}"}).status_code == 404
    assert client.get(f"/sessions/{session_id}", headers={"Authorization": "Bearer nope"}).status_code == 401
    message_id = response.json()["message_id"]
    assert (
        client.post("/feedback", json={"message_id": message_id, "rating": "up"}, headers=as_alice).status_code == 201
    )
    bob_feedback = client.post(
        "/feedback", json={"message_id": message_id, "rating": "down"}, headers={"Authorization": f"Bearer {bob}"}
    )
    assert bob_feedback.status_code == 404


def test_rate_limit_is_429_and_says_when_to_come_back(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_per_minute=2)
    fresh_rate_window()
    replies = [client.post("/chat", data={"text": "退款多久到账"}) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in replies] == ["1", "0", "0"]
    assert all(r.headers["RateLimit-Limit"] == "2" for r in replies)
    refused = replies[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    # The window frees at the next clock minute: Retry-After says how far that is, as RateLimit-Reset does.
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60 and refused.headers["RateLimit-Reset"] == str(wait)


def test_long_polls_have_a_budget_of_their_own(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_limit_per_minute=2)
    fresh_rate_window()
    session = client.post("/chat", data={"text": "退款多久到账"}).json()["session_id"]
    polls = [client.get(f"/sessions/{session}/messages").status_code for _ in range(3)]
    assert polls == [200, 200, 429]  # limited, but apart from the questions: open pages cannot use those up
    assert client.post("/chat", data={"text": "那运费呢", "session_id": session}).status_code == 200


def test_local_callers_without_keys_are_counted_by_address(make_client: Callable[..., TestClient]) -> None:
    # Every caller without a key owns "local" sessions, but each address has its own budget.
    client = make_client(rate_limit_per_minute=1)
    fresh_rate_window()
    first = client.post("/chat", data={"text": "退款多久到账"})
    assert first.status_code == 200
    assert client.post("/chat", data={"text": "退款多久到账"}).status_code == 429
    other = TestClient(client.app, client=("::1", 50000))
    assert other.post("/chat", data={"text": "退款多久到账"}).status_code == 200


def test_forced_overload_steps_down_to_the_holding_reply(
    make_client: Callable[..., TestClient], order_png: bytes
) -> None:
    client = make_client(queue_size=0)
    body = ask(client, "为什么还没发货", order_png)
    assert body["tier"] == "hold" and "请稍候" in body["answer"]
    strict = client.post(
        "/chat",
        data={"text": "为什么还没发货"},
        files={"image": ("a.png", order_png, "image/png")},
        headers={"X-SnapDesk-Strict": "1"},
    )
    # Retry-After spread over 3-7 s, so clients held in one burst do not all come back in the same second.
    assert strict.status_code == 503 and 3 <= int(strict.headers["retry-after"]) <= 7
    assert 'snapdesk_tier_total{tier="hold"}' in client.get("/metrics").text
    # Shed before decoding: the question is recorded, the screenshot was neither read nor stored.
    messages = client.get(f"/sessions/{body['session_id']}").json()["messages"]
    assert [m["role"] for m in messages] == ["user"] and messages[0]["image_digest"] is None


def test_escalation_records_a_handover(client: TestClient) -> None:
    body = ask(client, "我的账号被安全冻结了，异地登录，怎么办")
    assert body["escalate"] is True
    handovers = client.app.state.snapdesk.store.undelivered_handovers()
    assert handovers and handovers[0]["team"] == body["team"]
    assert handovers[0]["summary"]["answer"] == body["answer"]


def test_health_ready_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready == {"ready": True, "checks": {"warm": True, "database": True}, "degraded": []}
    assert "snapdesk_requests_total" in client.get("/metrics").text


def test_a_restart_loses_nothing(make_client: Callable[..., TestClient], order_png: bytes) -> None:
    first = make_client()
    body = ask(first, "为什么还没发货", order_png)
    second = make_client()  # a new process on the same database and data folder
    session = second.get(f"/sessions/{body['session_id']}").json()
    assert len(session["messages"]) == 2
    follow = ask(second, "那怎么办", session_id=body["session_id"])  # the stored screenshot is found again
    assert any("待补充地址" in p["heading"] for p in follow["passages"])


def test_postgresql_and_redis_shared_by_two_processes(
    make_client: Callable[..., TestClient], pg_url: str, order_png: bytes
) -> None:
    redis_url = redis_or_skip()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    one = make_client(database_url=pg_url, redis_url=redis_url, rate_limit_per_minute=6)
    fresh_rate_window()
    two = make_client(database_url=pg_url, redis_url=redis_url, rate_limit_per_minute=6)
    first = ask(one, "为什么还没发货", order_png)
    # The other process finds the answer in the shared cache (a new conversation: same context)...
    elsewhere = ask(two, "为什么还没发货", order_png)
    assert elsewhere["cached"] is True and elsewhere["answer"] == first["answer"]
    # ...and continues the first process's conversation, with the screenshot that process stored.
    follow = ask(two, "那怎么办", session_id=first["session_id"])
    assert follow["session_id"] == first["session_id"]
    assert any("待补充地址" in p["heading"] for p in follow["passages"])
    again = ask(one, "多久会自动取消？", session_id=first["session_id"])
    assert len(two.get(f"/sessions/{again['session_id']}").json()["messages"]) == 6
    # The rate limit (6 a minute) counts across both processes: 5 requests so far (4 chats, 1 read).
    assert one.post("/chat", data={"text": "退款多久到账"}).status_code == 200
    assert two.post("/chat", data={"text": "退款多久到账"}).status_code == 429


def test_redis_going_away_degrades_to_no_cache(make_client: Callable[..., TestClient], order_png: bytes) -> None:
    client = make_client(redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    body = ask(client, "为什么还没发货", order_png)
    assert body["cached"] is False and ORDER_NO in body["answer"]
    # Still ready (every request is answered), and readiness says what is missing.
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["degraded"] == ["redis"]


def test_openai_sdk_as_the_client(client: TestClient, order_png: bytes) -> None:
    from openai import BadRequestError, OpenAI

    sdk = OpenAI(base_url="http://testserver/v1", api_key="unused-on-localhost", http_client=client)
    assert [m.id for m in sdk.models.list().data] == ["snapdesk"]
    url = "data:image/png;base64," + base64.b64encode(order_png).decode()
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "我的货怎么还没发？"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]
    completion = sdk.chat.completions.create(model="snapdesk", messages=messages)
    assert ORDER_NO in completion.choices[0].message.content
    stream = sdk.chat.completions.create(model="snapdesk", messages=messages, stream=True)
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert streamed == completion.choices[0].message.content
    remote = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "看看"},
                {"type": "image_url", "image_url": {"url": "http://169.254.169.254/x.png"}},
            ],
        }
    ]
    with pytest.raises(BadRequestError, match="not allowed"):
        sdk.chat.completions.create(model="snapdesk", messages=remote)


def test_one_json_log_line_per_request_with_pii_masked(
    client: TestClient, order_png: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="snapdesk.requests")
    ask(client, "我的手机号 13812345678，为什么还没发货？", order_png)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "snapdesk.requests"]
    (line,) = [entry for entry in lines if entry["route"] == "/chat"]
    assert line["request_id"] and line["session"] and line["image"].startswith("sha256:")
    assert "13812345678" not in json.dumps(line, ensure_ascii=False) and "138****5678" in line["question"]
    assert line["intent"] == "order_status" and line["tier"] == "full" and line["cached"] is False
    assert line["timings"]["ocr_ms"] > 0 and "queue_depth" in line


def test_admin_endpoints_need_an_admin_key(client: TestClient) -> None:
    store = client.app.state.snapdesk.store
    _, plain = store.create_api_key(name="frontend")
    _, admin = store.create_api_key(name="ops", admin=True)
    client.post(
        "/chat", data={"text": "我的账号被安全冻结了，异地登录，怎么办"}, headers={"Authorization": f"Bearer {plain}"}
    )
    assert client.get("/admin/handovers").status_code == 401
    assert client.get("/admin/handovers", headers={"Authorization": f"Bearer {plain}"}).status_code == 403
    listed = client.get("/admin/handovers", headers={"Authorization": f"Bearer {admin}"})
    assert listed.status_code == 200 and listed.json()["handovers"][0]["team"]


def test_pages_differing_only_in_the_order_number_never_share_an_answer(client: TestClient) -> None:
    from tests.screens import phone_screen, to_bytes

    def page(order: str) -> bytes:
        image = phone_screen("订单详情", status=("待补充地址", "收货地址信息不完整"), rows=[("订单编号", order)])
        return to_bytes(image.resize((540, 1170)))

    one = ask(client, "为什么还没发货", page("202611240000001"))
    two = ask(client, "为什么还没发货", page("202611240000002"))
    assert two["cached"] is False
    assert "202611240000001" in one["answer"] and "202611240000002" in two["answer"]


def test_redis_going_away_mid_run(make_client: Callable[..., TestClient], order_png: bytes) -> None:
    import redis

    client = make_client(redis_url=redis_or_skip())
    redis.Redis.from_url(redis_or_skip()).flushdb()
    assert ask(client, "为什么还没发货", order_png)["cached"] is False
    assert ask(client, "为什么还没发货", order_png)["cached"] is True
    cache = client.app.state.snapdesk.cache
    cache.client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # the server is gone
    after = ask(client, "为什么还没发货", order_png)
    assert after["cached"] is False and ORDER_NO in after["answer"]  # answered, just not from the cache
    assert cache.errors >= 1
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["degraded"] == ["redis"]
    assert 'snapdesk_dependency_up{dependency="redis"} 0.0' in client.get("/metrics").text


def test_the_fast_rung_reuses_a_full_size_reading(client: TestClient, order_png: bytes) -> None:
    state = client.app.state.snapdesk
    ask(client, "为什么还没发货", order_png)  # read at the full working size
    answer = state.chat.fast_assistant.generate(text="那怎么办", image=order_png)
    assert answer.timings["ocr_ms"] == 0.0 and ORDER_NO in answer.text
