"""Real screenshots from public apps (../shared/real, sources and licences in its SOURCES.md) through the
real pipeline: OCR, fields, the demo knowledge base, the offline engine. Unseen inputs, so the assertions
are what any support agent would expect of them, not tuned wording.

The folder lives beside the repository and is never copied here: locally the tests skip when it is absent;
CI sets SNAPDESK_REQUIRE_SHARED=1 and then its absence fails the run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from snapdesk import Assistant
from snapdesk.intake import load_image
from snapdesk.perception import perceive

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"


def real(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        if os.environ.get("SNAPDESK_REQUIRE_SHARED"):
            pytest.fail(f"the real screenshots are required in CI but {path} is missing")
        pytest.skip(f"the real screenshots are not beside the repository ({REAL})")
    return path


def every_real_screenshot() -> list[str]:
    return sorted(p.name for p in REAL.glob("*") if p.suffix in (".png", ".jpg")) or ["(missing).png"]


@pytest.mark.parametrize("name", every_real_screenshot())
def test_every_real_screenshot_gets_an_answer_that_opens_in_the_customers_language(
    assistant: Assistant, name: str
) -> None:
    # Only the opening: the demo knowledge base is Chinese, and its passages are quoted as written.
    zh = name.startswith("zh_")
    answer = assistant.generate(image=real(name), text="这是怎么回事？" if zh else "What does this mean?")
    assert answer.text and answer.image_digest and answer.timings["ocr_ms"] > 0
    assert bool(re.search(r"[\u4e00-\u9fff]", answer.text[:20])) == zh, answer.text
    assert not re.search(r"1[3-9]\d{9}", answer.text)  # no full mobile number, whatever the screen shows


@pytest.mark.parametrize(
    ("name", "exception"),
    [
        ("zh_android_crash_info_NullPointerException_oneplus.png", "java.lang.NullPointerException"),
        ("en_android_crash_info_display_light.png", "java.lang.NullPointerException"),
        ("en_android_crash_info_display_dark.png", "java.lang.NullPointerException"),
        ("en_android_critical_error_occurred_stacktrace.png", "java.lang.RuntimeException"),
    ],
)
def test_a_crash_log_is_read_and_handed_to_the_crash_team(assistant: Assistant, name: str, exception: str) -> None:
    # Asked in the demo knowledge base's language (Chinese), so the crash article can be found by its words.
    answer = assistant.generate(image=real(name), text="应用闪退了怎么办")
    assert exception in answer.fields["exceptions"] and exception in answer.text
    assert answer.intent == "app_crash" and answer.escalate and answer.team == "App 技术组"


def test_when_nothing_fits_an_english_customer_hears_no_chinese_fallback(assistant: Assistant) -> None:
    # "It crashed" shares no word with the Chinese crash article: nothing fits, so the fallback hands over.
    answer = assistant.generate(image=real("en_android_critical_error_occurred_stacktrace.png"), text="It crashed")
    assert answer.escalate and not answer.passages and "java.lang.RuntimeException" in answer.text
    assert not re.search(r"[\u4e00-\u9fff]", answer.text.replace("App 技术组", "")), answer.text


def test_an_order_list_gives_its_orders_and_amounts(assistant: Assistant) -> None:
    answer = assistant.generate(image=real("zh_miniprogram_order_list_pending_payment.png"), text="订单怎么还没发货")
    assert {"2200000196", "2200000195"} <= set(answer.fields["order_ids"])
    assert {"415.92", "2192.40"} <= {a["value"] for a in answer.fields["amounts"]}
    assert "2200000196" in answer.text and answer.intent == "order_status"


def test_a_tracking_page_with_a_couriers_phone_never_repeats_it(assistant: Assistant) -> None:
    answer = assistant.generate(image=real("zh_miniprogram_order_logistics_tracking.png"), text="我的快递到哪了")
    assert answer.intent == "logistics" and "2200000194" in answer.text
    assert "phone" in answer.fields["pii_kinds"] and "157" not in answer.text.replace("157***", "")


@pytest.mark.parametrize(
    ("name", "question"),
    [
        ("en_web_livechat_support_widget.jpg", "I need a human agent"),
        ("zh_android_toasts_network_error_storage_full.jpg", "帮我转人工"),
        ("zh_miniprogram_confirm_payment.png", "付不了款，我要找人工客服"),
    ],
)
def test_a_customer_who_asks_for_a_person_is_handed_over(assistant: Assistant, name: str, question: str) -> None:
    answer = assistant.generate(image=real(name), text=question)
    assert answer.escalate, answer.text
    assert ("人工" in answer.text) if name.startswith("zh_") or "人工" in question else ("agent" in answer.text)


def test_small_text_on_a_desktop_screenshot_is_read(assistant: Assistant) -> None:
    # Postman at 1920×1020: its JSON body (about 12 px) is lost when the detector shrinks the image to 960 px
    # wide, and read at the larger size desktop screenshots get (perception/ocr.py `for_shape`).
    image = load_image(real("zh_desktop_postman_api_error_please_login_501.png")).image
    read = " ".join(line.text for line in perceive(image, settings=assistant.ocr).lines)
    assert "errno" in read and "501" in read and "请登录" in read, read
    answer = assistant.generate(image=real("zh_desktop_postman_api_error_please_login_501.png"), text="返回501什么意思")
    assert "errno: 501" in answer.fields["codes"] and "errno: 501" in answer.text
