"""Question understanding, sentence choice and the answer's budget: generic, no business in sight."""

from __future__ import annotations

import pytest

from snapdesk.answering.extract import rank_units, row_text
from snapdesk.answering.question import understand
from snapdesk.engines.compose import BUDGET, Composer, visible_length
from snapdesk.knowledge import Passage


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("退款多久能到账？", "duration"),
        ("How long until I get my money back?", "duration"),
        ("最晚几点前要付？", "duration"),
        ("这个按钮是什么意思？", "meaning"),
        ("What does this button do?", "meaning"),
        ("能只退一件吗？", "eligibility"),
        ("Can I switch to paying by card?", "eligibility"),
        ("一共要付多少钱？", "amount"),
        ("我的货怎么还没发？", "cause"),
        ("Which button should I press?", "procedure"),
        ("怎么联系你们？", "contact"),
        ("我的退款怎么样了？", "status"),
    ],
)
def test_what_is_asked_is_read_from_generic_question_words(text: str, kind: str) -> None:
    assert kind in understand(text).asks


def test_a_statement_of_a_problem_asks_for_the_remedy() -> None:
    assert understand("付款页一打开就闪退，这是日志").asks == ("remedy",)


def test_upset_customers_and_requests_for_a_person_are_told_apart_from_mentions() -> None:
    assert understand("付完款都三天了还是不发货！到底发不发？给我转人工！").upset
    assert understand("Third time today. Honestly fed up.").upset
    assert not understand("截图里的客户在投诉什么？").upset  # talking about a complaint is not being upset
    asked = understand("我要转人工")
    assert asked.wants_person and asked.words == ()  # "转人工" says who should answer, not what about
    assert understand("Can someone from your tech team look at it?").wants_person


def test_the_language_is_the_questions_own() -> None:
    assert understand("What's the 立即开通 button?").language == "en"
    assert understand("你们App弹了个英文框写着 Crash").language == "zh"


def test_a_table_row_reads_label_meaning_then_what_to_do() -> None:
    row = {"错误码": "E-77", "含义": "余额不足", "处理": "充值后重试"}
    assert row_text(row) == "E-77（余额不足）：充值后重试"
    assert row_text({"Plan": "Pro", "Price": "$12 a month"}) == "Pro: $12 a month"


def test_the_sentence_that_holds_what_is_asked_comes_first() -> None:
    passage = Passage(
        "kb.md#refunds",
        "kb.md",
        "Refunds",
        "Refunds",
        "Refunds go back to the original card. Card refunds take 3 to 5 business days. Gift cards are not refunded.",
        None,
    )
    ranked = rank_units(passage, understand("How long does a card refund take?"))
    assert "3 to 5 business days" in ranked[0].text


def test_the_answer_stays_within_what_a_customer_reads_first() -> None:
    composer = Composer(zh=True, question=None)
    composer.add("第一句是直接的回答。")
    for n in range(40):
        composer.add(f"这是可有可无的第 {n} 句补充说明，写得比较长一些。", optional=True)
    assert visible_length(composer.text()) <= BUDGET
    assert composer.text().startswith("第一句是直接的回答。")


@pytest.mark.parametrize(
    "question",
    [
        "旧手机丢了，也没有别的登录方式，登不进去怎么办？",
        "I lost my old phone and I don't have a backup code, how do I sign in?",
    ],
)
def test_a_customer_who_lacks_something_gets_the_sentence_for_that_case_first(question: str) -> None:
    passage = Passage(
        "kb.md#lost-phone",
        "kb.md",
        "Sign-in",
        "Lost phone",
        "- If you can still sign in another way (a backup code), sign in and add your new phone under Security.\n"
        "- If you have no other way to sign in, support checks your identity and resets sign-in within 48 hours.",
        None,
    )
    asked = understand(question)
    assert asked.absence
    assert "48 hours" in rank_units(passage, asked)[0].text
    assert not understand("有没有别的登录方式？").absence  # asking whether there is one says nothing is missing
