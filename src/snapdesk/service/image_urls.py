"""Images sent as URLs (the OpenAI protocol's `image_url`): `data:` URLs decoded, http(s) URLs fetched only from
hosts on an allowlist, since the server must not be made to request arbitrary addresses (SSRF)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from urllib.parse import urlparse

import httpx

from ..errors import ImageTooLargeError, NotAnImageError, SnapDeskError


class RemoteImageRefusedError(SnapDeskError):
    code = "remote_image_refused"
    http_status = 400


def read_image_url(url: str, *, limit: int, allowed_hosts: Collection[str]) -> bytes:
    """The image bytes a data: URL holds, or that an allowed host serves; refused past `limit` bytes."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        if ";base64" not in header:
            raise NotAnImageError("image data URLs must be base64-encoded")
        if len(payload) * 3 // 4 > limit:
            raise ImageTooLargeError(f"image is over the {limit / 1024 / 1024:.0f} MB limit")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise NotAnImageError("the image data URL is not valid base64") from None
    try:
        parsed = urlparse(url)
        hostname = parsed.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise RemoteImageRefusedError("image_url is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise RemoteImageRefusedError("image_url must be a data: URL or an http(s) URL")
    if hostname not in allowed_hosts:
        raise RemoteImageRefusedError(f"fetching images from {hostname!r} is not allowed on this server")
    try:
        with httpx.Client(timeout=5.0, follow_redirects=False) as client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise RemoteImageRefusedError(f"the image URL answered HTTP {response.status_code}")
            data = b""
            for piece in response.iter_bytes():
                data += piece
                if len(data) > limit:
                    raise ImageTooLargeError(f"image is over the {limit / 1024 / 1024:.0f} MB limit")
            return data
    except (httpx.HTTPError, httpx.InvalidURL) as error:  # unreachable, timed out, a URL httpx refuses
        raise RemoteImageRefusedError(f"the image URL could not be fetched: {type(error).__name__}") from None
