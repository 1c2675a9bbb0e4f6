"""Facts a support agent copies out of a screenshot: ids, amounts and what they are, codes, statuses,
dates, durations, counts, tracking numbers, exceptions with their top frame, versions."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from ..safety import find_pii, mask_pii
from .types import Perception

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

    def amount(self, role: str) -> Amount | None:
        return next((a for a in self.amounts if a.role == role), None)

    @property
    def keys(self) -> list[str]:
        """Strings to look up verbatim in the knowledge base."""
        short = [e.rsplit(".", 1)[-1] for e in self.exceptions]
        return list(dict.fromkeys([*self.codes, *short, *self.classes]))

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
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
        ):
            out.append(text)
    return out
