"""Handing a case to people: who takes it (the passage's team, its article's, or the business's complaint and
contact passage), what they will need (the order number), when and how the customer hears back, and the
business's own fallback when nothing fits.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..answering.extract import rank_units
from ..answering.question import Question
from ..knowledge import Passage, QueryPart
from ..knowledge.loader import DEFAULT_FALLBACK
from ..knowledge.text import detect_language, in_language
from .base import Case
from .compose import Composer

# Generic words of complaint handling and contact: they find the business's own passage on it, whose team,
# channel and hours an upset customer or one asking for a person is told.
COMPLAINT_QUERY = "投诉 不满 主管 处理结果 complaint unhappy manager supervisor"
CONTACT_QUERY = "联系客服 人工客服 在线客服 服务时间 电话 contact us live chat phone hours support agent"
# The heading of such a passage says so (a passage that merely mentions 转人工 is about something else).
_CARE_HEADING = re.compile(
    r"投诉|客服|人工|联系|complain|contact|customer care|support|manager|supervisor|person|human|agent", re.I
)


def hand_over(composer: Composer, case: Case, owner: Passage | None, lead: Passage | None, team: str | None) -> None:
    """Who takes the case, the order number they will need, and when and how the customer will hear back."""
    zh = composer.zh
    composer.add(handover_sentence(team, zh) if team else to_a_person(zh))
    composer.add_sentence(_case_ids(case, zh), optional=True)
    if owner is not None and owner is not lead:
        composer.add_units(rank_units(owner, _reply_time_question(case.understood)), limit=2)


def owner_of(case: Case, lead: Passage | None, care: Passage | None) -> Passage | None:
    """The passage whose team takes the case: the lead's own; else one of the same article that hands over
    (its topic's team); else the business's complaint and contact passage."""
    if lead is not None and lead.escalate_to:
        return lead
    if lead is not None:
        ranked = [h.passage for h in case.hits] + list(case.knowledge.passages)
        same = next((p for p in ranked if p.source == lead.source and p.escalate_to), None)
        if same is not None:
            return same
    return care


def _case_ids(case: Case, zh: bool) -> list[str]:
    """What the person taking over will need first: the order number the screen shows."""
    if case.fields is None or not case.fields.order_ids:
        return []
    order = case.fields.order_ids[0]
    return [f"订单号 {order}" if zh else f"order {order}"]


def care_passage(case: Case) -> Passage | None:
    """The business's passage on complaints and reaching a person: in the screenshot's language when the
    knowledge base serves several products (the screen shows which), else in the customer's."""
    query = COMPLAINT_QUERY if case.understood.upset else CONTACT_QUERY
    hits = case.knowledge.search([QueryPart(query), QueryPart(case.question, 0.5)], limit=8)
    about_care = [h.passage for h in hits if _CARE_HEADING.search(f"{h.passage.article} {h.passage.heading}")]
    language = detect_language(case.perception.text) if case.perception is not None else case.language
    own = [p for p in about_care if case.knowledge.passage_language(p) == language]
    ranked = own or about_care
    if case.understood.upset:  # the passage that names the team taking complaints, where there is one
        return next((p for p in ranked if p.escalate_to), ranked[0] if ranked else None)
    return ranked[0] if ranked else None  # how and when to reach a person


def _reply_time_question(asked: Question) -> Question:
    """The care passage is read for when and how the customer will hear back."""
    return replace(asked, asks=("contact", "duration"), terms=(), words=(), numbers=())


def fallback_text(case: Case) -> str:
    """The business's own fallback in the customer's language (a bilingual one gives its half), else the default."""
    own = case.knowledge.fallback
    parts = [p for p in re.split(r"(?<=[.!?。！？])\s*", own) if p.strip()]
    mine = [p for p in parts if in_language(p, case.language)]
    return ("" if case.language == "zh" else " ").join(mine) if mine else DEFAULT_FALLBACK[case.language]


def apology(zh: bool) -> str:
    return "非常抱歉给您带来不便。" if zh else "I'm sorry about this."


def to_a_person(zh: bool) -> str:
    """The hand-over a customer asked for, when no passage names the team."""
    if zh:
        return "已为您转接人工客服，请稍候，客服会尽快联系您。"
    return "I've passed this to a support agent; they will follow up shortly."


def handover_sentence(team: str, zh: bool) -> str:
    if zh:
        return f"已为您转交{team}人工处理，请耐心等待。"
    named = team if re.search(r"(?:team|supervisor|desk|group|department)$", team, re.I) else f"{team} team"
    return f"I've handed this to our {named}; they will follow up."
