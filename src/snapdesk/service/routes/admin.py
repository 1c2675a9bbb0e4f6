"""Admin endpoints (an admin API key): what the operators' console reads."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ..deps import CALLER_ERRORS, INVALID, Caller, State, error_responses, require_admin

router = APIRouter(prefix="/admin", tags=["admin"])
AdminDep = Annotated[Caller, Depends(require_admin)]


@router.get(
    "/handovers",
    responses=error_responses({**CALLER_ERRORS, **INVALID, 403: "The key is not an admin key (or no key is used)"}),
)
async def handovers(state: State, _: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Hand-overs not yet accepted by the webhook (all of them when no webhook is configured)."""
    return {"handovers": await asyncio.to_thread(state.store.undelivered_handovers, limit=limit)}
