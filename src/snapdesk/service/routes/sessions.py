"""GET /sessions/{id}: the conversation with its messages; POST /feedback."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..chat import SessionNotFoundError
from ..deps import CALLER_ERRORS, INVALID, CallerDep, State, Text, error_responses

router = APIRouter(tags=["sessions"])


class MessageNotFoundError(SessionNotFoundError):
    code = "message_not_found"


@router.get(
    "/sessions/{session_id}",
    responses=error_responses({**CALLER_ERRORS, **INVALID, 404: "No such session for this key"}),
)
async def get_session(session_id: Text, state: State, caller: CallerDep) -> dict[str, Any]:
    found = await asyncio.to_thread(state.store.conversation, conversation_id=session_id, owner=caller.owner)
    if found is None:
        raise SessionNotFoundError(f"no session {session_id}")
    return found


class FeedbackIn(BaseModel):
    message_id: Text = Field(min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=2000)


@router.post(
    "/feedback",
    status_code=201,
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
