"""The operator inbox over HTTP: a real screenshot handed over through real OCR, worked by agents' keys; while a
person holds the case the assistant steps aside, after it is resolved it answers again. SQLite, and two app
replicas on PostgreSQL."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from snapdesk.service.person import PERSON_REPLY
from tests.screens import phone_screen, to_bytes
from tests.service.conftest import ORDER_NO

RISK_TEAM = "支付风控组"  # the demo KB hands a PAY-1106 payment failure to this team
FROZEN = "我的账号被安全冻结了，异地登录，怎么办"  # and this question, without a screenshot, to 账号安全组
PHONE = "13800138000"

Headers = dict[str, str]


@pytest.fixture(scope="module")
def risk_png() -> bytes:
    return to_bytes(
        phone_screen(
            "收银台",
            rows=[("订单编号", ORDER_NO), ("需支付", "¥3,299.00")],
            modal=("支付失败", ["错误码：PAY-1106", "交易存在风险，已暂停"], ["我知道了"]),
        )
    )


def keys(client: TestClient) -> dict[str, Headers]:
    store = client.app.state.snapdesk.store
    made = {
        "shop": store.create_api_key(name="shop-frontend"),
        "alice": store.create_api_key(name="alice", role="agent"),
        "bob": store.create_api_key(name="bob", role="agent"),
        "ops": store.create_api_key(name="ops", admin=True),
    }
    return {who: {"Authorization": f"Bearer {secret}"} for who, (_, secret) in made.items()}


def chat(client: TestClient, headers: Headers, text: str, image: bytes | None = None, session: str = "") -> dict:
    files = {"image": ("shot.png", image, "image/png")} if image is not None else None
    response = client.post("/chat", data={"text": text, "session_id": session}, files=files, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def the_case(client: TestClient, headers: Headers) -> dict:
    response = client.get("/admin/inbox", headers=headers)
    assert response.status_code == 200, response.text
    (case,) = response.json()["cases"]
    return case


def test_a_handover_is_claimed_answered_by_a_person_and_resolved(
    client: TestClient, risk_png: bytes, order_png: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    who = keys(client)
    handed = chat(client, who["shop"], "付不了钱怎么办", risk_png)
    assert handed["escalate"] is True and handed["team"] == RISK_TEAM, handed
    session = handed["session_id"]

    inbox = client.get("/admin/inbox", params={"view": "open"}, headers=who["alice"]).json()
    (case,) = inbox["cases"]
    assert inbox["open_per_team"] == [{"team": RISK_TEAM, "open": 1}]
    assert (case["conversation_id"], case["team"], case["state"]) == (session, RISK_TEAM, "open")
    assert case["summary"]["answer"] == handed["answer"] and case["message_id"] == handed["message_id"]
    view = client.get(f"/admin/inbox/{case['id']}", headers=who["alice"]).json()
    assert [m["role"] for m in view["messages"]] == ["user", "assistant"]
    assert view["answer"]["text"] == handed["answer"] and view["answer"]["passages"]
    assert ORDER_NO in str(view["answer"]["fields"]) and all(len(e["box"]) == 4 for e in view["answer"]["evidence"])
    screenshot = client.get(f"/admin/images/{view['messages'][0]['image_digest']}", headers=who["alice"])
    assert screenshot.status_code == 200 and screenshot.content == risk_png  # an agent sees what the customer sent

    claimed = client.post(f"/admin/inbox/{case['id']}/claim", headers=who["alice"])
    assert claimed.status_code == 200 and claimed.json()["claimed_by_name"] == "alice"
    refused = client.post(f"/admin/inbox/{case['id']}/claim", headers=who["bob"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_claimed"
    assert "alice" in refused.json()["error"]["message"]
    assert client.post(f"/admin/inbox/{case['id']}/reply", json={"text": "我来"}, headers=who["bob"]).status_code == 409
    assert client.get("/admin/inbox", headers=who["bob"]).json()["cases"] == []  # no longer open
    mine = client.get("/admin/inbox", params={"view": "mine"}, headers=who["alice"]).json()["cases"]
    assert [c["id"] for c in mine] == [case["id"]] and mine[0]["claimed_at"] is not None

    caplog.set_level(logging.INFO, logger="snapdesk.requests")
    written = f"您好，风控复核需要您本人确认，请拨打 {PHONE} 联系风控专员。"
    replied = client.post(f"/admin/inbox/{case['id']}/reply", json={"text": written}, headers=who["alice"])
    assert replied.status_code == 201 and replied.json()["case"]["first_reply_at"] is not None
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "snapdesk.requests"]
    (reply_line,) = [line for line in logged if line["route"].endswith("/reply") and line["status"] == 201]
    assert PHONE not in json.dumps(reply_line, ensure_ascii=False) and "138****8000" in reply_line["reply"]

    # The customer's next message goes to the person: recorded (its screenshot too), no answer from the assistant.
    follow = chat(client, who["shop"], "好的，这是我的订单页", order_png, session=session)
    assert (follow["tier"], follow["answer"], follow["escalate"]) == ("person", PERSON_REPLY["zh"], False)
    assert follow["message_id"] is None and follow["passages"] == []
    messages = client.get(f"/sessions/{session}", headers=who["shop"]).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "agent", "user"]
    assert (messages[2]["text"], messages[2]["agent_name"]) == (written, "alice")  # as written: the number shows
    digest = messages[3]["image_digest"]
    assert client.get(f"/sessions/{session}/images/{digest}", headers=who["shop"]).content == order_png
    view = client.get(f"/admin/inbox/{case['id']}", headers=who["alice"]).json()
    assert view["messages"][-1]["text"] == "好的，这是我的订单页" and view["messages"][2]["agent_id"]

    bob_resolves = client.post(f"/admin/inbox/{case['id']}/resolve", headers=who["bob"])
    assert bob_resolves.status_code == 409 and bob_resolves.json()["error"]["code"] == "already_claimed"
    resolved = client.post(f"/admin/inbox/{case['id']}/resolve", headers=who["alice"])
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    listed = client.get("/admin/inbox", params={"view": "resolved"}, headers=who["bob"]).json()["cases"]
    assert [c["id"] for c in listed] == [case["id"]] and listed[0]["resolved_at"] is not None
    again = client.post(f"/admin/inbox/{case['id']}/reply", json={"text": "还在吗"}, headers=who["alice"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "case_resolved"

    # Resolved: the assistant answers in the conversation again.
    answered = chat(client, who["shop"], "退款多久能到账？", session=session)
    assert answered["tier"] == "full" and answered["message_id"] and answered["answer"] != PERSON_REPLY["zh"]
    messages = client.get(f"/sessions/{session}", headers=who["shop"]).json()["messages"]
    assert [m["role"] for m in messages][-2:] == ["user", "assistant"]


def test_agent_keys_work_the_inbox_and_read_conversations_but_nothing_else(client: TestClient) -> None:
    who = keys(client)
    # Keys are made with the command line only (no HTTP route); the knowledge base, charts and the queue are admins'.
    admins_only = [("get", "/admin/stats"), ("get", "/admin/kb"), ("get", "/admin/handovers")]
    for method, path in [*admins_only, ("post", "/admin/kb/reload")]:
        refused = client.request(method, path, headers=who["alice"])
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", path
    assert client.post("/admin/try", data={"text": "看看"}, headers=who["alice"]).status_code == 403
    for path in ("/admin/conversations", "/admin/inbox"):
        assert client.get(path, headers=who["alice"]).status_code == 200, path
        assert client.get(path, headers=who["ops"]).status_code == 200, path
        assert client.get(path, headers=who["shop"]).status_code == 403, path
    assert client.get("/admin/inbox").status_code == 401
    missing = client.post(f"/admin/inbox/{'0' * 32}/claim", headers=who["alice"])
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "case_not_found"
    assert client.get("/admin/inbox", params={"view": "everything"}, headers=who["alice"]).status_code == 422


def test_an_admin_may_resolve_a_case_an_agent_holds(client: TestClient) -> None:
    who = keys(client)
    handed = chat(client, who["shop"], FROZEN)
    case = the_case(client, who["ops"])
    assert client.post(f"/admin/inbox/{case['id']}/claim", headers=who["alice"]).status_code == 200
    assert chat(client, who["shop"], "人呢？", session=handed["session_id"])["tier"] == "person"
    resolved = client.post(f"/admin/inbox/{case['id']}/resolve", headers=who["ops"])
    assert resolved.status_code == 200 and resolved.json()["claimed_by_name"] == "alice"
    assert chat(client, who["shop"], "我的账号被冻结了怎么办", session=handed["session_id"])["tier"] != "person"


def test_two_replicas_on_postgresql_share_claims_and_replies(
    make_client: Callable[..., TestClient], pg_url: str
) -> None:
    one, two = make_client(database_url=pg_url), make_client(database_url=pg_url)
    who = keys(one)
    handed = chat(one, who["shop"], FROZEN)
    case = the_case(two, who["bob"])
    assert two.post(f"/admin/inbox/{case['id']}/claim", headers=who["alice"]).status_code == 200
    refused = one.post(f"/admin/inbox/{case['id']}/claim", headers=who["bob"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_claimed"
    with ThreadPoolExecutor(1) as pool:  # the customer's page waits on one replica, the person writes on the other
        url = f"/sessions/{handed['session_id']}/messages"
        waiting = pool.submit(one.get, url, params={"after": handed["message_id"], "wait": 20}, headers=who["shop"])
        time.sleep(0.5)
        assert (
            two.post(f"/admin/inbox/{case['id']}/reply", json={"text": "在的"}, headers=who["alice"]).status_code == 201
        )
        assert [m["text"] for m in waiting.result(timeout=20).json()["messages"]] == ["在的"]
    assert chat(one, who["shop"], "好的", session=handed["session_id"])["tier"] == "person"
    roles = [m["role"] for m in two.get(f"/sessions/{handed['session_id']}", headers=who["shop"]).json()["messages"]]
    assert roles == ["user", "assistant", "agent", "user"]
    assert one.post(f"/admin/inbox/{case['id']}/resolve", headers=who["alice"]).status_code == 200
    assert chat(two, who["shop"], "退款多久能到账？", session=handed["session_id"])["tier"] != "person"


def test_a_waiting_page_receives_a_persons_reply_as_it_is_written(client: TestClient) -> None:
    who = keys(client)
    handed = chat(client, who["shop"], FROZEN)
    session, case = handed["session_id"], the_case(client, who["alice"])
    url = f"/sessions/{session}/messages"
    everything = client.get(url, headers=who["shop"]).json()
    assert [m["role"] for m in everything["messages"]] == ["user", "assistant"] and not everything["held_by_person"]
    cursor = everything["messages"][-1]["id"]
    quiet = client.get(url, params={"after": cursor, "wait": 0.3}, headers=who["shop"])
    assert quiet.status_code == 200 and quiet.json()["messages"] == []  # nothing new: answered when the wait ends
    assert client.get(url, params={"wait": 31}, headers=who["shop"]).status_code == 422
    assert client.get(url, headers=who["alice"]).status_code == 404  # someone else's session

    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(client.get, url, params={"after": cursor, "wait": 20}, headers=who["shop"])
        time.sleep(0.5)  # the page is waiting when the person writes
        assert client.post(f"/admin/inbox/{case['id']}/claim", headers=who["alice"]).status_code == 200
        written = client.post(f"/admin/inbox/{case['id']}/reply", json={"text": "您好，我来处理"}, headers=who["alice"])
        assert written.status_code == 201
        arrived = waiting.result(timeout=20).json()
    assert [(m["role"], m["text"], m["agent_name"]) for m in arrived["messages"]] == [
        ("agent", "您好，我来处理", "alice")
    ]
    assert arrived["held_by_person"] is True
    after_reply = client.get(url, params={"after": arrived["messages"][-1]["id"]}, headers=who["shop"]).json()
    assert after_reply["messages"] == []


def test_a_reply_may_carry_a_picture_the_customer_sees(client: TestClient, order_png: bytes) -> None:
    who = keys(client)
    handed = chat(client, who["shop"], FROZEN)
    case = the_case(client, who["alice"])
    assert client.post(f"/admin/inbox/{case['id']}/claim", headers=who["alice"]).status_code == 200
    url = f"/admin/inbox/{case['id']}/reply"
    not_a_picture = "data:image/png;base64," + base64.b64encode(b"hello, not an image").decode()
    refused = client.post(url, json={"text": "看图", "image": not_a_picture}, headers=who["alice"])
    assert refused.status_code == 415, refused.text
    elsewhere = client.post(url, json={"text": "看图", "image": "http://example.com/a.png"}, headers=who["alice"])
    assert elsewhere.status_code == 400  # a picture is sent with the reply, never fetched from somewhere
    picture = "data:image/png;base64," + base64.b64encode(order_png).decode()
    sent = client.post(url, json={"text": "按图中位置填写门牌号", "image": picture}, headers=who["alice"])
    assert sent.status_code == 201, sent.text
    messages = client.get(f"/sessions/{handed['session_id']}", headers=who["shop"]).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "agent"]  # the refused replies left nothing
    shown = client.get(f"/sessions/{handed['session_id']}/images/{messages[-1]['image_digest']}", headers=who["shop"])
    assert shown.status_code == 200 and shown.content == order_png
    stored = client.app.state.snapdesk.store.data_dir / "images"
    assert len([p for p in stored.rglob("*") if p.is_file()]) == 1  # the refused pictures were not kept
