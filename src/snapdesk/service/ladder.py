"""Load control: a bounded worker pool, a bounded queue with a deadline, and a ladder of tiers.

Under load the service steps down instead of timing out:
  best  → a model engine at its best setting (beam search / sampling)      } only with a model engine
  greedy → the model engine greedy, shorter max_tokens                      }
  full  → the whole pipeline at the configured OCR size, the offline engine
  fast  → a smaller OCR working size (cheaper, slightly less accurate on small text)
  text  → no OCR: the knowledge base on the question text (and a cached reading of the image, if any)
  hold  → a polite holding reply with Retry-After (HTTP 503 for clients that ask for strict mode)
The rung is chosen from the queue when a request arrives (`Ladder.choose`); it steps down at once and back
up to `full` only after the queue has stayed short for SETTLE_SECONDS. A request still waiting at its deadline
is answered from the `hold` rung. The model's own guard (engines/guard.py) steps
further down when the model is slow, failing or gives an answer that fails the check.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

HOLDING_REPLY = {
    "zh": "正在为您查询，请稍候。当前咨询人数较多，请稍后再试或稍等片刻。",
    "en": "We're looking into it; please wait a moment. We're busier than usual, so please try again shortly.",
}


# How long the queue must stay short after a step down before image requests get the `full` rung again:
# about the holding reply's mean Retry-After, when the clients it held come back.
SETTLE_SECONDS = 5.0


class Overloaded(Exception):
    """No rung could answer in time: the caller sends the holding reply."""


class Ladder:
    def __init__(self, *, workers: int = 0, queue_size: int = 16, deadline: float = 10.0, model_slots: int = 0) -> None:
        # OCR already spreads one call over several threads: one worker per two cores, at least one.
        self.workers = workers or max(1, (os.cpu_count() or 2) // 2)
        # A model engine mostly waits on its server: extra workers keep that many model calls in flight.
        self.model_slots = model_slots
        self.queue_size = queue_size
        self.deadline = deadline
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.waiting = 0  # submitted, not started
        self.running = 0
        self._stepped_down = -math.inf  # when the queue last sent an image request below `full` (monotonic)

    @property
    def depth(self) -> int:
        return self.waiting + self.running

    def choose(self, *, has_image: bool, model: bool = False) -> str:
        """The rung for a request arriving now (`model`: the engine has the best/greedy rungs)."""
        with self._lock:
            waiting, running = self.waiting, self.running
        if waiting >= self.queue_size:
            return self._step_down("hold")
        busy, capacity = running + waiting, self.workers + self.model_slots
        if model and busy < capacity:  # a thread is free (a task just submitted may not have started yet)
            # Beam search costs the model server several times greedy: only while it has room to spare.
            return "best" if busy < max(1, capacity // 2) else "greedy"
        if not has_image:
            return "full"  # text-only work is cheap at every level
        if waiting >= max(2, self.queue_size // 2):
            return self._step_down("text")
        if waiting >= self.workers:
            return self._step_down("fast")
        with self._lock:
            settling = time.monotonic() - self._stepped_down < SETTLE_SECONDS
        # Step down at once, back up only once the queue has stayed short for a while: under overload the queue
        # empties for a moment between bursts of arrivals (held clients come back together), and a full-size
        # reading then would cost the requests right behind it a third more time each.
        return "fast" if settling else "full"

    def _step_down(self, rung: str) -> str:
        with self._lock:
            self._stepped_down = time.monotonic()
        return rung

    @staticmethod
    def retry_after() -> int:
        """Seconds a held customer should wait before asking again: 5 on average, spread at random over 3 to 7
        so that the clients held in one burst do not all come back in the same second to a full queue again."""
        return random.randint(3, 7)

    async def run(self, work: Callable[[], T]) -> T:
        """Run blocking work on the pool; raise Overloaded if it has not finished by the deadline."""
        with self._lock:
            self.waiting += 1

        def task() -> T:
            with self._lock:
                self.waiting -= 1
                self.running += 1
            try:
                return work()
            finally:
                with self._lock:
                    self.running -= 1

        with self._lock:
            if self._pool is None:  # first use, or used again after a shutdown (a restarted app)
                self._pool = ThreadPoolExecutor(
                    max_workers=self.workers + self.model_slots, thread_name_prefix="snapdesk-worker"
                )
            pool = self._pool
        future = pool.submit(task)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self.deadline)
        except TimeoutError:
            self._leave_queue(future)
            raise Overloaded from None
        except BaseException:  # the request was cancelled (the client left, the server stops) while it waited
            self._leave_queue(future)
            raise

    def _leave_queue(self, future: Future[Any]) -> None:
        # cancel() is True only for a task that never started (then `task` never counts it out of the queue).
        if future.cancel():
            with self._lock:
                self.waiting -= 1

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
