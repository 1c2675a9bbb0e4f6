"""Arithmetic over a screen's fields and the passages' numbers: each relation computed, checked and stated,
and the ones the question asks about first. Screens, numbers and passages are invented for these tests."""

from __future__ import annotations

from snapdesk.answering.relations import Relation, relations
from tests.answering.lines import TWO_ITEMS_ONE_PROMOTED, fields_of


def relate(texts: tuple[str, ...], question: str, *passages: str) -> list[Relation]:
    fields, perception = fields_of(*texts)
    return relations(fields, question=question, passages=passages, perception=perception)


def kind(found: list[Relation], name: str) -> Relation:
    return next(r for r in found if r.kind == name)


ORDER_LIST = (
    "2024-03-0709:12:40",
    "已发货",
    "保温杯 500ml",
    "￥129",
    "共 1 件商品 实付款 ￥129",
    "2024-03-0709:40:05",
    "待支付",
    "登山背包 40L",
    "￥468",
    "共 1 件商品 实付款 ￥418",
    "2024-03-07 10:02:30",
    "已发货",
    "防风外套",
    "￥899",
    "共 1 件商品 实付款 ￥899",
)
PAY_RULE = "| 待支付 | 订单已提交 | 下单后 45 分钟内完成支付，超时自动关闭 |\n支付结果 5 分钟内同步。"


def test_deadline_of_the_record_the_question_names() -> None:
    found = relate(ORDER_LIST, "418那单还能付吗？最晚几点？", PAY_RULE)
    deadline = found[0]
    assert deadline.kind == "deadline"
    assert "10:25:05" in deadline.zh and "10:25:05" in deadline.numbers
    # The other orders' deadlines are never stated.
    assert not any(t in r.zh + r.en for r in found for t in ("09:57:40", "10:47:30"))


def test_deadline_by_place_and_status_word() -> None:
    found = relate(ORDER_LIST, "中间那个待支付的订单什么时候过期？", PAY_RULE)
    assert "10:25:05" in kind(found, "deadline").en


def test_deadline_skipped_when_the_record_is_ambiguous() -> None:
    found = relate(ORDER_LIST, "最晚几点前要付？", PAY_RULE)
    assert not [r for r in found if r.kind == "deadline"]


def test_deadline_in_days_from_a_labelled_day_first_stamp() -> None:
    texts = ("Return request", "Requested on: 21-02-2024 14:05:10", "Status: Approved")
    rule = 'Parcels must reach us within 10 days of the "Requested on" date. Refunds take 5 business days.'
    found = relate(texts, "By which day does the buyer have to ship it?", rule)
    deadline = kind(found, "deadline")
    assert "02-03-2024" in deadline.en and "2024-03-02" in deadline.en and "2 Mar 2024" in deadline.en
    assert "2024年3月2日" in deadline.zh  # 2024 is a leap year: 21 Feb + 10 days


def test_remaining_of_a_download() -> None:
    found = relate(("正在更新", "安装包大小：350MB", "40%"), "还剩多少没下？")
    remaining = kind(found, "remaining")
    assert remaining.numbers == ("210.00MB",)
    assert "350MB" in remaining.zh and "40%" in remaining.zh


CART = ("Your basket", "Items total:", "$42.50", "Delivery:", "$4.00", "Order total:", "$46.50")
CODES = (
    "| Code | Discount | Conditions |\n|---|---|---|\n"
    "| SPRING15 | 15% off the items total | items total of at least $50.00 |\n"
    "| HELLO5 | $5.00 off | items total of at least $20.00 |"
)


def test_shortfall_to_a_passage_minimum() -> None:
    found = relate(CART, "SPRING15 isn't accepted at checkout, why?", CODES)
    short = found[0]
    assert short.kind == "shortfall"
    assert short.numbers == ("$7.50",) and "$50.00" in short.en


def test_discount_applied_when_the_minimum_is_met() -> None:
    found = relate(CART, "If I use HELLO5, how much do I pay?", CODES)
    applied = kind(found, "discount_applied")
    assert applied.numbers == ("$41.50",)  # 46.50 − 5.00


def test_coupon_named_by_value_on_a_checkout() -> None:
    texts = ("商品合计", "￥3560", "运费", "¥0", "实付款¥3460")
    rules = "| 大额券 | 满 3000 元可用，减 300 元 |\n| 小额券 | 满 200 元可用，减 20 元 |"
    found = relate(texts, "我有张300元的券，这单用了实付多少？", rules)
    applied = found[0]
    assert applied.kind == "discount_applied"
    assert "3160" in applied.zh and "满3000" in applied.zh  # 3460 − 300; the 3560 goods total meets 3000


def test_several_coupons_give_the_single_best_not_the_sum() -> None:
    texts = ("我的优惠券", "¥5", "满50可用", "¥20", "满200可用", "¥50", "满500可用")
    found = relate(texts, "想买个 320 元的，这几张券能一起用吗？要付多少？", "每单限用一张优惠券，不能叠加。")
    applied = kind(found, "discount_applied")
    assert "300" in applied.numbers[0] and "一张" in applied.zh  # 320 − 20: the 50 needs 500
    assert not any(t in applied.zh for t in ("295", "275", "245"))


def test_conversion_whole_blocks_and_proportional() -> None:
    zh = relate(("会员中心",), "我有1,150金币能抵多少？", "使用规则：每 200 金币抵 1 元，不足 200 不能用。")
    assert kind(zh, "conversion").numbers == ("¥5",)
    en = relate(("Rewards",), "I have 2,450 credits, what are they worth?", "Redeem at checkout: 100 credits = $1.")
    assert kind(en, "conversion").numbers == ("$24.50",)


def test_tax_inside_an_invoice_line() -> None:
    texts = ("Invoice #A-77", "Item", "Unit price", "Qty", "Price", "Pencil set", "$5.00", "12", "$64.80")
    found = relate(texts, "Why is the pencil line more than 12 x $5?")
    tax = found[0]
    assert tax.kind == "line_tax" and tax.numbers == ("$4.80",) and "tax" in tax.en


def test_totals_with_included_tax_are_not_added_again() -> None:
    texts = (
        "Subtotal: $120.00",
        "Shipping: $5.00",
        "Promotion: -$10.00",
        "Tax (Included in price): $9.50",
        "Total: $115.00",
    )
    found = relate(texts, "Is the $9.50 tax on top? What do I pay in the end?")
    totals = found[0]
    assert totals.kind == "totals" and "$115.00" in totals.en and "included" in totals.en
    assert "124.50" not in totals.en + totals.zh


def test_totals_when_tax_is_added() -> None:
    found = relate(("Subtotal: $100.00", "Sales tax: $8.00", "Total: $108.00"), "what's the total made of?")
    assert "+ Sales tax $8.00" in kind(found, "totals").en


DELIVERY = (
    "| Method | Price | Time |\n|---|---|---|\n"
    "| Express courier | $12.50 per order | next day |\n"
    "| Economy post | $4.20 per order; free when the items total is $60.00 or more | 5–7 days |"
)


def test_cheaper_option_from_a_table() -> None:
    texts = ("Items total: $35.00", "Shipping: $12.50", "Total: $47.50")
    found = relate(texts, "Shipping is expensive, anything cheaper?", DELIVERY)
    option = found[0]
    assert option.kind == "cheaper_option" and "Economy post" in option.en
    assert option.numbers == ("$39.20", "$8.30")


def test_cheaper_option_free_over_its_minimum() -> None:
    found = relate(("Items total: $75.00", "Shipping: $12.50", "Total: $87.50"), "cheaper shipping?", DELIVERY)
    assert kind(found, "cheaper_option").numbers == ("$75.00", "$12.50")


def test_one_item_less_its_own_promotion() -> None:
    found = relate(TWO_ITEMS_ONE_PROMOTED, "耳机不想要了，只退这一件能退多少？")
    item = found[0]
    assert item.kind == "item_amount" and item.numbers == ("￥639",)


def test_question_decides_the_order() -> None:
    texts = ("Issued at: 2024-05-02 11:00:00", "Item", "Unit price", "Qty", "Price", "Desk lamp", "$40.00", "$43.20")
    rule = "Corrections are possible within 30 days of the Issued at date."
    assert relate(texts, "Until when can it be corrected?", rule)[0].kind == "deadline"
    assert relate(texts, "Why is the lamp $43.20 and not $40.00?", rule)[0].kind == "line_tax"


def test_old_callers_and_kinds_still_work() -> None:
    fields, _ = fields_of("单笔限额 ¥5,000.00", "本次需支付 ¥6,200.00")
    (over,) = relations(fields)
    assert over.kind == "over_single_limit" and "超出 1,200.00 元" in over.zh
    assert over.numbers == ("1,200.00",)


def test_screen_threshold_shortfall_is_stated_once() -> None:
    found = relate(("商品金额 ¥86.50", "运费 ¥6.00", "满120减20券：未达到使用门槛"), "这张券为什么用不了？")
    assert [r.kind for r in found].count("below_threshold") == 1
    assert "shortfall" not in [r.kind for r in found]
