"""Among passages that differ by a threshold in their heading ("超过 3 天" vs "超过 7 天", "more than 6 days"), the
one whose threshold the observed duration has passed is the one that applies: the duration shown on the screen
or stated by the customer ("两个星期了", "for 3 days").
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..knowledge import Hit
from ..perception.fields import Fields

# A duration in a heading ("超过 3 天未更新", "物流 2 天没有更新", "not updated for more than 6 days").
_THRESHOLD = re.compile(r"(\d+)\s*(个)?\s*(小时|工作日|天|日|周|hours?|business days?|days?|weeks?)", re.I)
THRESHOLD_LIFT = 2.0  # the passage whose threshold the observed duration passed, over its siblings


def _hours(value: float, unit: str) -> float:
    unit = unit.lower()
    if unit in ("天", "日", "工作日") or unit.startswith(("day", "business")):
        return value * 24
    if unit in ("周",) or unit.startswith("week"):
        return value * 24 * 7
    if unit in ("minute",):
        return value / 60
    return value


_SAID_DURATION = re.compile(
    r"(\d+|[一二两三四五六七八九十]+)\s*(?:个)?\s*(小时|天|日|工作日|周|星期|礼拜|hours?|days?|business days?|weeks?)",
    re.I,
)


_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def said_hours(text: str) -> list[float]:
    """Durations a customer states ("两个星期了", "for 3 days"), in hours."""
    out = []
    for m in _SAID_DURATION.finditer(text):
        number, unit = m.group(1), m.group(2).lower()
        value = float(number) if number.isdigit() else float(sum(_NUMERALS.get(ch, 0) for ch in number) or 0)
        if unit in ("星期", "礼拜"):
            unit = "周"
        out.append(_hours(value, unit))
    return out


def apply_thresholds(hits: list[Hit], fields: Fields | None, question: str = "") -> list[Hit]:
    durations = fields.durations if fields else ()
    shown = [_hours(value, unit) for value, unit, _ in durations if unit in ("day", "hour", "week")]
    observed = max([*shown, *said_hours(question)], default=0.0)
    if not observed:
        return hits
    top = hits[:5]
    thresholds: dict[int, float] = {}
    for index, hit in enumerate(top):
        m = _THRESHOLD.search(hit.passage.heading)
        if m:
            thresholds[index] = _hours(float(m.group(1)), m.group(3))
    if not thresholds:
        return hits
    passed = {i: t for i, t in thresholds.items() if t <= observed}
    if not passed:
        return hits
    best = max(passed, key=lambda i: passed[i])
    not_reached = {i for i, t in thresholds.items() if t > observed}
    # Scores move with the order: the answer is picked by score among the first few, not by rank alone.
    lifted = replace(top[best], score=top[best].score * THRESHOLD_LIFT, focus=top[best].focus * THRESHOLD_LIFT)
    ordered = [lifted] + [h for i, h in enumerate(top) if i != best and i not in not_reached]
    ordered += [replace(top[i], score=top[i].score / THRESHOLD_LIFT) for i in sorted(not_reached)]
    return ordered + hits[5:]
