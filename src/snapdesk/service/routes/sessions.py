"""GET /sessions/{id}: the conversation with its messages, its screenshots, and (long polling) the messages that
arrive while the customer's page is open; POST /feedback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...errors import SessionNotFoundError
from ..deps import CALLER_ERRORS, INVALID, CallerDep, PollingCallerDep, State, Text, error_responses
from ..live import SETTLE_SECONDS
from ..screenshots import Digest, ScreenshotNotFoundError, screenshot_response, screenshot_responses
from .chat import Evidence

router = APIRouter(tags=["sessions"])
MAX_WAIT_SECONDS = 30  # under the idle timeouts of ordinary proxies (60 s for nginx)


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


class NewMessages(BaseModel):
    messages: list[SessionMessage] = Field(description="Written after the message `after`, oldest first.")
    held_by_person: bool = Field(
        description="A person holds the conversation (operator inbox): they, not the assistant, answer in it now."
    )


@router.get(
    "/sessions/{session_id}/messages",
    response_model=NewMessages,
    responses=error_responses({**CALLER_ERRORS, **INVALID, 404: "No such session for this key"}),
)
async def new_messages(
    request: Request,
    session_id: Text,
    state: State,
    caller: PollingCallerDep,
    after: Annotated[
        Text | None,
        Query(max_length=64, description="The id of the last message the client has; without it, every message."),
    ] = None,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for a new message before answering.")
    ] = 0,
) -> dict[str, Any]:
    """Long polling: the messages after `after`, answered as soon as there is one (a person's reply from the
    operator inbox, say) or when `wait` seconds have passed with none. Works behind any ordinary proxy."""

    def look(settled_only: bool) -> Awaitable[dict[str, Any] | None]:
        settled = datetime.now(timezone.utc) - timedelta(seconds=SETTLE_SECONDS) if settled_only else None
        find = partial(state.store.messages_after, conversation_id=session_id, owner=caller.owner, after=after)
        return asyncio.to_thread(find, until=settled)

    # Request.is_disconnected() never sees a disconnect behind the HTTP middleware: a task waits for it instead.
    watcher = asyncio.ensure_future(_until_disconnected(request))
    try:
        found = await state.arrivals.wait_for_new(session_id, look, seconds=wait, gone=watcher.done)
    finally:
        watcher.cancel()
    if found is None:
        raise SessionNotFoundError(f"no session {session_id}")
    return found


async def _until_disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass  # the (empty) body of the GET


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
