"""The FastAPI app factory: `create_app(settings)` wires the Assistant, the store, caches and the ladder."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..config import Settings
from ..errors import SnapDeskError
from ..web import pages
from .background import purge_periodically
from .body_limit import BodyLimit, body_limit_for
from .routes import admin, admin_console, chat, health, inbox, learning, openai_compat, sessions
from .state import AppState, build_state

log = logging.getLogger("snapdesk.requests")


def _wrapped_error(error: BaseException) -> SnapDeskError | None:
    """A SnapDeskError that FastAPI's body parsing wrapped into a 400 (through the task group of an http
    middleware, so perhaps inside an ExceptionGroup), or None."""
    cause: Any = error.__cause__ or error.__context__
    if hasattr(cause, "subgroup"):  # an exception group (built in from Python 3.11, anyio's backport before)
        cause = cause.subgroup(SnapDeskError)
        while hasattr(cause, "exceptions"):
            cause = cause.exceptions[0]
    return cause if isinstance(cause, SnapDeskError) else None


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not hasattr(app.state, "snapdesk"):
            app.state.snapdesk = build_state(settings)
        state = app.state.snapdesk
        # The threads that wait on the database, the disk and intake (asyncio's default is cores + 4, here 6): with
        # more requests in flight than that, a holding reply's one database write queued behind others' decoding.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=32, thread_name_prefix="io"))
        await asyncio.to_thread(state.warm_up)  # the first customer's answer takes no longer than the next
        tasks = [asyncio.create_task(purge_periodically(state.store, retention_days=settings.image_retention_days))]
        if state.delivery is not None:
            tasks.append(asyncio.create_task(state.delivery.run()))
        yield
        for task in tasks:
            task.cancel()
        state.ladder.shutdown()

    app = FastAPI(
        title="SnapDesk",
        version="0.1.0",
        lifespan=lifespan,
        description="Answers customers' screenshots and questions from the business's knowledge base.",
    )
    if state is not None:
        app.state.snapdesk = state
    for module in (chat, sessions, health, openai_compat, admin, admin_console, inbox, learning, pages):
        app.include_router(module.router)

    @app.exception_handler(SnapDeskError)
    async def snapdesk_error(request: Request, error: SnapDeskError) -> JSONResponse:
        # A 5xx of ours is a refusal the client may retry (overloaded, the database away): it says when.
        retryable = error.retry_after is not None
        status = error.http_status if error.http_status < 500 or retryable else 500
        headers = {"Retry-After": str(error.retry_after)} if retryable else {}
        headers.update(getattr(error, "headers", {}))
        if status >= 500 and (state_obj := getattr(request.app.state, "snapdesk", None)) is not None:
            state_obj.metrics.refusals.labels(error.code).inc()
        body = {"error": {"code": error.code, "message": error.message}}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        # Without pydantic's union branch tags such as "function-after[_text(), str]": field names and indexes only.
        where = ".".join(str(part) for part in first.get("loc", ()) if "[" not in str(part))
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return JSONResponse({"error": {"code": "bad_request", "message": message}}, status_code=422)

    def _field_too_large(error: HTTPException) -> bool:
        # Starlette turns every MultiPartException (no boundary, a part without a name, too many fields, a field
        # over max_part_size) into the same HTTPException(400), raised while handling it; only the message tells
        # the size refusals apart: "Part exceeded maximum size of 1024KB." (multipart) and "Field exceeded
        # maximum size of 1024KB." (url-encoded). tests/service/test_body_limits.py pins both spellings down.
        from starlette.formparsers import MultiPartException

        context = error.__context__
        return isinstance(context, MultiPartException) and "exceeded maximum size" in context.message

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # The framework's own refusals (no such route, wrong method, a body that cannot be parsed) in the same shape.
        if (ours := _wrapped_error(error)) is not None:  # ours, wrapped by FastAPI's body parsing (body too large)
            return await snapdesk_error(request, ours)
        status = error.status_code
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "HTTP error"
        code = phrase.lower().replace(" ", "_")  # not_found, method_not_allowed
        if status == 400 and _field_too_large(error):
            # A form field over Starlette's per-part limit (1 MiB): the client sent too much, not something malformed.
            status, code = 413, "field_too_large"
        elif status == 400:  # malformed multipart, a JSON body that is not UTF-8: malformed like a bad field, so 422
            status, code = 422, "bad_request"
        message = error.detail if isinstance(error.detail, str) and error.detail else phrase
        return JSONResponse(
            {"error": {"code": code, "message": message}}, status_code=status, headers=dict(error.headers or {})
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        # A bug, not the client's doing: still the JSON shape (the traceback goes to the log, not to the client).
        return JSONResponse({"error": {"code": "internal_error", "message": "internal server error"}}, status_code=500)

    # Added before the request log, so inside it (its refusals are logged and counted like any response), and
    # outside everything that reads a body.
    app.add_middleware(BodyLimit, max_bytes=body_limit_for(settings.max_image_bytes))

    @app.middleware("http")
    async def log_requests(request: Request, call_next: Any) -> Any:
        # A client's request id is echoed and logged: only a short, printable one (else a new one, as when absent).
        offered = request.headers.get("x-request-id", "")
        request_id = offered if 0 < len(offered) <= 128 and offered.isprintable() else uuid.uuid4().hex[:16]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        state_obj = getattr(request.app.state, "snapdesk", None)
        if state_obj is not None:
            state_obj.metrics.requests.labels(path, str(response.status_code)).inc()
        response.headers["x-request-id"] = request_id
        if (decision := getattr(request.state, "rate_limit", None)) is not None:
            for name, value in decision.headers().items():
                response.headers.setdefault(name, value)
        log.info(
            json.dumps(
                {
                    "request_id": request_id,
                    "method": request.method,
                    "route": path,
                    "status": response.status_code,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "queue_depth": state_obj.ladder.depth if state_obj else None,
                    **getattr(request.state, "log_fields", {}),
                },
                ensure_ascii=False,
            )
        )
        return response

    return app
