"""A hand-over worked end to end in real browsers against a real `snapdesk serve`: the customer on the public chat
page, two agents in the console, each in a browser context of their own (own storage, as separate people)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from snapdesk.knowledge import demo_kb_path
from snapdesk.service.person import PERSON_REPLY
from tests.screens import phone_screen, to_bytes
from tests.web.conftest import free_port, start_server
from tests.web.test_chat_page import ask
from tests.web.test_console import _key

RISK_TEAM = "支付风控组"  # the demo KB hands a PAY-1106 payment failure to this team
REPLY = "您好，我是风控专员，已为您复核，请稍后重新支付。"


@dataclass
class Shop:
    url: str
    alice: str
    bob: str
    admin: str
    risk_png: Path
    kb: Path


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    root = tmp_path_factory.mktemp("inbox-flow")
    env = {**os.environ, "SNAPDESK_DATA_DIR": str(root / "data")}
    alice, bob, admin = _key(env, "--agent", "alice"), _key(env, "--agent", "bob"), _key(env, "ops", "--admin")
    kb = root / "kb"
    shutil.copytree(demo_kb_path(), kb)  # the shop's own folder: accepted passages are written to it
    risk = phone_screen(
        "收银台",
        rows=[("订单编号", "202611240087731"), ("需支付", "¥3,299.00")],
        modal=("支付失败", ["错误码：PAY-1106", "交易存在风险，已暂停"], ["我知道了"]),
    ).resize((540, 1170))
    (root / "risk.png").write_bytes(to_bytes(risk))
    port = free_port()
    # Public chat: the customer's browser needs no key although the shop has keys (its agents').
    server_env = {"SNAPDESK_PUBLIC_CHAT": "1", "SNAPDESK_RATE_LIMIT_PER_MINUTE": "0", "SNAPDESK_KB_PATH": str(kb)}
    process = start_server(port, root / "data", server_env)
    try:
        yield Shop(f"http://127.0.0.1:{port}", alice, bob, admin, root / "risk.png", kb)
    finally:
        process.terminate()
        process.wait(timeout=20)


def person(browser: Any) -> Any:
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    return context


def agent_opens_the_case(page: Any, shop: Shop, key: str) -> None:
    page.goto(shop.url + "/admin")
    page.fill("#key", key)
    page.click("#login button[type=submit]")
    expect(page.locator("#tabs button:visible")).to_have_text(["Inbox", "Conversations"])  # an agent's tabs
    page.locator("#case-list li.case-item button").click()
    expect(page.locator("#case-head")).to_contain_text(RISK_TEAM)


def test_an_agent_claims_replies_and_resolves_while_the_customer_watches(
    browser: Any, shop: Shop, artifacts: Path
) -> None:
    customer, alice, bob = person(browser), person(browser), person(browser)
    try:
        chat = customer.new_page()
        chat.goto(shop.url + "/")
        handed = ask(chat, "付不了钱怎么办", shop.risk_png, rated=False)
        expect(handed.locator(".handover")).to_contain_text(RISK_TEAM)

        console, other = alice.new_page(), bob.new_page()
        agent_opens_the_case(console, shop, shop.alice)
        agent_opens_the_case(other, shop, shop.bob)  # both see an open case with a Claim button
        console.locator("#case-actions button[data-action=claim]").click()
        expect(console.locator("#case-head")).to_contain_text("held by alice")
        other.locator("#case-actions button[data-action=claim]").click()  # too late: refused, and said so
        expect(other.locator("#case-status")).to_contain_text("already claimed by alice")
        expect(other.locator("#case-actions button[data-action=claim]")).to_have_count(0)

        console.locator("#reply-text").fill(REPLY)
        console.locator("#reply-picture").set_input_files(str(shop.risk_png))  # a picture with the reply
        console.locator("#case-reply button[type=submit]").click()
        sent = time.monotonic()
        arrived = chat.locator(".msg.agent")
        expect(arrived).to_contain_text(REPLY, timeout=3_000)  # on the open page, no reload, within 3 s
        assert time.monotonic() - sent < 3.0
        expect(arrived.locator(".who")).to_contain_text("alice")
        expect(arrived.locator("img.reply-picture")).to_have_js_property("naturalWidth", 540)
        chat.screenshot(path=artifacts / "chat-person-reply.png", full_page=True)

        told = ask(chat, "好的，我现在重新支付可以吗？", rated=False)
        expect(told).to_contain_text(PERSON_REPLY["zh"])  # the assistant steps aside while alice holds it
        expect(console.locator("#case-conversation")).to_contain_text("我现在重新支付可以吗", timeout=10_000)
        console.screenshot(path=artifacts / "console-inbox-claimed.png", full_page=True)

        console.locator("#case-actions button[data-action=resolve]").click()
        expect(console.locator("#case-head")).to_contain_text("resolved")
        answered = ask(chat, "退款多久能到账？")
        expect(answered.locator(".rate")).to_be_visible()  # an answer of the assistant's again, rated like any
        expect(answered).not_to_contain_text(PERSON_REPLY["zh"])

        chat.reload()  # after a reload the person's reply is still there, marked as a person's
        expect(chat.locator(".msg.agent")).to_contain_text(REPLY)
    finally:
        for context in (customer, alice, bob):
            context.close()


def test_an_admin_turns_a_resolved_case_into_a_passage_and_a_test_case(
    browser: Any, shop: Shop, artifacts: Path
) -> None:
    customer = httpx.Client(base_url=shop.url, headers={"X-SnapDesk-Browser": "learning-loop-customer"}, timeout=120)
    alice = httpx.Client(base_url=shop.url, headers={"Authorization": f"Bearer {shop.alice}"})
    asked = customer.post("/chat", data={"text": "发票抬头开错了能重新开吗？"}).json()
    assert asked["escalate"] is True, asked["answer"]
    (case,) = [c for c in alice.get("/admin/inbox").json()["cases"] if c["conversation_id"] == asked["session_id"]]
    assert alice.post(f"/admin/inbox/{case['id']}/claim").status_code == 200
    reply = {"text": "发票开具后 30 天内可以在“订单详情-发票”里申请换开一次，原发票自动作废。"}
    assert alice.post(f"/admin/inbox/{case['id']}/reply", json=reply).status_code == 201
    assert alice.post(f"/admin/inbox/{case['id']}/resolve").status_code == 200

    context = person(browser)
    try:
        page = context.new_page()
        page.goto(shop.url + "/admin")
        page.fill("#key", shop.admin)
        page.click("#login button[type=submit]")
        page.select_option("#inbox-filters select[name=view]", "resolved")
        page.locator(f"#case-list li[data-id='{case['id']}'] button").click()
        expect(page.locator("#case-actions")).to_have_text("")  # nothing left to claim or resolve
        page.locator("#case-reply button[data-action=draft]").click()
        expect(page.locator("pre.diff .added").first).to_contain_text("+# 客服回复整理")
        expect(page.locator("pre.diff")).to_contain_text("申请换开一次")
        page.locator("button[data-action=accept]").click()
        expect(page.locator(".learning .status")).to_contain_text("reloaded")
        assert "申请换开一次" in (shop.kb / "客服回复整理.md").read_text(encoding="utf-8")

        page.locator("#case-conversation button[data-action=test-case]").first.click()
        page.locator(".test-case label.fact", has_text="30 天内可以在").locator("input").check()
        page.locator(".test-case button[type=submit]").click()
        expect(page.locator(".test-case .status")).to_contain_text("snapdesk eval")
        page.screenshot(path=artifacts / "console-learning.png", full_page=True)
    finally:
        context.close()
    again = customer.post("/chat", data={"text": "发票抬头开错了能重新开吗？"}).json()
    assert again["escalate"] is False and "申请换开一次" in again["answer"], again["answer"]
