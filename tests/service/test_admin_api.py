"""The operators' console API: real OCR, real SQLite (PostgreSQL where marked), an admin key, no mocks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from snapdesk import Assistant
from snapdesk.config import Settings
from snapdesk.knowledge import demo_kb_path
from snapdesk.service.app import build_state, create_app
from tests.service.conftest import ORDER_NO

FROZEN = "我的账号被安全冻结了，异地登录，怎么办"  # the demo KB hands this to its account-security team


def keys(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    store = client.app.state.snapdesk.store
    _, plain = store.create_api_key(name="frontend")
    _, admin = store.create_api_key(name="ops", admin=True)
    return {"Authorization": f"Bearer {plain}"}, {"Authorization": f"Bearer {admin}"}


def chat(client: TestClient, headers: dict[str, str], text: str, image: bytes | None = None) -> dict:
    files = {"image": ("shot.png", image, "image/png")} if image is not None else None
    response = client.post("/chat", data={"text": text}, files=files, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/conversations"),
        ("get", "/admin/conversations/abc"),
        ("get", "/admin/images/sha256:" + "0" * 64),
        ("get", "/admin/stats"),
        ("get", "/admin/kb"),
        ("post", "/admin/kb/reload"),
        ("post", "/admin/try"),
    ],
)
def test_every_console_endpoint_refuses_other_keys(client: TestClient, method: str, path: str) -> None:
    plain, _ = keys(client)
    assert client.request(method, path).status_code == 401
    refused = client.request(method, path, headers=plain)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_conversation_view_has_screenshot_boxes_fields_passages_timings(client: TestClient, order_png: bytes) -> None:
    plain, admin = keys(client)
    shot = chat(client, plain, "我的货怎么还没发？", order_png)
    frozen = chat(client, plain, FROZEN)
    assert frozen["escalate"] is True
    feedback = client.post("/feedback", json={"message_id": shot["message_id"], "rating": "down"}, headers=plain)
    assert feedback.status_code == 201

    listed = client.get("/admin/conversations", headers=admin).json()
    assert [c["id"] for c in listed["conversations"]] == [frozen["session_id"], shot["session_id"]]
    assert {"order_status"} <= set(listed["intents"])
    escalated = client.get("/admin/conversations", params={"escalated": "true"}, headers=admin).json()
    assert [c["id"] for c in escalated["conversations"]] == [frozen["session_id"]]
    negative = client.get("/admin/conversations", params={"negative": "true"}, headers=admin).json()
    assert [c["id"] for c in negative["conversations"]] == [shot["session_id"]]
    by_intent = client.get("/admin/conversations", params={"intent": "order_status", "tier": "full"}, headers=admin)
    assert [c["id"] for c in by_intent.json()["conversations"]] == [shot["session_id"]]

    view = client.get(f"/admin/conversations/{shot['session_id']}", headers=admin).json()
    question, answer = view["messages"]
    assert question["image_digest"].startswith("sha256:") and answer["feedback"][0]["rating"] == "down"
    assert answer["evidence"] and all(len(e["box"]) == 4 for e in answer["evidence"])
    assert answer["timings"]["ocr_ms"] > 0 and answer["timings"]["total_ms"] >= answer["timings"]["ocr_ms"]
    assert ORDER_NO in str(answer["fields"]) and answer["passages"] and answer["passages"][0]["score"] > 0
    assert answer["text"] == shot["answer"]

    image = client.get(f"/admin/images/{question['image_digest']}", headers=admin)
    assert image.status_code == 200 and image.content == order_png
    assert image.headers["content-type"] == "image/png" and image.headers["x-content-type-options"] == "nosniff"

    handed = client.get(f"/admin/conversations/{frozen['session_id']}", headers=admin).json()
    (handover,) = handed["handovers"]
    assert handover["team"] == frozen["team"] and handover["summary"]["answer"] == frozen["answer"]
    queue = client.get("/admin/handovers", headers=admin).json()["handovers"]
    assert [h["conversation_id"] for h in queue] == [frozen["session_id"]]


def test_unknown_conversation_and_image_are_404_and_a_bad_digest_422(client: TestClient) -> None:
    _, admin = keys(client)
    assert client.get("/admin/conversations/nope", headers=admin).json()["error"]["code"] == "not_found"
    assert client.get("/admin/images/sha256:" + "a" * 64, headers=admin).status_code == 404
    assert client.get("/admin/images/../../etc/passwd", headers=admin).status_code in (404, 422)
    assert client.get("/admin/images/sha256:XYZ", headers=admin).status_code == 422
    assert client.get("/admin/stats", params={"bucket": "second"}, headers=admin).status_code == 422


def test_stats_count_this_minute(client: TestClient, order_png: bytes) -> None:
    plain, admin = keys(client)
    chat(client, plain, "我的货怎么还没发？", order_png)
    chat(client, plain, "我的货怎么还没发？", order_png)  # the same again: an answer-cache hit
    chat(client, plain, FROZEN)
    stats = client.get("/admin/stats", params={"bucket": "minute", "hours": 1}, headers=admin).json()
    assert stats["bucket_seconds"] == 60 and 60 <= len(stats["buckets"]) <= 62
    totals = stats["totals"]
    assert (totals["requests"], totals["answers"], totals["cache_hits"], totals["escalations"]) == (3, 3, 1, 1)
    assert totals["tiers"] == {"full": 2, "cache": 1}
    assert totals["latency_ms"]["ocr"]["n"] == 1  # the text-only turn has no OCR stage, the cache hit is left out
    assert totals["latency_ms"]["request"]["n"] == 3 and totals["latency_ms"]["request"]["p95"] > 0
    assert sum(b["requests"] for b in stats["buckets"]) == 3
    daily = client.get("/admin/stats", params={"bucket": "minute", "hours": 240}, headers=admin).json()
    assert len(daily["buckets"]) <= 24 * 60 + 1  # minute buckets are capped to the last day


def test_kb_page_and_reload(tmp_path: Path, assistant: Assistant) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(demo_kb_path(), kb)
    settings = Settings(data_dir=tmp_path / "data", kb_path=str(kb), moderators=[], rate_limit_per_minute=0)
    state = build_state(settings, assistant=Assistant.from_settings(settings))
    with TestClient(create_app(settings, state=state)) as client:
        _, admin = keys(client)
        before = client.get("/admin/kb", headers=admin).json()
        titles = {a["title"] for a in before["articles"]}
        assert {"物流与配送", "支付错误码"} <= titles and before["problems"] == [] and before["last_error"] is None
        assert before["passage_count"] == sum(len(a["passages"]) for a in before["articles"])
        (kb / "新品.md").write_text("# 新品预售\n\n## 预售什么时候发货\n\n预售商品在页面写明的日期前发货。\n", "utf-8")
        (kb / "坏.md").write_text("没有标题的文章\n", "utf-8")
        reloaded = client.post("/admin/kb/reload", headers=admin).json()
        assert reloaded["reloaded"] is True and reloaded["version"] != before["version"]
        assert reloaded["loaded_at"] > before["loaded_at"] and "新品预售" in {a["title"] for a in reloaded["articles"]}
        assert any("坏.md" in problem for problem in reloaded["problems"])
        shutil.rmtree(kb)  # a folder that cannot load: the last good KB keeps serving, and the answer says why
        broken = client.post("/admin/kb/reload", headers=admin).json()
        assert broken["reloaded"] is False and broken["last_error"] and broken["version"] == reloaded["version"]
    state.store.dispose()


def test_try_it_shows_every_stage_and_stores_nothing(client: TestClient, order_png: bytes) -> None:
    _, admin = keys(client)
    files = {"image": ("shot.png", order_png, "image/png")}
    result = client.post("/admin/try", data={"text": "我的货怎么还没发？"}, files=files, headers=admin)
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["intake"]["digest"].startswith("sha256:") and body["intake"]["bytes"] == len(order_png)
    assert (body["intake"]["width"], body["intake"]["height"]) == (540, 1170)
    lines = body["ocr"]["lines"]
    assert any(ORDER_NO in line["text"] for line in lines) and all(len(line["box"]) == 4 for line in lines)
    assert any("warning" in line["cues"] for line in lines)  # the banner over the address problem
    assert body["screen"] == body["ocr"]["screen"] and body["intent"] == "order_status"
    assert ORDER_NO in str(body["fields"])
    hits = body["retrieval"]["hits"]
    assert hits and all(h["score"] >= 0 for h in hits) and any("待补充地址" in h["heading"] for h in hits)
    assert ORDER_NO in body["answer"]["text"] and body["answer"]["passages"]
    assert {"intake_ms", "retrieval_ms", "engine_ms", "total_ms", "wall_ms"} <= set(body["timings"])
    text_only = client.post("/admin/try", data={"text": FROZEN}, headers=admin).json()
    assert text_only["intake"] is None and text_only["ocr"] is None and text_only["answer"]["escalate"] is True
    refused = client.post(
        "/admin/try", data={"text": "看看"}, files={"image": ("x.png", b"not an image", "image/png")}, headers=admin
    )
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "not_an_image"
    assert client.get("/admin/conversations", headers=admin).json()["conversations"] == []


def test_console_reads_every_replicas_conversations_on_postgresql(
    make_client: Callable[..., TestClient], pg_url: str, order_png: bytes
) -> None:
    one = make_client(database_url=pg_url)
    two = make_client(database_url=pg_url)
    plain, admin = keys(one)
    asked = chat(one, plain, "我的货怎么还没发？", order_png)
    listed = two.get("/admin/conversations", headers=admin).json()["conversations"]
    assert [c["id"] for c in listed] == [asked["session_id"]]
    stats = two.get("/admin/stats", params={"bucket": "hour", "hours": 2}, headers=admin).json()
    assert stats["totals"]["requests"] == 1 and stats["totals"]["latency_ms"]["ocr"]["n"] == 1
    view = two.get(f"/admin/conversations/{asked['session_id']}", headers=admin).json()
    assert view["messages"][1]["timings"]["ocr_ms"] > 0
