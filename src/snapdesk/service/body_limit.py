"""A limit on the whole request body, enforced before anything parses it.

Starlette parses a multipart form completely (spooling files to disk) before the route sees the upload, so the
image's own byte limit alone would let a client send gigabytes first. This middleware refuses a body whose
Content-Length is over the limit at once, and counts a chunked body as it arrives, stopping at the limit.
(FastAPI's own `max_body_size` answers an announced oversize body in plain text, not the API's JSON errors.)
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import SnapDeskError

_MB = 1024 * 1024


class BodyTooLargeError(SnapDeskError):
    code = "body_too_large"
    http_status = 413


def body_limit_for(max_image_bytes: int) -> int:
    """Room for the largest image as a base64 data: URL (4/3 of its bytes, the OpenAI-style route) plus the
    question, the other fields and the form's or JSON's framing."""
    return max_image_bytes * 4 // 3 + 2 * _MB


class BodyLimit:
    """ASGI middleware: 413 `body_too_large` for a request body over `max_bytes`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _error(self, size: int | None = None) -> BodyTooLargeError:
        shown = f"{size} bytes" if size is not None else f"more than {self.max_bytes} bytes"
        return BodyTooLargeError(f"the request body is {shown}, over the limit of {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            error = self._error(int(length))
            body = {"error": {"code": error.code, "message": error.message}}
            # The client is told at once; its body is never read (uvicorn closes the connection after this).
            await JSONResponse(body, status_code=error.http_status, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._error()  # inside the route's body parsing: answered by the app's error handler
            return message

        await self.app(scope, counted, send)
