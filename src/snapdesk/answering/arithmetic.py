"""The toolkit behind relations.py: rules read out of knowledge-base passages (minimums, amounts off, rates,
durations, option prices), the words a question shares with a record or a rule, and figures written the
way the screen writes them.

Everything here is generic: units, currency marks and relation words (满/减/每/抵/内, at least/off/per/
within) in Chinese and English; no shop's wording."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..perception.fields import Fields, offer_terms
from .relations import NUMBER, Case, Found, Relation, plain

_N = NUMBER.pattern
_MARKS = "¥￥$€£"
_MONEY = re.compile(rf"(?P<mark>[{_MARKS}])\s?(?P<a>{_N})|(?P<b>{_N})\s*(?:元|块)")
# "30 分钟", "14 days"; business days are left out: they need a holiday calendar nobody gave us.
_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(个?小时|分钟|天|日|周|个?星期|hours?|minutes?|mins?|days?|weeks?)(?![A-Za-z])", re.I
)
_WITHIN = re.compile(r"内|以内|之内|后|前|截止|\+|＋|within|after|before|\bby\b|until|\bof\b", re.I)
# "每 100 积分抵 1 元", "按 100 积分抵 1 元", "100 points = $1", "every 100 points are worth $1".
_RATE = re.compile(
    rf"(?:每|按|every|each)?\s*(?P<n>{_N})\s*(?P<unit>[\u4e00-\u9fff]{{1,3}}|[A-Za-z]+)\s*(?:可以?)?\s*"
    rf"(?:抵扣?|=|＝|兑换?|折合|换|is worth|are worth|worth|equals?|for)\s*"
    rf"(?:[{_MARKS}]\s?(?P<m1>{_N})|(?P<m2>{_N})\s*(?:元|块))",
    re.I,
)
_MONEY_UNITS = re.compile(r"^(?:元|块|yuan|dollars?|euros?|pounds?|cents?)$", re.I)
_FREE = re.compile(r"free|免运费|包邮|免费", re.I)
_UNIT_ZH = {"minute": "分钟", "hour": "小时", "day": "天", "week": "周"}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
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
                    out.append(_rule(" | ".join(cells), rank, table))
                continue
            table += 1
            line = re.sub(r"^(?:#+|[-*]|\d+[.、)])\s*", "", line)
            for sentence in re.split(r"(?<=[。！？；;!?])|(?<=\.)\s+", line):
                if sentence.strip():
                    out.append(_rule(sentence.strip(), rank, -1))
    return out


def _rule(text: str, rank: int, table: int) -> Rule:
    minimum, value, percent = offer_terms(text)
    duration = None
    for m in _DURATION.finditer(text):
        after = text[m.end() : m.end() + 3]
        if not re.match(r"\s*(?:工作|business|working)", after, re.I) and _WITHIN.search(text):
            duration = (Decimal(m.group(1)), unit_of(m.group(2)))
            break
    body = text.split(" | ", 1)[-1]
    price = next((money_value(m) for m in _MONEY.finditer(body)), None)
    free_from = minimum if _FREE.search(text) else None
    rate = None
    for m in _RATE.finditer(text):
        if not _MONEY_UNITS.match(m.group("unit")):
            worth = to_decimal(m.group("m1") or m.group("m2"))
            rate = (to_decimal(m.group("n")), m.group("unit"), worth, m.group(0))
            break
    return Rule(text, rank, table, minimum, value, percent, duration, price, free_from, rate)


def unit_of(word: str) -> str:
    word = word.lower()
    if "分钟" in word or word.startswith("min"):
        return "minute"
    if "小时" in word or word.startswith("hour"):
        return "hour"
    if word in ("天", "日") or word.startswith("day"):
        return "day"
    return "week"


def to_decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return Decimal(0)


def money_value(m: re.Match[str]) -> Decimal:
    return to_decimal(m.group("a") or m.group("b"))


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


# --------------------------------------------------------------------------------------------- figures as written


def cash(value: Decimal, like: str = "") -> str:
    """`value` with the currency mark, decimals and grouping of `like` as the screen shows it: "¥9797", "$1.79"."""
    mark = next((c for c in like if c in _MARKS), "¥" if "元" in like else "")
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


# --------------------------------------------------------------------------------------------- the relations


def _deadline(case: Case) -> list[Found | None]:
    """A timestamp on the screen + a duration from a passage or the question = the deadline."""
    stamps = [s for s in case.fields.stamps if not _ALREADY_A_DEADLINE.search(s.label)]
    pick = choose(case.question, [s.record for s in stamps]) if stamps else None
    if pick is None:
        return []
    stamp = stamps[pick]
    context = tokens(f"{case.question}\n{stamp.record}")
    label = tokens(stamp.label)
    asked = [_rule(case.question, -1, -1)] if _DURATION.search(case.question) else []
    scored = [(3 * overlap(label, tokens(r.text)) + overlap(context, tokens(r.text)), r) for r in case.rules]
    scored += [(99, r) for r in asked if r.duration]
    scored = [(score, r) for score, r in scored if r.duration and score >= 2]
    if not scored:
        return []
    rule = max(scored, key=lambda pair: pair[0])[1]
    amount, unit = rule.duration  # type: ignore[misc]
    timed = unit in ("minute", "hour")
    if timed and not stamp.has_time:
        return []
    due = later(stamp.when, amount, unit)
    shown = stamp_text(due, stamp.family, timed)
    start = f"{stamp.label} {stamp_text(stamp.when, stamp.family, stamp.has_time)}".strip()
    plus_zh, plus_en = duration_text(amount, unit, True), duration_text(amount, unit, False)
    iso = f"{due:%Y-%m-%d}"
    if timed:  # "最晚 5月18日 16:36:03": the clock as the screen writes it, the day as the customer says it
        clock = f"{due:%H:%M:%S}"
        zh = f"最晚 {due.month}月{due.day}日 {clock}（{start} + {plus_zh}）"
        en = f"deadline {readable(due, False, False)} {clock} ({start} + {plus_en})"
        figures: tuple[str, ...] = (clock, f"{iso} {clock}")
    else:
        zh_when, en_when = readable(due, True, False), readable(due, False, False)
        if stamp.family != "ymd":
            zh_when, en_when = f"{iso}，{zh_when}", f"{iso}, {en_when}"
        zh = f"最晚 {shown}（{zh_when}；{start} + {plus_zh}）"
        en = f"deadline {shown} ({en_when}; {start} + {plus_en})"
        figures = tuple(dict.fromkeys((shown, iso)))
    return [Found(Relation("deadline", zh, en, figures), (amount,), (stamp.label,))]


_ALREADY_A_DEADLINE = re.compile(r"至|到期|截止|有效期|until|expir|valid|due|deadline", re.I)
_SIZE_LABEL = re.compile(r"大小|size|下载|download|安装包|package|文件|file|更新|update|版本|version", re.I)


def _remaining(case: Case) -> list[Found | None]:
    """A progress percentage and the size it is of: what is left = size × (1 − percentage)."""
    percents = [p for p, _ in case.fields.percents if 0 < p < 100]
    sizes = sorted(case.fields.sizes, key=lambda s: not _SIZE_LABEL.search(s[2]))
    if len(percents) != 1 or not sizes:
        return []
    pct, (size, unit, text) = Decimal(str(percents[0])), sizes[0]
    total = Decimal(str(size))
    written = re.search(rf"({_N})\s?{unit}", text, re.IGNORECASE)
    size_text = f"{written.group(1) if written else plain(total)}{unit}"  # "2.0MB" as the screen has it
    left = (total * (100 - pct) / 100).quantize(Decimal("0.01"))
    done = f"{plain(pct)}%"
    zh = f"还剩 {left}{unit} 未完成（{size_text} ×（1 − {done}），已完成 {done}）"
    en = f"{left}{unit} still to go ({size_text} × (1 − {done}); {done} done)"
    return [Found(Relation("remaining", zh, en, (f"{left}{unit}",)), (pct, total), (unit,))]


_COUPON_WORDS = re.compile(r"券|优惠码|折扣码|coupon|voucher|promo|\bcode\b|discount", re.I)
_ONE_PER_ORDER = re.compile(
    r"只能(?:使)?用\s*[1一]\s*张|不能叠加|不可叠加|不能同时|one (?:code|coupon|voucher) per order|"
    r"can'?t be combined|cannot be combined|not (?:be )?combined|not stackable",
    re.I,
)
_CODE = re.compile(r"\b[A-Z][A-Z0-9]{3,}\b")
_LOOSE = re.compile(rf"(?<![A-Za-z\d.,])(?:{_N})(?![A-Za-z\d])")
_FACE = re.compile(
    rf"(?:[{_MARKS}]\s?(?P<a>{_N})|(?P<b>{_N})\s*(?:元|块))\s*(?:的)?\s*(?:券|优惠券|coupon|voucher|off)", re.I
)


def _offer(case: Case) -> list[Found | None]:
    """A minimum and an amount off (a coupon, a promotion): how far short, or the total once applied."""
    question, fields = case.question, case.fields
    faces = {money_value(m) for m in _FACE.finditer(question)}
    # An amount the customer names ("2099那个") and not part of a name or code ("K50", "WELCOME10").
    basis_said = [to_decimal(m.group(0)) for m in _LOOSE.finditer(_FACE.sub("", question))]
    basis_said = [n for n in basis_said if n >= 10]
    offers = [(o.minimum, o.value, o.percent, o.text) for o in fields.offers if not o.on_item]
    passed = [(r.minimum, r.value, r.percent, r.text) for r in case.rules if r.value or r.percent]
    codes = set(_CODE.findall(question))
    if faces:
        chosen = [c for c in passed + offers if c[1] in faces][:1] or [(None, max(faces), None, question)]
    elif codes:
        chosen = [c for c in passed if codes & set(_CODE.findall(c[3]))][:1]
    elif _COUPON_WORDS.search(question):
        chosen = offers or _relevant(case, [r for r in case.rules if r.value or r.percent])
    else:
        chosen = _relevant(case, [r for r in case.rules if r.minimum and re.search(r"差|凑|more|short", question)])
    if not chosen:
        return []
    items = _charge(fields, "items") or _amount(fields.amount("goods"))
    payable = _charge(fields, "total") or _amount(fields.amount("due")) or items
    if basis_said and not (items and items[0] in basis_said):
        items = payable = (basis_said[0], plain(basis_said[0]))
    if not items or not payable:
        return []
    base, like = items
    usable = [c for c in chosen if c[0] is None or base >= c[0]]
    if not usable:
        return [_short(min(chosen, key=lambda c: c[0] or 0), base, like)]
    best = max(usable, key=lambda c: _off(c, base))
    return [_applied(best, base, payable, like, len(chosen) > 1, case.passages)]


def _relevant(case: Case, candidates: list[Rule]) -> list[tuple]:
    asked = tokens(case.question)
    scored = [(overlap(tokens(r.text), asked), r) for r in candidates]
    best = max(scored, key=lambda pair: pair[0], default=(0, None))
    rule = best[1]
    return [(rule.minimum, rule.value, rule.percent, rule.text)] if rule and best[0] >= 2 else []


def _charge(fields: Fields, kind: str) -> tuple[Decimal, str] | None:
    found = [c for c in fields.charges if c.kind == kind]
    return (found[0].value, found[0].shown) if len(found) == 1 else None


def _amount(amount: object) -> tuple[Decimal, str] | None:
    return (amount.value, amount.shown) if amount is not None else None  # type: ignore[attr-defined]


def _off(candidate: tuple, base: Decimal) -> Decimal:
    _, value, percent, _ = candidate
    return value if value is not None else (base * percent / 100).quantize(Decimal("0.01"))


def _short(candidate: tuple, base: Decimal, like: str) -> Found:
    minimum = candidate[0]
    gap = minimum - base
    zh = f"商品合计 {cash(base, like)} 未达到满{plain(minimum)}的门槛，还差 {cash(gap, like)}"
    en = f"the items total {cash(base, like)} is {cash(gap, like)} short of the {cash(minimum, like)} minimum"
    figures = (cash(gap, like),)
    return Found(Relation("shortfall", zh, en, figures), (minimum, base), tuple(_CODE.findall(candidate[3])))


def _applied(
    candidate: tuple, base: Decimal, payable: tuple[Decimal, str], like: str, several: bool, passages: Sequence[str]
) -> Found:
    minimum, value, percent, text = candidate
    off = _off(candidate, base)
    due, due_like = payable
    after = due - off
    what = f"{plain(percent)}%" if value is None else cash(off, like)
    met_zh = f"，商品合计 {cash(base, like)} 已满{plain(minimum)}" if minimum else ""
    met_en = f"; the items total {cash(base, like)} meets its {cash(minimum, like)} minimum" if minimum else ""
    one = several and any(_ONE_PER_ORDER.search(p) for p in passages)
    zh = f"{'一单只能用一张券，' if one else ''}用减{what}的券{met_zh}：实付 {cash(after, due_like)}"
    zh += f"（{cash(due, due_like)} − {cash(off, like)}）"
    en = f"{'only one coupon per order; ' if one else ''}with the {what} off{met_en}: you pay "
    en += f"{cash(after, due_like)} ({cash(due, due_like)} − {cash(off, like)})"
    inputs = tuple(n for n in (minimum, value, percent, base, due) if n is not None)
    return Found(Relation("discount_applied", zh, en, (cash(after, due_like),)), inputs, tuple(_CODE.findall(text)))


def _conversion(case: Case) -> list[Found | None]:
    """A quantity in a unit a passage converts ("每 100 积分抵 1 元") → what it is worth."""
    for rule in case.rules:
        if rule.rate is None:
            continue
        per, unit, worth, wording = rule.rate
        said = re.search(rf"({_N})\s*{re.escape(unit)}|{re.escape(unit)}\D{{0,4}}?({_N})", case.question, re.I)
        held = [q for q, label in case.fields.tallies if unit.lower() in label.lower() or label.lower() in unit.lower()]
        quantity = to_decimal(said.group(1) or said.group(2)) if said else (held[0] if held else None)
        if quantity is None or per <= 0:
            continue
        # "每 100 积分" / "every 100 points": only whole hundreds count; "100 points = $1" is proportional.
        whole = re.match(r"\s*(?:每|按|every|each)", wording, re.IGNORECASE) and per > 1
        value = (quantity // per) * worth if whole else (quantity * worth / per).quantize(Decimal("0.01"))
        like = wording[wording.index(plain(worth)) - 1 :] if plain(worth) in wording else "元"
        rate_zh = f"每 {plain(per)} {unit}抵 {cash(worth, like)}"
        zh = f"{plain(quantity)} {unit}可抵 {cash(value, like)}（{rate_zh}）"
        en = f"{plain(quantity)} {unit} are worth {cash(value, like)} ({plain(per)} {unit} = {cash(worth, like)})"
        return [Found(Relation("conversion", zh, en, (cash(value, like),)), (quantity, per, worth), (unit,))]
    return []


def _line_tax(case: Case) -> list[Found | None]:
    """An invoice line: line price − unit price × quantity is the tax (or extra) on that line."""
    out: list[Found | None] = []
    for item in case.fields.line_items:
        if item.price is None:
            continue
        extra = item.price.value - item.unit.value * item.qty
        # Without a quantity on the row, a line price far above the unit price is more likely several items.
        if extra <= Decimal("0.005") or (not item.qty_shown and extra > item.unit.value * Decimal("0.3")):
            continue
        like = item.price.shown
        sums = f"{cash(item.price.value, like)} − {cash(item.unit.value, like)} × {item.qty} = {cash(extra, like)}"
        zh = f"{item.name[:24]}：该行金额 − 单价 × 数量 = {sums}（这一行的税费或附加费用）"
        en = f"{item.name[:24]}: line price − unit price × quantity = {sums} (the tax or other charges on that line)"
        inputs = (item.price.value, item.unit.value, Decimal(item.qty))
        out.append(Found(Relation("line_tax", zh, en, (cash(extra, like),)), inputs, (item.name,)))
    return out


def _totals(case: Case) -> list[Found | None]:
    """Items + shipping − discounts (+ tax unless included) = the total shown; say which parts make it."""
    kinds: dict[str, list] = {}
    for charge in case.fields.charges:
        kinds.setdefault(charge.kind, []).append(charge)
    if len(kinds.get("items", [])) != 1 or len(kinds.get("total", [])) != 1:
        return []
    items, total = kinds["items"][0], kinds["total"][0]
    shipping = kinds.get("shipping", [])[:1]
    discounts = kinds.get("discount", [])
    tax = kinds.get("tax", [])[:1]
    base = items.value + sum(c.value for c in shipping) - sum(c.value for c in discounts)
    added = bool(tax) and not tax[0].included and tax[0].value > 0 and base + tax[0].value == total.value
    if base + (tax[0].value if added else 0) != total.value or not (shipping or discounts or tax):
        return []
    like = total.shown
    zh = f"{total.label} {cash(total.value, like)} = {items.label} {cash(items.value, like)}"
    en = f"{total.label} {cash(total.value, like)} = {items.label} {cash(items.value, like)}"
    for part in shipping + [d for d in discounts if d.value] + (tax if added else []):
        sign = "−" if part.kind == "discount" else "+"
        zh += f" {sign} {part.label} {cash(part.value, like)}"
        en += f" {sign} {part.label} {cash(part.value, like)}"
    if tax and not added and tax[0].value:
        zh += f"；税 {cash(tax[0].value, like)} 已包含在价格中，不另外加"
        en += f"; the {cash(tax[0].value, like)} tax is already included in the prices, not added again"
    inputs = tuple(c.value for c in [items, total, *shipping, *discounts, *tax])
    return [Found(Relation("totals", zh, en, (cash(total.value, like),)), inputs, (items.label, total.label))]


def _cheaper_option(case: Case) -> list[Found | None]:
    """A passage's table of options with prices, one of them the price shown: the cheaper one and the saving."""
    charge = next((c for c in case.fields.charges if c.kind == "shipping" and c.value > 0), None)
    items = _charge(case.fields, "items")
    if charge is None or items is None:
        return []
    tables = {r.table for r in case.rules if r.table >= 0 and r.price == charge.value}
    rows = [r for r in case.rules if r.table in tables and r.price is not None and r.price != charge.value]
    priced = [(Decimal(0) if r.free_from is not None and items[0] >= r.free_from else r.price, r) for r in rows]
    cheaper = sorted([(p, r) for p, r in priced if p < charge.value], key=lambda pair: pair[0])
    if not cheaper:
        return []
    price, rule = cheaper[0]
    total = _charge(case.fields, "total")
    new = (total[0] if total else items[0] + charge.value) - charge.value + price
    like = charge.shown
    saving = charge.value - price
    parts = f"{cash(items[0], like)} + {cash(price, like)}" if new == items[0] + price else ""
    zh = f"改选 {rule.name}：{cash(price, like)}（现在 {cash(charge.value, like)}），合计 {cash(new, like)}"
    zh += f"{f'（{parts}）' if parts else ''}，省 {cash(saving, like)}"
    en = f"{rule.name} costs {cash(price, like)} instead of {cash(charge.value, like)}: total {cash(new, like)}"
    en += f"{f' ({parts})' if parts else ''}, saving {cash(saving, like)}"
    inputs = (charge.value, items[0], rule.price or price) + ((rule.free_from,) if rule.free_from else ())
    return [Found(Relation("cheaper_option", zh, en, (cash(new, like), cash(saving, like))), inputs, (rule.name,))]


def _item_amount(case: Case) -> list[Found | None]:
    """One line item's price less the promotion printed under it: what that item alone comes to."""
    items = case.fields.line_items
    asked = tokens(case.question)
    lines = [[t for t in f"{i.name}\n{i.notes}".splitlines() if t] for i in items]
    scores = [max((overlap(tokens(t), asked) for t in ls), default=0) for ls in lines]
    best = max(scores, default=0)
    if best < 1 or scores.count(best) != 1:
        return []
    item, text = items[scores.index(best)], lines[scores.index(best)]
    offer = next((o for o in case.fields.offers if o.on_item and o.text in text and o.value), None)
    gross = item.unit.value * item.qty
    if offer is None or offer.value is None or (offer.minimum is not None and gross < offer.minimum):
        return []
    like = item.unit.shown
    name = max(text, key=lambda t: overlap(tokens(t), asked))[:24]
    net = gross - offer.value
    zh = f"{name}：这一件实付 {cash(net, like)}（{cash(gross, like)} − 优惠 {cash(offer.value, like)}）"
    en = f"{name}: this item alone comes to {cash(net, like)} ({cash(gross, like)} − {cash(offer.value, like)} off)"
    inputs = (gross, offer.value) + ((offer.minimum,) if offer.minimum else ())
    return [Found(Relation("item_amount", zh, en, (cash(net, like),)), inputs, (name,))]


BUILDERS = (_deadline, _remaining, _offer, _conversion, _line_tax, _totals, _cheaper_option, _item_amount)
