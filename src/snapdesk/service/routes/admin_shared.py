"""What the admin routes share: the admin-key (and admin-or-agent) dependencies and their errors, and the bodies
the console reads.

admin.py (conversations, hand-overs, screenshots), admin_console.py (charts, knowledge base, "try it") and
inbox.py (the operator inbox) import this module and not each other. The bodies are built as dicts by the store and
the pipeline; these models describe them for the OpenAPI document, and FastAPI checks each answer against them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends
from pydantic import BaseModel, Field

from ..deps import CALLER_ERRORS, INVALID, Caller, require_admin, require_operator
from .chat import Evidence
from .sessions import SessionMessage

AdminDep = Annotated[Caller, Depends(require_admin)]
ADMIN_ERRORS = {**CALLER_ERRORS, **INVALID, 403: "The key is not an admin key (or no key is used)"}
# Reading conversations and working the inbox: admin keys and agent keys (`snapdesk keys create --agent NAME`).
OperatorDep = Annotated[Caller, Depends(require_operator)]
OPERATOR_ERRORS = {**CALLER_ERRORS, **INVALID, 403: "The key is neither an admin nor an agent key (or no key is used)"}


class HandoverSummary(BaseModel):
    """What the team is handed (the webhook posts it too)."""

    answer: str
    intent: str
    fields: dict[str, Any]
    evidence: list[str] = Field(description="The texts of the first OCR lines the answer rests on.")
    passages: list[str] = Field(description="The ids of the knowledge-base passages the answer used.")


class QueuedHandover(BaseModel):
    id: str
    conversation_id: str
    message_id: str
    team: str | None
    summary: HandoverSummary
    attempts: int
    last_error: str | None
    created_at: datetime


class Handovers(BaseModel):
    handovers: list[QueuedHandover]


class ConversationSummary(BaseModel):
    id: str
    owner: str = Field(description='The API key id, or "browser:<token hash>" for the public chat page.')
    created_at: datetime
    updated_at: datetime
    messages: int
    first_question: str = Field(description="The first question's first 200 characters.")
    intents: list[str]
    tiers: list[str]
    escalated: bool
    negative_feedback: int = Field(description="How many thumbs-down its answers got.")
    screenshots: int


class Conversations(BaseModel):
    conversations: list[ConversationSummary]
    intents: list[str] = Field(description="Every intent answered so far, most frequent first, for the filter.")


class Rating(BaseModel):
    rating: Literal["up", "down"]
    comment: str | None
    created_at: datetime


class PassageUsed(BaseModel):
    """A knowledge-base passage an answer was composed from."""

    id: str
    article: str
    heading: str
    text: str
    escalate_to: str | None
    score: float


class ConsoleMessage(SessionMessage):
    evidence: list[Evidence]
    fields: dict[str, Any]
    timings: dict[str, float] = Field(description="Milliseconds per stage (`*_ms`); empty on questions.")
    passages: list[PassageUsed]
    feedback: list[Rating]
    agent_id: str | None = Field(description="The key that wrote a person's reply; null otherwise.")


class ConversationHandover(BaseModel):
    id: str
    message_id: str
    team: str | None
    summary: HandoverSummary
    delivered: bool
    attempts: int
    created_at: datetime
    state: Literal["open", "claimed", "resolved"] = Field(description="Its case in the operator inbox.")


class ConversationView(BaseModel):
    id: str
    owner: str
    created_at: datetime
    updated_at: datetime
    messages: list[ConsoleMessage]
    handovers: list[ConversationHandover]


# GET /admin/stats


class StageLatency(BaseModel):
    p50: float | None = Field(description="Milliseconds; null when nothing was measured.")
    p95: float | None
    n: int = Field(description="How many measurements.")


class FeedbackCounts(BaseModel):
    up: int
    down: int


class Totals(BaseModel):
    requests: int = Field(description="Questions recorded, a refused or held one included.")
    failed: int
    answers: int
    cache_hits: int
    escalations: int
    tiers: dict[str, int] = Field(description="Answers per tier that gave them (full, cache, text, ...).")
    feedback: FeedbackCounts
    cache_hit_rate: float | None = Field(description="Of the answers; null without answers.")
    escalation_rate: float | None = Field(description="Of the answers; null without answers.")
    latency_ms: dict[str, StageLatency] = Field(
        description="`request` (the whole request) and each pipeline stage; stages leave cached answers out."
    )


class BucketStart(BaseModel):
    start: datetime


# Pydantic orders fields from the last base to the class itself: `start` leads the body, as the store writes it.
class Bucket(Totals, BucketStart):
    pass


class Wait(BaseModel):
    n: int = Field(description="Cases with that moment.")
    p50: float | None = Field(description="Seconds; null when none.")
    p90: float | None


class TeamTimes(BaseModel):
    team: str | None = Field(description="null: the knowledge base's default team.")
    cases: int = Field(description="Cases handed over in the window.")
    first_reply: Wait = Field(description="From the hand-over to a person's first reply.")
    resolve: Wait = Field(description="From the hand-over to the case's resolution.")


class Stats(BaseModel):
    start: datetime
    until: datetime
    bucket_seconds: int
    buckets: list[Bucket]
    totals: Totals
    teams: list[TeamTimes] = Field(description="People's times per team, for the cases handed over in the window.")


# GET /admin/kb, POST /admin/kb/reload


class KbPassage(BaseModel):
    id: str
    heading: str
    text: str
    escalate_to: str | None


class KbArticle(BaseModel):
    source: str = Field(description="The file, relative to the knowledge-base folder.")
    title: str
    passages: list[KbPassage]


class KbSummary(BaseModel):
    name: str
    path: str | None
    language: str
    teams: list[str]
    version: str
    loaded_at: datetime
    last_error: str | None = Field(description="Why the latest reload failed; null once one succeeds.")
    problems: list[str] = Field(description="What an editor should fix; the rest of the knowledge base serves.")
    passage_count: int
    articles: list[KbArticle]


class Reloaded(BaseModel):
    reloaded: bool = Field(description="False when the folder failed to load and the previous one still serves.")


class KbReload(KbSummary, Reloaded):  # `reloaded` leads the body, as the route writes it (see Bucket)
    pass


# POST /admin/try


class Intake(BaseModel):
    digest: str
    format: str
    bytes: int | None
    width: int
    height: int


class OcrLineRead(BaseModel):
    text: str
    box: list[int]
    confidence: float
    cues: list[str]


class OcrReading(BaseModel):
    screen: str
    dark: bool
    lines: list[OcrLineRead]


class RetrievedHit(BaseModel):
    id: str
    article: str
    heading: str
    score: float
    question_score: float = Field(description="The part of the score the customer's own question gave.")
    matched_keys: list[str]
    escalate_to: str | None


class Understanding(BaseModel):
    asks: list[str]
    words: list[str]
    upset: bool
    wants_person: bool
    keys: list[str]
    hits: list[RetrievedHit]
    relations: list[str]


class TriedAnswer(BaseModel):
    text: str
    escalate: bool
    team: str | None
    language: str
    evidence: list[Evidence]
    passages: list[PassageUsed]
    engine: str
    kb_version: str


class TryResult(BaseModel):
    question: str
    intake: Intake | None
    ocr: OcrReading | None
    screen: str | None
    fields: dict[str, Any]
    intent: str
    retrieval: Understanding = Field(description="Exactly what the answer was composed from.")
    answer: TriedAnswer
    timings: dict[str, float]
