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
        look: Callable[[], Awaitable[dict[str, Any] | None]],
        *,
        seconds: float,
        gone: Callable[[], bool],
    ) -> dict[str, Any] | None:
        """`look()` until it finds messages, `seconds` have passed or the client is `gone()` (a closed page must
        not hold a request open: a server shutting down waits for open requests); `look()`'s last answer (None:
        no such session)."""
        until = time.monotonic() + seconds
        while True:
            found = await look()
            left = until - time.monotonic()
            if found is None or found["messages"] or left <= 0 or gone():
                return found
            await self._pause(conversation_id, min(RECHECK_SECONDS, left))
