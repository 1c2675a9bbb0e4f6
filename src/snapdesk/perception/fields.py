"""Facts a support agent copies out of a screenshot: ids, amounts and what they are, codes, statuses,
dates, durations, counts, tracking numbers, exceptions with their top frame, versions.

The public entry: `Fields` and `extract_fields`. Amounts live in amounts.py, statuses in statuses.py, crash
frames in crash.py and the structure for arithmetic (stamps, line items, bill lines, offers) in structure.py,
stamps.py and bills.py; the names other modules import from here are re-exported."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from ..safety import find_pii, mask_pii
from .amounts import Amount, amounts
from .bills import Charge, LineItem, Offer, offer_terms
from .crash import app_frames, exceptions
from .stamps import Stamp
from .statuses import statuses
from .structure import STRUCTURE, structure
from .types import Perception

__all__ = ["Amount", "Charge", "Fields", "LineItem", "Offer", "Stamp", "extract_fields", "offer_terms"]

_ORDER_LABEL = re.compile(r"订单编号|订单号|单号|order\s*(?:no\.?|number|id|#)", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{10,24})(?!\d)")
_CODE = re.compile(
    r"(?<![A-Za-z0-9_])((?:[A-Z]{1,8}[_-]\d{2,6})|(?:HTTP\s?[45]\d{2})|(?:errno[\"']?\s*[:：]\s*\d{3,5})|(?:0x[0-9A-Fa-f]{8}))(?![A-Za-z0-9])"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(个?小时|天|日|分钟|周|hours?|days?|minutes?|weeks?)", re.IGNORECASE)
_COUNT = re.compile(r"(\d+)\s*(次|times)", re.IGNORECASE)
_DATE = re.compile(r"(?<!\d)(?:(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}月\d{1,2}[日号])(?!\d)")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])")
_TRACKING = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2,4}\d{9,16})(?![0-9])")
_VERSION = re.compile(r"(?:version|版本|app_version|versionName|v)[\"':：=\s]*v?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)
# Quota used/limit: "已用 9.8GB / 10GB", "今日剩余次数 0/5", "used 480 of 500 MB".
_QUOTA = re.compile(
    r"(?:已用|已使用|用量|使用|剩余|额度|次数|配额|quota|used|usage|storage)[^\d\n]{0,12}?"
    r"(\d+(?:\.\d+)?)\s*([A-Za-z%]{0,3})\s*(?:/|of|／)\s*(\d+(?:\.\d+)?)\s*([A-Za-z%]{0,3})",
    re.IGNORECASE,
)


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
        for name in STRUCTURE:
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


def extract_fields(perception: Perception) -> Fields:
    texts = [block.text for block in perception.blocks]
    pair_texts = [f"{k}：{v}" for k, v in perception.pairs]
    joined = "\n".join(texts)
    named = exceptions(joined)
    # Frames line by line: OCR lines are finer than paragraphs, and a frame starts a line.
    top_frame, classes = app_frames([line.text for line in perception.lines]) if named else (None, [])
    return Fields(
        order_ids=tuple(dict.fromkeys(_order_ids([*pair_texts, *texts]))),
        amounts=tuple(amounts(texts, pair_texts)),
        codes=tuple(dict.fromkeys(_normalise_code(m.group(1)) for m in _CODE.finditer(joined))),
        statuses=tuple(dict.fromkeys(statuses(perception))),
        dates=tuple(dict.fromkeys(m.group(0) for m in _DATE.finditer(joined))),
        times=tuple(dict.fromkeys(f"{int(m.group(1)):02d}:{m.group(2)}" for t in texts[1:] for m in _TIME.finditer(t))),
        durations=tuple(
            (float(m.group(1)), _unit(m.group(2)), text) for text in texts for m in _DURATION.finditer(text)
        ),
        counts=tuple((int(m.group(1)), text) for text in texts for m in _COUNT.finditer(text)),
        tracking_numbers=tuple(dict.fromkeys(m.group(1) for m in _TRACKING.finditer(joined))),
        exceptions=tuple(named),
        top_frame=top_frame,
        classes=tuple(classes),
        versions=tuple(dict.fromkeys(m.group(1) for m in _VERSION.finditer(joined))),
        quotas=tuple((float(m.group(1)), float(m.group(3)), m.group(4) or m.group(2)) for m in _QUOTA.finditer(joined)),
        pii_kinds=tuple(sorted({m.kind for t in texts for m in find_pii(t)})),
        **structure(perception),
    )


def _order_ids(texts: list[str]) -> list[str]:
    """Long numbers right after an order label ("订单编号：2024…", "Order no. 1234…")."""
    out: list[str] = []
    for text in texts:
        for label in _ORDER_LABEL.finditer(text):
            m = _LONG_NUMBER.search(text, label.end())
            if m and m.start() - label.end() <= 4:
                out.append(m.group(1))
    return out


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
