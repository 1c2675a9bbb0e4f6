"""Work the service does on its own: delivering hand-overs and what follows them to a webhook, purging old
screenshots.

The webhook hears of each hand-over (`handover.created`) and of what happens to its case afterwards: a person's
reply (`handover.replied`) and its resolution (`handover.resolved`). Each is stored before anyone is told about it
(store/outbox.py), in the transaction of the change itself, so a failing webhook or a crash never loses one. Each
conversation's go out in the order they were written: when the webhook does not answer 2xx, that one is retried
with exponential backoff (1 s, 2 s, 4 s … capped at 5 minutes) before anything written after it in its
conversation, so the receiver never hears of a reply before the hand-over it answers, while other conversations'
items go on (a receiver that refuses one kind of event does not hold back every hand-over). It resumes after a
restart from what the database says is undelivered. With a shared secret each POST is signed
(`X-SnapDesk-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "<t>.<body>">`, the scheme Stripe's webhooks use):
the receiver recomputes it to know the body came from this service, unchanged, and recently.
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
PAGE = 50  # pending items read at a time
PER_PASS = 200  # most deliveries in one pass (then the loop looks again, a second later or when woken)


def signature(secret: str, body: bytes, *, at: int) -> str:
    """The `X-SnapDesk-Signature` value for `body` sent at unix time `at`."""
    digest = hmac.new(secret.encode(), str(at).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def webhook_body(item: dict[str, Any]) -> bytes:
    """The POST body of a pending item (store.pending_webhooks): its event's name, its id (the same on every retry,
    so a receiver can tell a repeat), and the event's fields."""
    body = {"event": item["event"], "id": item["id"], **item["payload"]}
    return json.dumps(body, ensure_ascii=False, default=str).encode()


class WebhookDelivery:
    def __init__(
        self, *, store: Any, url: str, secret: str | None = None, timeout: float = 5.0, max_backoff: float = 300.0
    ) -> None:
        self.store = store
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.wake = asyncio.Event()  # set after a hand-over, a reply or a resolution: deliver now, not in a second
        self._next_try: dict[str, float] = {}  # monotonic; an item that failed is not sent again before then

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                try:
                    await self.deliver_due(client)
                except Exception:  # the database away, say: what is pending stays stored, to be sent on a later pass
                    log.exception("webhook delivery failed; trying again shortly")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=1.0)
                self.wake.clear()

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Send what is pending, oldest first, each conversation's items in the order they were written: an item
        that fails (or waits out its backoff) holds back the later ones of its conversation only, so a receiver
        that refuses one event does not stop other customers' hand-overs. The queue is read page by page to its
        end (held items never fill the window for good), up to PER_PASS deliveries. How many the webhook accepted."""
        delivered = 0
        held: set[str] = set()  # conversations with an earlier item not delivered
        after: tuple[Any, str] | None = None
        while delivered < PER_PASS:
            page = await asyncio.to_thread(self.store.pending_webhooks, limit=PAGE, after=after)
            for item in page:
                delivered += await self._deliver(client, item, held)
            if len(page) < PAGE:
                break
            after = (page[-1]["created_at"], page[-1]["id"])
        return delivered

    async def _deliver(self, client: httpx.AsyncClient, item: dict[str, Any], held: set[str]) -> int:
        """Send one item unless its conversation is held or it waits out its backoff; 1 when it was accepted."""
        conversation = item["payload"].get("conversation_id") or item["id"]
        if conversation in held or self._next_try.get(item["id"], 0.0) > time.monotonic():
            held.add(conversation)
            return 0
        ok, error = await self._post(client, item)
        record = {"kind": item["kind"], "item_id": item["id"], "delivered": ok, "error": error}
        await asyncio.to_thread(self.store.record_webhook_attempt, **record)
        if ok:
            self._next_try.pop(item["id"], None)
            return 1
        held.add(conversation)
        backoff = min(self.max_backoff, 2.0 ** item["attempts"])
        self._next_try[item["id"]] = time.monotonic() + backoff
        log.warning("%s %s not delivered (%s); next try in %.0f s", item["event"], item["id"], error, backoff)
        return 0

    async def _post(self, client: httpx.AsyncClient, item: dict[str, Any]) -> tuple[bool, str | None]:
        """One POST: (whether the webhook accepted it, why not)."""
        body = webhook_body(item)
        headers = {"content-type": "application/json"}
        if self.secret:
            headers["x-snapdesk-signature"] = signature(self.secret, body, at=int(time.time()))
        try:
            response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return response.is_success, None if response.is_success else f"HTTP {response.status_code}"


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
