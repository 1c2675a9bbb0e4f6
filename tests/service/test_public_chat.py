"""A shop's public chat page once API keys exist: customers' browsers chat without a key when allowed,
each browser sees only its own sessions, and a browser gets nothing an API key would give."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.service.conftest import fresh_rate_window


def test_browsers_chat_without_a_key_when_public_chat_is_on(make_client: Callable[..., TestClient]) -> None:
    client = make_client(public_chat=True)
    store = client.app.state.snapdesk.store
    _, admin_key = store.create_api_key(name="ops", admin=True)
    anna, ben = {"X-SnapDesk-Browser": "anna-token"}, {"X-SnapDesk-Browser": "ben-token"}
    response = client.post("/chat", data={"text": "退款多久到账"}, headers=anna)
    assert response.status_code == 200
    session_id = response.json()["session_id"]
    assert client.get(f"/sessions/{session_id}", headers=anna).status_code == 200
    assert client.get(f"/sessions/{session_id}", headers=ben).status_code == 404  # another browser's session
    assert client.get("/admin/handovers", headers=anna).status_code == 403  # a browser is never an admin
    assert client.post("/chat", data={"text": "退款多久到账"}).status_code == 401  # no key, no browser token
    bad_key = {"Authorization": "Bearer nope", **anna}
    assert client.post("/chat", data={"text": "你好"}, headers=bad_key).status_code == 401  # a wrong key is wrong
    as_admin = {"Authorization": f"Bearer {admin_key}"}
    assert client.get("/admin/handovers", headers=as_admin).status_code == 200


def test_browsers_need_a_key_when_public_chat_is_off(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    client.app.state.snapdesk.store.create_api_key(name="frontend")
    response = client.post("/chat", data={"text": "退款多久到账"}, headers={"X-SnapDesk-Browser": "anna-token"})
    assert response.status_code == 401


def test_new_browser_tokens_buy_no_extra_requests(make_client: Callable[..., TestClient]) -> None:
    client = make_client(public_chat=True, rate_limit_per_minute=3)
    client.app.state.snapdesk.store.create_api_key(name="frontend")
    fresh_rate_window()
    codes = [
        client.post("/chat", data={"text": "退款多久到账"}, headers={"X-SnapDesk-Browser": f"token-{n}"}).status_code
        for n in range(5)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
