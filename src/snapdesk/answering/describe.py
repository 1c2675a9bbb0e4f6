"""What the screenshot shows that matters, in a sentence or two, in the customer's language."""

from __future__ import annotations

import re

from ..knowledge.text import tokens
from ..perception import Perception
from ..perception.fields import Fields
from ..safety import mask_pii
from .extract import WANTS
from .grounding import customer_messages, has_problem_words, salient_texts
from .question import Question

_EVENT = re.compile(r"【[^】]+】|已到达|已发出|揽收|派送|签收|arrived|departed|out for delivery|picked up", re.I)
_AMOUNT_ONLY = re.compile(r"^[¥￥$€£]?\s?[\d,.]+$")
_PROMISE = re.compile(r"预计|预期|将于|expected|estimated|by \w+ \d", re.I)
# A question about money ("钱什么时候退回来", "where's my money") is about the amount the screen shows too.
_MONEY = re.compile(r"钱|金额|\b(?:money|amount)\b", re.I)
_COUPON_NAME = re.compile(r"^(?!选择|使用|可用|不可用|优惠券$).{2,}券|coupon|voucher", re.I)


def _clip(text: str, limit: int) -> str:
    text = mask_pii(text.strip())  # before clipping, so a cut-off phone number is not left half shown
    return text if len(text) <= limit else text[: limit - 1] + "…"


def latest_event(perception: Perception) -> str | None:
    for block in perception.blocks:
        if _EVENT.search(block.text) and not has_problem_words(block.text):
            return block.text
    return None


def facts(perception: Perception | None, fields: Fields | None, *, intent: str, language: str) -> list[str]:
    """Short statements of what was read, most important first. Never an instruction found in the image."""
    if perception is None or fields is None:
        return []
    zh = language == "zh"
    salient = set(salient_texts(perception))
    out: list[str] = []
    used: list[str] = []

    def add(text: str) -> None:
        out.append(mask_pii(text))

    if fields.order_ids and intent in ("order_status", "complaint", "payment_failure", "refund", "logistics"):
        order = fields.order_ids[0]
        status = fields.statuses[0] if fields.statuses else None
        if status and intent == "order_status":
            add(f"您的订单（{order}）当前状态为「{status}」" if zh else f"Your order {order} is in status “{status}”")
            used.append(status)
        else:
            add(f"订单号 {order}" if zh else f"order {order}")
    elif fields.statuses and intent not in ("app_crash", "other"):
        status = fields.statuses[0]
        add(f"当前状态为「{status}」" if zh else f"the status shown is “{status}”")
        used.append(status)
    # The amount of its role, or the only amount the screen shows: a return page's one figure is what comes back.
    only = fields.amounts[0] if len(fields.amounts) == 1 else None
    key_amount = fields.amount("refund" if intent == "refund" else "due") or only
    if key_amount and intent in ("order_status", "refund", "payment_failure"):
        label = {"refund": ("退款金额", "refund amount")}.get(key_amount.role or "", ("金额", "amount"))
        add(f"{label[0]} {key_amount.shown}" if zh else f"{label[1]} {key_amount.shown}")
        used.append(key_amount.shown)
    if fields.exceptions:
        exception = fields.exceptions[0]
        where = f"，位置 {fields.top_frame}" if zh else f" at {fields.top_frame}"
        add(
            f"崩溃日志中的异常为 {exception}{where if fields.top_frame else ''}"
            if zh
            else f"the crash log shows {exception}{where if fields.top_frame else ''}"
        )
        if fields.versions:
            add(f"App 版本 {fields.versions[0]}" if zh else f"app version {fields.versions[0]}")
    if intent == "complaint" or perception.screen == "chat":
        quotes = customer_messages(perception)[:2]
        if quotes:
            joined = "；".join(_clip(q, 40) for q in quotes)
            add(f"客户反映：“{joined}”" if zh else f"the customer wrote: “{joined}”")
            used.extend(quotes)
    if intent == "coupon" and salient:
        name = next(
            (
                b.text
                for b in perception.blocks
                if _COUPON_NAME.search(b.text) and len(b.text) >= 4 and b.box[1] > perception.height * 0.15
            ),
            None,
        )
        if name:
            add(f"优惠券“{_clip(name, 30)}”不可用" if zh else f"the coupon “{_clip(name, 40)}” cannot be used")
            used.append(name)
    for block in perception.blocks:  # promised dates: "预计 2026-03-26 前原路退回"
        if _PROMISE.search(block.text) and re.search(r"\d", block.text) and len(out) < 3:
            add(f"页面显示“{_clip(block.text, 40)}”" if zh else f"the page says “{_clip(block.text, 60)}”")
            used.append(block.text)
            break
    stressed = 0
    # Stressed lines that state a problem first, then the others, each group in reading order.
    ranked = sorted(perception.blocks, key=lambda block: not has_problem_words(block.text))
    for block in ranked if not fields.exceptions else ():
        text = block.text
        if stressed >= 2 or text not in salient or any(text in u for u in used):
            continue
        if _AMOUNT_ONLY.match(text) or not (has_problem_words(text) or re.search(r"\d", text)):
            continue  # a stressed line that states no problem and no figure is a title, a tab or a button
        if block.box[1] > perception.height * 0.9 and len(text) <= 8:
            continue  # a button in the bottom bar
        used.append(text)
        stressed += 1
        add(f"截图提示“{_clip(text, 60)}”" if zh else f"the screen says “{_clip(text, 80)}”")
    if perception.screen == "tracking" or intent == "logistics":
        event = latest_event(perception)
        if event and not any(event in u for u in used):
            add(f"最新物流记录：{_clip(event, 40)}" if zh else f"latest tracking event: {_clip(event, 60)}")
    if fields.codes and not any(code in " ".join(out) for code in fields.codes):
        add(f"错误码 {fields.codes[0]}" if zh else f"error code {fields.codes[0]}")
    return out


def rank_facts(items: list[str], question: Question) -> list[tuple[str, float]]:
    """Each fact with how much it bears on what was asked, most first: sharing the question's words, holding
    what its kind wants (a date for "when", an amount for "how much"), stating a problem. `facts` puts the
    case's identity first (the order number and status), which keeps it near the top."""

    about_money = _MONEY.search(question.text) is not None

    def weight(index: int, item: str) -> float:
        shared = len(set(question.terms) & set(tokens(item)))
        wanted = sum(1 for kind in question.asks if kind in WANTS and WANTS[kind].search(item))
        wanted += about_money and WANTS["amount"].search(item) is not None  # "when is my money back": how much
        return shared + wanted + 0.5 * has_problem_words(item) + (0.75 if index == 0 else 0.0)

    weighted = [(item, weight(index, item)) for index, item in enumerate(items)]
    return sorted(weighted, key=lambda pair: -pair[1])
