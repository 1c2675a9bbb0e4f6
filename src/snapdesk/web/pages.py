"""Serves the web pages and their static assets from package data; no build step, no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

STATIC = Path(__file__).parent / "static"

# Pages are not API operations: kept out of the OpenAPI document (the fuzzer drives every operation in it).
router = APIRouter(include_in_schema=False)

# Browsers revalidate instead of caching blindly: a new release's JS must not meet an old page.
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

CHAT_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors *"
)


# The console holds an admin key and shows customers' text and screenshots: nothing but its own files may run,
# and nobody may frame it. Inline style attributes are allowed (the charts and the box overlay set positions).
ADMIN_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _file(name: str, *, frame_anywhere: bool = False) -> FileResponse:
    if "\x00" in name:  # a NUL cannot name a file (and resolve() would raise)
        raise HTTPException(status_code=404, detail="Not Found")
    path = (STATIC / name).resolve()
    # resolve() then is_relative_to: "../" or a symlink cannot reach outside the static folder.
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file() or path.suffix not in _TYPES:
        raise HTTPException(status_code=404, detail="Not Found")
    headers = dict(_HEADERS)
    if path.suffix == ".html" and not frame_anywhere:
        headers["X-Frame-Options"] = "DENY"
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=headers)


@router.api_route("/", methods=["GET", "HEAD"])
def chat_page() -> FileResponse:
    # The chat page is what the widget frames on a shop's own site, so any origin may frame it. The policy is a
    # second guard behind rendering screenshot text as text: no inline or foreign script could run anyway.
    response = _file("chat.html", frame_anywhere=True)
    response.headers["Content-Security-Policy"] = CHAT_POLICY
    return response


@router.api_route("/admin", methods=["GET", "HEAD"])
def admin_page() -> FileResponse:
    response = _file("admin.html")
    response.headers["Content-Security-Policy"] = ADMIN_POLICY
    return response


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget() -> FileResponse:
    response = _file("widget.js")
    # Loaded by <script src> from a shop's pages on another origin.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"])
def static(name: str) -> FileResponse:
    return _file(name)
