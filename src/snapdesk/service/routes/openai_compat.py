"""OpenAI-compatible endpoints, so existing clients and tools can use SnapDesk as a "model".

Images arrive as `image_url` content parts with `data:` URLs. Remote http(s) URLs are fetched only
from hosts on an allowlist: the server must not be made to request arbitrary addresses (SSRF).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ...answer import HistoryTurn
from ...errors import SnapDeskError
from ..deps import CALLER_ERRORS, CallerDep, State, Text, error_responses
from ..image_urls import read_image_url
from ..state import AppState
from ..streaming import LiveAnswer
from ..turn import ChatResult

router = APIRouter(tags=["openai"])
MODEL = "snapdesk"


class BadMessagesError(SnapDeskError):
    code = "bad_messages"
    http_status = 422


class ImageUrl(BaseModel):
    url: Text = Field(description="A data: URL (base64), or an http(s) URL on a host this server allows.")
    detail: Text | None = None


class TextPart(BaseModel):
    type: Literal["text"]
    text: Text


class ImagePart(BaseModel):
    type: Literal["image_url"]
    image_url: ImageUrl | Text


class ChatMessage(BaseModel):
    # Only user and assistant turns are read; the others are accepted and skipped.
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[Annotated[TextPart | ImagePart, Field(discriminator="type")]] | None = None


class CompletionRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL,
                    "messages": [
                        {"role": "user", "content": [{"type": "text", "text": "How long does a refund take?"}]}
                    ],
                }
            ]
        }
    )

    model: Text = MODEL
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = Field(default=False, strict=True)  # as documented: true or false, not 0 or "yes"


class CompletionMessage(BaseModel):
    role: str
    content: str


class CompletionChoice(BaseModel):
    index: int
    message: CompletionMessage
    finish_reason: str


class ChatCompletion(BaseModel):
    id: str
    object: str
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: dict[str, int]
    snapdesk: dict[str, Any] = Field(description="SnapDesk's own fields: session_id, intent, escalate, team, ...")


# One server-sent event of a streamed completion (Open API 3.1: `schema` describes each event): a chunk as JSON,
# and `[DONE]` last.
CHUNK_EVENT = {
    "type": "object",
    "properties": {
        "data": {
            "anyOf": [
                {"const": "[DONE]"},
                {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "object": {"const": "chat.completion.chunk"},
                            "created": {"type": "integer"},
                            "model": {"type": "string"},
                            "choices": {"type": "array", "items": {"type": "object"}},
                            "snapdesk": {"type": "object"},
                        },
                        "required": ["id", "object", "created", "model", "choices"],
                    },
                },
            ]
        }
    },
    "required": ["data"],
}


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "snapdesk"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


@router.get("/v1/models")
async def models() -> ModelList:
    return ModelList(data=[Model(id=MODEL)])


@router.post(
    "/v1/chat/completions",
    responses={
        200: {
            "model": ChatCompletion,
            "description": "The completion; as server-sent `chat.completion.chunk` events when `stream` is true",
            "content": {"text/event-stream": {"schema": CHUNK_EVENT}},
        },
        **error_responses(
            {
                **CALLER_ERRORS,
                400: "An image URL that is not data: or http(s), from a host not allowed, or that could not be read",
                413: "Image over the byte limit (image_too_large), or the request body over the limit (body_too_large)",
                415: "Not an image (or a data: URL that is not base64), or an unsupported format such as SVG",
                422: "Bad image or question, no user message last, or a request that does not validate",
            }
        ),
    },
)
async def completions(request: Request, body: CompletionRequest, state: State, caller: CallerDep) -> Any:
    # Off the event loop: decoding data: URLs and fetching allowed remote images take time.
    turns = await asyncio.to_thread(
        lambda: [_parse(message, state) for message in body.messages if message.role in ("user", "assistant")]
    )
    if not turns or turns[-1][0] != "user":
        raise BadMessagesError("the last message must be the user's question")
    _, question, images = turns[-1]
    # The messages before, with their images: the chat service takes the last of those for a follow-up.
    history = [HistoryTurn(role, text, imgs[-1] if imgs else None) for role, text, imgs in turns[:-1]]
    image = images[-1] if images else None
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    turn = partial(state.chat.chat, owner=caller.owner, text=question, image=image, history=history)
    if body.stream:
        live = LiveAnswer()
        finished = await live.start(turn(on_text=live.emit))
        if finished is None:  # a model is writing: pass its checked text through as it comes
            stream = _live_chunks(live, completion_id, body.model, request)
            return StreamingResponse(stream, media_type="text/event-stream")
        result = finished
    else:
        result = await turn()
    request.state.log_fields = result.log_fields()
    answer = result.answer
    extra = _extra(result)
    if body.stream:
        return StreamingResponse(_chunks(completion_id, body.model, answer.text, extra), media_type="text/event-stream")
    completion = ChatCompletion(
        id=completion_id,
        object="chat.completion",
        created=int(time.time()),
        model=body.model,
        choices=[
            CompletionChoice(
                index=0, message=CompletionMessage(role="assistant", content=answer.text), finish_reason="stop"
            )
        ],
        usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        snapdesk=extra,
    )
    return JSONResponse(completion.model_dump(mode="json"))


def _extra(result: ChatResult) -> dict[str, Any]:
    """SnapDesk's own fields beside the OpenAI ones."""
    answer = result.answer
    return {
        "session_id": result.session_id,
        "intent": answer.intent,
        "escalate": answer.escalate,
        "team": answer.team,
        "tier": result.tier,
        "cached": result.cached,
        "evidence": answer.evidence,
        "engine": answer.engine,
        "check": answer.check,
    }


def _chunk(completion_id: str, model: str, delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **more,
    }
    return f"data: {json.dumps(body, ensure_ascii=False, default=str)}\n\n"


def _chunks(completion_id: str, model: str, text: str, extra: dict[str, Any]) -> Iterator[str]:
    yield _chunk(completion_id, model, {"role": "assistant"})
    for start in range(0, len(text), 24):
        yield _chunk(completion_id, model, {"content": text[start : start + 24]})
    yield _chunk(completion_id, model, {}, "stop", snapdesk=extra)
    yield "data: [DONE]\n\n"


async def _live_chunks(live: LiveAnswer, completion_id: str, model: str, request: Request) -> AsyncIterator[str]:
    yield _chunk(completion_id, model, {"role": "assistant"})
    sent = ""  # what a plain OpenAI client has concatenated since the last withdrawal
    async for text, reset in live.pieces():
        if reset:
            # Plain OpenAI clients cannot take text back. What was sent had passed the check sentence by
            # sentence, so it may stand; the replacement follows as a new paragraph, and SnapDesk's own field
            # tells clients that know it to clear what they show.
            yield _chunk(completion_id, model, {"content": "\n\n" if sent else ""}, snapdesk={"reset": True})
            sent = ""
            continue
        sent += text
        yield _chunk(completion_id, model, {"content": text})
    try:
        result = await live.result()
    except SnapDeskError as error:
        yield f"data: {json.dumps({'error': {'code': error.code, 'message': error.message}}, ensure_ascii=False)}\n\n"
        return
    request.state.log_fields = result.log_fields()
    final = result.answer.text
    if final != sent:
        # The answer shown in the end (a replacement after a withdrawal, a holding reply): what was sent is
        # already checked text, so the rest follows it as a new paragraph rather than being lost.
        rest = final[len(sent) :] if final.startswith(sent) else ("\n\n" if sent else "") + final
        yield _chunk(completion_id, model, {"content": rest})
    yield _chunk(completion_id, model, {}, "stop", snapdesk={**_extra(result), "answer": final})
    yield "data: [DONE]\n\n"


def _parse(message: ChatMessage, state: AppState) -> tuple[str, str, list[bytes]]:
    if message.content is None or isinstance(message.content, str):
        return message.role, message.content or "", []
    texts, images = [], []
    limit, hosts = state.settings.max_image_bytes, state.settings.remote_image_hosts
    for part in message.content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        else:
            url = part.image_url.url if isinstance(part.image_url, ImageUrl) else part.image_url
            images.append(read_image_url(url, limit=limit, allowed_hosts=hosts))
    return message.role, "\n".join(texts), images
