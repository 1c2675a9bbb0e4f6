"""Admin endpoints: what the operators' console reads.

Conversations and stored screenshots here (admin and agent keys: the people working the inbox read them too) and
the hand-over queue (admin keys); charts, the knowledge base and the "try it" box in
admin_console.py, a router of its own under the same prefix and tag.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...errors import SnapDeskError
from ..deps import State, Text, error_responses
from ..screenshots import Digest, screenshot_response, screenshot_responses
from .admin_shared import (
    ADMIN_ERRORS,
    OPERATOR_ERRORS,
    AdminDep,
    Conversations,
    ConversationView,
    Handovers,
    OperatorDep,
)

router = APIRouter(prefix="/admin", tags=["admin"])


class NotFoundError(SnapDeskError):
    code = "not_found"
    http_status = 404


class Operator(BaseModel):
    key_id: str = Field(description="The key's id: what a case records as its holder.")
    name: str
    role: Literal["admin", "agent"] = Field(
        description="admin: everything in the console; agent: the inbox and conversations."
    )


@router.get("/me", response_model=Operator, responses=error_responses(OPERATOR_ERRORS))
async def me(caller: OperatorDep) -> dict[str, Any]:
    """Who the console is signed in as: it shows an agent the inbox and conversations only."""
    return {"key_id": caller.key_id, "name": caller.name, "role": "admin" if caller.admin else "agent"}


@router.get("/handovers", response_model=Handovers, responses=error_responses(ADMIN_ERRORS))
async def handovers(state: State, _: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Hand-overs not yet accepted by the webhook (all of them when no webhook is configured). Admin keys only: the
    console signs in with it, and the console is an admin's (agents work the cases in /admin/inbox)."""
    return {"handovers": await asyncio.to_thread(state.store.undelivered_handovers, limit=limit)}


# Intents and tiers are short identifiers; the bound keeps a filter from being an arbitrary blob.
Name = Annotated[Text, Query(min_length=1, max_length=100)]


@router.get("/conversations", response_model=Conversations, responses=error_responses(OPERATOR_ERRORS))
async def conversations(
    state: State,
    _: OperatorDep,
    escalated: Annotated[bool | None, Query(description="Only with (true) or without (false) a hand-over")] = None,
    negative: Annotated[bool | None, Query(description="Only with (true) or without (false) a thumbs-down")] = None,
    intent: Name | None = None,
    tier: Name | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Every conversation, whoever's key made it, newest activity first, with a summary of each."""
    found = await asyncio.to_thread(
        state.store.admin_conversations,
        limit=limit,
        offset=offset,
        escalated=escalated,
        negative=negative,
        intent=intent,
        tier=tier,
    )
    intents = await asyncio.to_thread(state.store.admin_intents)
    return {"conversations": found, "intents": intents}


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationView,
    responses=error_responses({**OPERATOR_ERRORS, 404: "No such conversation"}),
)
async def conversation(
    state: State, _: OperatorDep, conversation_id: Annotated[Text, Path(max_length=64)]
) -> dict[str, Any]:
    """One conversation: each message with its screenshot digest, OCR evidence boxes, fields, passages, timings,
    ratings; and its hand-overs with their summaries."""
    found = await asyncio.to_thread(state.store.admin_conversation, conversation_id=conversation_id)
    if found is None:
        raise NotFoundError(f"no conversation {conversation_id}")
    return found


@router.get(
    "/images/{digest}",
    response_class=Response,
    responses=screenshot_responses(
        {**OPERATOR_ERRORS, 404: "No stored screenshot with this digest (never stored, or purged)"}
    ),
)
async def image(
    state: State,
    _: OperatorDep,
    digest: Digest,
) -> Response:
    """A stored screenshot by its digest, for the conversation view."""
    return await screenshot_response(state, digest)
