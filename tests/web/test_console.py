"""The operators' console in a real browser against a real `snapdesk serve` with API keys and seeded traffic.

This module runs its own server: creating API keys switches a server to "every call needs a key", which the
chat page's tests (on the shared server) must not meet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from snapdesk.knowledge import demo_kb_path
from tests.screens import phone_screen, to_bytes
from tests.web.conftest import free_port, start_server

ORDER_NO = "202611240087731"
XSS = '<img src=x onerror="window.__pwned=1">为什么还没发货'


@dataclass
class Console:
    url: str
    admin: str
    plain: str
    kb: Path
    order_png: Path
    sessions: dict[str, str]


def _key(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "snapdesk.cli", "keys", "create", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[1]


def _chat(client: httpx.Client, text: str, image: bytes | None = None) -> dict[str, Any]:
    files = {"image": ("shot.png", image, "image/png")} if image else None
    response = client.post("/chat", data={"text": text}, files=files, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    root = tmp_path_factory.mktemp("console")
    kb = root / "kb"
    shutil.copytree(demo_kb_path(), kb)  # a copy the reload test may add an article to
    env = {**os.environ, "SNAPDESK_DATA_DIR": str(root / "data"), "SNAPDESK_KB_PATH": str(kb)}
    admin, plain = _key(env, "ops", "--admin"), _key(env, "shop")
    order = phone_screen(
        "订单详情",
        status=("待补充地址", "收货地址信息不完整"),
        banner=["收货地址不完整：缺少门牌号，补充后才能发货。"],
        rows=[("订单编号", ORDER_NO), ("实付款", "¥268.00")],
    ).resize((540, 1170))
    risk = phone_screen(
        "收银台",
        rows=[("订单编号", ORDER_NO), ("需支付", "¥3,299.00")],
        modal=("支付失败", ["错误码：PAY-1106", "交易存在风险，已暂停"], ["我知道了"]),
    )
    (root / "order.png").write_bytes(to_bytes(order))
    port = free_port()
    process = start_server(port, root / "data", {"SNAPDESK_KB_PATH": str(kb), "SNAPDESK_RATE_LIMIT_PER_MINUTE": "0"})
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {plain}"}) as client:
            disliked = _chat(client, "我的货怎么还没发？", to_bytes(order))
            rated = client.post("/feedback", json={"message_id": disliked["message_id"], "rating": "down"})
            assert rated.status_code == 201
            handed = _chat(client, "付不了钱怎么办", to_bytes(risk))
            assert handed["escalate"] is True, handed
            hostile = _chat(client, XSS)
        sessions = {
            "disliked": disliked["session_id"],
            "handed": handed["session_id"],
            "hostile": hostile["session_id"],
        }
        yield Console(url, admin, plain, kb, root / "order.png", sessions)
    finally:
        process.terminate()
        process.wait(timeout=20)


def sign_in(page: Any, console: Console, key: str | None = None) -> None:
    page.goto(console.url + "/admin")
    page.fill("#key", key or console.admin)
    page.click("#login button[type=submit]")


def test_conversations_filter_and_show_the_screenshot_with_its_boxes(
    page: Any, console: Console, artifacts: Path
) -> None:
    sign_in(page, console, console.plain)
    page.wait_for_selector("#login-error:has-text('admin or agent key')")
    sign_in(page, console)
    page.click("#tabs button[data-tab=conversations]")
    page.wait_for_selector("#conversation-rows tr[data-id]")
    assert page.locator("#conversation-rows tr[data-id]").count() == 3

    page.select_option("#filters select[name=escalated]", "true")
    row = page.locator("#conversation-rows tr[data-id]")
    expect(row).to_have_count(1)  # locator expectations: the console's policy forbids eval'd predicates
    assert row.get_attribute("data-id") == console.sessions["handed"]
    row.click()
    page.wait_for_selector("#conversation h3:has-text('Hand-over to')")

    page.select_option("#filters select[name=escalated]", "")
    rows = page.locator("#conversation-rows tr[data-id]")
    # Each filter change reloads the list: wait for this one's answer before the next change, or a late answer
    # to the first (three rows) can land after a count of one has already matched the stale list.
    expect(rows).to_have_count(3)
    page.select_option("#filters select[name=negative]", "true")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-id", console.sessions["disliked"])
    page.click("#conversation-rows tr[data-id]")
    expect(page.locator("#conversation .shot img")).to_have_js_property("naturalWidth", 540)
    boxes = page.locator("#conversation .shot svg rect")
    assert boxes.count() >= 2  # the evidence lines the answer rests on, drawn over the screenshot
    assert page.locator("#conversation .shot svg").get_attribute("viewBox") == "0 0 540 1170"
    text = page.inner_text("#conversation")
    assert ORDER_NO in text and "thumbs-down" in text and "Passages consulted" in text and "ocr" in text
    page.screenshot(path=artifacts / "console-conversation.png", full_page=True)
    page.locator("#conversation .message.assistant h3:has-text('Timings')").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "console-conversation-answer.png")


def test_screenshot_text_and_questions_render_as_text(page: Any, console: Console) -> None:
    sign_in(page, console)
    page.click("#tabs button[data-tab=conversations]")
    page.wait_for_selector(f"#conversation-rows tr[data-id='{console.sessions['hostile']}']")
    page.click(f"#conversation-rows tr[data-id='{console.sessions['hostile']}']")
    page.wait_for_selector("#conversation .message.user")
    assert XSS in page.inner_text("#conversation")
    assert page.evaluate("window.__pwned") is None and page.locator("#conversation img[src='x']").count() == 0


def test_the_inbox_shows_a_case_with_what_snapdesk_read(page: Any, console: Console, artifacts: Path) -> None:
    sign_in(page, console)  # the inbox is the first tab
    cases = page.locator("#case-list li.case-item")
    expect(cases).to_have_count(1)
    expect(cases).to_contain_text("支付风控组")
    expect(page.locator("#inbox-teams")).to_contain_text("支付风控组 1")
    cases.locator("button").click()
    expect(page.locator("#case-head")).to_contain_text("open")
    expect(page.locator("#case .shot svg rect").first).to_be_attached()  # the screenshot with the boxes it read
    expect(page.locator("#case-conversation")).to_contain_text("PAY-1106")
    expect(page.locator("#case-conversation")).to_contain_text("Passages consulted")
    expect(page.locator("#case-actions button")).to_have_text(["Claim", "Resolve"])
    page.screenshot(path=artifacts / "console-inbox.png", full_page=True)


def test_charts_draw_the_seeded_traffic(page: Any, console: Console, artifacts: Path) -> None:
    sign_in(page, console)
    page.click("#tabs button[data-tab=charts]")
    page.select_option("#chart-range select[name=range]", "minute:1")
    page.wait_for_selector("#chart-totals:has-text('3 requests')")
    charts = page.locator("#chart-grid .chart svg")
    assert charts.count() == 6
    points = [int(charts.nth(i).get_attribute("data-points")) for i in range(6)]
    assert all(p > 0 for p in points), points
    assert page.locator("#chart-grid circle").count() > 0
    expect(page.locator("#people-times tbody tr")).to_contain_text(["支付风控组"])  # handed over, not yet answered
    page.select_option("#chart-range select[name=stage]", "ocr")
    page.wait_for_selector("#chart-grid h3:has-text('Latency: ocr')")
    page.screenshot(path=artifacts / "console-charts.png", full_page=True)


def test_knowledge_base_lists_articles_and_reloads(page: Any, console: Console, artifacts: Path) -> None:
    sign_in(page, console)
    page.click("#tabs button[data-tab=kb]")
    page.wait_for_selector("#kb-articles details.article")
    assert "支付错误码" in page.inner_text("#kb-articles")
    before = page.inner_text("#kb-meta dd[data-field=version]")
    (console.kb / "预售.md").write_text("# 预售商品\n\n## 预售什么时候发货\n\n按页面写明的日期发货。\n", "utf-8")
    page.click("#kb-reload")
    page.wait_for_selector("#kb-status:has-text('Reloaded at')")
    assert "预售商品" in page.inner_text("#kb-articles")
    assert page.inner_text("#kb-meta dd[data-field=version]") != before
    page.click("#kb-articles summary:has-text('支付错误码')")
    page.screenshot(path=artifacts / "console-kb.png", full_page=True)


def test_try_it_shows_every_stage(page: Any, console: Console, artifacts: Path) -> None:
    sign_in(page, console)
    page.click("#tabs button[data-tab=try]")
    page.set_input_files("#try-image", str(console.order_png))
    page.fill("#try-text", "我的货怎么还没发？")
    page.click("#try-form button[type=submit]")
    page.wait_for_selector("[data-stage=timings] .bars", timeout=120_000)
    for name in ("intake", "ocr", "fields", "intent", "retrieval", "answer", "timings"):
        assert page.locator(f"[data-stage={name}]").count() == 1, name
    assert ORDER_NO in page.inner_text("[data-stage=ocr] table")
    assert page.locator("[data-stage=ocr] .shot svg rect").count() >= 5
    assert "order_status" in page.inner_text("[data-stage=intent]")
    assert page.locator("[data-stage=retrieval] tbody tr").count() >= 1
    assert ORDER_NO in page.inner_text("[data-stage=answer]")
    assert "sha256:" in page.inner_text("[data-stage=intake]")
    page.screenshot(path=artifacts / "console-try.png", full_page=True)


def test_console_follows_a_chinese_browser(browser: Any, console: Console, artifacts: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        page.goto(console.url + "/admin")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page).to_have_title("SnapDesk 客服后台")
        expect(page.locator("#login h2")).to_have_text("登录")
        expect(page.locator("label[for=key]")).to_have_text("API 密钥")
        sign_in(page, console, console.plain)  # not an admin key: the refusal is said in Chinese
        expect(page.locator("#login-error")).to_contain_text("既不是管理员密钥也不是客服密钥")

        sign_in(page, console)
        expect(page.locator("#case-list")).to_contain_text("待认领")
        page.screenshot(path=artifacts / "console-zh-inbox.png", full_page=True)
        page.click("#tabs button[data-tab=conversations]")
        rows = page.locator("#conversation-rows tr[data-id]")
        expect(rows).to_have_count(3)
        expect(page.locator("#tabs button")).to_have_text(["工单", "会话", "统计图表", "知识库", "试一试"])
        expect(page.locator("#filters label").first).to_have_text("转人工 全部 已转人工 未转人工", use_inner_text=True)
        expect(page.locator("#filters label").nth(3)).to_contain_text("档位")
        expect(page.locator("#conversations thead th")).to_have_text(["最近活动", "问题", "意图", "档位", "标记"])
        expect(page.locator("#conversation-rows")).to_contain_text("已转人工")
        expect(page.locator("#conversation-rows")).to_contain_text("差评 ×1")

        page.select_option("#filters select[name=escalated]", "true")  # the values sent stay the API's own
        expect(rows).to_have_count(1)
        expect(rows).to_have_attribute("data-id", console.sessions["handed"])
        rows.click()
        expect(page.locator("#conversation h2")).to_have_text("会话详情")
        expect(page.locator("#conversation h3").filter(has_text="转人工：支付风控组")).to_have_count(1)
        expect(page.locator("#conversation")).to_contain_text("参考的知识库段落")
        expect(page.locator("#conversation")).to_contain_text("PAY-1106")
        page.screenshot(path=artifacts / "console-zh.png", full_page=True)

        page.click("#tabs button[data-tab=charts]")
        page.select_option("#chart-range select[name=range]", "minute:1")
        expect(page.locator("#chart-range label").first).to_contain_text("时间范围")
        expect(page.locator("#chart-totals")).to_contain_text("请求 3 次")
        expect(page.locator("#chart-grid .chart h3").first).to_have_text("请求量")
        expect(page.locator("#chart-grid .chart h3").nth(5)).to_have_text("评价")
        expect(page.locator("#chart-grid .legend").last).to_have_text("好评差评")
        page.screenshot(path=artifacts / "console-zh-charts.png", full_page=True)

        page.click("#tabs button[data-tab=kb]")
        expect(page.locator("#kb-reload")).to_have_text("立即重新加载")
        expect(page.locator("#kb-meta dt").first).to_have_text("目录")
        page.screenshot(path=artifacts / "console-zh-kb.png", full_page=True)
        page.click("#tabs button[data-tab=try]")
        page.fill("#try-text", "退款多久能到账？")
        page.get_by_role("button", name="运行").click()
        expect(page.locator("[data-stage=retrieval] h2")).to_have_text("知识库检索", timeout=60_000)
        expect(page.locator("[data-stage=intake]")).to_contain_text("没有截图")
        page.screenshot(path=artifacts / "console-zh-try.png", full_page=True)
    finally:
        context.close()
