"""Which relations the question asks about (Relation.asked), and a coupon the screen refuses is never shown as
applied. Screens, numbers and passages are invented for these tests."""

from __future__ import annotations

from snapdesk.answering.relations import SCREEN_PROBLEMS, Relation, relations
from tests.answering.lines import fields_of
from tests.answering.test_relations_arithmetic import kind, relate

REFUND = ("退款详情", "申请时间：2024-06-11 09:30:00", "退款金额 ¥56.80", "退款状态：退款成功")
REFUND_RULE = "退款成功后，款项将在 7 天内原路退回到支付账户。"


def kinds(found: list[Relation]) -> list[str]:
    return [r.kind for r in found]


def test_a_relation_the_question_does_not_ask_about_is_not_asked() -> None:
    found = relate(REFUND, "退款显示成功了，可是银行卡里没看到这笔钱？", REFUND_RULE)
    assert not kind(found, "deadline").asked  # computed, but the customer asked where the money is


def test_question_words_mark_the_relation_asked() -> None:
    found = relate(REFUND, "这笔退款最晚哪天能到账？", REFUND_RULE)
    deadline = kind(found, "deadline")
    assert deadline.asked and deadline.numbers == ("2024-06-18",)  # 11 June + 7 days


def test_a_number_the_question_mentions_marks_the_relation_asked() -> None:
    texts = ("Subtotal: $64.00", "Shipping: $5.50", "Total: $69.50")
    assert kind(relate(texts, "Where does the 5.50 come from?"), "totals").asked
    assert not kind(relate(texts, "Can I change the delivery address?"), "totals").asked


def test_the_screens_own_problem_is_always_asked() -> None:
    fields, _ = fields_of("单笔限额 ¥2,000.00", "本次需支付 ¥2,450.00", "余额 ¥1,900.00")
    found = relations(fields, question="你好")
    assert set(kinds(found)) == {"over_single_limit", "balance_short"}
    assert all(r.asked for r in found)
    assert {"over_single_limit", "over_daily_limit", "balance_short", "below_threshold"} <= SCREEN_PROBLEMS
    assert {"quota_nearly_used", "past_promised_date"} <= SCREEN_PROBLEMS


def test_no_discount_applied_when_the_screen_says_the_coupon_is_not_usable() -> None:
    # A passage coupon of the same face value has no minimum: still, the screen's coupon is refused.
    texts = ("商品金额 ¥75.00", "满100减15券", "未满足使用条件")
    found = relate(texts, "我有张15元的券为什么用不了？", "新人券：无门槛减15元。")
    assert "discount_applied" not in kinds(found)
    below = found[0]
    assert below.kind == "below_threshold" and below.asked and "25.00" in below.zh  # 100 − 75


def test_no_discount_applied_when_the_screen_says_not_eligible_by_code() -> None:
    texts = ("Items total: $42.00", "Coupon SAVE10: $10 off orders over $60", "Not eligible")
    found = relate(texts, "Why won't my SAVE10 coupon work?", "| SAVE10 | $10 off | no minimum spend |")
    assert "discount_applied" not in kinds(found)
    assert "18.00" in found[0].en and found[0].asked  # 60 − 42


def test_no_discount_applied_when_the_goods_are_below_the_offers_minimum() -> None:
    texts = ("Subtotal: $42.00", "Shipping: $3.00", "Total: $45.00", "Offer: $10 off orders of $60 or more")
    found = relate(texts, "How much do I pay with the $10 off coupon?", "$10 off coupon: no minimum spend.")
    assert "discount_applied" not in kinds(found)
    short = kind(found, "shortfall")
    assert short.numbers == ("$18.00",) and short.asked


def test_discount_applied_when_the_goods_meet_the_minimum() -> None:
    texts = ("Subtotal: $72.00", "Shipping: $3.00", "Total: $75.00", "Offer: $10 off orders of $60 or more")
    found = relate(texts, "How much do I pay with the $10 off coupon?")
    applied = found[0]
    assert applied.kind == "discount_applied" and applied.asked and applied.numbers == ("$65.00",)  # 75 − 10


def test_a_coupon_card_without_its_face_value_is_short_not_applied() -> None:
    found = relate(("商品金额 ¥86.50", "运费 ¥6.00", "满50可用"), "这张券能用吗？")  # the face value was not read
    assert "discount_applied" not in kinds(found)
