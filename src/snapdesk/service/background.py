"""Work the service does on its own: delivering hand-overs to a webhook, purging old screenshots.

A hand-over is stored before anyone is told about it, so a failing webhook never loses one: delivery
is retried with exponential backoff (1 s, 2 s, 4 s … capped at 5 minutes) until the webhook answers
2xx, and resumes after a restart from what the database says is undelivered. With a shared secret each POST is
signed (`X-SnapDesk-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "<t>.<body>">`, the scheme Stripe's
webhooks use): the receiver recomputes it to know the body came from this service, unchanged, and recently.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any

import httpx

log = logging.getLogger("snapdesk.background")


def signature(secret: str, body: bytes, *, at: int) -> str:
    """The `X-SnapDesk-Signature` value for `body` sent at unix time `at`."""
    digest = hmac.new(secret.encode(), str(at).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


class HandoverDelivery:
    def __init__(
        self, *, store: Any, url: str, secret: str | None = None, timeout: float = 5.0, max_backoff: float = 300.0
    ) -> None:
        self.store = store
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.wake = asyncio.Event()
        self._next_try: dict[str, float] = {}

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                await self.deliver_due(client)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=1.0)
                self.wake.clear()

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        delivered = 0
        pending = await asyncio.to_thread(self.store.undelivered_handovers, limit=50)
        for handover in pending:
            if self._next_try.get(handover["id"], 0.0) > time.monotonic():
                continue
            payload = {key: handover[key] for key in ("id", "conversation_id", "message_id", "team", "summary")}
            body = json.dumps(payload, ensure_ascii=False, default=str).encode()
            headers = {"content-type": "application/json"}
            if self.secret:
                headers["x-snapdesk-signature"] = signature(self.secret, body, at=int(time.time()))
            try:
                response = await client.post(self.url, content=body, headers=headers)
                ok, error = response.is_success, None if response.is_success else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            await asyncio.to_thread(self.store.record_delivery, handover_id=handover["id"], delivered=ok, error=error)
            if ok:
                delivered += 1
                self._next_try.pop(handover["id"], None)
            else:
                backoff = min(self.max_backoff, 2.0 ** handover["attempts"])
                self._next_try[handover["id"]] = time.monotonic() + backoff
                log.warning("hand-over %s not delivered (%s); next try in %.0f s", handover["id"], error, backoff)
        return delivered


async def purge_periodically(store: Any, *, retention_days: float, every: float = 3600.0) -> None:
    """Delete stored screenshots past the retention period, at start and then every `every` seconds."""
    while True:
        try:
            count = await asyncio.to_thread(store.purge_images, older_than=timedelta(days=retention_days))
            if count:
                log.info("purged %d screenshot(s) older than %g days", count, retention_days)
        except Exception:
            log.exception("purging old screenshots failed")
        await asyncio.sleep(every)
