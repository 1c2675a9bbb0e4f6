"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from ..deps import State

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = Field(description="Always ok: the process answers HTTP.")


@router.get("/healthz", response_model=Liveness)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    ready: bool = Field(description="Whether this replica can answer: warmed up, and its database answers.")
    checks: dict[str, bool] = Field(description="Each check: warm (OCR, moderation, knowledge base), database.")
    degraded: list[str] = Field(
        default=[],
        description="Optional dependencies that are away while the replica still serves: `redis` (the shared "
        "cache and rate limits; meanwhile each replica caches and counts on its own).",
    )


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: a check failed (see `checks`)"}},
)
async def readyz(state: State) -> JSONResponse:
    checks = {
        "warm": state.warm,
        "database": await asyncio.to_thread(state.store.ping),
    }
    redis_up = await asyncio.to_thread(state.cache.ping) if state.settings.redis_url else True
    state.metrics.dependency_up.labels("database").set(checks["database"])
    if state.settings.redis_url:
        state.metrics.dependency_up.labels("redis").set(redis_up)
    ready = all(checks.values())
    body = Readiness(ready=ready, checks=checks, degraded=[] if redis_up else ["redis"])
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "Prometheus text exposition format"}},
)
async def metrics(state: State) -> Response:
    state.metrics.queue_depth.set(state.ladder.depth)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
