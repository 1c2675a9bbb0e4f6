"""Coupons and promotions: how far an order is short of an offer's minimum, what is paid once the best usable
offer is applied, and what one line item comes to less the promotion printed under it.

An offer the screen itself refuses (it says the coupon is not usable, or the goods amount is below the
offer's minimum) is never shown as applied: the relation is how far short the order is."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from ..perception.fields import Amount
from .arithmetic import Rule, overlap, tokens
from .figures import MARKS, NUMBER, cash, money_value, plain, to_decimal
from .money import charge_of
from .relation_types import Case, Found, Relation

_N = NUMBER.pattern
Candidate = tuple  # (minimum, value off, percent off, text)

_COUPON_WORDS = re.compile(r"券|优惠码|折扣码|coupon|voucher|promo|\bcode\b|discount", re.I)
_ONE_PER_ORDER = re.compile(
    r"只能(?:使)?用\s*[1一]\s*张|不能叠加|不可叠加|不能同时|one (?:code|coupon|voucher) per order|"
    r"can'?t be combined|cannot be combined|not (?:be )?combined|not stackable",
    re.I,
)
_CODE = re.compile(r"\b[A-Z][A-Z0-9]{3,}\b")
_LOOSE = re.compile(rf"(?<![A-Za-z\d.,])(?:{_N})(?![A-Za-z\d])")
_FACE = re.compile(
    rf"(?:[{MARKS}]\s?(?P<a>{_N})|(?P<b>{_N})\s*(?:元|块))\s*(?:的)?\s*(?:券|优惠券|coupon|voucher|off)", re.I
)
# The screen saying an offer cannot be used on this order ("未达到使用门槛", "Not eligible").
_UNUSABLE = re.compile(
    r"不可用|不能用|用不了|无法使用|不可使用|未达到?(?:使用)?(?:门槛|条件|金额)|未满足|不满足|不符合|不适用|"
    r"not (?:yet )?(?:eligible|applicable|available|usable|valid)|ineligible|unavailable|"
    r"can(?:no|')?t be (?:used|applied)|(?:minimum|threshold)(?: spend| order)? not (?:met|reached)|"
    r"does(?:n'?t| not) (?:meet|qualify)",
    re.I,
)


def offer(case: Case) -> list[Found | None]:
    """A minimum and an amount off (a coupon, a promotion): how far short, or the total once applied."""
    chosen = _chosen(case)
    basis = _basis(case)
    if not chosen or basis is None:
        return []
    (base, like), payable = basis
    # A coupon card whose face value was not read ("满100可用" alone) can still be short, never applied.
    usable = [c for c in chosen if (c[1] is not None or c[2] is not None) and (c[0] is None or base >= c[0])]
    if usable and not _refused(case):
        best = max(usable, key=lambda c: _off(c, base))
        return [_applied(best, base, payable, like, len(chosen) > 1, case.passages)]
    short = [(c, base, like) for c in chosen if c[0] is not None and base < c[0]] or _below_on_screen(case)
    if not short:
        return []
    candidate, base, like = min(short, key=lambda s: s[0][0])
    return [_short(candidate, base, like)]


def _chosen(case: Case) -> list[Candidate]:
    """The offers the question means: by face value, by code, any coupon, or a passage's minimum it is short of."""
    question, fields = case.question, case.fields
    faces = {money_value(m) for m in _FACE.finditer(question)}
    offers = [(o.minimum, o.value, o.percent, o.text) for o in fields.offers if not o.on_item]
    passed = [(r.minimum, r.value, r.percent, r.text) for r in case.rules if r.value or r.percent]
    codes = set(_CODE.findall(question))
    if faces:
        return [c for c in passed + offers if c[1] in faces][:1] or [(None, max(faces), None, question)]
    if codes:
        return [c for c in passed if codes & set(_CODE.findall(c[3]))][:1]
    if _COUPON_WORDS.search(question):
        return offers or _relevant(case, [r for r in case.rules if r.value or r.percent])
    return _relevant(case, [r for r in case.rules if r.minimum and re.search(r"差|凑|more|short", question)])


def _basis(case: Case) -> tuple[tuple[Decimal, str], tuple[Decimal, str]] | None:
    """(the items total an offer's minimum is checked against, what is payable), as (value, wording) pairs."""
    question, fields = case.question, case.fields
    # An amount the customer names ("2099那个") and not part of a name or code ("K50", "WELCOME10").
    basis_said = [to_decimal(m.group(0)) for m in _LOOSE.finditer(_FACE.sub("", question))]
    basis_said = [n for n in basis_said if n >= 10]
    items = charge_of(fields, "items") or _amount(fields.amount("goods"))
    payable = charge_of(fields, "total") or _amount(fields.amount("due")) or items
    if basis_said and not (items and items[0] in basis_said):
        items = payable = (basis_said[0], plain(basis_said[0]))
    return (items, payable) if items and payable else None


def _refused(case: Case) -> bool:
    """The screen says an offer cannot be used here, or shows a goods amount below an offer's minimum."""
    texts = case.screen or tuple(o.text for o in case.fields.offers)
    for i, text in enumerate(texts):
        near = "\n".join(texts[max(0, i - 2) : i + 1])
        if _UNUSABLE.search(text) and (_COUPON_WORDS.search(near) or any(o.text in near for o in case.fields.offers)):
            return True
    return bool(_below_on_screen(case))


def _below_on_screen(case: Case) -> list[tuple[Candidate, Decimal, str]]:
    """The screen's offers (and 满N thresholds) whose minimum the screen's own goods amount does not reach."""
    fields = case.fields
    goods = charge_of(fields, "items") or _amount(fields.amount("goods"))
    if goods is None:
        return []
    base, like = goods
    offers = [(o.minimum, o.value, o.percent, o.text) for o in fields.offers if not o.on_item]
    threshold = fields.amount("threshold")
    if threshold is not None:
        offers.append((threshold.value, None, None, threshold.context))
    return [(c, base, like) for c in offers if c[0] is not None and base < c[0]]


def _relevant(case: Case, candidates: list[Rule]) -> list[Candidate]:
    asked = tokens(case.question)
    scored = [(overlap(tokens(r.text), asked), r) for r in candidates]
    best = max(scored, key=lambda pair: pair[0], default=(0, None))
    rule = best[1]
    return [(rule.minimum, rule.value, rule.percent, rule.text)] if rule and best[0] >= 2 else []


def _amount(amount: Amount | None) -> tuple[Decimal, str] | None:
    return (amount.value, amount.shown) if amount is not None else None


def _off(candidate: Candidate, base: Decimal) -> Decimal:
    _, value, percent, _ = candidate
    return value if value is not None else (base * percent / 100).quantize(Decimal("0.01"))


def _short(candidate: Candidate, base: Decimal, like: str) -> Found:
    minimum = candidate[0]
    gap = minimum - base
    zh = f"商品合计 {cash(base, like)} 未达到满{plain(minimum)}的门槛，还差 {cash(gap, like)}"
    en = f"the items total {cash(base, like)} is {cash(gap, like)} short of the {cash(minimum, like)} minimum"
    figures = (cash(gap, like),)
    return Found(Relation("shortfall", zh, en, figures), (minimum, base), tuple(_CODE.findall(candidate[3])))


def _applied(
    candidate: Candidate,
    base: Decimal,
    payable: tuple[Decimal, str],
    like: str,
    several: bool,
    passages: Sequence[str],
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


def item_amount(case: Case) -> list[Found | None]:
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
