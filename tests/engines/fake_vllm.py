"""A small OpenAI-compatible model server on loopback, answering in vLLM's response and stream shapes.

Tests script what it answers (content, or a fault: slow, HTTP 500, malformed JSON, a stream dropped
half-way, a reply with no choices) and read back every request it received.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse


@dataclass
class Answer:
    """What the server does with one request."""

    content: str = ""
    delay: float = 0.0  # seconds before answering (a slow or hung model)
    status: int = 200  # 500: an engine error
    malformed: bool = False  # a 200 whose body is not JSON
    no_choices: bool = False  # a well-formed body with nothing in it
    drop_stream_after: int | None = None  # chunks sent before the connection is closed mid-stream
    finish_reason: str = "stop"  # "length": cut off at max_tokens


Responder = Callable[[dict[str, Any]], Answer]


@dataclass
class FakeVLLM:
    model: str = "zai-org/GLM-4.6V-Flash"
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Answer | Responder] = field(default_factory=list)  # consumed first, in order
    default: Answer | Responder = field(default_factory=lambda: Answer("好的。"))
    url: str = ""

    def next_answer(self, body: dict[str, Any]) -> Answer:
        planned = self.script.pop(0) if self.script else self.default
        return planned(body) if callable(planned) else planned

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "vllm"}]}

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            answer = self.next_answer(body)
            if answer.delay:
                await asyncio.sleep(answer.delay)
            if answer.status != 200:
                error = {"object": "error", "message": "engine failed", "type": "InternalServerError", "code": 500}
                return JSONResponse(error, status_code=answer.status)
            if answer.malformed:
                return PlainTextResponse('{"id": "chatcmpl-1", "choices": [', media_type="application/json")
            if body.get("stream"):
                return StreamingResponse(self._chunks(answer), media_type="text/event-stream")
            return JSONResponse(self._completion(body, answer))

        return app

    def _completion(self, body: dict[str, Any], answer: Answer) -> dict[str, Any]:
        beams = body.get("n", 1) if body.get("use_beam_search") else 1
        choices = [
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": answer.content,
                    "reasoning_content": None,
                    "tool_calls": [],
                },
                "logprobs": None,
                "finish_reason": answer.finish_reason,
                "stop_reason": None,
            }
            for i in range(beams)
        ]
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [] if answer.no_choices else choices,
            "usage": {"prompt_tokens": 1200, "total_tokens": 1250, "completion_tokens": 50},
            "prompt_logprobs": None,
        }

    def _chunks(self, answer: Answer) -> Iterator[str]:
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            data = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        pieces = [answer.content[i : i + 4] for i in range(0, len(answer.content), 4)]
        for sent, piece in enumerate(pieces):
            if answer.drop_stream_after is not None and sent >= answer.drop_stream_after:
                raise RuntimeError("connection dropped mid-stream")  # uvicorn closes the connection
            yield chunk({"content": piece})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"


class Running:
    """A uvicorn server in a thread, on a free loopback port."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
