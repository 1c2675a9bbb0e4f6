"""Figures as the screen writes them: numbers read out of text, amounts with the screen's currency mark,
decimals and grouping, dates in the screen's order, durations in words (Chinese and English)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
MARKS = "¥￥$€£"
_N = NUMBER.pattern
MONEY = re.compile(rf"(?P<mark>[{MARKS}])\s?(?P<a>{_N})|(?P<b>{_N})\s*(?:元|块)")
_UNIT_ZH = {"minute": "分钟", "hour": "小时", "day": "天", "week": "周"}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def money(value: Decimal) -> str:
    """12,345.50 style: both the grouped and the plain form of a shown amount contain it when it is whole."""
    quantised = value.quantize(Decimal("0.01"))
    return f"{quantised:,.2f}"


def plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def numbers(text: str) -> list[Decimal]:
    return [Decimal(m.group(0).replace(",", "")).normalize() for m in NUMBER.finditer(text)]


def to_decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return Decimal(0)


def money_value(m: re.Match[str]) -> Decimal:
    return to_decimal(m.group("a") or m.group("b"))


def unit_of(word: str) -> str:
    word = word.lower()
    if "分钟" in word or word.startswith("min"):
        return "minute"
    if "小时" in word or word.startswith("hour"):
        return "hour"
    if word in ("天", "日") or word.startswith("day"):
        return "day"
    return "week"


def cash(value: Decimal, like: str = "") -> str:
    """`value` with the currency mark, decimals and grouping of `like` as the screen shows it: "¥9797", "$1.79"."""
    mark = next((c for c in like if c in MARKS), "¥" if "元" in like else "")
    shown = NUMBER.search(like)
    places = len(shown.group(0).split(".")[1]) if shown and "." in shown.group(0) else 0
    if value != value.to_integral_value() or (places and not shown):
        places = 2
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"
    return mark + (text if "," in like else text.replace(",", ""))


def later(when: datetime, amount: Decimal, unit: str) -> datetime:
    step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    return when + step.get(unit, timedelta(weeks=1)) * float(amount)


def stamp_text(when: datetime, family: str, with_time: bool) -> str:
    day = when.strftime("%d-%m-%Y" if family == "dmy" else "%Y-%m-%d")
    return f"{day} {when:%H:%M:%S}" if with_time else day


def readable(when: datetime, zh: bool, with_time: bool) -> str:
    clock = f" {when:%H:%M}" if with_time else ""
    if zh:
        return f"{when.year}年{when.month}月{when.day}日{clock}"
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}{clock}"


def duration_text(amount: Decimal, unit: str, zh: bool) -> str:
    if zh:
        return f"{plain(amount)} {_UNIT_ZH[unit]}"
    return f"{plain(amount)} {unit}{'' if amount == 1 else 's'}"
