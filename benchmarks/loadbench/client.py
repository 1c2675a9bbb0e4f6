"""The load generator's side of one request: POST /chat with a screenshot or without, and what came back."""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from loadbench.shots import Shot


@dataclass
class Rec:
    """One request as the client saw it."""

    kind: str
    started: float
    ended: float
    status: int  # 0: no HTTP response (transport error)
    tier: str | None = None
    server_ms: float | None = None
    session_id: str | None = None
    retry_after: float | None = None
    error: str | None = None
    idle_before: float | None = None  # seconds since this client's previous answer (closed-loop levels)

    @property
    def client_ms(self) -> float:
        return (self.ended - self.started) * 1000


def new_client(url: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def send(
    client: httpx.AsyncClient, kind: str, text: str, shot: Shot | None = None, session_id: str | None = None
) -> Rec:
    data = {"text": text}
    if session_id:
        data["session_id"] = session_id
    files = {"image": (shot.name, shot.data, shot.mime)} if shot is not None else None
    started = time.perf_counter()
    try:
        response = await client.post("/chat", data=data, files=files)
    except httpx.HTTPError as error:
        return Rec(kind, started, time.perf_counter(), 0, error=type(error).__name__)
    rec = Rec(kind, started, time.perf_counter(), response.status_code)
    if response.status_code == 200:
        try:
            body = response.json()
            rec.tier, rec.server_ms, rec.session_id = body.get("tier"), body.get("latency_ms"), body.get("session_id")
        except ValueError:
            rec.error = "not JSON"
    retry = response.headers.get("retry-after")
    if retry:
        with contextlib.suppress(ValueError):
            rec.retry_after = float(retry)
    return rec


def statuses(recs: Sequence[Rec]) -> collections.Counter[str]:
    return collections.Counter(str(r.status) if r.status else f"error:{r.error}" for r in recs)


def count_5xx(recs: Sequence[Rec]) -> int:
    return sum(1 for r in recs if r.status >= 500)


def count_errors(recs: Sequence[Rec]) -> int:
    """Transport errors and timeouts: no HTTP answer at all."""
    return sum(1 for r in recs if r.status == 0)
