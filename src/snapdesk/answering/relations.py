"""Relations a customer needs and the screenshot does not spell out: over the limit by how much, short of
a minimum by how much, the price after a coupon, what points are worth, what is left to download, the
deadline after a timestamp, the tax inside an invoice line, how a total adds up, a cheaper option.

Every relation is checked (each number it reads is on the screen, in the question or in a passage) and
stated with its numbers in one short clause, in Chinese and English. Those the question asks about
come first and are marked `asked` (its words for that kind, a number or label it shares with the relation);
the screen's own problem (over a limit, short of a balance or threshold, a quota nearly used, past a promised
date) is always marked asked."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from ..perception.fields import Amount, Fields
from ..perception.types import Perception
from .arithmetic import rules
from .coupons import item_amount, offer
from .deadlines import deadline, remaining
from .figures import money, numbers, plain
from .money import cheaper_option, conversion, line_tax, totals
from .relation_types import Case, Found, Relation

__all__ = ["ASKS", "BUILDERS", "Relation", "relations"]

BUILDERS = (deadline, remaining, offer, conversion, line_tax, totals, cheaper_option, item_amount)
# The screen's own problem (over a limit, short of a balance or threshold, nearly out of quota, late): always
# what the customer is asking about, whatever the words.
SCREEN_PROBLEMS = frozenset(
    (
        "over_single_limit",
        "over_daily_limit",
        "balance_short",
        "below_threshold",
        "quota_nearly_used",
        "past_promised_date",
    )
)


def relations(
    fields: Fields,
    *,
    question: str = "",
    passages: Sequence[str] = (),
    perception: Perception | None = None,
) -> list[Relation]:
    screen = tuple(block.text for block in perception.blocks) if perception else ()
    case = Case(fields, question, rules(passages), passages, screen)
    found = [*_limits(fields), *_quota_and_dates(fields, question)]
    for build in BUILDERS:
        found += build(case)
    known = _known_numbers(fields, question, passages, perception)
    checked = [f for f in found if f is not None and all(n.normalize() in known for n in f.inputs)]
    # The screen's own "满120减20" already gave below_threshold: the same shortfall once is enough, and a coupon
    # the screen says falls short is never shown as applied.
    said = [set(f.inputs) for f in checked if f.relation.kind == "below_threshold"]
    checked = [f for f in checked if not (f.relation.kind == "shortfall" and set(f.inputs) in said)]
    if said:
        checked = [f for f in checked if f.relation.kind != "discount_applied"]
    scored = [(_asked(f, question), i, f) for i, f in enumerate(checked)]
    ranked = sorted(scored, key=lambda triple: (-triple[0], triple[1]))
    return [_marked(f.relation, score) for score, _, f in ranked]


def _marked(relation: Relation, score: int) -> Relation:
    asked = score > 0 or relation.kind in SCREEN_PROBLEMS
    return dataclasses.replace(relation, asked=asked)


# Question words that say a kind of relation is what the customer wants to know.
ASKS: dict[str, re.Pattern[str]] = {
    kind: re.compile(words, re.IGNORECASE)
    for kind, words in {
        "over_single_limit": r"限额|limit|失败|fail",
        "over_daily_limit": r"限额|limit|失败|fail",
        "balance_short": r"余额|不足|balance|insufficient",
        "below_threshold": r"券|门槛|满减|coupon|minimum",
        "quota_nearly_used": r"用完|满了|空间|额度|quota|storage|full",
        "past_promised_date": r"到|没|still|late|yet",
        "deadline": r"最晚|几点|哪天|什么时候|何时|来得及|截止|期限|之前|多久|when|deadline|in time|too late|until",
        "remaining": r"剩|还要|还需|多少|left|remaining|how much|how long|progress",
        "shortfall": r"差|凑|门槛|券|不能用|用不了|不让用|coupon|voucher|promo|minimum|short|won'?t|refus|"
        r"not (?:accept|take|work)|why",
        "discount_applied": r"券|优惠|折|实付|付多少|coupon|code|voucher|discount|how much",
        "conversion": r"抵|换|值|worth|convert|多少钱|how much",
        "line_tax": r"税|多收|差价|为什么|tax|overcharg|why|difference|more than",
        "totals": r"总共|一共|合计|最后|到底|付多少|另外|再加|how much|total|final|税|tax",
        "cheaper_option": r"便宜|省钱|划算|cheaper|cheapest|less|save",
        "item_amount": r"只退|这一件|这一台|这件|单独|退多少|only|just this|this one|refund",
    }.items()
}


def _asked(found: Found, question: str) -> int:
    pattern = ASKS.get(found.relation.kind)
    said = set(numbers(question))
    low = question.lower()
    return (
        (2 if pattern and pattern.search(question) else 0)
        + sum(1 for n in set(found.inputs) if n.normalize() in said)
        + sum(1 for cue in found.cues if cue and cue.lower() in low)
    )


def _known_numbers(fields: Fields, question: str, passages: Sequence[str], perception: Perception | None) -> set:
    texts = [question, *passages, perception.text if perception else ""]
    known = {n for text in texts for n in numbers(text)}
    for value in _walk(fields):
        if isinstance(value, str):
            known.update(numbers(value))
        elif isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            known.add(Decimal(str(value)).normalize())
    return known


def _walk(value: object) -> Iterator[object]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _walk(getattr(value, item.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        yield from _walk(list(value.values()))
    else:
        yield value


# --------------------------------------------------------------------------------------------- limits and thresholds


def _found(kind: str, zh: str, en: str, inputs: Sequence[Amount], *computed: Decimal) -> Found:
    return Found(Relation(kind, zh, en, tuple(money(c) for c in computed)), tuple(a.value for a in inputs))


def _limits(fields: Fields) -> list[Found]:
    out: list[Found] = []
    due, single, daily = fields.amount("due"), fields.amount("single_limit"), fields.amount("daily_limit")
    paid, balance = fields.amount("paid_today"), fields.amount("balance")
    if due and single and due.value > single.value:
        over = due.value - single.value
        zh = f"本次需支付 {_shown(due)}，超过单笔限额 {_shown(single)}，超出 {money(over)} 元"
        en = f"this payment of {_shown(due)} is over the single-payment limit of {_shown(single)} by {money(over)}"
        out.append(_found("over_single_limit", zh, en, (due, single), over))
    if due and daily and paid and due.value > (left := daily.value - paid.value):
        zh = (
            f"当日累计限额 {_shown(daily)}，今日已支付 {_shown(paid)}，剩余可用 {money(left)} 元，"
            f"本次 {_shown(due)} 超出 {money(due.value - left)} 元"
        )
        en = (
            f"the daily limit is {_shown(daily)} and {_shown(paid)} was already paid today, leaving "
            f"{money(left)}; this payment of {_shown(due)} is {money(due.value - left)} over"
        )
        out.append(_found("over_daily_limit", zh, en, (due, daily, paid), left, due.value - left))
    if due and balance and balance.value < due.value:
        gap = due.value - balance.value
        zh = f"余额 {_shown(balance)} 不足以支付 {_shown(due)}，还差 {money(gap)} 元"
        en = f"the balance of {_shown(balance)} is {money(gap)} short of {_shown(due)}"
        out.append(_found("balance_short", zh, en, (due, balance), gap))
    threshold, goods = fields.amount("threshold"), fields.amount("goods")
    if threshold and goods and goods.value < threshold.value:
        gap = threshold.value - goods.value
        zh = f"商品金额 {_shown(goods)} 未达到满 {plain(threshold.value)} 元的门槛，还差 {money(gap)} 元"
        en = f"the goods amount {_shown(goods)} is below the {plain(threshold.value)} threshold by {money(gap)}"
        shipping = fields.amount("shipping")
        if shipping and shipping.value > 0:
            zh += f"（运费 {_shown(shipping)} 不计入门槛）"
            en += f" (the {_shown(shipping)} shipping fee does not count)"
        out.append(_found("below_threshold", zh, en, (threshold, goods), gap))
    return out


def _quota_and_dates(fields: Fields, question: str) -> list[Found]:
    out: list[Found] = []
    for used, limit, unit in fields.quotas:
        if limit and used >= limit * 0.9:
            share = used / limit
            zh = f"已用 {used:g}{unit} / {limit:g}{unit}（{share:.0%}）"
            en = f"{used:g}{unit} of {limit:g}{unit} used ({share:.0%})"
            out.append(Found(Relation("quota_nearly_used", zh, en, (f"{share:.0%}",)), ()))
    said = _month_days(question)
    if len(said) >= 2 and said[-1] > said[0]:
        month, day = said[0]
        zh, en = f"已超过页面预计的 {month}月{day}日", f"it is past the promised date ({month}/{day})"
        out.append(Found(Relation("past_promised_date", zh, en), ()))
    return out


def _shown(amount: Amount) -> str:
    return amount.shown if amount.shown[:1] in "¥￥$€£" else f"¥{plain(amount.value)}"


_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]|(?:\d{4}-)?(\d{1,2})-(\d{1,2})")


def _month_days(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _MONTH_DAY.finditer(text):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append((int(month), int(day)))
    return out
