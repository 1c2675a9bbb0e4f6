"""Messages reaching a customer's open page while it waits: a person's reply in the operator inbox.

The page long-polls (`GET /sessions/{id}/messages?after=…&wait=…`), which passes through any ordinary proxy. The
request looks in the database, and while nothing is new it waits: woken at once when a reply is written through
this replica, and looking again every `RECHECK_SECONDS` for one written through another replica (they share only
the database). No connection is held while it waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

RECHECK_SECONDS = 1.0  # how late a reply written through another replica may reach a waiting page
# Messages younger than this are not handed out yet: a message's time is taken before its transaction commits, so
# one stamped earlier may become visible after a later one (another replica's, or a longer transaction); a cursor
# past it would skip it. Committing takes milliseconds; replicas' clocks are kept in step by NTP.
SETTLE_SECONDS = 0.5


class Arrivals:
    """Wakes the requests waiting on a conversation when something is written to it in this process."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def notify(self, conversation_id: str) -> None:
        """Something new in the conversation; callable from any thread (the store runs in worker threads)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake, conversation_id)

    def _wake(self, conversation_id: str) -> None:
        for event in self._waiting.get(conversation_id, ()):
            event.set()

    async def _pause(self, conversation_id: str, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        event = asyncio.Event()
        self._waiting.setdefault(conversation_id, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout=seconds)
        except TimeoutError:
            pass
        finally:
            waiting = self._waiting.get(conversation_id, set())
            waiting.discard(event)
            if not waiting:
                self._waiting.pop(conversation_id, None)

    async def wait_for_new(
        self,
        conversation_id: str,
        look: Callable[[bool], Awaitable[dict[str, Any] | None]],
        *,
        seconds: float,
        gone: Callable[[], bool],
    ) -> dict[str, Any] | None:
        """`look(settled_only)` until it finds messages, `seconds` have passed or the client is `gone()` (a closed
        page must not hold a request open: a server shutting down waits for open requests); its last answer (None:
        no such session). While time is left only settled messages count (SETTLE_SECONDS); the last look takes all,
        so that a client asking without waiting gets what is there."""
        until = time.monotonic() + seconds
        while True:
            left = until - time.monotonic()
            found = await look(left > 0)
            if found is None or found["messages"] or left <= 0 or gone():
                return found
            await self._pause(conversation_id, min(RECHECK_SECONDS, left))
