"""Dates (and times) printed on a screen, each with the label before it and the record it heads: one entry
of an order list, a request's "Submitted at". OCR often glues the day to the hour ("2023-05-1816:06:03")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Dates with an optional time; OCR often glues the day to the hour ("2023-05-1816:06:03").
YMD = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
_DMY = re.compile(
    r"(?<![\d-])(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>(?:19|20)\d{2})"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
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


def stamps(texts: list[str]) -> list[Stamp]:
    found: list[tuple[int, re.Match[str], str]] = []
    for i, text in enumerate(texts):
        spans: list[tuple[int, int]] = []
        for family, pattern in (("ymd", YMD), ("dmy", _DMY)):
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
