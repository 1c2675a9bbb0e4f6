"""widget.js on a shop's own page (another origin): one script tag, a corner button, the chat in an iframe."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def shop_page(snapdesk_server: str) -> Iterator[str]:
    """A shop's own page on another origin (another port), embedding SnapDesk with one script tag."""
    html = f'<!doctype html><html><head><title>Shop</title></head><body><h1>Some shop</h1>\
<script src="{snapdesk_server}/widget.js"></script></body></html>'.encode()

    class Shop(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_widget_on_a_foreign_page_opens_the_chat(
    page: Any, shop_page: str, snapdesk_server: str, artifacts: Path
) -> None:
    page.goto(shop_page)
    launcher = page.locator("#snapdesk-launcher")
    assert page.locator("#snapdesk-frame").is_hidden()
    page.get_by_role("button", name="Chat with support").click()
    assert launcher.get_attribute("aria-expanded") == "true"
    chat = page.frame_locator("#snapdesk-frame")
    # The frame loads on first open: its form exists before its script has wired Enter to send.
    chat.locator("body[data-ready=true]").wait_for(state="attached")
    chat.get_by_label("Your question").fill("退款多久能到账？")
    chat.get_by_label("Your question").press("Enter")
    chat.locator(".msg.bot .rate").wait_for(timeout=60_000)
    assert "退款" in chat.locator(".msg.bot .text").inner_text()
    frame = page.locator("#snapdesk-frame").element_handle().content_frame()
    assert frame.url.startswith(snapdesk_server) and frame.url != shop_page  # SnapDesk's origin, not the shop's
    frame.wait_for_function("document.querySelector('.rate img').naturalWidth > 0")  # assets load inside the frame
    page.screenshot(path=str(artifacts / "widget-open.png"))
    page.get_by_role("button", name="Close support chat").click()
    assert page.locator("#snapdesk-frame").is_hidden()
