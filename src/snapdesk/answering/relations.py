"""Relations a customer needs and the screenshot does not spell out: over the limit by how much,
short of a coupon threshold by how much, past the promised date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..perception.fields import Amount, Fields


@dataclass(frozen=True)
class Relation:
    kind: str
    zh: str
    en: str


def money(value: Decimal) -> str:
    """12,345.50 style: both the grouped and the plain form of a shown amount contain it when it is whole."""
    quantised = value.quantize(Decimal("0.01"))
    return f"{quantised:,.2f}"


def relations(fields: Fields, *, question: str = "") -> list[Relation]:
    out: list[Relation] = []
    due = fields.amount("due")
    single = fields.amount("single_limit")
    daily = fields.amount("daily_limit")
    paid = fields.amount("paid_today")
    balance = fields.amount("balance")
    if due and single and due.value > single.value:
        over = due.value - single.value
        out.append(
            Relation(
                "over_single_limit",
                f"本次需支付 {_shown(due)}，超过单笔限额 {_shown(single)}，超出 {money(over)} 元",
                f"this payment of {_shown(due)} is over the single-payment limit of {_shown(single)} by {money(over)}",
            )
        )
    if due and daily and paid:
        left = daily.value - paid.value
        if due.value > left:
            out.append(
                Relation(
                    "over_daily_limit",
                    f"当日累计限额 {_shown(daily)}，今日已支付 {_shown(paid)}，剩余可用 {money(left)} 元，"
                    f"本次 {_shown(due)} 超出 {money(due.value - left)} 元",
                    f"the daily limit is {_shown(daily)} and {_shown(paid)} was already paid today, leaving "
                    f"{money(left)}; this payment of {_shown(due)} is {money(due.value - left)} over",
                )
            )
    if due and balance and balance.value < due.value:
        out.append(
            Relation(
                "balance_short",
                f"余额 {_shown(balance)} 不足以支付 {_shown(due)}，还差 {money(due.value - balance.value)} 元",
                f"the balance of {_shown(balance)} is {money(due.value - balance.value)} short of {_shown(due)}",
            )
        )
    threshold = fields.amount("threshold")
    goods = fields.amount("goods")
    if threshold and goods and goods.value < threshold.value:
        gap = threshold.value - goods.value
        zh = f"商品金额 {_shown(goods)} 未达到满 {_plain(threshold.value)} 元的门槛，还差 {money(gap)} 元"
        en = f"the goods amount {_shown(goods)} is below the {_plain(threshold.value)} threshold by {money(gap)}"
        shipping = fields.amount("shipping")
        if shipping and shipping.value > 0:
            zh += f"（运费 {_shown(shipping)} 不计入门槛）"
            en += f" (the {_shown(shipping)} shipping fee does not count)"
        out.append(Relation("below_threshold", zh, en))
    for used, limit, unit in fields.quotas:
        if limit and used >= limit * 0.9:
            share = used / limit
            out.append(
                Relation(
                    "quota_nearly_used",
                    f"已用 {used:g}{unit} / {limit:g}{unit}（{share:.0%}）",
                    f"{used:g}{unit} of {limit:g}{unit} used ({share:.0%})",
                )
            )
    overdue = _past_promised_date(fields, question)
    if overdue:
        out.append(overdue)
    return out


def _shown(amount: Amount) -> str:
    return amount.shown if amount.shown[:1] in "¥￥$€£" else f"¥{_plain(amount.value)}"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]|(?:\d{4}-)?(\d{1,2})-(\d{1,2})")


def _month_days(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _MONTH_DAY.finditer(text):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append((int(month), int(day)))
    return out


def _past_promised_date(fields: Fields, question: str) -> Relation | None:
    """The customer says today is later than the date the screenshot promised."""
    said = _month_days(question)
    if len(said) < 2:
        return None
    promised, today = said[0], said[-1]
    if today <= promised:
        return None
    return Relation(
        "past_promised_date",
        f"已超过页面预计的 {promised[0]}月{promised[1]}日",
        f"it is past the promised date ({promised[0]}/{promised[1]})",
    )
