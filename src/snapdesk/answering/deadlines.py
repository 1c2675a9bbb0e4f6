"""Time and progress: the deadline a timestamp on the screen plus a duration from a passage (or the
question) gives, and what is left of a download from its percentage and size."""

from __future__ import annotations

import re
from decimal import Decimal

from .arithmetic import DURATION, choose, overlap, rule_of, tokens
from .figures import NUMBER, duration_text, later, plain, readable, stamp_text
from .relation_types import Case, Found, Relation

_N = NUMBER.pattern
_ALREADY_A_DEADLINE = re.compile(r"至|到期|截止|有效期|until|expir|valid|due|deadline", re.I)
_SIZE_LABEL = re.compile(r"大小|size|下载|download|安装包|package|文件|file|更新|update|版本|version", re.I)


def deadline(case: Case) -> list[Found | None]:
    """A timestamp on the screen + a duration from a passage or the question = the deadline."""
    stamps = [s for s in case.fields.stamps if not _ALREADY_A_DEADLINE.search(s.label)]
    pick = choose(case.question, [s.record for s in stamps]) if stamps else None
    if pick is None:
        return []
    stamp = stamps[pick]
    context = tokens(f"{case.question}\n{stamp.record}")
    label = tokens(stamp.label)
    asked = [rule_of(case.question, -1, -1)] if DURATION.search(case.question) else []
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


def remaining(case: Case) -> list[Found | None]:
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
