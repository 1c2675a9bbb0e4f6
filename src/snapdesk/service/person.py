"""The people behind the assistant, as a chat turn meets them: the hand-over an escalated answer asks for, and the
turn of a conversation a person owns (its case claimed in the operator inbox), where the assistant steps aside and
only tells the customer that a person is handling it."""

from __future__ import annotations

from typing import Any

from ..answer import Answer
from ..knowledge.text import detect_language
from .ladder import HOLDING_REPLY

# What the customer reads instead of an answer while a person owns the conversation (tier `person`).
PERSON_REPLY = {
    "zh": "人工客服正在处理您的问题，您的消息已转给客服，请留意这里的回复。",
    "en": "A member of our team is handling your case; your message has been passed on and they will reply here.",
}
NOT_ANSWERED = {"hold": HOLDING_REPLY, "person": PERSON_REPLY}


def saying(tier: str, question: str) -> Answer:
    """What the customer reads when nothing answers (tier `hold`: the ladder held the question; `person`: a person
    owns the conversation), in the language they wrote in, else in English."""
    replies = NOT_ANSWERED[tier]
    language = detect_language(question)
    return Answer.saying(replies.get(language, replies["en"]), language=language)


def handover_of(answer: Answer) -> dict[str, Any] | None:
    """What the team is handed when an answer escalates (stored with the answer, posted by the webhook, shown in
    the inbox); None for an answer that does not."""
    if not answer.escalate:
        return None
    summary = {
        "answer": answer.text,
        "intent": answer.intent,
        "fields": answer.fields,
        "evidence": [e["text"] for e in answer.evidence[:12]],
        "passages": [p["id"] for p in answer.passages],
    }
    return {"team": answer.team, "summary": summary}
