"""POST /chat: a screenshot (optional) and a question, answered; SSE when the client asks for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from ...errors import ImageTooLargeError
from ..chat import ChatResult
from ..deps import CALLER_ERRORS, CallerDep, State, error_responses

router = APIRouter(tags=["chat"])


class Evidence(BaseModel):
    text: str
    box: list[int]
    cues: list[str] = []


class ChatResponse(BaseModel):
    session_id: str
    message_id: str | None
    answer: str
    intent: str
    escalate: bool
    team: str | None
    evidence: list[Evidence]
    passages: list[dict[str, Any]]
    fields: dict[str, Any]
    tier: str
    cached: bool
    latency_ms: float


def response_body(result: ChatResult) -> dict[str, Any]:
    answer = result.answer
    return {
        "session_id": result.session_id,
        "message_id": result.message_id,
        "answer": answer["text"],
        "intent": answer["intent"],
        "escalate": answer["escalate"],
        "team": answer["team"],
        "evidence": answer["evidence"],
        "passages": answer["passages"],
        "fields": answer["fields"],
        "tier": result.tier,
        "cached": result.cached,
        "latency_ms": result.latency_ms,
    }


async def read_upload(upload: UploadFile | None, max_bytes: int) -> bytes | None:
    if upload is None or (not upload.filename and upload.size == 0):
        return None
    data = await upload.read(max_bytes + 1)  # one byte past the limit is enough to refuse
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"image is over the {max_bytes / 1024 / 1024:.0f} MB limit")
    return data


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer; as server-sent events (`delta`s, then `done` with this JSON) when the request "
        "accepts text/event-stream",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    **error_responses(
        {
            **CALLER_ERRORS,
            404: "No such session for this key (session_id)",
            413: "Image over the byte limit",
            415: "Not an image, or an unsupported format such as SVG",
            422: "Bad image (truncated, too many pixels, refused), bad question, or a malformed request",
            503: "Overloaded, in strict mode only (X-SnapDesk-Strict)",
        }
    ),
}
RESPONSES[503]["headers"] = {
    "Retry-After": {"description": "Seconds to wait before asking again", "schema": {"type": "integer"}}
}


@router.post("/chat", response_model=ChatResponse, responses=RESPONSES)
async def chat(
    request: Request,
    state: State,
    caller: CallerDep,
    text: Annotated[str, Form(description="The customer's question.")],
    image: Annotated[UploadFile | None, File(description="Screenshot: PNG, JPEG, WebP, BMP or GIF.")] = None,
    session_id: Annotated[str | None, Form(description="Continue this session.")] = None,
    strict: Annotated[
        str,
        Header(
            alias="x-snapdesk-strict",
            description="1, true or yes: when overloaded, answer 503 with Retry-After instead of a holding reply.",
        ),
    ] = "",
) -> Any:
    data = await read_upload(image, state.settings.max_image_bytes)
    result = await state.chat.chat(owner=caller.owner, text=text, image=data, session_id=session_id or None)
    request.state.log_fields = result.log_fields(text)
    body = response_body(result)
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else {}
    if result.tier == "hold" and strict.lower() in ("1", "true", "yes"):
        return JSONResponse(
            {"error": {"code": "overloaded", "message": body["answer"]}}, status_code=503, headers=headers
        )
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(_events(body), media_type="text/event-stream", headers=headers)
    return JSONResponse(body, headers=headers)


def _events(body: dict[str, Any]) -> Iterator[str]:
    text = body["answer"]
    for start in range(0, len(text), 24):
        yield f"event: delta\ndata: {json.dumps({'text': text[start : start + 24]}, ensure_ascii=False)}\n\n"
    yield f"event: done\ndata: {json.dumps(body, ensure_ascii=False, default=str)}\n\n"
