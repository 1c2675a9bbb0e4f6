"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ...perception import is_loaded
from ..deps import State

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
async def readyz(state: State) -> JSONResponse:
    checks = {
        "ocr": is_loaded(state.assistant.ocr),
        "database": await asyncio.to_thread(state.store.ping),
        "redis": await asyncio.to_thread(state.cache.ping) if state.settings.redis_url else True,
    }
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(state: State) -> Response:
    state.metrics.queue_depth.set(state.ladder.depth)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
