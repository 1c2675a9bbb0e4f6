"""Amounts of money on a screen and what each one is, from the words just before it: the single-payment
limit, today's paid total, the balance, the goods amount, shipping, the amount due, a threshold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise

AMOUNT = re.compile(
    r"(?:(?P<cur>[¥￥$€£]|RMB|CNY|USD)\s?(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"
    r"|(?:(?P<b>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?:元|块|yuan\b))"
)
_THRESHOLD = re.compile(r"(?:满|over\s|spend\s)\s?[¥￥$]?(\d+(?:\.\d+)?)", re.IGNORECASE)

# What an amount is, from the words just before it (last match wins, so "本次需支付" beats "限额").
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "single_limit",
        re.compile(r"单笔(?:支付)?限额|单笔|per[- ](?:transaction|payment)|single[- ](?:payment|transaction)", re.I),
    ),
    ("daily_limit", re.compile(r"(?:当日|每日|日)累计限额|日限额|daily limit", re.I)),
    ("paid_today", re.compile(r"今日已支付|今日已用|今天已付|already paid today|used today", re.I)),
    ("balance", re.compile(r"余额|balance", re.I)),
    ("refund", re.compile(r"退款金额|退款|refund", re.I)),
    ("goods", re.compile(r"商品金额|商品总额|商品合计|subtotal|items? total", re.I)),
    ("shipping", re.compile(r"运费|shipping", re.I)),
    (
        "due",
        re.compile(
            r"需支付|应付|需付款|实付|待支付|本次|确认支付|去支付|合计|amount due|to pay|total|this (?:payment|order)|"
            r"payment of|you pay|charge of",
            re.I,
        ),
    ),
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    shown: str  # as printed, "¥10,300.50"
    role: str | None  # single_limit, daily_limit, paid_today, balance, refund, goods, shipping, due, threshold
    context: str


def decimal_of(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def amounts(texts: list[str], pair_texts: list[str]) -> list[Amount]:
    """Every amount of the blocks and label/value pairs, one entry per (value, role)."""
    out: list[Amount] = []
    # An amount that starts a paragraph often has its label at the end of the one before it.
    joined_pairs = [f"{before[-24:]}{text}" for before, text in pairwise(texts) if AMOUNT.match(text)]
    for text in [*pair_texts, *joined_pairs, *texts]:
        for clause in re.split(r"[，,。；;！!]\s*(?!\d{3})", text):
            for m in AMOUNT.finditer(clause):
                value = decimal_of(m.group("a") or m.group("b"))
                if value is not None:
                    out.append(Amount(value, m.group(0), _role(clause[: m.start()]), clause))
            for m in _THRESHOLD.finditer(clause):
                value = decimal_of(m.group(1))
                if value is not None:
                    out.append(Amount(value, m.group(0), "threshold", clause))
    return _unique_amounts(out)


def _role(before: str) -> str | None:
    best: tuple[int, str] | None = None
    for role, pattern in _ROLES:
        for m in pattern.finditer(before):
            if best is None or m.end() > best[0]:
                best = (m.end(), role)
    return best[1] if best else None


def _unique_amounts(amounts: list[Amount]) -> list[Amount]:
    """One entry per (value, role); an amount with a role replaces the same value without one."""
    out: list[Amount] = []
    for amount in amounts:
        same = [a for a in out if a.value == amount.value and (a.role == amount.role or a.role is None)]
        if any(a.role == amount.role for a in same):
            continue
        out = [a for a in out if a not in same] if amount.role else out
        if amount.role is None and any(a.value == amount.value for a in out):
            continue
        out.append(amount)
    return out
