"""What the service knows of one chat turn: the turn being answered, and the answered turn it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..answer import Answer, HistoryTurn
from ..intake import CheckedQuestion
from ..safety import mask_pii


@dataclass
class ChatResult:
    """One answered turn; `log_fields` is what the request's single log line says about it."""

    session_id: str
    message_id: str | None
    question: str
    answer: Answer
    tier: str
    cached: bool
    latency_ms: float
    retry_after: int | None = None  # set for the holding reply

    def log_fields(self) -> dict[str, Any]:
        answer = self.answer
        return {
            "session": self.session_id,
            "image": answer.image_digest,
            "question": mask_pii(self.question),
            "answer": mask_pii(answer.text),
            "intent": answer.intent,
            "tier": self.tier,
            "cached": self.cached,
            "escalate": answer.escalate,
            "timings": answer.timings,
            "engine": answer.engine,
            "check": answer.check,
        }


@dataclass(frozen=True)
class Turn:
    """The turn being answered: its recorded question and what the answer needs from the request."""

    conversation_id: str
    question_id: str
    question: CheckedQuestion
    started: float
    history: list[HistoryTurn]  # text only: the screenshot is the turn's own
    on_text: Callable[[str, bool], None] | None
