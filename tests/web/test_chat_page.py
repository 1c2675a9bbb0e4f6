"""The customer chat page in a real browser against a real `snapdesk serve`: upload, streamed answer, evidence
boxes, facts, feedback, hand-over, reload, untrusted screenshot text, a phone (the widget: test_widget.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from snapdesk.store.db import sqlite_url
from snapdesk.store.models import Feedback
from tests.screens import phone_screen, to_bytes

ORDER_NO = "202611240087731"
XSS = "<img src=x onerror=alert(1)>"

# Counts every change of an answer's text, to tell a streamed answer from one written once.
COUNT_UPDATES = """
window.__answerUpdates = 0;
new MutationObserver((records) => {
  for (const r of records) if (r.target.closest && r.target.closest('.msg.bot .text')) window.__answerUpdates++;
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def screenshot_file(tmp_path: Path, name: str, **screen: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(to_bytes(phone_screen(**screen).resize((540, 1170))))
    return path


@pytest.fixture
def order_png(tmp_path: Path) -> Path:
    return screenshot_file(
        tmp_path,
        "order.png",
        title="订单详情",
        status=("待补充地址", "收货地址信息不完整"),
        banner=["收货地址不完整：缺少门牌号，补充后才能发货。"],
        rows=[("订单编号", ORDER_NO), ("实付款", "¥268.00")],
    )


def ask(page: Any, text: str, image: Path | None = None, *, rated: bool = True) -> Any:
    """Asks through the page as a person would; returns the new answer's list item once it is complete (`rated`:
    an answer, which comes with a rating row; else a reply that has none, such as a person's notice)."""
    answers = page.locator(".msg.bot")
    before = answers.count()
    if image is not None:
        page.locator("#file").set_input_files(str(image))
        page.locator("#preview").wait_for(state="visible")
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")
    answer = answers.nth(before)
    if rated:
        answer.locator(".rate").wait_for(state="visible", timeout=60_000)  # the rating row comes with the final JSON
    else:
        expect(answer).not_to_have_attribute("aria-busy", "true", timeout=60_000)
    return answer


def stored_ratings(data_dir: Path) -> list[tuple[str, str]]:
    engine = create_engine(sqlite_url(data_dir))
    try:
        with Session(engine) as session:
            return [(f.message_id, f.rating) for f in session.scalars(select(Feedback))]
    finally:
        engine.dispose()


def test_answer_streams_with_evidence_facts_feedback_and_survives_reload(
    page: Any, snapdesk_server: str, snapdesk_data_dir: Path, order_png: Path, artifacts: Path
) -> None:
    page.add_init_script(COUNT_UPDATES)
    page.goto(snapdesk_server)
    answer = ask(page, "我的货怎么还没发？", order_png)
    text = answer.locator(".text").inner_text()
    assert ORDER_NO in text and "待补充地址" in text
    assert page.evaluate("window.__answerUpdates") >= 3  # the placeholder, then several streamed pieces

    boxes = page.locator("#overlay .box")
    assert boxes.count() >= 3
    left = boxes.first.evaluate("b => parseFloat(b.style.left)")
    assert 0 <= left < 100
    assert page.locator("#overlay .box.hit").count() == 0

    fact = answer.get_by_role("button", name=ORDER_NO)
    assert answer.locator(".saw").inner_text().startswith("What I saw")
    fact.click()
    hit = page.locator("#overlay .box.hit")
    assert hit.count() == 1 and ORDER_NO in hit.get_attribute("data-text")
    # The highlighted box sits on the order number's line of the preview: its OCR box, scaled to the shown image.
    line = page.evaluate(
        "() => Object.values(JSON.parse(localStorage['snapdesk.chat.v1']).meta)[0].evidence"
        f".find(line => line.text.includes('{ORDER_NO}')).box"
    )
    image, box = page.locator("#preview-img").bounding_box(), hit.bounding_box()
    scale = image["width"] / 540
    assert abs(box["x"] - (image["x"] + line[0] * scale)) < 2 and abs(box["y"] - (image["y"] + line[1] * scale)) < 2
    assert abs(box["height"] - (line[3] - line[1]) * scale) < 2
    page.screenshot(path=str(artifacts / "chat-answer.png"), full_page=True)

    answer.get_by_role("button", name="Helpful", exact=True).click()
    answer.get_by_text("Thanks for the feedback.").wait_for()
    assert answer.get_by_role("button", name="Helpful", exact=True).get_attribute("aria-pressed") == "true"
    session_id, message_id = page.evaluate(
        "() => { const s = JSON.parse(localStorage['snapdesk.chat.v1']); return [s.session, Object.keys(s.meta)[0]]; }"
    )
    assert (message_id, "up") in stored_ratings(snapdesk_data_dir)

    page.reload()
    restored = page.locator(".msg.bot").first
    restored.locator(".rate").wait_for()
    assert restored.locator(".text").inner_text() == text
    assert page.locator(".msg.user .text").first.inner_text() == "我的货怎么还没发？"
    assert restored.get_by_role("button", name="Helpful", exact=True).get_attribute("aria-pressed") == "true"
    assert page.locator("#preview").is_visible() and page.locator("#overlay .box").count() == boxes.count()
    restored.get_by_role("button", name=ORDER_NO).click()
    assert ORDER_NO in page.locator("#overlay .box.hit").get_attribute("data-text")

    # A follow-up without a picture continues the same session, about the same screenshot.
    follow = ask(page, "那我该怎么办")
    assert ORDER_NO in follow.locator(".text").inner_text()
    assert page.evaluate("JSON.parse(localStorage['snapdesk.chat.v1']).session") == session_id
    page.screenshot(path=str(artifacts / "chat-after-reload.png"), full_page=True)

    # Without the local copy (a full localStorage drops it) the preview comes from the server, at full size.
    page.evaluate(
        "() => { const s = JSON.parse(localStorage['snapdesk.chat.v1']); s.shot = null;"
        " localStorage['snapdesk.chat.v1'] = JSON.stringify(s); }"
    )
    page.reload()
    page.locator(".msg.bot").nth(1).locator(".rate").wait_for()
    page.locator("#preview").wait_for(state="visible")  # the conversation first, then the fetched picture
    page.wait_for_function("() => document.getElementById('preview-img').naturalWidth > 0")
    assert page.locator("#preview-img").evaluate("img => img.naturalWidth") == 540  # the local copy is 332 wide
    page.locator("#overlay .box").nth(2).wait_for()


def test_handover_shows_team_and_reference(page: Any, snapdesk_server: str, tmp_path: Path, artifacts: Path) -> None:
    risk = screenshot_file(
        tmp_path,
        "risk.png",
        title="收银台",
        modal=("支付失败", ["交易触发风控，已被暂停（PAY-1106）"], ["我知道了"]),
        rows=[("订单编号", ORDER_NO), ("应付金额", "¥1,299.00")],
    )
    page.goto(snapdesk_server)
    answer = ask(page, "付不了钱怎么办", risk)
    note = answer.locator(".handover")
    assert "支付风控组" in note.inner_text()
    reference = note.locator(".ref").inner_text()
    assert reference == page.evaluate("Object.keys(JSON.parse(localStorage['snapdesk.chat.v1']).meta)[0]")
    answer.get_by_role("button", name="Error code PAY-1106", exact=True).click()
    assert "PAY-1106" in page.locator("#overlay .box.hit").get_attribute("data-text")
    page.screenshot(path=str(artifacts / "chat-handover.png"), full_page=True)


def test_screenshot_text_is_shown_as_text_and_never_runs(
    page: Any, snapdesk_server: str, tmp_path: Path, artifacts: Path
) -> None:
    rows = [("Order No.", ORDER_NO)]
    hostile = screenshot_file(tmp_path, "hostile.png", title="Order detail", banner=[XSS], rows=rows)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(snapdesk_server)
    answer = ask(page, "what does this error mean?", hostile)
    assert XSS in answer.inner_text()  # the characters are on the page, as characters
    assert page.locator("img[src='x']").count() == 0
    page.reload()
    page.locator(".msg.bot .rate").wait_for()
    assert XSS in page.locator(".msg.bot").first.inner_text()
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert dialogs == []
    page.screenshot(path=str(artifacts / "chat-untrusted-text.png"), full_page=True)


def test_chinese_ui_on_a_phone_with_keyboard(
    browser: Any, snapdesk_server: str, order_png: Path, artifacts: Path
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(snapdesk_server)
        assert page.locator("h1").inner_text() == "SnapDesk 客服"
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past "new conversation", onto the screenshot picker: a real, labelled button
        assert page.evaluate("document.activeElement.id") == "pick"
        assert page.get_by_role("button", name="选择截图").is_visible()
        question = page.get_by_label("你的问题")
        question.fill("第一行")
        question.press("Shift+Enter")  # a new line, not a send
        assert page.locator(".msg").count() == 0
        question.type("第二行")
        assert question.input_value() == "第一行\n第二行"
        page.screenshot(path=str(artifacts / "chat-phone-zh-empty.png"), full_page=True)

        page.locator("#file").set_input_files(str(order_png))
        question.fill("我的货怎么还没发？")
        page.get_by_role("button", name="发送").click()
        answer = page.locator(".msg.bot").first
        answer.locator(".rate").wait_for(timeout=60_000)
        assert answer.locator(".saw").inner_text().startswith("我看到")
        assert answer.get_by_role("button", name="有帮助", exact=True).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "chat-phone-zh.png"), full_page=True)
    finally:
        context.close()


# A real user's paste or drop hands the page a DataTransfer holding the file; this builds the same event.
DELIVER = """async ([kind, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "shot.png", {type: "image/png"}));
  const event = kind === "paste"
    ? new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true})
    : new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true});
  document.body.dispatchEvent(event);
}"""


@pytest.mark.parametrize("kind", ["paste", "drop"])
def test_paste_or_drop_a_screenshot_then_ask(page: Any, snapdesk_server: str, order_png: Path, kind: str) -> None:
    page.goto(snapdesk_server)
    page.evaluate(DELIVER, [kind, base64.b64encode(order_png.read_bytes()).decode()])
    page.locator("#preview").wait_for(state="visible")
    assert page.locator("#preview-img").get_attribute("src").startswith("blob:")
    answer = ask(page, "为什么还没发货")
    assert answer.locator(".attached").count() == 0  # the note sits on the question, not the answer
    assert page.locator(".msg.user .attached").count() == 1
    assert ORDER_NO in answer.locator(".text").inner_text() and page.locator("#overlay .box").count() >= 3


def sse(*events: tuple[str, dict[str, Any]]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events)


def test_a_withdrawn_stream_is_replaced_and_a_stream_error_is_shown(page: Any, snapdesk_server: str) -> None:
    # A model engine may withdraw what it streamed ("reset") or fail mid-answer ("error"); the offline engine
    # does neither, so these two streams are played back to the page as a model engine would send them.
    done = {
        "session_id": "s1",
        "message_id": "m1",
        "answer": "right",
        "intent": "other",
        "escalate": False,
        "team": None,
        "evidence": [],
        "passages": [],
        "fields": {},
        "tier": "full",
        "cached": False,
        "latency_ms": 1.0,
    }
    streams = [
        sse(
            ("delta", {"text": "wro"}),
            ("delta", {"text": "ng"}),
            ("reset", {}),
            ("delta", {"text": "right"}),
            ("done", done),
        ),
        sse(("delta", {"text": "half an"}), ("error", {"error": {"code": "engine_failed", "message": "it broke"}})),
    ]
    page.route(
        "**/chat",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=streams.pop(0)),
    )
    page.goto(snapdesk_server)
    assert ask(page, "hello").locator(".text").inner_text() == "right"
    page.get_by_label("Your question").fill("again")
    page.get_by_label("Your question").press("Enter")
    failed = page.locator(".msg.bot.error")
    failed.wait_for()
    assert "it broke" in failed.inner_text() and "half an" not in failed.inner_text()
