"""Answer text from the worker thread that writes it to the HTTP response that streams it.

A model engine streams its answer sentence by sentence once each has passed the check (engines/guard.py);
`LiveAnswer` carries those pieces across threads. A turn that fails before its first piece (a refused
image, a missing session) still ends in an ordinary JSON error: the stream only starts with text.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from .turn import ChatResult

Piece = tuple[str, bool]  # (text, reset): reset withdraws the text sent so far


class LiveAnswer:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Piece] = asyncio.Queue()
        self.task: asyncio.Task[ChatResult] | None = None
        self.first: Piece | None = None

    def emit(self, text: str, reset: bool) -> None:
        """Called from the worker thread."""
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (text, reset))

    async def start(self, turn: Coroutine[Any, Any, ChatResult]) -> ChatResult | None:
        """Run the turn until its first piece of text (None: stream it) or its end (the result, or its error)."""
        self.task = asyncio.ensure_future(turn)
        first = await self._next()
        if first is None:
            return self.task.result()  # finished without streaming: raises the turn's error, if any
        self.first = first
        return None

    async def pieces(self) -> AsyncIterator[Piece]:
        if self.first is not None:
            yield self.first
        while (piece := await self._next()) is not None:
            yield piece

    async def result(self) -> ChatResult:
        assert self.task is not None
        return await self.task

    async def _next(self) -> Piece | None:
        """The next piece, or None once the turn has finished and every piece has been taken."""
        assert self.task is not None
        if not self.queue.empty():
            return self.queue.get_nowait()
        if self.task.done():
            return None
        getter = asyncio.ensure_future(self.queue.get())
        await asyncio.wait({self.task, getter}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return self.queue.get_nowait() if not self.queue.empty() else None
