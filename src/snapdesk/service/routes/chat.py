"""POST /chat: a screenshot (optional) and a question, answered; SSE when the client asks for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, WithJsonSchema

from ...errors import ImageTooLargeError, SnapDeskError
from ..deps import CALLER_ERRORS, CallerDep, State, Text, error_responses
from ..streaming import LiveAnswer
from ..turn import ChatResult

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
    engine: str | None = None  # the engine configured to answer (its entry's name for a model engine)
    check: str | None = None  # a model answer's check verdict: pass, regenerated, failed, error, circuit_open


# The answer's own fields that the response carries under the same names.
_ANSWER_FIELDS = ("intent", "escalate", "team", "passages", "fields", "engine", "check")


def response_body(result: ChatResult) -> ChatResponse:
    answer = result.answer
    return ChatResponse(
        session_id=result.session_id,
        message_id=result.message_id,
        answer=answer.text,
        evidence=[Evidence.model_validate(item) for item in answer.evidence],
        tier=result.tier,
        cached=result.cached,
        latency_ms=result.latency_ms,
        **{name: getattr(answer, name) for name in _ANSWER_FIELDS},
    )


async def read_upload(upload: UploadFile | None, max_bytes: int) -> bytes | None:
    if upload is None or (not upload.filename and upload.size == 0):
        return None
    data = await upload.read(max_bytes + 1)  # one byte past the limit is enough to refuse
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"image is over the {max_bytes / 1024 / 1024:.0f} MB limit")
    return data


async def refuse_repeated_parts(request: Request, names: tuple[str, ...]) -> None:
    """One screenshot and one question a turn: a form repeating a part would have all but one silently dropped."""
    form = await request.form()  # parsed once already, for the parameters: this is the same form
    repeated = [name for name in names if len(form.getlist(name)) > 1]
    if repeated:
        raise RepeatedPartError(f"send one {repeated[0]} part per request, not {len(form.getlist(repeated[0]))}")


class RepeatedPartError(SnapDeskError):
    code = "bad_request"
    http_status = 422


# A file part, or none: multipart has no null, so the document says "optional file", not "file or null".
# `format: binary` as well (Open API 3.0's spelling), which tools still read as "a file".
IMAGE_PART = {
    "type": "string",
    "format": "binary",
    "contentMediaType": "application/octet-stream",
    "description": "Screenshot: PNG, JPEG, WebP, BMP or GIF.",
}


def _event(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    data = {"type": "string", "contentMediaType": "application/json", "contentSchema": payload}
    return {"type": "object", "properties": {"event": {"const": name}, "data": data}, "required": ["event", "data"]}


# One server-sent event (Open API 3.1: `schema` describes each event of the stream).
SSE_EVENT = {
    "oneOf": [
        _event("delta", {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
        # A model's answer that failed its check part-way: the text sent so far is withdrawn, deltas start again.
        _event("reset", {"type": "object"}),
        _event("done", {"$ref": "#/components/schemas/ChatResponse"}),
        _event("error", {"type": "object", "properties": {"error": {"type": "object"}}, "required": ["error"]}),
    ]
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer; as server-sent events (`delta`s, then `done` with this JSON) when the request "
        "accepts text/event-stream",
        "content": {"text/event-stream": {"schema": SSE_EVENT}},
    },
    **error_responses(
        {
            **CALLER_ERRORS,
            404: "No such session for this key (session_id)",
            413: "Image over the byte limit (image_too_large), a form field over 1 MiB (field_too_large), or the "
            "whole request body over the limit (body_too_large)",
            415: "Not an image, or an unsupported format such as SVG",
            422: "Bad image (truncated, too many pixels, refused), bad question, or a malformed request",
            503: "Overloaded, in strict mode only (X-SnapDesk-Strict)",
        }
    ),
}
RESPONSES[503]["headers"] = {
    "Retry-After": {
        "description": "Seconds to wait before asking again",
        "required": True,
        "schema": {"type": "integer"},
    }
}


# The formats intake reads, so clients (and the fuzzer) know what to send as the image part.
IMAGE_TYPES = "image/png, image/jpeg, image/webp, image/bmp, image/gif"


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=RESPONSES,
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"encoding": {"image": {"contentType": IMAGE_TYPES}}}}}
    },
)
async def chat(
    request: Request,
    state: State,
    caller: CallerDep,
    # min_length: an empty form field reads as a missing one, so the document says so.
    text: Annotated[Text, Form(min_length=1, description="The customer's question.", examples=["我的货怎么还没发？"])],
    image: Annotated[UploadFile | None, File(), WithJsonSchema(IMAGE_PART)] = None,
    session_id: Annotated[Text, Form(description="Continue this session (an earlier answer's session_id).")] = "",
    strict: Annotated[
        str,
        Header(
            alias="x-snapdesk-strict",
            description="1, true or yes: when overloaded, answer 503 with Retry-After instead of a holding reply.",
        ),
    ] = "",
) -> Any:
    await refuse_repeated_parts(request, ("image", "text", "session_id"))
    data = await read_upload(image, state.settings.max_image_bytes)
    turn = partial(state.chat.chat, owner=caller.owner, text=text, image=data, session_id=session_id or None)
    if "text/event-stream" in request.headers.get("accept", ""):
        live = LiveAnswer()
        finished = await live.start(turn(on_text=live.emit))
        if finished is None:  # a model is writing: pass its checked text through as it comes
            return StreamingResponse(_live_events(live, request), media_type="text/event-stream")
        result = finished
    else:
        result = await turn()
    request.state.log_fields = result.log_fields()
    body = response_body(result)
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else {}
    if result.tier == "hold" and strict.lower() in ("1", "true", "yes"):
        return JSONResponse({"error": {"code": "overloaded", "message": body.answer}}, status_code=503, headers=headers)
    if "text/event-stream" in request.headers.get("accept", ""):  # answered whole (cache, offline engine): in pieces
        return StreamingResponse(_events(body), media_type="text/event-stream", headers=headers)
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


async def _live_events(live: LiveAnswer, request: Request) -> AsyncIterator[str]:
    async for piece, reset in live.pieces():
        yield "event: reset\ndata: {}\n\n" if reset else _sse("delta", {"text": piece})
    try:
        result = await live.result()
    except SnapDeskError as error:
        yield _sse("error", {"error": {"code": error.code, "message": error.message}})
        return
    request.state.log_fields = result.log_fields()
    yield _sse("done", response_body(result).model_dump(mode="json"))


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _events(body: ChatResponse) -> Iterator[str]:
    text = body.answer
    for start in range(0, len(text), 24):
        yield _sse("delta", {"text": text[start : start + 24]})
    yield _sse("done", body.model_dump(mode="json"))
