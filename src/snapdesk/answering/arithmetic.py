"""The toolkit behind the relations (relations.py and the builders in deadlines.py, coupons.py, money.py):
rules read out of knowledge-base passages (minimums, amounts off, rates, durations, option prices) and the
words a question shares with a record or a rule.

Everything here is generic: units, currency marks and relation words (满/减/每/抵/内, at least/off/per/
within) in Chinese and English; no shop's wording."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..perception.fields import offer_terms
from .figures import MARKS, MONEY, NUMBER, money_value, to_decimal, unit_of

_N = NUMBER.pattern
# "30 分钟", "14 days"; business days are left out: they need a holiday calendar nobody gave us.
DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(个?小时|分钟|天|日|周|个?星期|hours?|minutes?|mins?|days?|weeks?)(?![A-Za-z])", re.I
)
_WITHIN = re.compile(r"内|以内|之内|后|前|截止|\+|＋|within|after|before|\bby\b|until|\bof\b", re.I)
# "每 100 积分抵 1 元", "按 100 积分抵 1 元", "100 points = $1", "every 100 points are worth $1".
_RATE = re.compile(
    rf"(?:每|按|every|each)?\s*(?P<n>{_N})\s*(?P<unit>[\u4e00-\u9fff]{{1,3}}|[A-Za-z]+)\s*(?:可以?)?\s*"
    rf"(?:抵扣?|=|＝|兑换?|折合|换|is worth|are worth|worth|equals?|for)\s*"
    rf"(?:[{MARKS}]\s?(?P<m1>{_N})|(?P<m2>{_N})\s*(?:元|块))",
    re.I,
)
_MONEY_UNITS = re.compile(r"^(?:元|块|yuan|dollars?|euros?|pounds?|cents?)$", re.I)
_FREE = re.compile(r"free|免运费|包邮|免费", re.I)
_STOP_WORDS = (
    "the and for you your this that with what how can are was were did does have has not any there will its "
    "这个 那个 一下 可以 什么 怎么 多少 是不 不是 能不 还是 如果 的话 我的 你们 我们 请问 一个 现在 时候"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Rule:
    """One table row or sentence of a passage, with the figures it states."""

    text: str
    passage: int  # rank of the passage it came from (0 = best)
    table: int  # consecutive table rows share a number; -1 for prose
    minimum: Decimal | None
    value: Decimal | None  # amount off
    percent: Decimal | None  # percent off
    duration: tuple[Decimal, str] | None  # (14, "day"), only next to a relation word (within, 内, +)
    price: Decimal | None  # the first amount of money after the row's first cell
    free_from: Decimal | None  # "free when the items total is $50.00 or more"
    rate: tuple[Decimal, str, Decimal, str] | None  # (100, "积分", 1, "1 元"): that many units are worth that money

    @property
    def name(self) -> str:
        return self.text.split(" | ")[0].strip("* ")


def rules(passages: Sequence[str]) -> list[Rule]:
    out: list[Rule] = []
    table = 0
    for rank, passage in enumerate(passages):
        for line in passage.splitlines():
            line = line.strip()
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    out.append(rule_of(" | ".join(cells), rank, table))
                continue
            table += 1
            line = re.sub(r"^(?:#+|[-*]|\d+[.、)])\s*", "", line)
            for sentence in re.split(r"(?<=[。！？；;!?])|(?<=\.)\s+", line):
                if sentence.strip():
                    out.append(rule_of(sentence.strip(), rank, -1))
    return out


def rule_of(text: str, rank: int, table: int) -> Rule:
    minimum, value, percent = offer_terms(text)
    duration = None
    for m in DURATION.finditer(text):
        after = text[m.end() : m.end() + 3]
        if not re.match(r"\s*(?:工作|business|working)", after, re.I) and _WITHIN.search(text):
            duration = (Decimal(m.group(1)), unit_of(m.group(2)))
            break
    body = text.split(" | ", 1)[-1]
    price = next((money_value(m) for m in MONEY.finditer(body)), None)
    free_from = minimum if _FREE.search(text) else None
    rate = None
    for m in _RATE.finditer(text):
        if not _MONEY_UNITS.match(m.group("unit")):
            worth = to_decimal(m.group("m1") or m.group("m2"))
            rate = (to_decimal(m.group("n")), m.group("unit"), worth, m.group(0))
            break
    return Rule(text, rank, table, minimum, value, percent, duration, price, free_from, rate)


# --------------------------------------------------------------------------------------------- words in common


def tokens(text: str) -> set[str]:
    """Latin words, numbers and CJK character pairs: enough to tell which record or rule a question means."""
    out: set[str] = set()
    for m in re.finditer(rf"[a-z][a-z0-9_]+|{_N}|[\u4e00-\u9fff]+", text.lower()):
        word = m.group(0)
        if "\u4e00" <= word[0] <= "\u9fff":
            out.update(word[i : i + 2] for i in range(len(word) - 1))
        elif word[0].isdigit():
            out.add(str(to_decimal(word).normalize()))
        else:
            out.add(word)
    return out - _STOP


def overlap(a: Iterable[str], b: set[str]) -> int:
    """Shared tokens; a shared number of three digits or more ("2799") says more than a shared word."""
    return sum(3 if t[:1].isdigit() and len(t) >= 3 else 1 for t in set(a) & b)


_ORDINALS = (
    (re.compile(r"第[一1]|最上|头一|\bfirst\b|\btop\b", re.I), 0),
    (re.compile(r"第[二2]|\bsecond\b", re.I), 1),
    (re.compile(r"第[三3]|\bthird\b", re.I), 2),
    (re.compile(r"中间|\bmiddle\b", re.I), None),
    (re.compile(r"最后|最下|最底|\blast\b|\bbottom\b", re.I), -1),
)


def choose(question: str, records: Sequence[str]) -> int | None:
    """The record of a list the question means, by its place ("中间那单") or the words and figures it shares."""
    if len(records) == 1:
        return 0
    asked = tokens(question)
    scores = [overlap(tokens(r), asked) for r in records]
    for pattern, place in _ORDINALS:
        if pattern.search(question):
            index = len(records) // 2 if place is None and len(records) % 2 else place
            if index is not None:
                scores[index % len(records)] += 4
    best = max(scores, default=0)
    return scores.index(best) if best > 0 and scores.count(best) == 1 else None
