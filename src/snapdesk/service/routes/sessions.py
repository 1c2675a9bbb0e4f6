"""GET /sessions/{id}: the conversation with its messages, and its screenshots; POST /feedback."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...errors import SessionNotFoundError
from ..deps import CALLER_ERRORS, INVALID, CallerDep, State, Text, error_responses
from ..screenshots import Digest, ScreenshotNotFoundError, screenshot_response, screenshot_responses
from .chat import Evidence

router = APIRouter(tags=["sessions"])


class MessageNotFoundError(SessionNotFoundError):
    code = "message_not_found"


class SessionMessage(BaseModel):
    """A customer's question, an answer, or a person's reply (role `agent`), as stored (the answer's metadata is
    empty on questions and replies)."""

    id: str
    role: Literal["user", "assistant", "agent"]
    text: str
    image_digest: str | None
    intent: str | None
    escalate: bool
    team: str | None
    tier: str | None = Field(description="What answered: a rung (full, fast, text, a model's) or the cache.")
    cached: bool
    latency_ms: float | None
    evidence: list[Evidence] | None = Field(description="OCR lines the answer rests on; null on questions.")
    fields: dict[str, Any] | None = Field(description="Fields read off the screenshot, personal data masked.")
    status: Literal["ok", "failed", "pending"]
    error_code: str | None
    created_at: datetime
    agent_name: str | None = Field(description="Who wrote a person's reply (their key's name); null otherwise.")


class Session(BaseModel):
    id: str
    created_at: datetime
    updated_at: datetime
    messages: list[SessionMessage]


@router.get(
    "/sessions/{session_id}",
    response_model=Session,
    responses=error_responses({**CALLER_ERRORS, **INVALID, 404: "No such session for this key"}),
)
async def get_session(session_id: Text, state: State, caller: CallerDep) -> dict[str, Any]:
    found = await asyncio.to_thread(state.store.conversation, conversation_id=session_id, owner=caller.owner)
    if found is None:
        raise SessionNotFoundError(f"no session {session_id}")
    return found


@router.get(
    "/sessions/{session_id}/images/{digest}",
    response_class=Response,
    responses=screenshot_responses({**CALLER_ERRORS, 404: "No such session for this key, or no such screenshot in it"}),
)
async def session_image(
    session_id: Text,
    digest: Digest,
    state: State,
    caller: CallerDep,
) -> Response:
    """A screenshot the customer sent in this session (the page shows it again after a reload)."""
    found = await asyncio.to_thread(
        state.store.conversation_has_image, conversation_id=session_id, owner=caller.owner, digest=digest
    )
    if not found:  # someone else's session, or a digest from elsewhere: both look the same from outside
        raise ScreenshotNotFoundError(f"no screenshot {digest} in session {session_id}")
    return await screenshot_response(state, digest)


class FeedbackIn(BaseModel):
    message_id: Text = Field(min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=2000)


class FeedbackCreated(BaseModel):
    feedback_id: str


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses=error_responses({**CALLER_ERRORS, **INVALID, 404: "No such message for this key"}),
)
async def feedback(body: FeedbackIn, state: State, caller: CallerDep) -> dict[str, str]:
    feedback_id = await asyncio.to_thread(
        state.store.add_feedback,
        message_id=body.message_id,
        owner=caller.owner,
        rating=body.rating,
        comment=body.comment,
    )
    if feedback_id is None:
        raise MessageNotFoundError(f"no message {body.message_id}")
    return {"feedback_id": feedback_id}
