"""Serving a stored screenshot back: to operators (the console) and to the customer whose session holds it.

Stored bytes are served as what they are (by their magic number, never as HTML) with nosniff and a sandboxing
CSP. An upload kept unread under load was never decoded nor moderated: it passes intake and moderation first,
and a refusal answers with its error instead of the picture.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import Response

from ..errors import SnapDeskError
from ..store.cache import cache_key
from .deps import error_responses
from .state import AppState
from .upload import bytes_digest


class ScreenshotNotFoundError(SnapDeskError):
    code = "not_found"
    http_status = 404


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
IMAGE_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "application/octet-stream")
Digest = Annotated[str, Path(pattern=r"^sha256:[0-9a-f]{64}$", description="A message's image_digest")]


def screenshot_responses(errors: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that serves a stored screenshot: its bytes, the route's errors, and the refusal
    of an upload kept unread that intake or moderation refuses now."""
    refused = "The request does not validate; or a screenshot kept unread under load that intake or moderation "
    return {
        200: {
            "description": "The screenshot's bytes as uploaded",
            "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in IMAGE_MEDIA_TYPES},
        },
        **error_responses({**errors, 422: refused + "refuses now"}),
    }


def media_type(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "application/octet-stream")


def is_unread(digest: str, data: bytes) -> bool:
    """Stored under the digest of its bytes (not of its pixels): an upload kept unread under load."""
    return digest == bytes_digest(data)


async def screenshot_response(state: AppState, digest: str) -> Response:
    data = await asyncio.to_thread(state.store.image_bytes, digest=digest)
    if data is None:
        raise ScreenshotNotFoundError(f"no stored image {digest}")
    checked = cache_key("checked", digest)
    if is_unread(digest, data) and state.cache.get(checked) is None:
        try:
            await asyncio.to_thread(state.assistant.prepare, data)
        except SnapDeskError:
            # Refused once read, as it would have been on arrival: not kept (nor decoded again on the next view).
            await asyncio.to_thread(state.store.delete_image, digest=digest)
            raise
        state.cache.set(checked, b"1", ttl=state.settings.cache_ttl_seconds)  # the next view needs no decoding
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(data, media_type=media_type(data), headers=headers)
