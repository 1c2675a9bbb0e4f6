"""Request dependencies: the app's state and who is calling."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, Field

from ..errors import SnapDeskError
from .ratelimit import Decision
from .state import AppState


class UnauthorizedError(SnapDeskError):
    code = "unauthorized"
    http_status = 401


class ForbiddenError(SnapDeskError):
    code = "forbidden"
    http_status = 403


class RateLimitedError(SnapDeskError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, decision: Decision) -> None:
        super().__init__(message, retry_after=decision.reset)
        self.headers = decision.headers()


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. bad_request, not_an_image, session_not_found.")
    message: str = Field(description="For people: what was wrong.")


class ErrorResponse(BaseModel):
    """Every error the API answers with, whatever the status."""

    error: ErrorDetail


# What a caller can cause on every route that takes a caller (CallerDep), and on every route with input.
CALLER_ERRORS = {
    401: "No API key (once one exists), or an unknown or revoked one; without keys, a caller not on localhost",
    429: "Too many requests for this key (or, without keys, this address); Retry-After says when to come back",
}
INVALID = {422: "The request does not validate, or its body cannot be parsed"}


def _text(value: str) -> str:
    # A JSON string may carry NUL or a lone surrogate (\ud800): PostgreSQL stores neither, and no UTF-8 encoder
    # (the database driver, the response) takes a lone surrogate. Refused here as invalid input, not a 500 later.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no unpaired surrogates)") from None
    return value


# Every string a client sends that is stored, looked up or sent back.
Text = Annotated[str, AfterValidator(_text)]


def error_responses(statuses: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status a client can cause, described, with the shared error body."""
    return {status: {"model": ErrorResponse, "description": text} for status, text in sorted(statuses.items())}


@dataclass(frozen=True)
class Caller:
    owner: str  # what sessions belong to: an API key id, or "local" when no key is configured
    admin: bool = False
    agent: bool = False  # an agent key: works the operator inbox (admin keys may too), nothing else of /admin
    name: str = ""  # the key's name: an agent's replies are signed with it

    @property
    def key_id(self) -> str:
        """The API key's id (empty for a caller without a key): what the inbox records as a case's holder."""
        return self.owner.removeprefix("key:") if self.owner.startswith("key:") else ""


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.snapdesk
    return state


State = Annotated[AppState, Depends(get_state)]

_LOCAL = {"127.0.0.1", "::1", "localhost", "testclient"}


# Documents the key in the OpenAPI document; never refuses by itself (auto_error=False): get_caller decides.
bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `snapdesk keys`. Not needed on localhost while no key exists.",
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
BrowserToken = Annotated[
    str,
    Header(
        alias="x-snapdesk-browser",
        description="An opaque token that keeps one browser's sessions apart: on localhost without keys, "
        "or from anywhere when public chat is on (SNAPDESK_PUBLIC_CHAT).",
    ),
]


def get_caller(request: Request, state: State, credentials: Credentials, browser: BrowserToken = "") -> Caller:
    return _caller(request, state, credentials, browser)


def get_polling_caller(request: Request, state: State, credentials: Credentials, browser: BrowserToken = "") -> Caller:
    """The caller of a long poll: its budget is apart from the caller's questions, so that open pages waiting for
    a reply (many tabs behind one office address, say) never use up what their questions need."""
    return _caller(request, state, credentials, browser, budget="poll:")


def _caller(request: Request, state: AppState, credentials: Any, browser: str, *, budget: str = "") -> Caller:
    secret = credentials.credentials if credentials else ""
    if state.store.has_api_keys() and (secret or not (browser and state.settings.public_chat)):
        key = state.store.verify_api_key(secret=secret) if secret else None
        if key is None:
            raise UnauthorizedError(
                "unknown or revoked API key" if secret else "an API key is required: send Authorization: Bearer <key>"
            )
        role = key["role"]
        caller = Caller(owner=f"key:{key['id']}", admin=role == "admin", agent=role == "agent", name=key["name"])
    elif secret == "" and browser and state.settings.public_chat and state.store.has_api_keys():
        # A customer's browser on the shop's public chat page or widget: its sessions belong to its own token,
        # and the address is rate-limited too, so minting new tokens buys no extra requests.
        _count(request, state, f"{budget}address:{_address(request)}", "too many requests from this address; slow down")
        caller = Caller(owner="browser:" + hashlib.sha256(browser.encode()).hexdigest()[:32])
    elif (request.client.host if request.client else "") in _LOCAL:
        # No key configured: allowed on localhost only (snapdesk serve says so loudly at start). Clients that
        # must send some key (the openai SDK does) may send any.
        caller = Caller(owner="local" + (":" + hashlib.sha256(browser.encode()).hexdigest()[:16] if browser else ""))
    else:
        raise UnauthorizedError("no API key is configured, so only localhost may call; create one with snapdesk keys")
    # A key is its own budget; callers without one (local clients sharing the owner "local") are counted by address.
    bucket = caller.owner if caller.owner.startswith(("key:", "browser:")) else f"address:{_address(request)}"
    _count(request, state, budget + bucket, "too many requests; slow down")
    return caller


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _count(request: Request, state: AppState, bucket: str, refusal: str) -> None:
    """Count the request against `bucket`; its RateLimit-* headers go on the response, whatever it is."""
    decision = state.limiter.check(bucket)
    if decision is None:
        return
    request.state.rate_limit = decision
    if not decision.allowed:
        raise RateLimitedError(refusal, decision)


CallerDep = Annotated[Caller, Depends(get_caller)]
PollingCallerDep = Annotated[Caller, Depends(get_polling_caller)]


def require_admin(caller: CallerDep) -> Caller:
    if not caller.admin:
        raise ForbiddenError("this endpoint needs an admin key")
    return caller


def require_operator(caller: CallerDep) -> Caller:
    """An admin or an agent key: the people who read conversations and work the operator inbox."""
    if not (caller.admin or caller.agent):
        raise ForbiddenError("this endpoint needs an admin or agent key")
    return caller
