"""Money on a bill: what points or credits are worth, the tax inside an invoice line, how a total adds up
from its parts, and a cheaper option from a passage's price table."""

from __future__ import annotations

import re
from decimal import Decimal

from ..perception.fields import Fields
from .figures import NUMBER, cash, plain, to_decimal
from .relation_types import Case, Found, Relation

_N = NUMBER.pattern


def charge_of(fields: Fields, kind: str) -> tuple[Decimal, str] | None:
    """The value and wording of the bill line of that kind, when the screen shows exactly one."""
    found = [c for c in fields.charges if c.kind == kind]
    return (found[0].value, found[0].shown) if len(found) == 1 else None


def conversion(case: Case) -> list[Found | None]:
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


def line_tax(case: Case) -> list[Found | None]:
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


def totals(case: Case) -> list[Found | None]:
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


def cheaper_option(case: Case) -> list[Found | None]:
    """A passage's table of options with prices, one of them the price shown: the cheaper one and the saving."""
    charge = next((c for c in case.fields.charges if c.kind == "shipping" and c.value > 0), None)
    items = charge_of(case.fields, "items")
    if charge is None or items is None:
        return []
    tables = {r.table for r in case.rules if r.table >= 0 and r.price == charge.value}
    rows = [r for r in case.rules if r.table in tables and r.price is not None and r.price != charge.value]
    priced = [(Decimal(0) if r.free_from is not None and items[0] >= r.free_from else r.price, r) for r in rows]
    cheaper = sorted([(p, r) for p, r in priced if p < charge.value], key=lambda pair: pair[0])
    if not cheaper:
        return []
    price, rule = cheaper[0]
    total = charge_of(case.fields, "total")
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
