"""Admin endpoints (an admin API key): what the operators' console reads.

Conversations, hand-overs and stored screenshots here; charts, the knowledge base and the "try it" box in
admin_console.py, whose routes are included below so that the app registers one admin router.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from ...errors import SnapDeskError
from ..deps import CALLER_ERRORS, INVALID, Caller, State, Text, error_responses, require_admin

router = APIRouter(prefix="/admin", tags=["admin"])
AdminDep = Annotated[Caller, Depends(require_admin)]
ADMIN_ERRORS = {**CALLER_ERRORS, **INVALID, 403: "The key is not an admin key (or no key is used)"}


class NotFoundError(SnapDeskError):
    code = "not_found"
    http_status = 404


@router.get("/handovers", responses=error_responses(ADMIN_ERRORS))
async def handovers(state: State, _: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Hand-overs not yet accepted by the webhook (all of them when no webhook is configured)."""
    return {"handovers": await asyncio.to_thread(state.store.undelivered_handovers, limit=limit)}


# Intents and tiers are short identifiers; the bound keeps a filter from being an arbitrary blob.
Name = Annotated[Text, Query(min_length=1, max_length=100)]


@router.get("/conversations", responses=error_responses(ADMIN_ERRORS))
async def conversations(
    state: State,
    _: AdminDep,
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
    responses=error_responses({**ADMIN_ERRORS, 404: "No such conversation"}),
)
async def conversation(
    state: State, _: AdminDep, conversation_id: Annotated[Text, Path(max_length=64)]
) -> dict[str, Any]:
    """One conversation: each message with its screenshot digest, OCR evidence boxes, fields, passages, timings,
    ratings; and its hand-overs with their summaries."""
    found = await asyncio.to_thread(state.store.admin_conversation, conversation_id=conversation_id)
    if found is None:
        raise NotFoundError(f"no conversation {conversation_id}")
    return found


# Magic numbers of the formats intake accepts: stored bytes are served as what they are, never as HTML.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
IMAGE_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "application/octet-stream")


def media_type(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "application/octet-stream")


@router.get(
    "/images/{digest}",
    response_class=Response,
    responses={
        200: {
            "description": "The screenshot's bytes as uploaded",
            "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in IMAGE_MEDIA_TYPES},
        },
        **error_responses({**ADMIN_ERRORS, 404: "No stored screenshot with this digest (never stored, or purged)"}),
    },
)
async def image(
    state: State,
    _: AdminDep,
    digest: Annotated[str, Path(pattern=r"^sha256:[0-9a-f]{64}$", description="A message's image_digest")],
) -> Response:
    """A stored screenshot by its digest, for the conversation view."""
    data = await asyncio.to_thread(state.store.image_bytes, digest=digest)
    if data is None:
        raise NotFoundError(f"no stored image {digest}")
    if digest == "sha256:" + hashlib.sha256(data).hexdigest():
        # Stored under the digest of its bytes: an upload kept unread under load, never decoded nor moderated.
        # It passes intake and moderation before an operator sees it (a refusal answers with its error).
        await asyncio.to_thread(state.assistant.prepare, data)
    # nosniff and a sandboxing CSP: the bytes came from a customer; the browser must only ever show an image.
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(data, media_type=media_type(data), headers=headers)


from . import admin_console  # noqa: E402 - after `router` and the shared names, which admin_console imports

router.include_router(admin_console.router)
