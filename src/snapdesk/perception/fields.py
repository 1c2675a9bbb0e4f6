"""Facts a support agent copies out of a screenshot: ids, amounts and what they are, codes, statuses,
dates, durations, counts, tracking numbers, exceptions with their top frame, versions."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from ..safety import find_pii, mask_pii
from .types import OcrLine, Perception

_ORDER_LABEL = re.compile(r"订单编号|订单号|单号|order\s*(?:no\.?|number|id|#)", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{10,24})(?!\d)")
_CODE = re.compile(
    r"(?<![A-Za-z0-9_])((?:[A-Z]{1,8}[_-]\d{2,6})|(?:HTTP\s?[45]\d{2})|(?:errno[\"']?\s*[:：]\s*\d{3,5})|(?:0x[0-9A-Fa-f]{8}))(?![A-Za-z0-9])"
)
_AMOUNT = re.compile(
    r"(?:(?P<cur>[¥￥$€£]|RMB|CNY|USD)\s?(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"
    r"|(?:(?P<b>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?:元|块|yuan\b))"
)
_THRESHOLD = re.compile(r"(?:满|over\s|spend\s)\s?[¥￥$]?(\d+(?:\.\d+)?)", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(个?小时|天|日|分钟|周|hours?|days?|minutes?|weeks?)", re.IGNORECASE)
_COUNT = re.compile(r"(\d+)\s*(次|times)", re.IGNORECASE)
_DATE = re.compile(r"(?<!\d)(?:(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}月\d{1,2}[日号])(?!\d)")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])")
_TRACKING = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2,4}\d{9,16})(?![0-9])")
_EXCEPTION = re.compile(
    r"((?:[a-z_][\w$]*\.)*[A-Z]\w*(?:Exception|Error))\b|\b(EXC_[A-Z_]+|SIG(?:SEGV|ABRT|BUS|ILL|KILL|TRAP|FPE)|ANR)\b"
)
_FRAME = re.compile(r"^\s*(?:at\s+|\d+\s+\S+\s+)?([\w$.]+?\.[A-Z]\w*(?:\.[\w$<>]+)?)\s*\(")
_IOS_FRAME = re.compile(r"^\s*\d+\s+(\S+)\s+(?:0x[0-9a-fA-F]+\s+)?([A-Z][A-Za-z0-9_]+)")
_SYSTEM_MODULES = (
    "UIKit",
    "CoreFoundation",
    "Foundation",
    "libobjc",
    "libsystem",
    "libdispatch",
    "GraphicsServices",
)
_FRAMEWORK_PACKAGES = (
    "android.",
    "java.",
    "javax.",
    "kotlin.",
    "kotlinx.",
    "dalvik.",
    "com.android.",
    "androidx.",
)
_VERSION = re.compile(r"(?:version|版本|app_version|versionName|v)[\"':：=\s]*v?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)
# Quota used/limit: "已用 9.8GB / 10GB", "今日剩余次数 0/5", "used 480 of 500 MB".
_QUOTA = re.compile(
    r"(?:已用|已使用|用量|使用|剩余|额度|次数|配额|quota|used|usage|storage)[^\d\n]{0,12}?"
    r"(\d+(?:\.\d+)?)\s*([A-Za-z%]{0,3})\s*(?:/|of|／)\s*(\d+(?:\.\d+)?)\s*([A-Za-z%]{0,3})",
    re.IGNORECASE,
)
_STATUS_KEYS = ("状态", "status")
# A headline is a status when it says where something stands, not when it is a logo or a page title.
_STATUS_WORDS = re.compile(
    r"^待|中$|已|失败|成功|冻结|驳回|关闭|完成|取消|过期|异常|拒绝|通过|pending|failed|success|shipped|delivered|"
    r"cancel|processing|awaiting|complete|rejected|approved|refunded|frozen|locked|expired|declined",
    re.IGNORECASE,
)

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


@dataclass(frozen=True)
class Fields:
    order_ids: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    durations: tuple[tuple[float, str, str], ...] = ()  # (value, unit, sentence)
    counts: tuple[tuple[int, str], ...] = ()
    tracking_numbers: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    top_frame: str | None = None
    classes: tuple[str, ...] = ()  # the app's own classes in the top frames of a crash
    versions: tuple[str, ...] = ()
    quotas: tuple[tuple[float, float, str], ...] = ()  # (used, limit, unit)
    pii_kinds: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    # Structure for arithmetic (answering/relations.py); kept out of as_dict so the shown fields stay as they were.
    stamps: tuple[Stamp, ...] = ()
    percents: tuple[tuple[float, str], ...] = ()  # (value, text) outside the status bar
    sizes: tuple[tuple[float, str, str], ...] = ()  # (value, "MB", text)
    line_items: tuple[LineItem, ...] = ()
    charges: tuple[Charge, ...] = ()
    offers: tuple[Offer, ...] = ()
    tallies: tuple[tuple[Decimal, str], ...] = ()  # (3900, "积分"): a bare number and its label

    def amount(self, role: str) -> Amount | None:
        return next((a for a in self.amounts if a.role == role), None)

    @property
    def keys(self) -> list[str]:
        """Strings to look up verbatim in the knowledge base."""
        short = [e.rsplit(".", 1)[-1] for e in self.exceptions]
        return list(dict.fromkeys([*self.codes, *short, *self.classes]))

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        for name in _STRUCTURE:
            data.pop(name)
        data["amounts"] = [{"value": str(a.value), "shown": a.shown, "role": a.role} for a in self.amounts]
        return _masked(data)


def _masked(value: object) -> object:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _role(before: str) -> str | None:
    best: tuple[int, str] | None = None
    for role, pattern in _ROLES:
        for m in pattern.finditer(before):
            if best is None or m.end() > best[0]:
                best = (m.end(), role)
    return best[1] if best else None


def extract_fields(perception: Perception) -> Fields:
    texts = [block.text for block in perception.blocks]
    pair_texts = [f"{k}：{v}" for k, v in perception.pairs]
    order_ids: list[str] = []
    for text in [*pair_texts, *texts]:
        for label in _ORDER_LABEL.finditer(text):
            m = _LONG_NUMBER.search(text, label.end())
            if m and m.start() - label.end() <= 4:
                order_ids.append(m.group(1))
    amounts: list[Amount] = []
    # An amount that starts a paragraph often has its label at the end of the one before it.
    joined_pairs = [f"{before[-24:]}{text}" for before, text in pairwise(texts) if _AMOUNT.match(text)]
    for text in [*pair_texts, *joined_pairs, *texts]:
        for clause in re.split(r"[，,。；;！!]\s*(?!\d{3})", text):
            for m in _AMOUNT.finditer(clause):
                value = _decimal(m.group("a") or m.group("b"))
                if value is not None:
                    amounts.append(Amount(value, m.group(0), _role(clause[: m.start()]), clause))
            for m in _THRESHOLD.finditer(clause):
                value = _decimal(m.group(1))
                if value is not None:
                    amounts.append(Amount(value, m.group(0), "threshold", clause))
    joined = "\n".join(texts)
    exceptions = list(dict.fromkeys(m.group(1) or m.group(2) for m in _EXCEPTION.finditer(joined)))
    # Frames line by line: OCR lines are finer than paragraphs, and a frame starts a line.
    top_frame, classes = _app_frames([line.text for line in perception.lines]) if exceptions else (None, [])
    statuses = [v for k, v in perception.pairs if any(s in k.lower() for s in _STATUS_KEYS)]
    statuses += _headline_statuses(perception)
    return Fields(
        order_ids=tuple(dict.fromkeys(order_ids)),
        amounts=tuple(_unique_amounts(amounts)),
        codes=tuple(dict.fromkeys(_normalise_code(m.group(1)) for m in _CODE.finditer(joined))),
        statuses=tuple(dict.fromkeys(statuses)),
        dates=tuple(dict.fromkeys(m.group(0) for m in _DATE.finditer(joined))),
        times=tuple(dict.fromkeys(f"{int(m.group(1)):02d}:{m.group(2)}" for t in texts[1:] for m in _TIME.finditer(t))),
        durations=tuple(
            (float(m.group(1)), _unit(m.group(2)), text) for text in texts for m in _DURATION.finditer(text)
        ),
        counts=tuple((int(m.group(1)), text) for text in texts for m in _COUNT.finditer(text)),
        tracking_numbers=tuple(dict.fromkeys(m.group(1) for m in _TRACKING.finditer(joined))),
        exceptions=tuple(exceptions),
        top_frame=top_frame,
        classes=tuple(classes),
        versions=tuple(dict.fromkeys(m.group(1) for m in _VERSION.finditer(joined))),
        quotas=tuple((float(m.group(1)), float(m.group(3)), m.group(4) or m.group(2)) for m in _QUOTA.finditer(joined)),
        pii_kinds=tuple(sorted({m.kind for t in texts for m in find_pii(t)})),
        **structure(perception),
    )


def _app_frames(texts: list[str]) -> tuple[str | None, list[str]]:
    """The first stack frame in the app's own code, and the app classes of the first few frames."""
    top: str | None = None
    classes: list[str] = []
    for text in texts:
        m = _FRAME.match(text)
        if m and not m.group(1).startswith(_FRAMEWORK_PACKAGES):
            top = top or m.group(1)
            name = next((part for part in reversed(m.group(1).split(".")) if part[:1].isupper()), None)
            if name:
                classes.append(name.split("$")[0])
        ios = _IOS_FRAME.match(text)
        if ios and not ios.group(1).startswith(_SYSTEM_MODULES):
            top = top or f"{ios.group(1)} {ios.group(2)}"
            classes.append(ios.group(2))
    return top, list(dict.fromkeys(classes))[:3]


def _normalise_code(code: str) -> str:
    # A JSON body's `"errno": 501` is the code errno: 501, without the quote the pattern let through.
    return re.sub(r"\s+", " ", code.replace("：", ":").replace('"', "").replace("'", "")).strip()


def _unit(unit: str) -> str:
    unit = unit.lower()
    if "小时" in unit or unit.startswith("hour"):
        return "hour"
    if unit in ("天", "日") or unit.startswith("day"):
        return "day"
    if "分钟" in unit or unit.startswith("minute"):
        return "minute"
    return "week"


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


def _headline_statuses(perception: Perception) -> list[str]:
    """Big short lines near the top, the first line of a coloured status block, or dialog titles:
    "待补充地址", "Awaiting address", "支付失败" — when they say where something stands."""
    if not perception.lines:
        return []
    heights = sorted(line.height for line in perception.lines)
    median = heights[len(heights) // 2]
    below_title = [line for line in perception.lines if line.box[1] > perception.height * 0.09]
    first_warning = next((line for line in below_title if "warning" in line.cues), None)
    out = []
    for line in perception.lines:
        text = line.text.strip()
        big = line.height >= 1.2 * median or line is first_warning
        near_top = perception.height * 0.03 < line.box[1] < perception.height * 0.45
        dialog_title = "dialog" in line.cues and big
        short = len(text) <= 12 or (text.isascii() and len(text.split()) <= 4)
        if (
            big
            and (near_top or dialog_title)
            and short
            and len(text) >= 2
            and not re.search(r"\d", text)
            and _STATUS_WORDS.search(text)
            and not _in_a_row_of_tabs(line, perception.lines)
        ):
            out.append(text)
    return out


def _in_a_row_of_tabs(line: OcrLine, lines: tuple[OcrLine, ...]) -> bool:
    """A tab bar or menu ("全部 待付款 待收货 已完成") names every status, not the one this screen is in."""
    middle = (line.box[1] + line.box[3]) / 2
    beside = [other for other in lines if other is not line and other.box[1] <= middle <= other.box[3]]
    return len(beside) >= 2


# --------------------------------------------------------------------------------------------- structure for arithmetic

_STRUCTURE = ("stamps", "percents", "sizes", "line_items", "charges", "offers", "tallies")
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MARK = "¥￥$€£"
# Dates with an optional time; OCR often glues the day to the hour ("2023-05-1816:06:03").
_YMD = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
_DMY = re.compile(
    r"(?<![\d-])(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>(?:19|20)\d{2})"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
_NOTE = re.compile(r"^\s*[(（][^)）]*[)）]\s*")  # "(Included in price) $1.85"
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?([KMGT]B)\b", re.IGNORECASE)
_PRICE_BLOCK = re.compile(rf"^[-−]?\s*[{_MARK}]\s?({_NUM})\s*(?:[x×X*]\s*(\d{{1,3}}))?$")
_TRAILING_QTY = re.compile(r"[x×X*]\s*(\d{1,3})\s*$")
_TABLE_HEAD = re.compile(r"unit\s*price|单价|^qty$|^quantity$|^数量$", re.IGNORECASE)
_HEADER_CELL = re.compile(
    r"^(?:items?|(?:unit\s*)?price|qty|quantity|total|subtotal|amount|商品|单价|数量|金额|小计)$", re.IGNORECASE
)
_MINIMUM = re.compile(
    rf"(?:满|at\s+least|minimum(?:\s+(?:order|spend|of))*|min\.?\s+spend|orders?\s+over|spend(?:\s+over)?|over)"
    rf"\s*[{_MARK}]?\s*({_NUM})|[{_MARK}]\s?({_NUM})\s*(?:or\s+more|and\s+(?:above|over)|以上)",
    re.IGNORECASE,
)
_TAKE_OFF = re.compile(
    rf"(?:立减|减|省|save|minus)\s*[{_MARK}]?\s*({_NUM})|[{_MARK}]\s?({_NUM})\s*off\b|({_NUM})\s*元\s*(?:券|off)",
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
class Stamp:
    """A date (and time) printed on the screen, with the label before it and the record it heads."""

    text: str  # as printed
    when: datetime
    family: str  # ymd or dmy: how the screen writes dates
    has_time: bool
    label: str  # "Submitted at", "" when the stamp stands alone
    block: int
    record: str  # this block and the following ones up to the next stamp (one record of a list)


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
        percent = _decimal(pct.group(1)) if pct.group(1) else (10 - Decimal(pct.group(2))) * 10
    minimum = _decimal(low.group(1) or low.group(2)) if low else None
    value = _decimal(next(g for g in off.groups() if g)) if off else None
    return minimum, value, percent


def structure(perception: Perception) -> dict[str, object]:
    texts = [block.text for block in perception.blocks]
    items = _line_items(texts)
    # A promotion with its own value printed among an item's notes ("满2000减200" under a phone) is that item's.
    notes = [f"{item.name}\n{item.notes}" for item in items]
    offers = [replace_on_item(o, own and any(o.text in n for n in notes)) for o, own in _offers(texts)]
    top = perception.height * 0.04  # the status bar's battery percentage is not the page's
    content = [b.text for b in perception.blocks if b.box[1] > top and not re.search(r"[KM]B?/s", b.text)]
    return {
        "stamps": tuple(_stamps(texts)),
        "percents": tuple((float(m.group(1)), t) for t in content for m in _PERCENT.finditer(t)),
        "sizes": tuple((float(m.group(1)), m.group(2).upper(), t) for t in texts for m in _SIZE.finditer(t)),
        "line_items": tuple(items),
        "charges": tuple(_charges(texts)),
        "offers": tuple(offers),
        "tallies": tuple(_tallies(perception)),
    }


def replace_on_item(offer: Offer, on_item: bool) -> Offer:
    return Offer(offer.minimum, offer.value, offer.percent, offer.text, offer.block, on_item)


def _stamps(texts: list[str]) -> list[Stamp]:
    found: list[tuple[int, re.Match[str], str]] = []
    for i, text in enumerate(texts):
        spans: list[tuple[int, int]] = []
        for family, pattern in (("ymd", _YMD), ("dmy", _DMY)):
            for m in pattern.finditer(text):
                if not any(a < m.end() and m.start() < b for a, b in spans):
                    spans.append(m.span())
                    found.append((i, m, family))
    out = []
    for n, (i, m, family) in enumerate(found):
        when = _when(m)
        if when is None:
            continue
        label = re.sub(r"[:：\s]+$", "", m.string[: m.start()])[-24:].strip()
        if not label and i > 0 and re.search(r"(?:时间|日期|time|date|\bat|\bon|[:：])\s*$", texts[i - 1], re.I):
            label = texts[i - 1].rstrip(":： ")
        end = found[n + 1][0] if n + 1 < len(found) else len(texts)
        record = "\n".join(texts[i : max(end, i + 1)])
        out.append(Stamp(m.group(0), when, family, bool(m.group("H")), label, i, record))
    return out


def _when(m: re.Match[str]) -> datetime | None:
    try:
        return datetime(
            int(m.group("y")),
            int(m.group("m")),
            int(m.group("d")),
            int(m.group("H") or 0),
            int(m.group("M") or 0),
            int(m.group("S") or 0),
        )
    except ValueError:
        return None


def _line_items(texts: list[str]) -> list[LineItem]:
    """Rows of goods: a name, notes under it, then the price (and, under a table head, the line price)."""
    table = any(_TABLE_HEAD.search(t) for t in texts)
    out: list[LineItem] = []
    start = 0  # the first block after the previous row, bill line, table head or date
    i = 0
    while i < len(texts):
        m = _PRICE_BLOCK.match(texts[i].strip())
        label_before = i > 0 and (texts[i - 1].rstrip().endswith((":", "：")) or _is_label(texts[i - 1]))
        if not m or label_before or i == start:
            boundary = m or _is_label(texts[i]) or _HEADER_CELL.match(texts[i].strip()) or _YMD.search(texts[i])
            start = i + 1 if boundary else start
            i += 1
            continue
        notes = [t for t in texts[max(start, i - 4) : i] if not (len(t) <= 6 and _STATUS_WORDS.search(t))] or [""]
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
    value = _decimal(m.group(1)) or Decimal(0)
    return Amount(value, m.group(0).split("x")[0].split("×")[0].strip(), None, m.string)


def _charge_kind(label: str) -> str | None:
    return next((kind for kind, pattern in _CHARGE_KINDS if pattern.search(label[-30:])), None)


def _charges(texts: list[str]) -> list[Charge]:
    """Labelled bill lines, from "Label: $x" in one block or a label block followed by its amount block."""
    joined = [
        f"{before} {text}" if _AMOUNT.search(_NOTE.sub("", text)[:16]) and _is_label(before.rstrip(":：")) else text
        for before, text in pairwise(["", *texts])
    ]
    out: list[Charge] = []
    for text in joined:
        last = 0
        for m in _AMOUNT.finditer(text):
            label = text[last : m.start()]
            last = m.end()
            negative = bool(re.search(r"[-−]\s*$", label))
            label = re.sub(r"[\s:：,，\-−]+$", "", label).strip()
            included = bool(re.search(r"includ|incl\.|已含|含税|包含", label, re.I))
            label = re.sub(r"[\s:：]*[(（][^)）]*[)）]\s*", " ", label).strip()  # "(Included in price)" said above
            kind = _charge_kind(label) if label and not re.search(r"(满|减|at least|over)$", label, re.I) else None
            value = _decimal(m.group("a") or m.group("b"))
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
            value = _decimal(face.group(1)) if face else None
        out.append((Offer(minimum, value, percent, text, i), own))
    return out


def _tallies(perception: Perception) -> list[tuple[Decimal, str]]:
    """Bare numbers with their label: "积分：3900", or a number printed just above its label in a column."""
    bare = re.compile(rf"^({_NUM})$")
    out: list[tuple[Decimal, str]] = []
    for key, value in perception.pairs:
        m = bare.match(value.strip())
        if m and not re.search(r"\d", key):
            out.append((_decimal(m.group(1)) or Decimal(0), key.strip()))
    blocks = perception.blocks
    for i, block in enumerate(blocks):
        m = bare.match(block.text.strip())
        if not m:
            continue
        x0, _, x1, y1 = block.box
        for other in blocks[i + 1 : i + 5]:
            ox0, oy0, ox1, _ = other.box
            near = 0 <= oy0 - y1 <= 2 * (y1 - block.box[1]) and min(x1, ox1) > max(x0, ox0)
            if near and len(other.text) <= 8 and not re.search(r"\d", other.text):
                out.append((_decimal(m.group(1)) or Decimal(0), other.text.strip()))
                break
    return out
