"""What a bill or cart says: rows of goods (name, notes, unit price, quantity, line price), the labelled
lines of a bill (items, shipping, tax, discount, total) and the promotions and coupons on it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from .amounts import AMOUNT, Amount, decimal_of
from .stamps import YMD
from .statuses import STATUS_WORDS

NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MARK = "¥￥$€£"
_NOTE = re.compile(r"^\s*[(（][^)）]*[)）]\s*")  # "(Included in price) $1.85"
_PRICE_BLOCK = re.compile(rf"^[-−]?\s*[{_MARK}]\s?({NUM})\s*(?:[x×X*]\s*(\d{{1,3}}))?$")
_TRAILING_QTY = re.compile(r"[x×X*]\s*(\d{1,3})\s*$")
_TABLE_HEAD = re.compile(r"unit\s*price|单价|^qty$|^quantity$|^数量$", re.IGNORECASE)
_HEADER_CELL = re.compile(
    r"^(?:items?|(?:unit\s*)?price|qty|quantity|total|subtotal|amount|商品|单价|数量|金额|小计)$", re.IGNORECASE
)
_MINIMUM = re.compile(
    rf"(?:满|at\s+least|minimum(?:\s+(?:order|spend|of))*|min\.?\s+spend|orders?\s+over|spend(?:\s+over)?|over)"
    rf"\s*[{_MARK}]?\s*({NUM})|[{_MARK}]\s?({NUM})\s*(?:or\s+more|and\s+(?:above|over)|以上)",
    re.IGNORECASE,
)
_TAKE_OFF = re.compile(
    rf"(?:立减|减|省|save|minus)\s*[{_MARK}]?\s*({NUM})|[{_MARK}]\s?({NUM})\s*off\b|({NUM})\s*元\s*(?:券|off)",
    re.IGNORECASE,
)
_PERCENT_OFF = re.compile(r"(\d{1,2}(?:\.\d+)?)\s?%\s*off\b|(?<![\d.])(\d(?:\.\d)?)\s*折", re.IGNORECASE)
_CHARGE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tax", re.compile(r"税|tax|vat\b|gst\b", re.I)),
    ("shipping", re.compile(r"运费|配送费|邮费|shipping|delivery|postage", re.I)),
    ("discount", re.compile(r"优惠|折扣|抵扣|减免|promotion|discount|coupon|voucher|savings", re.I)),
    ("items", re.compile(r"商品合计|商品金额|商品总额|小计|subtotal|items?\s*total", re.I)),
    ("total", re.compile(r"实付|应付|合计|总计|总额|total|amount\s+due|to\s+pay", re.I)),
)


@dataclass(frozen=True)
class LineItem:
    name: str
    unit: Amount  # the price of one, as shown
    qty: int  # 1 when the row shows none
    price: Amount | None  # the line price when the row has a separate column for it
    notes: str  # the texts between the name and the price (options, a promotion)
    block: int
    qty_shown: bool = False  # OCR drops a lone "2": a row without a quantity may still be for several


@dataclass(frozen=True)
class Charge:
    """One labelled line of a bill: items, shipping, tax, discount or total."""

    kind: str
    value: Decimal
    shown: str
    label: str
    included: bool  # "(Included in price)": shown for information, not added


@dataclass(frozen=True)
class Offer:
    """A promotion or coupon on the screen: spend `minimum`, get `value` or `percent` off."""

    minimum: Decimal | None
    value: Decimal | None
    percent: Decimal | None
    text: str
    block: int
    on_item: bool = False  # printed under one line item: applies to that item alone


def offer_terms(text: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(minimum, value off, percent off) of a promotion's wording: "满1000减100", "10% off, at least $30"."""
    low = _MINIMUM.search(text)
    off = _TAKE_OFF.search(text)
    pct = _PERCENT_OFF.search(text)
    percent = None
    if pct:
        percent = decimal_of(pct.group(1)) if pct.group(1) else (10 - Decimal(pct.group(2))) * 10
    minimum = decimal_of(low.group(1) or low.group(2)) if low else None
    value = decimal_of(next(g for g in off.groups() if g)) if off else None
    return minimum, value, percent


def offers(texts: list[str], items: list[LineItem]) -> list[Offer]:
    """The screen's offers; a promotion with its own value printed among an item's notes ("满2000减200" under a
    phone) is that item's."""
    notes = [f"{item.name}\n{item.notes}" for item in items]
    return [replace_on_item(o, own and any(o.text in n for n in notes)) for o, own in _offers(texts)]


def replace_on_item(offer: Offer, on_item: bool) -> Offer:
    return Offer(offer.minimum, offer.value, offer.percent, offer.text, offer.block, on_item)


def line_items(texts: list[str]) -> list[LineItem]:
    """Rows of goods: a name, notes under it, then the price (and, under a table head, the line price)."""
    table = any(_TABLE_HEAD.search(t) for t in texts)
    out: list[LineItem] = []
    start = 0  # the first block after the previous row, bill line, table head or date
    i = 0
    while i < len(texts):
        m = _PRICE_BLOCK.match(texts[i].strip())
        label_before = i > 0 and (texts[i - 1].rstrip().endswith((":", "：")) or _is_label(texts[i - 1]))
        if not m or label_before or i == start:
            boundary = m or _is_label(texts[i]) or _HEADER_CELL.match(texts[i].strip()) or YMD.search(texts[i])
            start = i + 1 if boundary else start
            i += 1
            continue
        notes = [t for t in texts[max(start, i - 4) : i] if not (len(t) <= 6 and STATUS_WORDS.search(t))] or [""]
        row, qty_cell = [(m, i)], None
        while table and i + 1 < len(texts):
            cell = texts[i + 1].strip()
            if (nxt := _PRICE_BLOCK.match(cell)) is not None:
                row.append((nxt, i + 1))
            elif re.fullmatch(r"\d{1,3}", cell) and len(row) == 1 and qty_cell is None:
                qty_cell = cell  # the Qty column between the unit price and the line price
            else:
                break
            i += 1
        trailing = next((q.group(1) for q in map(_TRAILING_QTY.search, notes) if q), None)
        qty_text = m.group(2) or qty_cell or trailing
        unit = _amount_of(row[0][0])
        price = _amount_of(row[-1][0]) if len(row) > 1 else None
        line = LineItem(notes[0], unit, int(qty_text or 1), price, "\n".join(notes[1:]), row[0][1], bool(qty_text))
        out.append(line)
        start = i + 1
        i += 1
    return out


def _is_label(text: str) -> bool:
    """A bill line's label standing alone ("运费", "Order total:"); "无优惠" / "no discount" says none applies."""
    text = text.strip()
    return len(text) <= 24 and not re.search(r"\d|^(?:无|no\b|without)", text, re.I) and bool(_charge_kind(text))


def _amount_of(m: re.Match[str]) -> Amount:
    value = decimal_of(m.group(1)) or Decimal(0)
    return Amount(value, m.group(0).split("x")[0].split("×")[0].strip(), None, m.string)


def _charge_kind(label: str) -> str | None:
    return next((kind for kind, pattern in _CHARGE_KINDS if pattern.search(label[-30:])), None)


def charges(texts: list[str]) -> list[Charge]:
    """Labelled bill lines, from "Label: $x" in one block or a label block followed by its amount block."""
    joined = [
        f"{before} {text}" if AMOUNT.search(_NOTE.sub("", text)[:16]) and _is_label(before.rstrip(":：")) else text
        for before, text in pairwise(["", *texts])
    ]
    out: list[Charge] = []
    for text in joined:
        last = 0
        for m in AMOUNT.finditer(text):
            label = text[last : m.start()]
            last = m.end()
            negative = bool(re.search(r"[-−]\s*$", label))
            label = re.sub(r"[\s:：,，\-−]+$", "", label).strip()
            included = bool(re.search(r"includ|incl\.|已含|含税|包含", label, re.I))
            label = re.sub(r"[\s:：]*[(（][^)）]*[)）]\s*", " ", label).strip()  # "(Included in price)" said above
            kind = _charge_kind(label) if label and not re.search(r"(满|减|at least|over)$", label, re.I) else None
            value = decimal_of(m.group("a") or m.group("b"))
            if kind is None or value is None or (m.group("b") and not m.group("cur") and ":" not in label):
                continue
            kind = "discount" if negative and kind != "tax" else kind
            charge = Charge(kind, value, m.group(0), label[-30:], included)
            if not any(c.kind == kind and c.value == value for c in out):
                out.append(charge)
    return out


def _offers(texts: list[str]) -> list[tuple[Offer, bool]]:
    """Offers, each with whether its value is printed in its own text."""
    out = []
    for i, text in enumerate(texts):
        minimum, value, percent = offer_terms(text)
        if minimum is None and value is None and percent is None:
            continue
        own = value is not None or percent is not None
        if not own:
            # A coupon card prints its face value in its own block a little above "满100可用".
            faces = (_PRICE_BLOCK.match(t.strip()) for t in reversed(texts[max(0, i - 3) : i]))
            face = next((f for f in faces if f), None)
            value = decimal_of(face.group(1)) if face else None
        out.append((Offer(minimum, value, percent, text, i), own))
    return out
