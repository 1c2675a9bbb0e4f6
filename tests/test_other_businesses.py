"""The knowledge base, not code, carries the business: three businesses SnapDesk has never seen, one pipeline.

tests/kbs/ holds three knowledge bases written the way each business would write its own help center:
青禾家居 (qinghe_home, a Chinese home-goods shop on a WeChat mini-program and an app), Inkwell 墨笺
(inkwell_saas, a Chinese-English subscription SaaS with apps and an open API) and Brightwire Electronics
(brightwire_electronics, an English-only online electronics store). Each has its own teams, windows, version
numbers, hours and wording, none of them shared with the bundled demo KB or with each other.

What is proved: the same real screenshot (../shared/real, sources in its SOURCES.md) and the same question get
each business's own remedy, numbers and hand-over team, put first in the answer (its first 300 characters), and
never another business's; a question no knowledge base covers is handed over with the business's own fallback
and no invented policy. Questions are in the customer's words, in Chinese and English, some about a screen in
the other language.

The screenshots live beside the repository and are never copied here: locally the tests skip when they are
absent; CI sets SNAPDESK_REQUIRE_SHARED=1 and then their absence fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from snapdesk import Answer, Assistant
from snapdesk.knowledge import KnowledgeStore, load_knowledge_base
from tests.test_real_screenshots import real

KBS = Path(__file__).resolve().parent / "kbs"
CRASHING = "The app keeps crashing, what should I do?"
OPENING = 300  # the product puts the direct answer first: what a correct answer must say is said by then


@dataclass(frozen=True)
class Business:
    name: str  # kb.yaml's name
    teams: tuple[str, ...]
    facts: tuple[str, ...]  # its own numbers, teams and channels: none may show up in another business's answer


QINGHE = "qinghe_home"
INKWELL = "inkwell_saas"
BRIGHTWIRE = "brightwire_electronics"

BUSINESSES: dict[str, Business] = {
    QINGHE: Business(
        name="青禾家居",
        teams=("售后二组", "客户端研发组", "收银台支持组"),
        facts=("45 分钟", "5 个工作日", "6.3.0", "售后二组", "客户端研发组", "09:00", "22:00", "400-700-2580"),
    ),
    INKWELL: Business(
        name="Inkwell 墨笺",
        teams=("Billing Desk", "Mobile Client Team", "Identity & Access", "API Platform"),
        facts=(
            "10 个工作日",
            "10 business days",
            "8.4.1",
            "Billing Desk",
            "Mobile Client Team",
            "08:30",
            "19:30",
            "发送诊断日志",
        ),
    ),
    BRIGHTWIRE: Business(
        name="Brightwire Electronics",
        teams=("Returns Team", "App Support", "Order Desk"),
        facts=("2 hours", "3 business days", "7.4.2", "Returns Team", "App Support", "7 am", "11 pm", "1-800-555-0143"),
    ),
}


@pytest.fixture(scope="module")
def assistants() -> dict[str, Assistant]:
    """One assistant per business, sharing one perception cache: each screenshot is read by OCR once."""
    first = Assistant.from_settings(kb_path=KBS / QINGHE, moderators=[])
    built = {QINGHE: first}
    for key in (INKWELL, BRIGHTWIRE):
        built[key] = Assistant(
            knowledge=KnowledgeStore(KBS / key),
            engine=first.engine,
            moderators=first.moderators,
            limits=first.limits,
            ocr=first.ocr,
            max_question_chars=first.max_question_chars,
            perception_cache=first.perception_cache,
        )
    return built


def ask(assistants: dict[str, Assistant], business: str, screenshot: str, question: str) -> Answer:
    return assistants[business].generate(image=real(screenshot), text=question)


def assert_no_other_business(answer: Answer, business: str) -> None:
    for other, facts in BUSINESSES.items():
        if other != business:
            leaked = [fact for fact in facts.facts if fact in answer.text]
            assert not leaked, f"{business}'s answer carries {other}'s {leaked}: {answer.text}"


def test_each_business_hands_over_a_knowledge_base_that_loads_cleanly() -> None:
    for folder, business in BUSINESSES.items():
        kb = load_knowledge_base(KBS / folder)
        assert kb.name == business.name and kb.teams == business.teams and not kb.problems, (folder, kb.problems)
        assert any(p.row for p in kb.passages), f"{folder} has no table"
        assert {p.escalate_to for p in kb.passages if p.escalate_to} <= set(business.teams), folder


@pytest.mark.parametrize(
    ("business", "question", "language", "must", "team"),
    [
        (QINGHE, "App 一直闪退，怎么办？", "zh", ("6.3.0", "清除缓存"), "客户端研发组"),
        (INKWELL, "App 一直闪退，怎么办？", "zh", ("8.4.1", "发送诊断日志"), "Mobile Client Team"),
        (INKWELL, CRASHING, "en", ("8.4.1", "Send diagnostics"), "Mobile Client Team"),
        (BRIGHTWIRE, CRASHING, "en", ("7.4.2", "reinstall"), "App Support"),
    ],
)
def test_the_same_crash_log_gets_each_business_crash_remedy_and_crash_team(
    assistants: dict[str, Assistant], business: str, question: str, language: str, must: tuple[str, ...], team: str
) -> None:
    # One English Android crash page (RuntimeException stack trace), the same question per language.
    answer = ask(assistants, business, "en_android_critical_error_occurred_stacktrace.png", question)
    assert answer.language == language
    for fact in must:
        assert fact in answer.text[:OPENING], (fact, answer.text)
    assert answer.escalate and answer.team == team and team in answer.text, answer.text
    assert_no_other_business(answer, business)


@pytest.mark.parametrize(
    ("business", "question", "must"),
    [
        (QINGHE, "多久能退款到账？", ("5 个工作日", "原路退回")),
        (BRIGHTWIRE, "How long until I get my money back?", ("3 business days", "original payment method")),
    ],
)
def test_a_pending_return_gets_each_shops_own_refund_time(
    assistants: dict[str, Assistant], business: str, question: str, must: tuple[str, ...]
) -> None:
    # A Chinese "订单退货" page, 退货待确认, ¥44.00: the English shop's customer asks about it in English.
    answer = ask(assistants, business, "zh_web_order_return_pending_confirmation.png", question)
    for fact in must:
        assert fact in answer.text[:OPENING], (fact, answer.text)
    assert_no_other_business(answer, business)


@pytest.mark.parametrize(
    ("business", "question", "must"),
    [
        (QINGHE, "这两个订单我要在多长时间内付款？", ("45 分钟", "自动关闭")),
        (BRIGHTWIRE, "How long do I have to pay for these orders?", ("2 hours", "cancelled")),
    ],
)
def test_an_order_list_awaiting_payment_gets_each_shops_payment_window(
    assistants: dict[str, Assistant], business: str, question: str, must: tuple[str, ...]
) -> None:
    # The mini-program order list: two orders, both 待支付, each with 立即支付.
    answer = ask(assistants, business, "zh_miniprogram_order_list_pending_payment.png", question)
    for fact in must:
        assert fact in answer.text[:OPENING], (fact, answer.text)
    assert_no_other_business(answer, business)


@pytest.mark.parametrize(
    ("business", "question", "step", "team"),
    [
        (QINGHE, "退货的钱两个星期了还没退到账上，怎么回事？", "退货快递单号", "售后二组"),
        (INKWELL, "我取消了年付订阅，退款过了两个星期还没收到", "账单记录", "Billing Desk"),
        (BRIGHTWIRE, "My refund still hasn't shown up after two weeks", "return number", "Returns Team"),
    ],
)
def test_an_overdue_refund_is_handed_to_each_business_refund_team(
    assistants: dict[str, Assistant], business: str, question: str, step: str, team: str
) -> None:
    # A wallet page with its transactions: the refund the customer expects is not among them.
    answer = ask(assistants, business, "zh_web_wallet_balance_transactions.png", question)
    assert step in answer.text[:OPENING], answer.text
    assert answer.escalate and answer.team == team and team in answer.text, answer.text
    assert_no_other_business(answer, business)


@pytest.mark.parametrize(
    ("business", "question", "must"),
    [
        (QINGHE, "我要找真人客服", ("09:00", "22:00")),
        (INKWELL, "I want to talk to a person", ("08:30", "19:30")),
        (BRIGHTWIRE, "I want to talk to a person", ("7 am", "11 pm")),
    ],
)
def test_asking_for_a_person_is_escalated_with_each_business_hours(
    assistants: dict[str, Assistant], business: str, question: str, must: tuple[str, ...]
) -> None:
    # A live-chat widget ("在线咨询") with one agent greeting: the customer wants a human.
    answer = ask(assistants, business, "en_web_livechat_support_widget.jpg", question)
    assert answer.escalate, answer.text
    for fact in must:
        assert fact in answer.text[:OPENING], (fact, answer.text)
    assert_no_other_business(answer, business)


KNOWN_SILENCE_GAP = pytest.mark.xfail(
    strict=True, reason="a Chinese question on a topic the KB lacks still fits a passage sharing its generic words"
)


@pytest.mark.parametrize(
    ("business", "question"),
    [
        # Known gap (issue 10's note): in Chinese, "优惠" shares enough with a passage that mentions 优惠券 for it
        # to pass the fit test, so the uncovered topic (学生) is answered from it instead of handed over. Strict:
        # it starts failing the day the engine gets it right, and then the mark comes off.
        pytest.param(QINGHE, "买这些东西能用学生优惠打折吗？", marks=KNOWN_SILENCE_GAP),
        (INKWELL, "学生能打折吗？你们有教育优惠吗？"),
        (BRIGHTWIRE, "Do you give a student discount on this?"),
    ],
)
def test_a_question_no_knowledge_base_covers_is_handed_over_without_invented_policy(
    assistants: dict[str, Assistant], business: str, question: str
) -> None:
    # A photo of a paper receipt with a DISCOUNT line; no business says anything about student discounts.
    answer = ask(assistants, business, "en_photo_paper_receipt_cafe_cord.png", question)
    fallback = assistants[business].knowledge.current().fallback
    assert answer.escalate and fallback in answer.text, answer.text
    invented = [fact for facts in BUSINESSES.values() for fact in facts.facts if fact in answer.text]
    assert not invented, (invented, answer.text)


@pytest.mark.parametrize(
    "question",
    ["接口一直返回 501 请登录，是什么问题？", "Our API calls keep coming back with errno 501, how do I fix it?"],
)
def test_the_saas_api_error_on_a_postman_screen_gets_its_token_fix(
    assistants: dict[str, Assistant], question: str
) -> None:
    # Postman: HTTP 200 OK with {"errno": 501, "errmsg": "请登录"}, the SaaS's own API error table names it.
    answer = ask(assistants, INKWELL, "zh_desktop_postman_api_error_please_login_501.png", question)
    assert "501" in answer.text and "Authorization" in answer.text[:OPENING], answer.text
    assert answer.passages and "501" in answer.passages[0]["id"], answer.passages
    assert_no_other_business(answer, INKWELL)


def test_a_signed_out_customer_whose_2fa_code_fails_gets_the_saas_clock_fix(assistants: dict[str, Assistant]) -> None:
    # A Chinese app collage with a "退出登录" dialog; the SaaS customer explains in English.
    question = "I got signed out and now my two-factor code keeps getting rejected"
    answer = ask(assistants, INKWELL, "zh_android_commute_app_dialogs_logout_error_collage.jpg", question)
    assert answer.language == "en"
    assert "30 seconds" in answer.text[:OPENING] and "Set automatically" in answer.text[:OPENING], answer.text
    assert_no_other_business(answer, INKWELL)


def test_a_chinese_customer_without_another_sign_in_way_gets_the_english_shops_identity_check_first(
    assistants: dict[str, Assistant],
) -> None:
    # The question is Chinese, the shop's knowledge base English only: words the glossary cannot translate
    # ("卡在这一步") say nothing about its passages, and the sentence for a customer who has no other way in
    # comes before the one for a customer who still has one.
    question = "旧手机丢了，验证码只装在那个手机上，也没有别的登录方式，现在卡在这一步登不进去，怎么办？"
    answer = ask(assistants, BRIGHTWIRE, "zh_android_commute_app_dialogs_logout_error_collage.jpg", question)
    assert answer.escalate and answer.team == "App Support", answer.text
    assert answer.text.startswith("If you have no other way to sign in"), answer.text
    assert "48 hours" in answer.text[:OPENING], answer.text
    assert_no_other_business(answer, BRIGHTWIRE)


@pytest.mark.parametrize(
    ("business", "question", "window"),
    [
        (QINGHE, "钱什么时候能退回来？", "5 个工作日"),
        (BRIGHTWIRE, "When do I get my money back?", "3 business days"),
    ],
)
def test_asking_when_the_money_comes_back_hears_each_shops_window_and_the_amount_on_screen(
    assistants: dict[str, Assistant], business: str, question: str, window: str
) -> None:
    # A return request awaiting the seller's confirmation; the page's one figure (¥44.00) is what comes back.
    answer = ask(assistants, business, "zh_web_order_return_pending_confirmation.png", question)
    assert window in answer.text[:OPENING] and "44.00" in answer.text[:OPENING], answer.text
    assert_no_other_business(answer, business)


def test_a_known_issue_the_screen_shows_is_answered_without_restating_its_error_text(
    assistants: dict[str, Assistant],
) -> None:
    # Brightwire's known-issues table is labelled by the error text the crash page shows; the customer has that
    # text in front of them, so the answer's first lines say what they don't know: the fix and their cart.
    answer = ask(assistants, BRIGHTWIRE, "en_ios_unexpected_error_alert_stacktrace.png", "Did I lose my cart?")
    assert "THIS IS A TEST EXCEPTION" not in answer.text, answer.text
    assert "7.4.2" in answer.text[:OPENING] and "your cart and orders are kept" in answer.text[:OPENING], answer.text
    assert_no_other_business(answer, BRIGHTWIRE)
