"""The pages and assets as HTTP resources: served by SnapDesk itself, out of the API document, nothing outside
the static folder reachable, and the chat page frameable by shops while keeping a strict script policy."""

from __future__ import annotations

import httpx
import pytest

ASSETS = ["/static/chat.js", "/static/api.js", "/static/i18n.js", "/static/chat.css", "/static/thumb.svg"]


def test_pages_and_assets_are_served_with_their_types(snapdesk_server: str) -> None:
    chat = httpx.get(snapdesk_server + "/")
    assert chat.status_code == 200 and chat.headers["content-type"].startswith("text/html")
    policy = chat.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors *" in policy and "unsafe-inline" not in policy
    assert "x-frame-options" not in chat.headers  # the widget frames it on shops' own sites
    admin = httpx.get(snapdesk_server + "/admin")
    assert admin.headers["x-frame-options"] == "DENY"
    assert "script-src" not in admin.headers["content-security-policy"]  # scripts fall back to 'self' only
    assert "frame-ancestors 'none'" in admin.headers["content-security-policy"]
    widget = httpx.get(snapdesk_server + "/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["cross-origin-resource-policy"] == "cross-origin"
    for path in ASSETS:
        response = httpx.get(snapdesk_server + path)
        assert response.status_code == 200, path
        assert "//cdn" not in response.text and "https://" not in response.text.replace("https://<", ""), path


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pages.py",
        "/static/%2e%2e/pages.py",
        "/static/..%2fpages.py",
        "/static/missing.js",
        "/static/a%00b.js",
    ],
)
def test_nothing_outside_the_static_folder(snapdesk_server: str, path: str) -> None:
    response = httpx.get(snapdesk_server + path)
    assert response.status_code == 404 and "APIRouter" not in response.text


def test_pages_are_not_api_operations(snapdesk_server: str) -> None:
    paths = httpx.get(snapdesk_server + "/openapi.json").json()["paths"]
    assert "/chat" in paths
    assert not {"/", "/admin", "/widget.js"} & set(paths) and not any(p.startswith("/static") for p in paths)
