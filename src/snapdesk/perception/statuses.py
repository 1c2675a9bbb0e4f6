"""Where something stands, as the screen says it: a "状态：已发货" pair, or a big short headline near the top
("待补充地址", "Awaiting address", "支付失败"), a coloured status block's first line, a dialog's title."""

from __future__ import annotations

import re

from .types import OcrLine, Perception

_STATUS_KEYS = ("状态", "status")
# A headline is a status when it says where something stands, not when it is a logo or a page title.
STATUS_WORDS = re.compile(
    r"^待|中$|已|失败|成功|冻结|驳回|关闭|完成|取消|过期|异常|拒绝|通过|pending|failed|success|shipped|delivered|"
    r"cancel|processing|awaiting|complete|rejected|approved|refunded|frozen|locked|expired|declined",
    re.IGNORECASE,
)


def statuses(perception: Perception) -> list[str]:
    """Statuses from labelled pairs first, then from headlines."""
    found = [v for k, v in perception.pairs if any(s in k.lower() for s in _STATUS_KEYS)]
    return found + _headline_statuses(perception)


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
            and STATUS_WORDS.search(text)
            and not _in_a_row_of_tabs(line, perception.lines)
        ):
            out.append(text)
    return out


def _in_a_row_of_tabs(line: OcrLine, lines: tuple[OcrLine, ...]) -> bool:
    """A tab bar or menu ("全部 待付款 待收货 已完成") names every status, not the one this screen is in."""
    middle = (line.box[1] + line.box[3]) / 2
    beside = [other for other in lines if other is not line and other.box[1] <= middle <= other.box[3]]
    return len(beside) >= 2
